using System.Net;
using Microsoft.Extensions.Options;
using P2PSim.Transport;

namespace P2PSim.Configuration;

/// <summary>
/// Checks every setting once at start-up. Each failure names the setting as it is written
/// in appsettings.json or on the command line (<c>Section:Key</c>), says what is allowed and
/// what was given.
/// </summary>
internal sealed class SettingsChecks
{
    private readonly List<string> _failures = [];

    public SettingsChecks Range(string setting, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            _failures.Add($"{setting} must be between {min} and {max} (was {value}).");
        }
        return this;
    }

    public SettingsChecks Interval(string setting, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            _failures.Add($"{setting} must be between {min} and {max} (was {value}). Write durations as hh:mm:ss[.fff], e.g. 00:00:05 for five seconds.");
        }
        return this;
    }

    public SettingsChecks That(bool ok, string failure)
    {
        if (!ok)
        {
            _failures.Add(failure);
        }
        return this;
    }

    /// <summary>Adds the failures of another validator (settings checked by it, named as it names them).</summary>
    public SettingsChecks Include(ValidateOptionsResult result)
    {
        if (result.Failed)
        {
            _failures.AddRange(result.Failures ?? []);
        }
        return this;
    }

    public ValidateOptionsResult Result() => _failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_failures);

    /// <summary>
    /// Another section's options for a check across sections, or null when that section is itself invalid: its own
    /// validator reports it, and this one must not throw its exception instead of reporting its own failures.
    /// </summary>
    public static T? ValidOrNull<T>(IOptions<T> options)
        where T : class
    {
        try
        {
            return options.Value;
        }
        catch (OptionsValidationException)
        {
            return null;
        }
    }
}

internal sealed class NetworkOptionsValidator : IValidateOptions<NetworkOptions>
{
    public ValidateOptionsResult Validate(string? name, NetworkOptions o)
    {
        const string S = NetworkOptions.Section;
        var checks = new SettingsChecks()
            .Range($"{S}:Seeds", o.Seeds, 1, 1000)
            .Range($"{S}:Peers", o.Peers, 0, 100_000)
            .Range($"{S}:SeedBasePort", o.SeedBasePort, 0, 65535)
            .Range($"{S}:PeerBasePort", o.PeerBasePort, 0, 65535)
            .Interval($"{S}:PeerJoinInterval", o.PeerJoinInterval, TimeSpan.Zero, TimeSpan.FromMinutes(10))
            .Range($"{S}:PeersJoiningAtOnce", o.PeersJoiningAtOnce, 1, 1000)
            .That(IPAddress.TryParse(o.Host, out _), $"{S}:Host must be an IP address such as 127.0.0.1 (was '{o.Host}').");
        var shortForm = o.SeedList.Count == 0; // a list of seeds gives each its own port (SeedListValidator checks those)
        if (shortForm && o.SeedBasePort > 0 && o.Seeds > 0)
        {
            checks.That(o.SeedBasePort + o.Seeds - 1 <= 65535, $"{S}:SeedBasePort {o.SeedBasePort} leaves no room for {o.Seeds} seeds below port 65535.");
        }
        if (o.PeerBasePort > 0 && o.Peers > 0)
        {
            checks.That(o.PeerBasePort + o.Peers - 1 <= 65535, $"{S}:PeerBasePort {o.PeerBasePort} leaves no room for {o.Peers} peers below port 65535.");
        }
        if (shortForm && o.SeedBasePort > 0 && o.PeerBasePort > 0 && o.Seeds > 0 && o.Peers > 0)
        {
            var seedsEnd = o.SeedBasePort + o.Seeds - 1;
            var peersEnd = o.PeerBasePort + o.Peers - 1;
            checks.That(seedsEnd < o.PeerBasePort || peersEnd < o.SeedBasePort,
                $"{S}:PeerBasePort clashes with {S}:SeedBasePort: seeds use ports {o.SeedBasePort}-{seedsEnd}, peers would use {o.PeerBasePort}-{peersEnd}.");
        }
        return checks.Result();
    }
}

