using System.Text.RegularExpressions;
using P2PSim.Experiments;
using P2PSim.Experiments.Reports;

namespace P2PSim.Tests.Experiments;

/// <summary>The HTML report an experiment writes beside its JSON: one file that opens offline, a chart per measure.</summary>
[TestFixture]
public sealed partial class HtmlReportTests
{
    private static readonly string[] ChartTitles =
    [
        ReportCharts.ReachAllTitle, ReportCharts.ReceiptLatencyTitle, ReportCharts.ReceiptsPerHopTitle, ReportCharts.DegreeTitle,
        ReportCharts.ConnectivityTitle, ReportCharts.BacklogTitle, ReportCharts.QueuesTitle, ReportCharts.DetectionTitle,
        ReportCharts.TrafficTitle, OverlayPicture.Title,
    ];

    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("p2psim-html-");

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    private async Task<(int Exit, string Output, string Errors)> ExperimentAsync(CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ExperimentCommand.RunAsync(
            ["--Experiment:Network=simulated", "--Experiment:Peers=30", "--Experiment:Messages=10", $"--Experiment:ReportPath={_folder.FullName}/run.json", .. args],
            output, errors, cancellationToken);
        return (exit, output.ToString(), errors.ToString());
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_simulated_crash_run_writes_a_self_contained_html_report_with_every_chart_beside_the_json(CancellationToken cancellationToken)
    {
        var (exit, output, errors) = await ExperimentAsync(cancellationToken, "--Experiment:Workload=crash", "--Peer:LivenessInterval=00:00:01",
            "--Experiment:SampleInterval=00:00:00.500");

        Assert.That(exit, Is.Zero, errors);
        var html = Path.Combine(_folder.FullName, "run.html");
        Assert.That(File.Exists(html), Is.True, "the HTML report goes beside the JSON, same name");
        Assert.That(output, Does.Contain($"HTML report with charts written to {html}"));
        var page = await File.ReadAllTextAsync(html, cancellationToken);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(page, Does.StartWith("<!DOCTYPE html>"));
            Assert.That(page, Does.Not.Contain("<script"), "no scripts");
            Assert.That(page, Does.Not.Contain("src=\"http").And.Not.Contain("href=\"http").And.Not.Contain("url(http").And.Not.Contain("@import"),
                "nothing fetched from anywhere");
            Assert.That(Regex.Count(page, "<svg"), Is.EqualTo(ChartTitles.Length), "one SVG per chart: the run crashed peers, so every chart has data");
            foreach (var title in ChartTitles)
            {
                Assert.That(page, Does.Contain($"<figcaption>{System.Net.WebUtility.HtmlEncode(title)}</figcaption>"));
            }
            var ids = IdAttribute().Matches(page).Select(static m => m.Groups[1].Value).ToList();
            Assert.That(ids, Is.Unique, "the charts' clip paths must not clash in one page");
            Assert.That(page, Does.Contain("crashed peers"), "the numbers table is on the page");
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_run_without_crashes_says_so_instead_of_drawing_an_empty_detection_chart(CancellationToken cancellationToken)
    {
        var (exit, _, errors) = await ExperimentAsync(cancellationToken);

        Assert.That(exit, Is.Zero, errors);
        var page = await File.ReadAllTextAsync(Path.Combine(_folder.FullName, "run.html"), cancellationToken);
        Assert.That(page, Does.Contain("No peer crashed in this run"));
        Assert.That(Regex.Count(page, "<svg"), Is.EqualTo(ChartTitles.Length - 1));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task HtmlReport_false_writes_the_json_alone(CancellationToken cancellationToken)
    {
        var (exit, output, errors) = await ExperimentAsync(cancellationToken, "--Experiment:HtmlReport=false");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(File.Exists(Path.Combine(_folder.FullName, "run.json")), Is.True);
        Assert.That(File.Exists(Path.Combine(_folder.FullName, "run.html")), Is.False);
        Assert.That(output, Does.Not.Contain("HTML report"));
    }

    [Test]
    public void An_overlay_above_the_limit_is_not_drawn_and_the_page_says_why()
    {
        var report = new SimulatedExperiment(new ExperimentOptions { Peers = 20, Messages = 4 }).Run();
        var peers = OverlayPicture.MaxPeers + 1;
        var huge = new OverlaySnapshot([.. Enumerable.Range(0, peers)], [.. Enumerable.Range(0, peers).Select(p => new[] { (p + 1) % peers })]);

        var page = HtmlReport.ForRun(report with { OverlayGraph = huge }, "big.json");

        Assert.That(page, Does.Contain("Not drawn: 2,001 peers is more than the 2,000 a picture can show"));
    }

    [Test]
    public void The_overlay_layout_is_the_same_for_the_same_run_seed()
    {
        var ring = Enumerable.Range(0, 50).Select(p => new[] { (p + 1) % 50, (p + 49) % 50 }).ToArray();

        var first = OverlayPicture.Layout(ring, 3);
        var again = OverlayPicture.Layout(ring, 3);
        var other = OverlayPicture.Layout(ring, 4);

        Assert.That(again, Is.EqualTo(first));
        Assert.That(other, Is.Not.EqualTo(first));
    }

    [GeneratedRegex("\\bid=\"([^\"]+)\"")]
    private static partial Regex IdAttribute();
}
