using System.Text.RegularExpressions;
using P2PSim.Experiments;
using P2PSim.Experiments.Reports;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// The <c>compare</c> command on real reports: the golden simulated reports (written by the experiment command's
/// code, kept byte for byte) stand in for a user's files.
/// </summary>
[TestFixture]
public sealed class CompareCommandTests
{
    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("p2psim-compare-");

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    private static string Golden(string name, [System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Golden", $"{name}.json");

    private static async Task<(int Exit, string Output, string Errors)> CompareAsync(CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await CompareCommand.RunAsync(args, output, errors, cancellationToken);
        return (exit, output.ToString(), errors.ToString());
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Flood_and_tree_reports_are_compared_in_one_table_and_one_page_of_overlaid_charts(CancellationToken cancellationToken)
    {
        var page = Path.Combine(_folder.FullName, "out", "flood-vs-tree.html");

        var (exit, output, errors) = await CompareAsync(cancellationToken, Golden("crash"), Golden("tree-crash"), "--out", page);

        Assert.That(exit, Is.Zero, errors);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(output, Does.Contain("[1] simulated").And.Contain("[2] simulated"), "one table, a column per report");
            Assert.That(output, Does.Contain("[1] crash.json: simulated network, crash").And.Contain("[2] tree-crash.json: simulated network, crash"));
            Assert.That(output, Does.Contain("flood routing").And.Contain("tree routing"));
            Assert.That(File.Exists(page), Is.True);
        }
        var html = await File.ReadAllTextAsync(page, cancellationToken);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(html, Does.Not.Contain("<script").And.Not.Contain("src=\"http"));
            Assert.That(Regex.Count(html, "<svg"), Is.EqualTo(9), "every chart but the overlay picture, which needs the run itself");
            Assert.That(Regex.Count(html, ">\\s*crash\\.json(: in the largest component)?\\s*<"), Is.GreaterThanOrEqualTo(9), "each chart's legend names the first report");
            Assert.That(Regex.Count(html, ">\\s*tree-crash\\.json(: in the largest component)?\\s*<"), Is.GreaterThanOrEqualTo(9), "and the second");
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_file_that_is_not_a_report_is_one_line_on_stderr_and_exit_code_2(CancellationToken cancellationToken)
    {
        var garbage = Path.Combine(_folder.FullName, "garbage.json");
        await File.WriteAllTextAsync(garbage, "this is not json", cancellationToken);

        var (exit, output, errors) = await CompareAsync(cancellationToken, Golden("burst"), garbage, "--out", Path.Combine(_folder.FullName, "x.html"));

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors.TrimEnd().Split('\n'), Has.Length.EqualTo(1), errors);
        Assert.That(errors, Does.StartWith($"P2PSim compare: {garbage}: not an experiment report"));
        Assert.That(output, Is.Empty);
        Assert.That(File.Exists(Path.Combine(_folder.FullName, "x.html")), Is.False);
    }

    [TestCase("{\"some\": \"other json\"}", "not an experiment report (JSON without the report's sections")]
    [TestCase("[1, 2, 3]", "not an experiment report")]
    public async Task Json_that_is_not_a_report_is_refused(string json, string message)
    {
        var file = Path.Combine(_folder.FullName, "other.json");
        await File.WriteAllTextAsync(file, json);

        var (exit, _, errors) = await CompareAsync(CancellationToken.None, file);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain(message));
    }

    [TestCase(new string[0], "no reports to compare")]
    [TestCase(new[] { "missing.json" }, "missing.json: no such file")]
    [TestCase(new[] { "a.json", "--colour" }, "unknown option --colour")]
    [TestCase(new[] { "a.json", "--out" }, "--out needs a file name")]
    public async Task Bad_arguments_are_one_line_on_stderr_and_exit_code_2(string[] args, string message)
    {
        var (exit, _, errors) = await CompareAsync(CancellationToken.None, args);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain(message));
        Assert.That(errors.TrimEnd().Split('\n'), Has.Length.EqualTo(1), errors);
    }

    [TestCase("burst")]
    [TestCase("spanning-crash")]
    [TestCase("partition")]
    public void A_report_read_back_writes_the_same_json(string name)
    {
        var json = File.ReadAllText(Golden(name));

        var (report, error) = ReportFile.Parse(json);

        Assert.That(error, Is.Null);
        Assert.That(ReportWriter.ToJson(report!), Is.EqualTo(json), "compare reads every field the experiment writes");
    }
}
