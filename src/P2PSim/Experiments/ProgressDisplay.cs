using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace P2PSim.Experiments;

/// <summary>
/// The experiment's progress on a terminal (Spectre.Console): one line per phase with a bar, the percentage, the time
/// remaining, first receipts per second and the time spent. Redirected output (files, CI, tests) gets the plain progress
/// lines of <see cref="ExperimentCommand"/> instead.
/// </summary>
internal static class ProgressDisplay
{
    private const string ReceiptsNow = "receipts";
    private const string ReceiptsAtStart = "receipts0";

    /// <summary>Whether <paramref name="output"/> is the console and the console an interactive terminal.</summary>
    public static bool IsTerminal(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>
    /// Runs <paramref name="run"/> with a progress callback that draws the display; returns its report. When the run ends
    /// the last phase's line shows the report's final counts (progress comes at most once a second, so the last report
    /// can be a second old), its bar full.
    /// </summary>
    /// <param name="console">Where to draw (null: the terminal, <see cref="AnsiConsole.Console"/>).</param>
    public static async Task<ExperimentReport> RunAsync(ExperimentOptions options, Func<Action<ExperimentProgress>, Task<ExperimentReport>> run, IAnsiConsole? console = null)
    {
        ExperimentReport? result = null;
        await (console ?? AnsiConsole.Console).Progress()
            .AutoClear(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new RemainingTimeColumn(),
                new ReceiptsPerSecondColumn(),
                new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var gate = new object();
                ProgressTask? current = null;
                ExperimentProgress? last = null;
                var ended = false;
                void Report(ExperimentProgress p)
                {
                    lock (gate)
                    {
                        if (ended)
                        {
                            return; // a timer's report after the end: the display shows the final counts
                        }
                        last = p;
                        if (current is null || current.Description.Split(' ')[0] != p.Phase)
                        {
                            // The counts the next phase starts from are the ones this phase ended with: its line shows them.
                            Finish(current, p);
                            current = context.AddTask(p.Phase);
                            current.State.Update<long>(ReceiptsAtStart, _ => p.FirstReceipts);
                        }
                        var (done, total) = Measure(p, options);
                        current.IsIndeterminate = total is null;
                        current.MaxValue = total ?? 1;
                        current.Value = done;
                        Describe(current, p.Phase, p);
                    }
                }
                result = await run(Report).ConfigureAwait(false);
                lock (gate)
                {
                    ended = true;
                    Finish(current, last is null ? null : Final(last, result));
                }
            }).ConfigureAwait(false);
        return result!;
    }

    /// <summary>The counts the run ended with: the last progress report's, with the report's messages and first receipts.</summary>
    internal static ExperimentProgress Final(ExperimentProgress last, ExperimentReport report) => last with
    {
        MessagesPublished = report.Delivery.MessagesPublished,
        FirstReceipts = report.Traffic.FirstReceipts,
    };

    /// <summary>The phase's line with the counts of <paramref name="p"/> (of any phase: the counts are the run's).</summary>
    private static void Describe(ProgressTask task, string phase, ExperimentProgress p)
    {
        task.Description = string.Create(CultureInfo.InvariantCulture,
            $"{phase} [grey]peers {p.PeersJoined}/{p.Peers}, messages {p.MessagesPublished}, receipts {p.FirstReceipts:N0}[/]");
        task.State.Update<long>(ReceiptsNow, _ => p.FirstReceipts);
    }

    /// <summary>A phase ended: its bar full, its line with <paramref name="final"/>'s counts (null: the last ones it was sent).</summary>
    private static void Finish(ProgressTask? task, ExperimentProgress? final)
    {
        if (task is not null)
        {
            if (final is not null)
            {
                Describe(task, task.Description.Split(' ')[0], final);
            }
            task.IsIndeterminate = false;
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    /// <summary>How far the phase is: peers joined, or messages published of those planned; null: no known end (drain, recovery).</summary>
    private static (double Done, double? Total) Measure(ExperimentProgress p, ExperimentOptions options) => p.Phase switch
    {
        "join" => (p.PeersJoined, Math.Max(1, p.Peers)),
        "workload" => (p.MessagesPublished, Math.Max(1, options.Workload == WorkloadKind.Classic ? (double)p.Peers * options.Peer.MessagesPerPeer : options.Messages)),
        _ => (0, null),
    };

    /// <summary>First receipts per second during the phase.</summary>
    private sealed class ReceiptsPerSecondColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var seconds = task.ElapsedTime?.TotalSeconds ?? 0;
            var receipts = task.State.Get<long>(ReceiptsNow) - task.State.Get<long>(ReceiptsAtStart);
            return new Text(seconds > 0 ? string.Create(CultureInfo.InvariantCulture, $"{receipts / seconds,9:N0} receipts/s") : "", new Style(Color.Teal));
        }
    }
}
