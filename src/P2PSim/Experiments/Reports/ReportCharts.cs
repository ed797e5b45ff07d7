using ScottPlot;

namespace P2PSim.Experiments.Reports;

/// <summary>
/// The charts of an HTML report, drawn with ScottPlot from the numbers of one or more reports: one series per report,
/// named by its label, so one run and a comparison of several use the same code. Pure: reports in, SVG text out.
/// </summary>
public static class ReportCharts
{
    public const int Width = 760;
    public const int Height = 380;

    public const string ReachAllTitle = "Time to reach every expected peer (CDF over messages)";
    public const string ReceiptLatencyTitle = "Receipt latency (CDF over first receipts)";
    public const string ReceiptsPerHopTitle = "First receipts per hop";
    public const string DegreeTitle = "Degree histogram of the overlay";
    public const string ConnectivityTitle = "Connectivity over time";
    public const string BacklogTitle = "Backlog over time (receipts still owed)";
    public const string QueuesTitle = "Send queues over time";
    public const string DetectionTitle = "Crash detection times (CDF over crashed peers)";
    public const string TrafficTitle = "Traffic by message type";

    /// <summary>Every chart, in the order the HTML shows them.</summary>
    public static IReadOnlyList<Chart> All(IReadOnlyList<LabelledReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        return
        [
            Cdf(ReachAllTitle, reports, static r => r.Delivery.ReachAllCdf, 1, "milliseconds from origination to the last expected receipt", "% of messages",
                "No message reached every expected peer."),
            Cdf(ReceiptLatencyTitle, reports, static r => r.Delivery.ReceiptLatencyCdf, 1, "milliseconds from origination to receipt", "% of first receipts",
                "No receipts."),
            Histogram(ReceiptsPerHopTitle, reports, static r => r.Delivery.ReceiptsByHop is { } h ? [.. h.Select(static v => (double)v)] : null,
                "hops from the origin", "first receipts", "This report has no receipts per hop."),
            Histogram(DegreeTitle, reports, static r => r.Overlay.DegreeHistogram is { } h ? [.. h.Select(static v => (double)v)] : null,
                "neighbours (degree)", "peers", "This report has no degree histogram."),
            Connectivity(reports),
            OverTime(BacklogTitle, reports, static (_, s) => s.Backlog, "receipts still owed", "This report has no backlog samples."),
            Queues(reports),
            Cdf(DetectionTitle, reports, static r => r.Crash?.DetectionCdf, 1000, "seconds from the crash until every seed that listed the peer removed it", "% of crashed peers",
                "No peer crashed in this run (or none was detected), so there are no detection times."),
            Traffic(reports),
        ];
    }

    private static Chart Cdf(string title, IReadOnlyList<LabelledReport> reports, Func<ExperimentReport, CdfReport?> pick, double divisor,
        string xLabel, string yLabel, string none)
    {
        var plot = NewPlot(xLabel, yLabel);
        var drawn = 0;
        foreach (var (label, report) in reports)
        {
            if (pick(report) is not { Ms.Length: > 0 } cdf)
            {
                continue;
            }
            var line = plot.Add.Scatter(cdf.Ms.Select(ms => ms / divisor).ToArray(), cdf.Percent);
            line.LegendText = label;
            line.LineWidth = 2;
            line.MarkerSize = 5;
            drawn++;
        }
        plot.Axes.SetLimitsY(0, 102);
        return Finish(plot, title, drawn, reports.Count, none);
    }

    /// <summary>
    /// Counts by a whole number (hops, degree). One report: bars of the counts. Several: a line per report of the
    /// shares (% of the report's total), so runs of different sizes can be laid over each other.
    /// </summary>
    private static Chart Histogram(string title, IReadOnlyList<LabelledReport> reports, Func<ExperimentReport, double[]?> pick,
        string xLabel, string yLabel, string none)
    {
        var several = reports.Count > 1;
        var plot = NewPlot(xLabel, several ? $"% of {yLabel}" : yLabel);
        var drawn = 0;
        var longest = 1;
        foreach (var (label, report) in reports)
        {
            if (pick(report) is not { Length: > 0 } counts)
            {
                continue;
            }
            var positions = Enumerable.Range(0, counts.Length).Select(static i => (double)i).ToArray();
            if (several)
            {
                var total = counts.Sum();
                var line = plot.Add.Scatter(positions, counts.Select(c => total > 0 ? c * 100 / total : 0).ToArray());
                line.LegendText = label;
                line.LineWidth = 2;
                line.MarkerSize = 6;
            }
            else
            {
                plot.Add.Bars(positions, counts).LegendText = label;
            }
            drawn++;
            longest = Math.Max(longest, counts.Length);
        }
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsX(-0.5, longest - 0.5);
        plot.Axes.SetLimitsY(0, Math.Max(1, plot.Axes.GetLimits().Top));
        return Finish(plot, title, drawn, reports.Count, none);
    }

