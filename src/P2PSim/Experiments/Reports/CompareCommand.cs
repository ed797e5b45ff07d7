using System.Globalization;
using P2PSim.Hosting;

namespace P2PSim.Experiments.Reports;

/// <summary>
/// <c>P2PSim compare a.json b.json [...] [--out compare.html]</c>: reads experiment reports (JSON), prints them side by
/// side as one table and writes one HTML page with the table and every chart with a line (or bars) per report. The
/// page itself is <see cref="HtmlReport.ForComparison"/>; this class only reads arguments and files.
/// </summary>
public static class CompareCommand
{
    public const string Verb = "compare";

    public const string DefaultOut = "compare.html";

    private const string Usage = "usage: compare REPORT.json [REPORT.json ...] [--out compare.html]";

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? errors = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        output ??= Console.Out;
        errors ??= Console.Error;
        if (!TryParse(args, out var files, out var outPath, out var problem))
        {
            await errors.WriteLineAsync($"P2PSim compare: {problem} ({Usage})").ConfigureAwait(false);
            return P2PSimApp.ExitBadSettings;
        }
        var reports = new List<LabelledReport>(files.Count);
        foreach (var file in files)
        {
            var (report, error) = await ReportFile.ReadAsync(file, cancellationToken).ConfigureAwait(false);
            if (report is null)
            {
                await errors.WriteLineAsync($"P2PSim compare: {file}: {error}").ConfigureAwait(false);
                return P2PSimApp.ExitBadSettings;
            }
            reports.Add(new LabelledReport(Label(file, files), report));
        }

        if (ProgressDisplay.IsTerminal(output))
        {
            ReportWriter.WriteTable(Spectre.Console.AnsiConsole.Console, output, [.. reports.Select(static r => r.Report)]);
        }
        else
        {
            ReportWriter.WriteText(output, [.. reports.Select(static r => r.Report)]);
        }
        for (var i = 0; i < reports.Count; i++)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{i + 1}] {reports[i].Label}: {HtmlReport.Describe(reports[i].Report)}")).ConfigureAwait(false);
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        try
        {
            await File.WriteAllTextAsync(outPath, HtmlReport.ForComparison(reports), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await errors.WriteLineAsync($"P2PSim compare: cannot write {outPath} ({ex.Message})").ConfigureAwait(false);
            return P2PSimApp.ExitFailure;
        }
        await output.WriteLineAsync($"Comparison written to {Path.GetFullPath(outPath)}").ConfigureAwait(false);
        return P2PSimApp.ExitOk;
    }

    /// <summary>Report files and <c>--out</c> (also <c>--out=path</c>); false with the problem for anything else.</summary>
    internal static bool TryParse(IReadOnlyList<string> args, out List<string> files, out string outPath, out string problem)
    {
        files = [];
        outPath = DefaultOut;
        problem = "";
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--out")
            {
                if (i + 1 >= args.Count)
                {
                    problem = "--out needs a file name";
                    return false;
                }
                outPath = args[++i];
            }
            else if (arg.StartsWith("--out=", StringComparison.Ordinal))
            {
                outPath = arg["--out=".Length..];
            }
            else if (arg.StartsWith('-'))
            {
                problem = $"unknown option {arg}";
                return false;
            }
            else
            {
                files.Add(arg);
            }
        }
        if (files.Count == 0)
        {
            problem = "no reports to compare";
            return false;
        }
        if (outPath.Length == 0)
        {
            problem = "--out needs a file name";
            return false;
        }
        return true;
    }

    /// <summary>A report's name in legends: its file name, or the path as given where two files share a name.</summary>
    private static string Label(string file, IReadOnlyList<string> files)
    {
        var name = Path.GetFileName(file);
        return files.Count(f => Path.GetFileName(f) == name) > 1 ? file : name;
    }
}
