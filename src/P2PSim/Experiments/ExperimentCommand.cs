using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Hosting;
using P2PSim.Simulation;

namespace P2PSim.Experiments;

/// <summary>
/// <c>P2PSim experiment [--Section:Key=value ...]</c>: builds a network (real TCP or simulated),
/// runs one workload, prints a progress line while it runs and the report at the end, and
/// writes the report as JSON.
/// </summary>
public static class ExperimentCommand
{
    public const string Verb = "experiment";

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? errors = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        errors ??= Console.Error;
        ExperimentOptions experiment;
        PeerOptions peer;
        try
        {
            var configuration = new ConfigurationBuilder()
                .SetBasePath(Directory.GetCurrentDirectory())
                .AddJsonFile("appsettings.json", optional: true)
                .AddCommandLine(args)
                .Build();
            experiment = configuration.GetSection(ExperimentOptions.Section).Get<ExperimentOptions>() ?? new ExperimentOptions();
            peer = configuration.GetSection(PeerOptions.Section).Get<PeerOptions>() ?? new PeerOptions();
            var transport = configuration.GetSection(TransportOptions.Section).Get<TransportOptions>() ?? new TransportOptions();
            var failures = new List<string>();
            failures.AddRange(new ExperimentOptionsValidator(peer).Validate(null, experiment).Failures ?? []);
            failures.AddRange(new PeerOptionsValidator(Options.Create(transport)).Validate(null, peer).Failures ?? []);
            if (failures.Count > 0)
            {
                await errors.WriteLineAsync("P2PSim experiment cannot start: invalid settings.").ConfigureAwait(false);
                foreach (var failure in failures)
                {
                    await errors.WriteLineAsync($"  - {failure}").ConfigureAwait(false);
                }
                return P2PSimApp.ExitBadSettings;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException or FormatException)
        {
            await errors.WriteLineAsync($"P2PSim experiment cannot start: {ex.Message}").ConfigureAwait(false);
            return P2PSimApp.ExitBadSettings;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var options = ToRunOptions(experiment, peer);
            await output.WriteLineAsync($"P2PSim experiment: {experiment.Network} network, {options.Seeds} seeds, {options.Peers} peers, workload {options.Workload.Describe()}, run seed {options.RunSeed}").ConfigureAwait(false);
            void Progress(ExperimentProgress p) => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  [{p.WallElapsed.TotalSeconds,6:0.0} s] {p.Phase,-9} peers joined {p.PeersJoined}/{p.Peers}, messages {p.MessagesPublished}, first receipts {p.FirstReceipts}{(experiment.Network == "simulated" ? $", virtual {p.VirtualElapsed.TotalSeconds:0.0} s" : "")}"));
            var report = experiment.Network == "simulated"
                ? await Task.Run(() => new SimulatedExperiment(options).Run(Progress, cancel.Token), cancel.Token).ConfigureAwait(false)
                : await new TcpExperiment(options).RunAsync(Progress, cancel.Token).ConfigureAwait(false);
            await output.WriteLineAsync().ConfigureAwait(false);
            ReportWriter.WriteText(output, report);
            var path = ReportPath(experiment);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, ReportWriter.ToJson(report), cancel.Token).ConfigureAwait(false);
            await output.WriteLineAsync($"Report written to {Path.GetFullPath(path)}").ConfigureAwait(false);
            return P2PSimApp.ExitOk;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await errors.WriteLineAsync("Experiment cancelled.").ConfigureAwait(false);
            return P2PSimApp.ExitFailure;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    public static SimulatedExperimentOptions ToRunOptions(ExperimentOptions e, PeerOptions peer) => new()
    {
        Seeds = e.Seeds,
        Peers = e.Peers,
        RunSeed = e.RunSeed,
        Peer = peer,
        Workload = e.Workload switch
        {
            "classic" => new ClassicWorkload(),
            "crash" => new CrashWorkload { Messages = e.Messages, Spacing = e.Spacing, CrashShare = e.CrashShare },
            "seedcrash" => new SeedCrashWorkload { Messages = e.Messages, Spacing = e.Spacing, Seeds = e.SeedCrashes, RestartAfter = e.SeedRestartAfter },
            "churn" => new ChurnWorkload
            {
                Messages = e.Messages,
                Spacing = e.Spacing,
                LeaveShare = e.ChurnLeaveShare,
                CrashShare = e.ChurnCrashShare,
                JoinShare = e.ChurnJoinShare,
                Interval = e.ChurnInterval,
            },
            "partition" => new PartitionWorkload { Messages = e.Messages, Spacing = e.Spacing, Share = e.PartitionShare, Duration = e.PartitionDuration },
            _ => new BurstWorkload { Messages = e.Messages, Spacing = e.Spacing },
        },
        Network = new SimulatedNetworkOptions { Latency = e.Latency, Jitter = e.Jitter, LossProbability = e.Loss },
        JoinConcurrency = e.JoinConcurrency,
        SampleInterval = e.SampleInterval,
    };

    private static string ReportPath(ExperimentOptions e) => e.ReportPath
        .Replace("{network}", e.Network, StringComparison.Ordinal)
        .Replace("{workload}", e.Workload, StringComparison.Ordinal)
        .Replace("{peers}", e.Peers.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{seed}", e.RunSeed.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
