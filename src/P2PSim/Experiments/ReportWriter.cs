using System.Globalization;
using System.Text;
using System.Text.Json;
using P2PSim.Hosting;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace P2PSim.Experiments;

/// <summary>
/// Writes reports for people (an aligned text table, one column per report, so a simulated
/// and a TCP run can be read side by side) and for tools (JSON through the source-generated
/// <see cref="ExperimentJsonContext"/>: fixed field order, camelCase).
/// </summary>
public static partial class ReportWriter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly Row[] Rows =
    [
        new("Run", null),
        new("network", r => r.NetworkKind),
        new("links (Security:Links)", r => r.LinkSecurity ?? "-"),
        new("signatures (Security:Signatures)", r => r.Signatures?.Mode ?? "-"),
        new("workload", r => r.Workload),
        new("seeds / peers", r => $"{Count(r.Seeds)} / {Count(r.Peers)}"),
        new("run seed", r => r.RunSeed.ToString(Invariant)),
        new("max neighbours / peers per seed list", r => $"{r.Protocol.MaxNeighbours} / {Count(r.Protocol.MaxPeersPerList)}"),
        new("liveness interval x misses", r => $"{Duration(r.Protocol.LivenessIntervalMs)} x {r.Protocol.MaxMissedLiveness}"),
        new("latency / jitter", r => r.Links is { } l ? Durations(l.LatencyMs, l.JitterMs) : "-"),
        new("loss", r => r.Links is { } l ? $"{Percent(l.LossProbability)} {LossScope(l.LossScope)}" : "-"),
        new("duration", r => Duration(r.DurationMs)),
        new("simulation events", r => r.EventsProcessed is { } e ? Count(e) : "-"),
        new("Overlay", null),
        new("degree min / mean / max", r => $"{r.Overlay.DegreeMin} / {r.Overlay.DegreeMean.ToString("0.00", Invariant)} / {r.Overlay.DegreeMax}"),
        new("edges", r => Count(r.Overlay.Edges)),
        new("connected", r => r.Overlay.Connected ? "yes" : $"NO ({Count(r.Overlay.Components)} components)"),
        new("peers not joined", r => Count(r.Overlay.PeersNotJoined)),
        new("keys and ids made in (before the joins)", r => r.Overlay.KeysMs is { } k ? Duration(k) : "-"),
        new("time to build", r => Duration(r.Overlay.BuildTimeMs)),
        new("peers joining at once", r => Count(r.Overlay.JoinedAtOnce)),
        new("overlay fingerprint (hash of its links)", r => r.Overlay.Fingerprint),
        new("Delivery", null),
        new("messages published", r => Count(r.Delivery.MessagesPublished)),
        new("deliveries / expected", r => $"{Count(r.Delivery.Deliveries)} / {Count(r.Delivery.ExpectedDeliveries)}"),
        new("reliability", r => Percent(r.Delivery.Reliability, "0.000")),
        new("messages reaching all", r => Count(r.Delivery.MessagesReachingAll)),
        new("time to reach all p50 / p99 / max", r => Durations(r.Delivery.ReachAllP50Ms, r.Delivery.ReachAllP99Ms, r.Delivery.ReachAllMaxMs)),
        new("receipt latency p50 / p99", r => Durations(r.Delivery.ReceiptLatencyP50Ms, r.Delivery.ReceiptLatencyP99Ms)),
        new("depth p50 / p99 (hops)", r => $"{Hops(r.Delivery.DepthP50)} / {Hops(r.Delivery.DepthP99)}"),
        new("last delivery hop (LDH)", r => Count(r.Delivery.LastDeliveryHop)),
        new("Traffic", null),
        new("routing", r => r.Traffic.Routing),
        new("payload transmissions", r => Count(r.Traffic.PayloadTransmissions)),
        new("first receipts", r => Count(r.Traffic.FirstReceipts)),
        new("transmissions / delivery", r => Number(r.Traffic.TransmissionsPerDelivery)),
        new("RMR (extra copies per receipt)", r => Number(r.Traffic.Rmr)),
        new("RMR after the first message", r => Number(r.Traffic.RmrAfterFirstMessage)),
        new("tree control frames / bytes", r => r.Traffic.TreeControlFrames is { } f ? $"{Count(f)} / {Bytes(r.Traffic.TreeControlBytes ?? 0)}" : "-"),
        new("  announcements (IHave)", r => TreeControl(r, static t => t.Announcements)),
        new("  grafts", r => TreeControl(r, static t => t.Grafts)),
        new("  prunes", r => TreeControl(r, static t => t.Prunes)),
        new("  spanning-tree adverts", r => r.Traffic.TreeControl?.Adverts is null ? "-" : TreeControl(r, static t => t.Adverts!)),
        new("duplicates dropped", r => Count(r.Traffic.DuplicatesDropped)),
        new("signatures checked / forged refused", r => r.Signatures is { } g ? $"{(g.Checked is { } c ? Count(c) : "not counted")} / {Count(g.Forged)}" : "-"),
        new("messages sent (all types)", r => r.Traffic.MessagesSent < 0 ? "not counted on tcp" : Count(r.Traffic.MessagesSent)),
        new("bytes sent (all types)", r => r.Traffic.BytesSent < 0 ? "not counted on tcp" : Bytes(r.Traffic.BytesSent)),
        new("payload bytes", r => Bytes(r.Traffic.PayloadBytes)),
        new("messages lost", r => Count(r.Traffic.MessagesLost)),
        new("frames dropped (ctl/own/fwd)", r => r.Traffic.SendQueueDrops is { } d ? $"{Count(d.Control)} / {Count(d.OwnGossip)} / {Count(d.ForwardedGossip)}" : "-"),
        new("of them for the budget (own/fwd)", r => r.Traffic.SendQueueDrops is { } d ? $"{Count(d.BudgetOwnGossip)} / {Count(d.BudgetForwardedGossip)}" : "-"),
        new("  announcements among fwd", r => r.Traffic.SendQueueDrops is { } d ? Count(d.BudgetAnnouncements) : "-"),
        new("queued bytes peak / budget", r => r.Traffic.SendQueueDrops is { } d ? $"{Bytes(d.PeakQueuedBytes)} / {Bytes(d.BudgetBytes)}" : "-"),
        new("most frames queued on a link", r => r.Traffic.SendQueueDrops is { } d ? Count(d.PeakQueuedFrames) : "-"),
        new("Groups", null),
        new("groups / members each at start", r => r.Groups is { } g ? $"{Count(g.Groups)} / {g.MembersAtStartMean.ToString("0.0", Invariant)}" : "-"),
        new("membership changes", r => r.Groups is { } g ? Count(g.MembershipChanges) : "-"),
        new("group messages published", r => r.Groups is { } g ? Count(g.MessagesPublished) : "-"),
        new("deliveries / expected (members)", r => r.Groups is { } g ? $"{Count(g.Deliveries)} / {Count(g.ExpectedDeliveries)}" : "-"),
        new("group reliability", r => r.Groups is { } g ? Percent(g.Reliability, "0.000") : "-"),
        new("group receipt latency p50 / p99", r => r.Groups is { } g ? Durations(g.ReceiptLatencyP50Ms, g.ReceiptLatencyP99Ms) : "-"),
        new("group transmissions / delivery", r => r.Groups is { } g ? Number(g.TransmissionsPerDelivery) : "-"),
        new("leakage: copies / receipts at non-members", r => r.Groups is { } g ? $"{(g.LeakedCopies is { } c ? Count(c) : "not seen on tcp")} / {Count(g.ReceiptsByNonMembers)}" : "-"),
        new("Security", null),
        new(Lower(SecurityCounts.DialsRefusedWords), r => r.Security is { } s ? Count(s.DialsRefusedForAnotherId) : "-"),
        new(Lower(SecurityCounts.NeighboursReplacedWords), r => r.Security is { } s ? Count(s.NeighboursReplaced) : "-"),
        new(Lower(SecurityCounts.GroupKeysWords), r => r.Security is { } s ? $"{Count(s.GroupKeysMade)} / {Count(s.GroupKeysLearned)}" : "-"),
        new(Lower(SecurityCounts.GroupMessagesHeldWords), r => r.Security is { } s ? $"{Count(s.GroupMessagesHeld)} / {Count(s.GroupMessagesRead)} / {Count(s.GroupMessagesUnread)}" : "-"),
        new(Lower(SecurityCounts.OriginsUnverifiedWords), r => r.Security is { } s ? $"{Count(s.OriginsUnverified)} / {Count(s.UnverifiedDropped)}" : "-"),
        new("Crash", null),
        new("crashed peers", r => r.Crash is { } c ? $"{Count(c.CrashedPeers)} at {Duration(c.CrashAtMs)}" : "-"),
        new("detected at every seed", r => r.Crash is { } c ? Count(c.DetectedEverywhere) : "-"),
        new("seed removals missing", r => r.Crash is { } c ? Count(c.SeedRemovalsMissing) : "-"),
        new("seed removals by expiry", r => r.Crash is { } c ? Count(c.SeedRemovalsByExpiry) : "-"),
        new("detection p50 / max", r => r.Crash is { } c ? Durations(c.DetectionP50Ms, c.DetectionMaxMs) : "-"),
        new("live peers reported dead", r => r.Crash is { } c ? Count(c.LivePeersReportedDead) : "-"),
        new("tree repaired after", r => r.Crash is { MessagesAfterCrash: { } after } c
            ? (c.TreeRepairedAfterMs is { } ms ? $"{Duration(ms)} (then the last {Count(c.MessagesAfterRepair ?? 0)} of {Count(after)} messages by push alone)" : $"NOT within the run ({Count(after)} messages after the crash)")
            : "-"),
        new("RMR after the repair", r => Number(r.Crash?.RmrAfterRepair)),
        new("Faults", null),
        new("false death reports", r => $"{Count(r.Faults.LivePeersReportedDead)} live, {Count(r.Faults.LeaversReportedDead)} left cleanly"),
        new("live peers removed by seeds", r => Count(r.Faults.LivePeersRemoved)),
        new("live peers expired by seeds", r => Count(r.Faults.LivePeersExpired)),
        new("receipts by catch-up", r => Count(r.Faults.CatchUpReceipts)),
        new("churn: left / crashed", r => r.Faults.Churn is { } c ? $"{Count(c.PeersLeftCleanly)} / {Count(c.PeersCrashed)}" : "-"),
        new("churn: joined late", r => r.Faults.Churn is { } c ? $"{Count(c.PeersJoinedLate)} of {Count(c.PeersHeldBack)}, one change every {Duration(c.IntervalMs)}" : "-"),
        new("seeds crashed", r => r.Faults.SeedCrash is { } c ? $"{string.Join(",", c.SeedsCrashed)} at {Duration(c.CrashAtMs)}, back at {Duration(c.RestartAtMs)}" : "-"),
        new("seed peer lists before / end", r => r.Faults.SeedCrash is { } c ? $"{string.Join(",", c.PeerListsBeforeCrash)} / {string.Join(",", c.PeerListsAtEnd)}" : "-"),
        new("restarted seeds relearned", r => r.Faults.SeedCrash is { RestartAtMs: not null } c ? (c.RelearnedAfterMs is { } ms ? $"after {Duration(ms)}" : "NOT within the run") : "-"),
        new("partition: peers cut off", r => r.Faults.Partition is { } p ? $"{Count(p.SideA)} of {Count(p.SideA + p.SideB)}, {Duration(p.StartMs)} to {Duration(p.HealMs)}" : "-"),
        new("messages during partition", r => r.Faults.Partition is { } p ? Count(p.MessagesDuringPartition) : "-"),
        new("caught up after heal", r => r.Faults.Partition is { } p ? (p.CaughtUpAfterHealMs is { } ms ? $"after {Duration(ms)}" : "NOT all") : "-"),
        new("Connectivity", null),
        new("samples", r => $"{Count(r.Connectivity.Samples.Length)}, every {Duration(r.Connectivity.SampleIntervalMs)}"),
        new("min largest component", r => r.Connectivity.MinLargestComponentShare is { } m ? $"{Percent(m, "0.0")} at {Duration(r.Connectivity.MinAtMs)}" : "-"),
        new("most components", r => Count(r.Connectivity.MaxComponents)),
        new("Resources", null),
        new("wall clock", r => r.Resources is { } x ? Duration(x.WallSeconds * 1000) : "-"),
        new("cpu time", r => r.Resources is { } x ? DurationAs(x.CpuSeconds * 1000, x.WallSeconds * 1000) : "-"), // in the wall clock's unit
        new("peak working set", r => r.Resources is { } x ? Bytes(x.PeakWorkingSetBytes) : "-"),
        new("managed heap (live)", r => r.Resources is { } x ? Bytes(x.ManagedHeapBytes) : "-"),
        new("  of it the experiment's receipt log", r => r.Resources is { RecorderBytes: > 0 } x ? Bytes(x.RecorderBytes) : "-"), // the experiment's, not a node's
        new("heap per peer", r => r.Resources is { } x && r.Peers > 0 ? Bytes(x.ManagedHeapBytes / r.Peers) : "-"),
        new("heap per peer, nodes only", r => r.Resources is { RecorderBytes: > 0 } x && r.Peers > 0 ? Bytes((x.ManagedHeapBytes - x.RecorderBytes) / r.Peers) : "-"),
        new("heap after full GCs, most / per peer, nodes only", r => r.Resources is { PeakLiveHeapBytes: { } peak } x && r.Peers > 0 ? $"{Bytes(peak)} / {Bytes((peak - x.RecorderBytes) / r.Peers)}{(x.PeakLiveHeapSeconds is { } at ? $" at {Duration(at * 1000)}" : "")}" : "-"), // as full collections during the run found it, and when
        new("open files (sockets)", r => r.Resources?.OpenFileDescriptors is { } f ? Count(f) : "-"),
        new("collections gen0/1/2", r => r.Resources?.Collections is { } g ? $"{Count(g.Gen0)} / {Count(g.Gen1)} / {Count(g.Gen2)}" : "-"),
        new("GC pauses / allocated", r => r.Resources?.Collections is { } g ? $"{g.PauseSeconds.ToString("0.00", Invariant)} s / {Bytes((long)(g.AllocatedGiB * (1L << 30)))}" : "-"),
    ];

    /// <summary>The private workload's rows, shown (before Connectivity) only when a report has them.</summary>
    private static readonly Row[] PrivateRows =
    [
        new("Private messages", null),
        new("sent / to live recipients", r => r.Private is { } p ? $"{Count(p.Sent)} / {Count(p.Expected)}" : "-"),
        new("delivered to live recipients", r => r.Private is { } p ? $"{Count(p.Delivered)} ({Percent(p.Reliability, "0.0")})" : "-"),
        new("to crashed recipients / delivered", r => r.Private is { } p ? $"{Count(p.ToCrashedRecipients)} / {Count(p.DeliveredToCrashedRecipients)}" : "-"),
        new("acknowledged / through a seed", r => r.Private is { } p ? $"{Count(p.Acknowledged)} / {Count(p.AcknowledgedThroughSeed)}" : "-"),
        new("undeliverable / to live recipients", r => r.Private is { } p ? $"{Count(p.Undeliverable)} / {Count(p.UndeliverableToLiveRecipients)}" : "-"),
        new("pending at the end", r => r.Private is { } p ? Count(p.Pending) : "-"),
        new("delivery p50 / p99", r => r.Private is { } p ? Durations(p.LatencyP50Ms, p.LatencyP99Ms) : "-"),
        new("acknowledgement p50 / p99", r => r.Private is { } p ? Durations(p.AckLatencyP50Ms, p.AckLatencyP99Ms) : "-"),
        new("transmissions per delivery", r => Number(r.Private?.TransmissionsPerDelivery)),
        new("leakage / repeated deliveries", r => r.Private is { } p ? $"{Count(p.Leakage)} / {Count(p.DuplicateDeliveries)}" : "-"),
        new("peers not dialable", r => r.Private is { } p ? Count(p.NotDialablePeers) : "-"),
    ];

    /// <summary>The rows for <paramref name="reports"/>: the private rows only when one of them has some.</summary>
    private static Row[] RowsFor(IReadOnlyList<ExperimentReport> reports)
    {
        var at = Array.FindIndex(Rows, static r => r.Value is null && r.Label == "Connectivity");
        Row[] extra = [.. reports.Any(static r => r.Private is not null) ? PrivateRows : [], .. AttackRows(reports)];
        return extra.Length == 0 ? Rows : [.. Rows[..at], .. extra, .. Rows[at..]];
    }

    /// <summary>Writes one report as an aligned table.</summary>
    public static void WriteText(TextWriter output, ExperimentReport report) => WriteText(output, [report]);

    /// <summary>Writes reports side by side: one row per measure, one column per report.</summary>
    public static void WriteText(TextWriter output, IReadOnlyList<ExperimentReport> reports)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(reports);
        var rows = RowsFor(reports);
        var cells = new string[rows.Length][];
        var labelWidth = 0;
        var widths = new int[reports.Count];
        for (var c = 0; c < reports.Count; c++)
        {
            widths[c] = Header(reports[c], c).Length;
        }
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            labelWidth = Math.Max(labelWidth, row.Label.Length + (row.Value is null ? 0 : 2));
            if (row.Value is null)
            {
                continue;
            }
            cells[i] = new string[reports.Count];
            for (var c = 0; c < reports.Count; c++)
            {
                cells[i][c] = row.Value(reports[c]);
                widths[c] = Math.Max(widths[c], cells[i][c].Length);
            }
        }
        var line = new StringBuilder();
        line.Append(' ', labelWidth);
        for (var c = 0; c < reports.Count; c++)
        {
            line.Append("  ").Append(Header(reports[c], c).PadLeft(widths[c]));
        }
        output.WriteLine(line.ToString().TrimEnd());
        for (var i = 0; i < rows.Length; i++)
        {
            line.Clear();
            if (rows[i].Value is null)
            {
                output.WriteLine(rows[i].Label);
                continue;
            }
            line.Append("  ").Append(rows[i].Label.PadRight(labelWidth - 2));
            for (var c = 0; c < reports.Count; c++)
            {
                line.Append("  ").Append(cells[i][c].PadLeft(widths[c]));
            }
            output.WriteLine(line.ToString().TrimEnd());
        }
        WriteWorkloadsAndConnectivity(output, reports);
    }

    /// <summary>
    /// The same table drawn by Spectre.Console for a terminal: borders, section headings in bold, numbers right-aligned;
    /// then the workloads and connectivity as in <see cref="WriteText(TextWriter, IReadOnlyList{ExperimentReport})"/>.
    /// Redirected output (files, CI, tests) keeps the plain text form.
    /// </summary>
    public static void WriteTable(IAnsiConsole console, TextWriter output, IReadOnlyList<ExperimentReport> reports)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(reports);
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Measure");
        for (var c = 0; c < reports.Count; c++)
        {
            table.AddColumn(new TableColumn(Markup.Escape(Header(reports[c], c))).RightAligned());
        }
        foreach (var row in RowsFor(reports))
        {
            var cells = new List<IRenderable>(reports.Count + 1);
            if (row.Value is null)
            {
                cells.Add(new Markup($"[bold]{Markup.Escape(row.Label)}[/]"));
                cells.AddRange(reports.Select(static _ => new Text("")));
            }
            else
            {
                cells.Add(new Text("  " + row.Label));
                cells.AddRange(reports.Select(r => new Text(row.Value(r))));
            }
            table.AddRow(cells);
        }
        console.Write(table);
        WriteWorkloadsAndConnectivity(output, reports);
    }

    private static void WriteWorkloadsAndConnectivity(TextWriter output, IReadOnlyList<ExperimentReport> reports)
    {
        for (var c = 0; c < reports.Count; c++)
        {
            output.WriteLine(reports.Count == 1
                ? $"Workload: {reports[c].WorkloadDescription}"
                : $"[{c + 1}] workload: {reports[c].WorkloadDescription}");
        }
        for (var c = 0; c < reports.Count; c++)
        {
            WriteConnectivity(output, reports[c], reports.Count == 1 ? "" : $" [{c + 1}]");
        }
    }

    /// <summary>Most rows of the connectivity table in the text report (the JSON has every sample).</summary>
    public const int MaxConnectivityRows = 20;

    /// <summary>
    /// The overlay samples as a short table: all of them when they fit in <see cref="MaxConnectivityRows"/>,
    /// otherwise evenly spaced ones plus the one with the lowest share.
    /// </summary>
    private static void WriteConnectivity(TextWriter output, ExperimentReport report, string tag)
    {
        var samples = report.Connectivity.Samples;
        if (samples.Length == 0)
        {
            return;
        }
        var shown = new SortedSet<int>();
        if (samples.Length <= MaxConnectivityRows)
        {
            shown.UnionWith(Enumerable.Range(0, samples.Length));
        }
        else
        {
            for (var i = 0; i < MaxConnectivityRows - 1; i++)
            {
                shown.Add((int)((long)i * (samples.Length - 1) / (MaxConnectivityRows - 2)));
            }
            var lowest = 0;
            for (var i = 1; i < samples.Length; i++)
            {
                lowest = samples[i].LargestComponentShare < samples[lowest].LargestComponentShare ? i : lowest;
            }
            shown.Add(lowest);
        }
        output.WriteLine(shown.Count == samples.Length
            ? $"Connectivity over time{tag}:"
            : $"Connectivity over time{tag}: {shown.Count} of {samples.Length} samples (evenly spaced, and the lowest; the JSON has all):");
        var crashes = samples.Any(s => s.CrashedStillListed > 0);
        var unit = samples.Max(static s => s.AtMs); // one unit for the whole column
        output.WriteLine($"{"time",12}  {"live peers",10}  {"components",10}  {"in largest",10}{(crashes ? $"  {"crashed, still listed",21}" : "")}");
        foreach (var i in shown)
        {
            var x = samples[i];
            output.WriteLine($"{DurationAs(x.AtMs, unit),12}  {Count(x.LivePeers),10}  {Count(x.Components),10}  {Percent(x.LargestComponentShare, "0.0"),10}{(crashes ? $"  {Count(x.CrashedStillListed),21}" : "")}");
        }
    }

    /// <summary>The report as indented JSON, resources included.</summary>
    public static string ToJson(ExperimentReport report) =>
        JsonSerializer.Serialize(report, ExperimentJsonContext.Default.ExperimentReport);

    /// <summary>Several reports as one JSON array.</summary>
    public static string ToJson(IReadOnlyList<ExperimentReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        return JsonSerializer.Serialize(reports.ToArray(), ExperimentJsonContext.Default.ExperimentReportArray);
    }

    /// <summary>The report as JSON without <see cref="ExperimentReport.Resources"/>: equal for two runs with the same inputs.</summary>
    public static string ToDeterministicJson(ExperimentReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return ToJson(report with { Resources = null });
    }

    /// <summary>Writes the report as JSON (UTF-8) to <paramref name="output"/>.</summary>
    public static void WriteJson(Stream output, ExperimentReport report) =>
        JsonSerializer.Serialize(output, report, ExperimentJsonContext.Default.ExperimentReport);

    /// <summary>One kind of tree control frames, on tree routing only.</summary>
    private static string TreeControl(ExperimentReport report, Func<TreeControlReport, FrameCount> kind) =>
        report.Traffic is { Routing: not "flood", TreeControl: { } tree } ? Frames(kind(tree)) : "-";

    /// <summary>The report's loss scope (an enum name in the JSON) in words.</summary>
    private static string LossScope(string scope) => scope switch
    {
        "GossipOnly" => "of gossip payloads",
        "AllMessages" => "of all messages",
        _ => $"({scope})",
    };

    private static string Frames(FrameCount count) => $"{Count(count.Frames)} / {Bytes(count.Bytes)}";

    private static string Header(ExperimentReport report, int column) => $"[{column + 1}] {report.NetworkKind}";

    private static string Count(long value) => value.ToString("N0", Invariant);

    /// <summary>The summary's words as a row's label: "Neighbours replaced" is "neighbours replaced" (GroupKey keeps its capital).</summary>
    private static string Lower(string words) => string.Concat(char.ToLowerInvariant(words[0]).ToString(), words[1..]);

    private static string Hops(int? value) => value is { } v ? Count(v) : "-";

    private static string Number(double? value) => value is { } v ? v.ToString("0.000", Invariant) : "-";

    private static string Percent(double? value, string format = "0.##") =>
        value is { } v ? (v * 100).ToString(format, Invariant) + " %" : "-";

    /// <summary>A time: seconds from 1 s on (1.37 s, 11.78 s), else milliseconds (to 3 decimals below 10 ms, 1 above).</summary>
    private static string Duration(double? milliseconds) => DurationAs(milliseconds, milliseconds);

    /// <summary>A time in the unit <see cref="Duration"/> gives <paramref name="like"/>, so a column or a pair of rows reads in one unit.</summary>
    private static string DurationAs(double? milliseconds, double? like) => milliseconds switch
    {
        null => "-",
        { } ms when (like ?? ms) >= 1000 => Seconds(ms),
        { } ms => Milliseconds(ms),
    };

    /// <summary>Several times of one cell (p50 / p99 / max) in one unit: seconds when any of them reaches 10 s.</summary>
    private static string Durations(params double?[] milliseconds)
    {
        var seconds = milliseconds.Any(static m => m >= 10_000);
        return string.Join(" / ", milliseconds.Select(m => m is not { } v ? "-" : seconds ? Seconds(v) : Milliseconds(v)));
    }

    private static string Seconds(double milliseconds) => (milliseconds / 1000).ToString("0.00", Invariant) + " s";

    private static string Milliseconds(double milliseconds) =>
        milliseconds.ToString(milliseconds < 10 ? "0.###" : milliseconds < 1000 ? "0.#" : "0", Invariant) + " ms";

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00", Invariant) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", Invariant) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", Invariant) + " KiB",
        _ => bytes.ToString(Invariant) + " B",
    };

    private sealed record Row(string Label, Func<ExperimentReport, string>? Value);
}
