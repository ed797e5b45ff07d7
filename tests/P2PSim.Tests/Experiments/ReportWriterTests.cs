using System.Text.Json;
using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

[TestFixture]
public sealed class ReportWriterTests
{
    private static readonly string[] TopLevelFields =
    [
        "networkKind", "workload", "workloadDescription", "seeds", "peers", "runSeed", "protocol", "links",
        "overlay", "delivery", "traffic", "crash", "faults", "connectivity", "durationMs", "eventsProcessed", "resources",
    ];

    private static ExperimentReport Sample(ResourceReport? resources = null) => new(
        NetworkKind: "simulated",
        Workload: "burst",
        WorkloadDescription: "2 messages",
        Seeds: 3,
        Peers: 10,
        RunSeed: 7,
        Protocol: new ProtocolSettings(4, 0, 5000, 13000, 3, 1000),
        Links: new LinkSettings(1, 0, 0, "GossipOnly"),
        Overlay: new OverlayReport(4, 7.5, 9, 37, true, 1, 0, 40, "00ff"),
        Delivery: new DeliveryReport(2, 18, 18, 1.0, 2, 3, 4, 4, 2, 4, 3),
        Traffic: new TrafficReport(120, 18, 6.666, 5.666, 102, 150, 9000, 7000, 0),
        Crash: null,
        Faults: new FaultReport(0, 0, 0, 0, 0, null, null, null),
        Connectivity: new ConnectivityReport(100, 1, 0, 1, [new ConnectivitySample(0, 10, 1, 10, 1)]),
        DurationMs: 250,
        EventsProcessed: 1234,
        Resources: resources ?? new ResourceReport(1.5, 1.2, 100 << 20, 10 << 20));

    [Test]
    public void Json_has_a_fixed_field_order_in_camel_case()
    {
        var json = ReportWriter.ToJson(Sample());

        using var document = JsonDocument.Parse(json);
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(names, Is.EqualTo(TopLevelFields));
        Assert.That(document.RootElement.GetProperty("delivery").GetProperty("reliability").GetDouble(), Is.EqualTo(1.0));
    }

    [Test]
    public void The_deterministic_json_leaves_out_only_the_resources()
    {
        var a = ReportWriter.ToDeterministicJson(Sample(new ResourceReport(1, 1, 1, 1)));
        var b = ReportWriter.ToDeterministicJson(Sample(new ResourceReport(2, 2, 2, 2)));

        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Does.Contain("\"resources\": null"));
        Assert.That(ReportWriter.ToJson(Sample()), Does.Contain("\"wallSeconds\": 1.5"));
    }

    [Test]
    public void The_text_table_aligns_every_value_column()
    {
        var writer = new StringWriter();

        ReportWriter.WriteText(writer, [Sample(), Sample() with { NetworkKind = "tcp", Links = null, EventsProcessed = null }]);

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.That(lines[0], Does.Contain("[1] simulated").And.Contain("[2] tcp"));
        var reliability = lines.Single(l => l.TrimStart().StartsWith("reliability", StringComparison.Ordinal));
        Assert.That(reliability, Does.Contain("100.000 %"));
        var table = lines.TakeWhile(l => !l.StartsWith("[1] workload", StringComparison.Ordinal)).ToList();
        var rows = table.Where(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
        Assert.That(rows.Select(l => l.Length).Distinct().Count(), Is.EqualTo(1), "right-aligned columns end at the same place:\n" + writer);
        Assert.That(lines, Has.Some.Contains("RMR"));
    }

    [Test]
    public void A_long_run_shows_at_most_20_connectivity_rows_always_including_the_lowest()
    {
        var samples = Enumerable.Range(0, 50)
            .Select(i => new ConnectivitySample(i * 1000, 10, i == 33 ? 3 : 1, i == 33 ? 4 : 10, i == 33 ? 0.4 : 1))
            .ToArray();
        var report = Sample() with { Connectivity = new ConnectivityReport(1000, 0.4, 33_000, 3, samples) };
        var writer = new StringWriter();

        ReportWriter.WriteText(writer, report);

        var text = writer.ToString();
        var section = text[text.IndexOf("Connectivity over time", StringComparison.Ordinal)..].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(section[0], Does.Contain("of 50 samples"));
        Assert.That(section.Length - 2, Is.InRange(2, ReportWriter.MaxConnectivityRows), "title, header, rows");
        Assert.That(section, Has.Some.Contains("33.00 s").And.Contains("40.0 %"));
        Assert.That(text, Does.Contain("40.0 % at 33.00 s"), "the summary row names the lowest share");
    }

    [Test]
    public void A_column_of_times_and_cpu_time_beside_wall_clock_read_in_one_unit()
    {
        var samples = new[] { 500.0, 1729, 11_780 }.Select(at => new ConnectivitySample(at, 10, 1, 10, 1)).ToArray();
        var report = Sample() with
        {
            Connectivity = new ConnectivityReport(1000, 1, 500, 1, samples),
            Resources = Sample().Resources! with { WallSeconds = 11.83, CpuSeconds = 0.8 },
        };
        var writer = new StringWriter();

        ReportWriter.WriteText(writer, report);

        var text = writer.ToString();
        Assert.That(text, Does.Contain("0.50 s").And.Contain("1.73 s").And.Contain("11.78 s"), "the connectivity table's times, all in seconds");
        Assert.That(text, Does.Not.Contain("1729 ms"));
        var cpu = text.Split('\n').Single(l => l.TrimStart().StartsWith("cpu time", StringComparison.Ordinal));
        Assert.That(cpu, Does.EndWith("0.80 s").Or.EndWith("0.80 s\r"), "as the wall clock above it");
    }

    [Test]
    public void The_times_of_one_cell_share_one_unit_and_labels_explain_themselves()
    {
        var report = Sample() with { Delivery = new DeliveryReport(2, 18, 18, 1.0, 2, 1246.374, 3000, 11_400, 4, 4, 3) };
        var text = new StringWriter();

        ReportWriter.WriteText(text, report);

        var output = text.ToString();
        Assert.That(output, Does.Contain("1.25 s / 3.00 s / 11.40 s"), "p50 / p99 / max in seconds once one of them is");
        Assert.That(output, Does.Not.Contain("max PL").And.Not.Match(@"^\s+fingerprint\b"));
        Assert.That(output, Does.Contain("peers per seed list").And.Contain("overlay fingerprint (hash of its links)"));
    }
}