    private static Chart Connectivity(IReadOnlyList<LabelledReport> reports)
    {
        var plot = NewPlot("seconds from the start of the run", "% of live peers");
        var drawn = 0;
        foreach (var (label, report) in reports)
        {
            var samples = report.Connectivity.Samples;
            if (samples.Length == 0)
            {
                continue;
            }
            var seconds = samples.Select(static s => s.AtMs / 1000).ToArray();
            var largest = plot.Add.Scatter(seconds, samples.Select(static s => s.LargestComponentShare * 100).ToArray());
            largest.LegendText = reports.Count > 1 ? $"{label}: in the largest component" : "in the largest component";
            largest.LineWidth = 2;
            largest.MarkerSize = 4;
            if (reports.Count == 1 && report.Peers > 0)
            {
                var live = plot.Add.Scatter(seconds, samples.Select(s => s.LivePeers * 100.0 / report.Peers).ToArray());
                live.LegendText = "live (% of all peers)";
                live.LinePattern = LinePattern.Dashed;
                live.MarkerSize = 0;
            }
            drawn++;
        }
        plot.Axes.SetLimitsY(0, 102);
        return Finish(plot, ConnectivityTitle, drawn, Math.Max(reports.Count, 2), "No connectivity samples.");
    }

    private static Chart Queues(IReadOnlyList<LabelledReport> reports)
    {
        var tcp = reports.Any(static r => r.Report.Connectivity.Samples.Any(static s => s.QueuedBytes is not null));
        var simulated = reports.Any(static r => r.Report.Connectivity.Samples.Any(static s => s.FramesInFlight is not null));
        var yLabel = (tcp, simulated) switch
        {
            (true, true) => "KiB queued (tcp) / frames (sim.)",
            (true, false) => "KiB queued in the process",
            _ => "frames in flight on the links",
        };
        var chart = OverTime(QueuesTitle, reports, (r, s) => s.QueuedBytes is { } bytes ? bytes / 1024.0 : s.FramesInFlight, yLabel,
            "This report has no queue samples.");
        return tcp && simulated && chart.Svg is not null
            ? chart with { Note = "tcp runs: KiB queued in every send and receive queue of the process; simulated runs: frames in flight on the links (the simulator has no queues)." }
            : chart;
    }

    private static Chart OverTime(string title, IReadOnlyList<LabelledReport> reports, Func<ExperimentReport, ConnectivitySample, double?> pick,
        string yLabel, string none)
    {
        var plot = NewPlot("seconds from the start of the run", yLabel);
        var drawn = 0;
        foreach (var (label, report) in reports)
        {
            var points = report.Connectivity.Samples.Where(s => pick(report, s) is not null).ToArray();
            if (points.Length == 0)
            {
                continue;
            }
            var line = plot.Add.Scatter(points.Select(static s => s.AtMs / 1000).ToArray(), points.Select(s => pick(report, s)!.Value).ToArray());
            line.LegendText = label;
            line.LineWidth = 2;
            line.MarkerSize = 4;
            drawn++;
        }
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, Math.Max(1, plot.Axes.GetLimits().Top));
        return Finish(plot, title, drawn, reports.Count, none);
    }

    /// <summary>The kinds of frames a report tells apart, with their counts (null: not counted in that report).</summary>
    private static readonly (string Kind, Func<ExperimentReport, long?> Frames)[] Kinds =
    [
        ("gossip payloads", static r => r.Traffic.PayloadTransmissions),
        ("announcements", static r => r.Traffic.TreeControl?.Announcements.Frames),
        ("grafts", static r => r.Traffic.TreeControl?.Grafts.Frames),
        ("prunes", static r => r.Traffic.TreeControl?.Prunes.Frames),
        ("tree adverts", static r => r.Traffic.TreeControl?.Adverts?.Frames),
        ("other control", static r => r.Traffic.MessagesSent < 0 ? null
            : Math.Max(0, r.Traffic.MessagesSent - r.Traffic.PayloadTransmissions - (r.Traffic.TreeControlFrames ?? 0))),
    ];

    /// <summary>
    /// Frames per kind: gossip payloads, the tree's control frames per kind, and the rest (liveness, registration,
    /// peer lists, dead-node reports, catch-up digests: every frame not counted apart). Bars side by side per report.
    /// </summary>
    private static Chart Traffic(IReadOnlyList<LabelledReport> reports)
    {
        var kinds = Kinds.Where(k => reports.Any(r => k.Frames(r.Report) > 0)).ToArray();
        var plot = NewPlot("", "frames sent");
        if (kinds.Length == 0)
        {
            return new Chart(TrafficTitle, null, "No frames were counted.");
        }
        var width = 0.8 / reports.Count;
        for (var c = 0; c < reports.Count; c++)
        {
            var (label, report) = reports[c];
            var color = plot.Add.Palette.GetColor(c);
            var bars = new List<Bar>();
            for (var k = 0; k < kinds.Length; k++)
            {
                var frames = kinds[k].Frames(report) ?? 0;
                bars.Add(new Bar
                {
                    Position = k - 0.4 + (width * (c + 0.5)),
                    Value = frames,
                    Size = width * 0.95,
                    FillColor = color,
                    Label = frames.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                });
            }
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = label;
        }
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, kinds.Length).Select(static k => (double)k)], [.. kinds.Select(static k => k.Kind)]);
        plot.Axes.Margins(bottom: 0, top: 0.15);
        return Finish(plot, TrafficTitle, reports.Count, reports.Count, "");
    }

    /// <summary>A plot with its axis labels; the title is the page's caption, not drawn twice.</summary>
    internal static Plot NewPlot(string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(Fonts.Sans);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>The chart as SVG, or the note when nothing was drawn; a legend when there is more than one series.</summary>
    private static Chart Finish(Plot plot, string title, int drawn, int series, string none)
    {
        if (drawn == 0)
        {
            return new Chart(title, null, none);
        }
        if (series > 1)
        {
            plot.ShowLegend(Alignment.LowerRight);
        }
        else
        {
            plot.HideLegend();
        }
        return new Chart(title, plot.GetSvgXml(Width, Height));
    }
}