/// <summary>
/// The nodes this process runs must fit into the files it may open (see <see cref="OpenFileLimit"/>): the whole network
/// with one slice, this slice's seeds and peers with several (<see cref="SliceLayout"/>), each process having its own
/// budget; with room for the registration connections and the per-node log files. Validates <see cref="SliceOptions"/>
/// because it needs them and the network; validating <see cref="NetworkOptions"/> instead would read the slice options,
/// whose validation reads the network's again.
/// </summary>
internal sealed class OpenFilesValidator(IOptions<NetworkOptions> network, IOptions<PeerOptions> peer, IOptions<GroupOptions> groups, IOptions<LogOptions> logs)
    : IValidateOptions<SliceOptions>
{
    public ValidateOptionsResult Validate(string? name, SliceOptions o)
    {
        if (SettingsChecks.ValidOrNull(network) is not { } n || SettingsChecks.ValidOrNull(peer) is not { } peers
            || SettingsChecks.ValidOrNull(groups) is not { } group || o.Count < 1 || o.Index < 0 || o.Index >= o.Count)
        {
            return ValidateOptionsResult.Skip; // their own validators say what is wrong
        }
        // A group's links are sockets of their own: each group a peer joins at start adds up to its MaxNeighbours.
        var links = peers.MaxNeighbours + (Math.Min(group.PerPeer, group.NameList().Count) * group.MaxNeighbours);
        var tooMany = Check(SliceLayout.From(n, o), links, peers, logs.Value.WriteFiles, OpenFileLimit.Current());
        return tooMany is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(tooMany);
    }

    /// <summary>Null when <paramref name="layout"/>'s nodes fit in <paramref name="limit"/> open files; else why not.</summary>
    /// <param name="layout">The nodes this process runs, of which network.</param>
    /// <param name="links">Links a peer dials itself (its neighbours and each group's).</param>
    /// <param name="peer">The peers' settings (how often and how long they register with the seeds).</param>
    /// <param name="logFiles">Whether every node here holds a log file open.</param>
    /// <param name="limit">The open files this process may hold (null: unknown, nothing to check).</param>
    public static string? Check(SliceLayout layout, int links, PeerOptions peer, bool logFiles, long? limit)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Check(layout, $"{NetworkOptions.Section}:Peers", links, peer, logFiles, limit);
    }

    /// <summary>As <see cref="Check(SliceLayout, int, PeerOptions, bool, long?)"/>, the peers named by <paramref name="peersSetting"/>.</summary>
    public static string? Check(SliceLayout layout, string peersSetting, int links, PeerOptions peer, bool logFiles, long? limit)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var demand = new FileDemand(layout.PeerCount, layout.LocalSeeds.Count, links,
            OpenFileLimit.RegistrationsInFlight(peer, layout.PeerCount, layout.TotalPeers, layout.Seeds.Count, layout.LocalSeeds.Count),
            logFiles ? layout.PeerCount + layout.LocalSeeds.Count : 0);
        if (layout.Count == 1)
        {
            return OpenFileLimit.Check(peersSetting, demand, limit);
        }
        var refusal = OpenFileLimit.Check($"Slice {layout.Index} of {layout.Count} ({SliceOptions.Section}:Index), its share of {peersSetting}", demand, limit);
        return refusal is null ? null : $"{refusal} Or cut the network into more slices ({SliceOptions.Section}:Count).";
    }
}

internal sealed class PeerOptionsValidator(IOptions<TransportOptions> transport) : IValidateOptions<PeerOptions>
{
    public ValidateOptionsResult Validate(string? name, PeerOptions o)
    {
        const string S = PeerOptions.Section;
        var hour = TimeSpan.FromHours(1);
        var ms = TimeSpan.FromMilliseconds(1);
        var checks = new SettingsChecks()
            .Range($"{S}:MaxNeighbours", o.MaxNeighbours, 1, 1000)
            .Interval($"{S}:GossipInterval", o.GossipInterval, ms, hour)
            .Range($"{S}:MessagesPerPeer", o.MessagesPerPeer, 0, 1_000_000)
            .Interval($"{S}:LivenessInterval", o.LivenessInterval, ms, hour)
            .Range($"{S}:MaxMissedLiveness", o.MaxMissedLiveness, 1, 100)
            .Range($"{S}:MessageListCapacity", o.MessageListCapacity, 16, 10_000_000)
            .Interval($"{S}:MessageListTtl", o.MessageListTtl, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1))
            .Interval($"{S}:RegistrationTimeout", o.RegistrationTimeout, ms, hour)
            .Interval($"{S}:RetryInterval", o.RetryInterval, ms, hour)
            .Range($"{S}:MinNeighbours", o.MinNeighbours, 0, 1000)
            .Interval($"{S}:ReregisterInterval", o.ReregisterInterval, TimeSpan.Zero, TimeSpan.FromDays(1))
            .That(o.ReregisterInterval == TimeSpan.Zero || o.ReregisterInterval >= o.RegistrationTimeout,
                $"{S}:ReregisterInterval ({o.ReregisterInterval}) must be 00:00:00 (off) or at least {S}:RegistrationTimeout ({o.RegistrationTimeout}).")
            .Interval($"{S}:HistoryWindow", o.HistoryWindow, TimeSpan.Zero, TimeSpan.FromDays(1))
            .That(o.HistoryBytes == 0 || o.HistoryBytes is >= PeerOptions.MinHistoryBytes and <= PeerOptions.MaxHistoryBytes,
                $"{S}:HistoryBytes must be 0 (count only) or between {PeerOptions.MinHistoryBytes} and {PeerOptions.MaxHistoryBytes} (was {o.HistoryBytes}).")
            .Interval($"{S}:ScoreWindow", o.ScoreWindow, TimeSpan.Zero, TimeSpan.FromDays(1))
            .Range($"{S}:ScoreMinFirstDeliveries", o.ScoreMinFirstDeliveries, 1, 1_000_000)
            .Interval($"{S}:PoorNeighbourFor", o.PoorNeighbourFor, TimeSpan.Zero, TimeSpan.FromDays(1))
            .Range($"{S}:MaxNeighboursPerAddress", o.MaxNeighboursPerAddress, 0, 1000)
            .Range($"{S}:MaxNeighboursPerSubnet", o.MaxNeighboursPerSubnet, 0, 1000)
            .Range($"{S}:TenuredNeighbours", o.TenuredNeighbours, 0, 1000);
        if (SettingsChecks.ValidOrNull(transport) is { } valid)
        {
            var idle = valid.IdleTimeout;
            checks.That(o.LivenessInterval < idle,
                $"{S}:LivenessInterval ({o.LivenessInterval}) must be shorter than {TransportOptions.Section}:IdleTimeout ({idle}), or idle neighbour links are cut between liveness requests.");
        }
        return checks.Result();
    }
}

