using Microsoft.Extensions.Options;
using P2PSim.Configuration;

namespace P2PSim.Experiments;

/// <summary>
/// The one check of an <see cref="ExperimentOptions"/>: the <c>experiment</c> command lists its failures and exits with
/// code 2; <see cref="ExperimentOptions.Validate"/> throws them for <see cref="SimulatedExperiment"/> and
/// <see cref="TcpExperiment"/>. Every failure names the setting as it is written on the command line
/// (<c>Experiment:Peers</c>, <c>Peer:HistoryWindow</c>, <c>Transport:IdleTimeout</c>); the peer and transport settings
/// are checked by the demo's own validators. What depends on the network (the most peers, open files, partitions) is
/// checked for <see cref="ExperimentOptions.Network"/>.
/// </summary>
internal sealed class ExperimentOptionsValidator : IValidateOptions<ExperimentOptions>
{
    public ValidateOptionsResult Validate(string? name, ExperimentOptions o)
    {
        const string S = ExperimentOptions.Section;
        if (o.Peer is null || o.Transport is null)
        {
            return ValidateOptionsResult.Fail($"{nameof(ExperimentOptions.Peer)} and {nameof(ExperimentOptions.Transport)} must be set.");
        }
        var tcp = o.Network == NetworkKind.Tcp;
        var partition = o.Workload == WorkloadKind.Partition;
        var minute = TimeSpan.FromMinutes(1);
        var hour = TimeSpan.FromHours(1);
        var checks = new SettingsChecks()
            .That(Enum.IsDefined(o.Network), $"{S}:Network must be {EnumSetting.Choices<NetworkKind>()} (was {o.Network}).")
            .That(Enum.IsDefined(o.Workload), $"{S}:Workload must be {EnumSetting.Choices<WorkloadKind>()} (was {o.Workload}).")
            .That(Enum.IsDefined(o.Security.Signatures), $"{SecurityOptions.Section}:Signatures must be {EnumSetting.Choices<SignatureMode>()} (was {o.Security.Signatures}).")
            .That(!tcp || o.Security.Signatures != SignatureMode.Skip, SecurityOptionsValidator.SkipOnRealNetwork)
            .That(Enum.IsDefined(o.Security.UnverifiedOrigins), $"{SecurityOptions.Section}:UnverifiedOrigins must be {EnumSetting.Choices<UnverifiedOrigins>()} (was {o.Security.UnverifiedOrigins}).")
            .That(SecurityOptionsValidator.IdDifficultyValid(o.Security.IdDifficulty), SecurityOptionsValidator.IdDifficultyMessage(o.Security.IdDifficulty))
            .That(o.Workload != WorkloadKind.Attack || tcp,
                $"{S}:Workload attack runs on the tcp network only (its attackers speak to real sockets): leave {S}:Network at tcp.")
            .That(Attacks.AttackKinds.Parse(o.Attacks, out var attacksProblem) is not null, attacksProblem ?? "")
            .That(o.AttackStrength is > 0 and <= 1000, $"{S}:AttackStrength must be above 0 and at most 1000 (was {o.AttackStrength}).")
            .That(!partition || !tcp,
                $"{S}:Workload partition runs on the simulated network only (add {S}:Network=simulated): the tcp transport cannot cut links between groups of nodes.")
            .Range($"{S}:Seeds", o.Seeds, 1, 1000)
            .Range($"{S}:Peers", o.Peers, partition || o.Workload == WorkloadKind.Private ? 2 : 1, tcp ? 5000 : 1_000_000)
            .Range($"{S}:Messages", o.Messages, 0, 10_000_000)
            .Interval($"{S}:Spacing", o.Spacing, TimeSpan.Zero, TimeSpan.FromMinutes(10))
            .Interval($"{S}:SampleInterval", o.SampleInterval, TimeSpan.Zero, hour)
            .That(o.CrashShare is >= 0 and <= 1, $"{S}:CrashShare must be between 0 and 1 (was {o.CrashShare}).")
            .That(o.NotDialableShare is >= 0 and <= 1, $"{S}:NotDialableShare must be between 0 and 1 (was {o.NotDialableShare}).")
            .That(o.Workload != WorkloadKind.Private || o.CrashShare < 1, $"{S}:CrashShare must be below 1 with the private workload, so some peers stay to send (was {o.CrashShare}).")
            .Range($"{S}:SeedCrashes", o.SeedCrashes, 1, o.Workload == WorkloadKind.SeedCrash ? Math.Max(1, o.Seeds) : 1000)
            .Interval($"{S}:SeedRestartAfter", o.SeedRestartAfter, TimeSpan.Zero, hour)
            .That(o.ChurnLeaveShare is >= 0 and <= 1, $"{S}:ChurnLeaveShare must be between 0 and 1 (was {o.ChurnLeaveShare}).")
            .That(o.ChurnCrashShare is >= 0 and <= 1, $"{S}:ChurnCrashShare must be between 0 and 1 (was {o.ChurnCrashShare}).")
            .That(o.ChurnJoinShare is >= 0 and <= 1, $"{S}:ChurnJoinShare must be between 0 and 1 (was {o.ChurnJoinShare}).")
            .That(o.ChurnLeaveShare + o.ChurnJoinShare < 1,
                $"{S}:ChurnLeaveShare + {S}:ChurnJoinShare must be below 1, so some peers stay throughout (was {o.ChurnLeaveShare + o.ChurnJoinShare}).")
            .Interval($"{S}:ChurnInterval", o.ChurnInterval, TimeSpan.Zero, hour)
            .That(o.PartitionShare is > 0 and < 1, $"{S}:PartitionShare must be between 0 and 1, both excluded (was {o.PartitionShare}).")
            .Interval($"{S}:PartitionDuration", o.PartitionDuration, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1))
            .Range($"{S}:Groups", o.Groups, 1, 1000)
            .That(o.GroupShare is > 0 and <= 1, $"{S}:GroupShare must be above 0 and at most 1 (was {o.GroupShare}).")
            .Range($"{S}:GroupChanges", o.GroupChanges, 0, 1_000_000)
            .Interval($"{S}:Latency", o.Latency, TimeSpan.Zero, minute)
            .Interval($"{S}:Jitter", o.Jitter, TimeSpan.Zero, minute)
            .That(o.Loss is >= 0 and <= 1, $"{S}:Loss must be between 0 and 1 (was {o.Loss}).")
            .Range($"{S}:JoinConcurrency", o.JoinConcurrency, 0, 100_000)
            .That(!string.IsNullOrWhiteSpace(o.ReportPath), $"{S}:ReportPath must be a file path.")
            .Include(new PeerOptionsValidator(Options.Create(o.Transport)).Validate(null, o.Peer))
            .Include(new TransportOptionsValidator().Validate(null, o.Transport))
            .Include(new SeedOptionsValidator(Options.Create(o.Peer)).Validate(null, o.Seed))
            .Include(new GossipOptionsValidator().Validate(null, o.Gossip))
            .Include(new PrivateOptionsValidator(Options.Create(new NetworkOptions { Peers = Math.Max(1, o.Peers) })).Validate(null, o.PrivateOptionsForRun()))
            .That(o.MaxPeersPerList >= 1, $"{nameof(ExperimentOptions)}.{nameof(ExperimentOptions.MaxPeersPerList)} must be at least 1 (was {o.MaxPeersPerList}).")
            .That(o.JoinSpacing >= TimeSpan.Zero && o.ProgressInterval >= TimeSpan.Zero && o.JoinTimeout > TimeSpan.Zero && o.DrainTimeout > TimeSpan.Zero,
                $"{nameof(ExperimentOptions)}.{nameof(ExperimentOptions.JoinSpacing)} and {nameof(ExperimentOptions.ProgressInterval)} must not be negative; "
                + $"{nameof(ExperimentOptions.JoinTimeout)} and {nameof(ExperimentOptions.DrainTimeout)} must be positive.");
        if (tcp)
        {
            // groups: each group a peer is in adds up to its MaxNeighbours links, sockets of their own.
            var groupLinks = o.Workload == WorkloadKind.Groups ? (int)Math.Ceiling(o.Groups * o.GroupShare) * new GroupOptions().MaxNeighbours : 0;
            var registrations = OpenFileLimit.RegistrationsInFlight(o.Peer, o.Peers, o.Peers, o.Seeds, o.Seeds);
            var tooMany = OpenFileLimit.Check($"{S}:Peers", new FileDemand(o.Peers, o.Seeds, o.Peer.MaxNeighbours + groupLinks, registrations), OpenFileLimit.Current());
            checks.That(tooMany is null, tooMany ?? "");
        }
        if (partition)
        {
            checks.That(o.PartitionDuration < o.Peer.HistoryWindow,
                $"{S}:PartitionDuration ({o.PartitionDuration}) must be shorter than {PeerOptions.Section}:HistoryWindow ({o.Peer.HistoryWindow}), "
                + "or what one side published falls out of the history before the other side can catch up on it.");
        }
        return checks.Result();
    }
}
