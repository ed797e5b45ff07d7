using System.Text.RegularExpressions;
using P2PSim.Experiments;
using Spectre.Console;

namespace P2PSim.Tests.Cli;

/// <summary>The experiment's live progress display, drawn by Spectre.Console on an interactive console, as a terminal shows it.</summary>
[TestFixture]
public sealed partial class ProgressDisplayTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task When_the_run_ends_every_phase_shows_a_full_bar_and_the_last_one_the_final_counts(CancellationToken ct)
    {
        // A small simulated run is over in well under the second between two progress reports: the only report of its
        // last phase (drain) is the one at its start, before the last message's receipts.
        var options = new ExperimentOptions { Network = NetworkKind.Simulated, Peers = 30, Messages = 5, RunSeed = 4 };
        using var screen = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes, // the live display redraws itself with cursor movements
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(screen),
        });
        console.Profile.Width = 160;
        var reports = new List<ExperimentProgress>();

        var report = await ProgressDisplay.RunAsync(options, progress => Task.Run(() => new SimulatedExperiment(options).Run(p =>
        {
            reports.Add(p);
            progress(p);
        }, ct), ct), console);

        var drainStart = reports.Last(p => p.Phase == "drain").FirstReceipts;
        Assume.That(drainStart, Is.LessThan(report.Traffic.FirstReceipts), "the last phase's only report is not the final count");
        var last = LastFrame(screen.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(last, Does.Contain($"drain peers 30/30, messages 5, receipts {report.Traffic.FirstReceipts:N0}"), last);
            Assert.That(FullBars().Matches(last), Has.Count.EqualTo(last.Split('\n').Count(l => l.Trim().Length > 0)), $"every phase at 100 %:\n{last}");
        });
    }

    /// <summary>The lines of the display as last drawn: what follows its last move back up to redraw, escapes removed.</summary>
    private static string LastFrame(string screen)
    {
        var redraws = CursorUp().Matches(screen);
        var frame = redraws.Count > 0 ? screen[(redraws[^1].Index + redraws[^1].Length)..] : screen;
        return string.Join('\n', Escape().Replace(frame, "").Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0));
    }

    [GeneratedRegex(@"\x1b\[\d+A")]
    private static partial Regex CursorUp();

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Escape();

    [GeneratedRegex(@"100%")]
    private static partial Regex FullBars();
}