internal sealed class GroupOptionsValidator : IValidateOptions<GroupOptions>
{
    public ValidateOptionsResult Validate(string? name, GroupOptions o)
    {
        const string S = GroupOptions.Section;
        return new SettingsChecks()
            .That(o.NamesProblem() is null, o.NamesProblem() ?? "")
            .Range($"{S}:PerPeer", o.PerPeer, 0, Protocol.ProtocolLimits.MaxGroupsPerPeer)
            .Range($"{S}:MaxNeighbours", o.MaxNeighbours, 1, 1000)
            .Range($"{S}:MessagesPerPeer", o.MessagesPerPeer, 0, 1_000_000)
            .Result();
    }
}

internal sealed class GossipOptionsValidator : IValidateOptions<GossipOptions>
{
    public ValidateOptionsResult Validate(string? name, GossipOptions o)
    {
        const string S = GossipOptions.Section;
        var ms = TimeSpan.FromMilliseconds(1);
        var minute = TimeSpan.FromMinutes(1);
        return new SettingsChecks()
            .That(Enum.IsDefined(o.Routing), $"{S}:Routing must be flood, tree or spanning (was {o.Routing}).")
            .Interval($"{S}:AnnounceInterval", o.EffectiveAnnounceInterval, TimeSpan.Zero, minute)
            .Interval($"{S}:GraftTimeout", o.EffectiveGraftTimeout, ms, minute)
            .Interval($"{S}:GraftRetry", o.GraftRetry, ms, minute)
            .Interval($"{S}:TreeAdvertInterval", o.TreeAdvertInterval, TimeSpan.Zero, minute)
            .Range($"{S}:OptimizationThreshold", o.OptimizationThreshold, 0, 1000)
            .Range($"{S}:OriginRate", o.OriginRate, 0, 1_000_000)
            .Range($"{S}:OriginBurst", o.OriginBurst, 1, 1_000_000)
            .Result();
    }
}

internal sealed class SeedOptionsValidator(IOptions<PeerOptions>? peer = null) : IValidateOptions<SeedOptions>
{
    public ValidateOptionsResult Validate(string? name, SeedOptions o)
    {
        var checks = new SettingsChecks()
            .Range($"{SeedOptions.Section}:ExpireAfterMissedRegistrations", o.ExpireAfterMissedRegistrations, 0, 1000)
            .Range($"{SeedOptions.Section}:MaxRegistrationsPerAddress", o.MaxRegistrationsPerAddress, 0, 1_000_000)
            .Interval($"{SeedOptions.Section}:TenureAfter", o.TenureAfter, TimeSpan.Zero, TimeSpan.FromDays(30))
            .Interval($"{SeedOptions.Section}:AttestationLifetime", o.AttestationLifetime ?? TimeSpan.Zero, TimeSpan.Zero, SeedOptions.MaxAttestationLifetime);
        if (o.AttestationLifetime is { } lifetime && peer is not null && SettingsChecks.ValidOrNull(peer) is { ReregisterInterval: var interval } && interval > TimeSpan.Zero)
        {
            checks.That(lifetime == TimeSpan.Zero || lifetime > interval,
                $"{SeedOptions.Section}:AttestationLifetime ({lifetime}) must be longer than {PeerOptions.Section}:ReregisterInterval ({interval}), "
                + "or a peer's attestation runs out before its next registration brings a fresh one and its messages go out unverified (0 turns attestations off).");
        }
        return checks.Result();
    }
}

