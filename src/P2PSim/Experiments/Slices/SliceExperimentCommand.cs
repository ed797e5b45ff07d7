using System.Globalization;
using Microsoft.Extensions.Configuration;
using P2PSim.Cli;
using P2PSim.Hosting;

namespace P2PSim.Experiments.Slices;

/// <summary>
/// The <c>experiment</c> verb with several slices (<c>Slice:Count</c> above 1): checks the settings for a run over slices,
/// runs this process's slice (<see cref="SliceExperiment"/>) with a progress line a second, and writes its part of the
/// report (<see cref="SlicePart"/>) for the <c>merge</c> verb.
/// </summary>
internal static class SliceExperimentCommand
{
    private const string Heading = "P2PSim experiment cannot start";

    public static async Task<int> RunAsync(IConfiguration configuration, ExperimentOptions options, string source, IReadOnlyList<string> warnings,
        TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        var problems = SliceExperiment.Check(configuration, options);
        if (problems.Count > 0)
        {
            await SettingsGate.WriteProblemsAsync(errors, Heading, problems).ConfigureAwait(false);
            return P2PSimApp.ExitBadSettings;
        }
        var slice = new SliceExperiment(options, configuration);
        var now = DateTimeOffset.UtcNow;
        if (slice.StartAt <= now)
        {
            await SettingsGate.WriteProblemsAsync(errors, Heading,
                [$"{ExperimentOptions.Section}:StartAt ({slice.StartAt:O}) has passed (now {now:O}): give every slice the same time in the future, far enough ahead for its peers to join (date -u -d '+30 seconds' +%FT%TZ)."],
                settingsHint: false).ConfigureAwait(false);
            return P2PSimApp.ExitBadSettings;
        }
        var l = slice.Layout;
        var inv = CultureInfo.InvariantCulture;
        var seeds = l.LocalSeeds.Count == 0 ? "no seeds" : $"seeds {string.Join(", ", l.LocalSeeds.Select(j => l.Seeds[j].Name))}";
        var peers = l.PeerCount == 0 ? "no peers" : $"peers {l.FirstPeer}-{l.FirstPeer + l.PeerCount - 1} of {l.TotalPeers}";
        await output.WriteLineAsync(string.Create(inv,
            $"P2PSim experiment: tcp network over {l.Count} slices; this is slice {l.Index} ({seeds}, {peers}, on {l.AnnounceAddress}); workload {options.WorkloadToRun().Describe()}, run seed {options.RunSeed}")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(inv,
            $"The workload starts at {slice.StartAt:yyyy-MM-dd HH:mm:ss.fff} UTC (in {(slice.StartAt - now).TotalSeconds:0.0} s); every slice must be given the same Experiment:StartAt and clocks that agree")).ConfigureAwait(false);
        await output.WriteLineAsync(source).ConfigureAwait(false);
        foreach (var warning in warnings)
        {
            await errors.WriteLineAsync(warning).ConfigureAwait(false);
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        SlicePart part;
        try
        {
            void Progress(SliceProgress p) => output.WriteLine(string.Create(inv,
                $"  [{p.SinceStart.TotalSeconds,7:0.0} s] {p.Phase,-9} peers joined {p.PeersJoined}/{p.Peers}, messages originated here {p.MessagesHere}, seen here {p.MessagesSeen}, first receipts here {p.FirstReceipts}"));
            part = await slice.RunAsync(Progress, cancel.Token).ConfigureAwait(false);
        }
        catch (StartupException ex)
        {
            await SettingsGate.WriteProblemsAsync(errors, Heading, [ex.Message], settingsHint: false).ConfigureAwait(false);
            return P2PSimApp.ExitBadSettings;
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

        var path = PartPath(options, l.Index);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, part.ToJson(), cancellationToken).ConfigureAwait(false);
        var staying = l.PeerCount - part.Run.Victims.Count(l.RunsPeer);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(inv,
            $"Slice {l.Index} of {l.Count}: {part.Originated.Id.Length} of the network's {part.Run.Messages} messages originated here, {part.Ids.Length} seen here; "
            + $"{part.Receipts.Id.Length} first receipts by its {l.PeerCount} peers ({staying} of them staying to the end); {part.PeersNotJoined} not joined at the start")).ConfigureAwait(false);
        if (part.Resources is { } r)
        {
            await output.WriteLineAsync(string.Create(inv,
                $"Resources here: {r.WallSeconds:0.0} s wall, {r.CpuSeconds:0.0} s CPU, peak working set {r.PeakWorkingSetBytes / (1024.0 * 1024):0} MiB, {r.OpenFileDescriptors?.ToString(inv) ?? "?"} open files at the end{(part.PeakOpenFiles is { } peak ? $", {peak} at most" : "")}")).ConfigureAwait(false);
        }
        await output.WriteLineAsync($"Part of the report written to {Path.GetFullPath(path)}").ConfigureAwait(false);
        await output.WriteLineAsync($"Once every slice has written its part: P2PSim merge {PartPath(options, 0).Replace(".slice0", ".slice*", StringComparison.Ordinal)}").ConfigureAwait(false);
        return P2PSimApp.ExitOk;
    }

    /// <summary><c>Experiment:ReportPath</c> for slice <paramref name="index"/>: <c>{slice}</c> filled in, or <c>.slice{index}</c> before the extension.</summary>
    internal static string PartPath(ExperimentOptions e, int index)
    {
        var path = e.ReportPath
            .Replace("{network}", e.NetworkName, StringComparison.Ordinal)
            .Replace("{workload}", e.WorkloadName, StringComparison.Ordinal)
            .Replace("{peers}", e.Peers.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{seed}", e.RunSeed.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var slice = index.ToString(CultureInfo.InvariantCulture);
        if (path.Contains("{slice}", StringComparison.Ordinal))
        {
            return path.Replace("{slice}", slice, StringComparison.Ordinal);
        }
        var extension = Path.GetExtension(path);
        return $"{path[..^extension.Length]}.slice{slice}{(extension.Length > 0 ? extension : ".json")}";
    }
}
