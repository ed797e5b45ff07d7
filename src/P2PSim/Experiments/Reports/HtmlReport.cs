using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace P2PSim.Experiments.Reports;

/// <summary>
/// Reports as one self-contained HTML page: the text table, and the charts as inline SVG with inline CSS: no script,
/// no font, no image, nothing fetched, so the file opens anywhere offline. Pure: reports in, HTML text out.
/// </summary>
public static partial class HtmlReport
{
    /// <summary>The page of one run: its table, its charts and the picture of its overlay.</summary>
    public static string ForRun(ExperimentReport report, string label)
    {
        ArgumentNullException.ThrowIfNull(report);
        var table = new StringWriter(CultureInfo.InvariantCulture);
        ReportWriter.WriteText(table, report);
        var charts = ReportCharts.All([new LabelledReport(label, report)]).Append(OverlayPicture.Draw(report)).ToList();
        return Page($"P2PSim experiment: {Describe(report)}", [$"Report {label}. {report.WorkloadDescription}."], table.ToString(), charts);
    }

    /// <summary>The page of a comparison: one table with a column per report, and every chart with a line (or bars) per report.</summary>
    public static string ForComparison(IReadOnlyList<LabelledReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var table = new StringWriter(CultureInfo.InvariantCulture);
        ReportWriter.WriteText(table, [.. reports.Select(static r => r.Report)]);
        var key = reports.Select((r, i) => $"[{i + 1}] {r.Label}: {Describe(r.Report)}").ToList();
        return Page($"P2PSim comparison of {reports.Count} experiment reports", key, table.ToString(), ReportCharts.All(reports));
    }

    /// <summary>"simulated network, burst, 200 peers, run seed 1, flood routing".</summary>
    public static string Describe(ExperimentReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return string.Create(CultureInfo.InvariantCulture,
            $"{report.NetworkKind} network, {report.Workload}, {report.Peers:N0} peers, {report.Seeds} seeds, run seed {report.RunSeed}, {report.Traffic.Routing} routing");
    }

    private static string Page(string title, IReadOnlyList<string> lines, string table, IReadOnlyList<Chart> charts)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(Encode(title)).Append("</title>\n")
            .Append("<style>\n")
            .Append("body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 900px; padding: 0 1em; color: #222; }\n")
            .Append("pre { font-size: 12px; background: #f6f6f6; padding: 1em; overflow-x: auto; }\n")
            .Append("figure { margin: 2em 0; }\n")
            .Append("figure svg { max-width: 100%; height: auto; border: 1px solid #ddd; }\n")
            .Append("figcaption { font-weight: 600; margin-bottom: 0.3em; }\n")
            .Append(".note { color: #666; font-style: italic; }\n")
            .Append("</style>\n</head>\n<body>\n")
            .Append("<h1>").Append(Encode(title)).Append("</h1>\n");
        foreach (var line in lines)
        {
            html.Append("<p>").Append(Encode(line)).Append("</p>\n");
        }
        html.Append("<h2>Numbers</h2>\n<pre>").Append(Encode(table)).Append("</pre>\n<h2>Charts</h2>\n");
        for (var i = 0; i < charts.Count; i++)
        {
            var chart = charts[i];
            html.Append("<figure>\n<figcaption>").Append(Encode(chart.Title)).Append("</figcaption>\n");
            if (chart.Svg is { } svg)
            {
                html.Append(Inline(svg, $"c{i}-")).Append('\n');
            }
            if (chart.Note is not null || chart.Svg is null)
            {
                html.Append("<p class=\"note\">").Append(Encode(chart.Note ?? "Nothing to draw.")).Append("</p>\n");
            }
            html.Append("</figure>\n");
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>
    /// An SVG document as an element of the page: without its XML declaration, scalable (a viewBox), and with its ids
    /// (ScottPlot's clip paths, numbered alike in every chart) prefixed, so one chart never clips by another's path.
    /// </summary>
    internal static string Inline(string svg, string prefix)
    {
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        var element = start >= 0 ? svg[start..] : svg;
        element = IdAttribute().Replace(element, m => $"id=\"{prefix}{m.Groups[1].Value}\"");
        element = IdReference().Replace(element, m => $"url(#{prefix}{m.Groups[1].Value})");
        element = HrefReference().Replace(element, m => $"href=\"#{prefix}{m.Groups[1].Value}\"");
        var size = SvgSize().Match(element);
        if (size.Success)
        {
            element = element.Insert(size.Index + size.Length - 1, $" viewBox=\"0 0 {size.Groups[1].Value} {size.Groups[2].Value}\"");
        }
        return element;
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    [GeneratedRegex("\\bid=\"([^\"]+)\"")]
    private static partial Regex IdAttribute();

    [GeneratedRegex("url\\(#([^)]+)\\)")]
    private static partial Regex IdReference();

    [GeneratedRegex("href=\"#([^\"]+)\"")]
    private static partial Regex HrefReference();

    [GeneratedRegex("^<svg[^>]*\\bwidth=\"(\\d+)\"[^>]*\\bheight=\"(\\d+)\"[^>]*>")]
    private static partial Regex SvgSize();
}