internal sealed class TransportOptionsValidator : IValidateOptions<TransportOptions>
{
    /// <summary>Least Transport:ProcessQueueBytes: 64 KiB, so that a few connections still get more than their guaranteed share.</summary>
    public const long MinProcessQueueBytes = 64 * 1024;

    public const long MaxProcessQueueBytes = 64L * 1024 * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, TransportOptions o)
    {
        const string S = TransportOptions.Section;
        var ms = TimeSpan.FromMilliseconds(1);
        var hour = TimeSpan.FromHours(1);
        return new SettingsChecks()
            .Range($"{S}:MaxFrameBytes", o.MaxFrameBytes, 64 * 1024, 16 * 1024 * 1024)
            .Interval($"{S}:HandshakeTimeout", o.HandshakeTimeout, ms, hour)
            .Interval($"{S}:IdleTimeout", o.IdleTimeout, ms, TimeSpan.FromDays(1))
            .Interval($"{S}:FrameTimeout", o.FrameTimeout, ms, hour)
            .Range($"{S}:SendQueueCapacity", o.SendQueueCapacity, 1, 1_000_000)
            .Range($"{S}:OwnGossipQueueCapacity", o.OwnGossipQueueCapacity, 1, 1_000_000)
            .Range($"{S}:ControlQueueCapacity", o.ControlQueueCapacity, 4, 1_000_000)
            .Range($"{S}:ReceiveQueueBytes", o.ReceiveQueueBytes, 4096, 256 * 1024 * 1024)
            .That(o.ProcessQueueBytes == 0 || o.ProcessQueueBytes is >= MinProcessQueueBytes and <= MaxProcessQueueBytes,
                $"{S}:ProcessQueueBytes must be 0 (the default: {QueueBudget.DefaultBytesPerNode} bytes per node, at least {QueueBudget.MinimumDefaultBytes}) or between {MinProcessQueueBytes} and {MaxProcessQueueBytes} (was {o.ProcessQueueBytes}).")
            .That(o.SocketBufferBytes == 0 || o.SocketBufferBytes is >= 4096 and <= 16 * 1024 * 1024,
                $"{S}:SocketBufferBytes must be 0 (the system default) or between 4096 and {16 * 1024 * 1024} (was {o.SocketBufferBytes}).")
            .Range($"{S}:MaxInboundConnections", o.MaxInboundConnections, 1, 100_000)
            .Range($"{S}:MaxInboundPerAddress", o.MaxInboundPerAddress, 0, 100_000)
            .Interval($"{S}:ShutdownGrace", o.ShutdownGrace, TimeSpan.Zero, TimeSpan.FromMinutes(1))
            .Result();
    }
}

internal sealed class DemoOptionsValidator(IOptions<NetworkOptions> network) : IValidateOptions<DemoOptions>
{
    public ValidateOptionsResult Validate(string? name, DemoOptions o)
    {
        const string S = DemoOptions.Section;
        var week = TimeSpan.FromDays(7);
        var peers = SettingsChecks.ValidOrNull(network)?.Peers; // null: the Network section is invalid, and reported by its own validator
        return new SettingsChecks()
            .Interval($"{S}:CrashAfter", o.CrashAfter, TimeSpan.Zero, week)
            .Interval($"{S}:Duration", o.Duration, TimeSpan.Zero, week)
            .Range($"{S}:PrivateMessages", o.PrivateMessages, 0, 1000)
            .That(o.CrashPeer >= -1 && (o.CrashPeer == -1 || peers is null || o.CrashPeer < Math.Max(1, peers.Value)),
                $"{S}:CrashPeer must be -1 (a random peer) or a peer index{(peers is { } n ? $" from 0 to {Math.Max(0, n - 1)}" : "")} (was {o.CrashPeer}).")
            .Result();
    }
}

internal sealed class LogOptionsValidator : IValidateOptions<LogOptions>
{
    public ValidateOptionsResult Validate(string? name, LogOptions o) => new SettingsChecks()
        .That(!string.IsNullOrWhiteSpace(o.Directory) && o.Directory.IndexOfAny(Path.GetInvalidPathChars()) < 0,
            $"{LogOptions.Section}:Directory must be a folder path (was '{o.Directory}').")
        .Result();
}
