using System.Globalization;
using System.Text.RegularExpressions;
using P2PSim.Experiments.Reports;
using P2PSim.Hosting;

namespace P2PSim.Experiments.Slices;

/// <summary>
/// <c>P2PSim merge PART.json [PART.json ...] [--out report.json]</c>: joins the parts the slices of one run wrote
/// (<see cref="SlicePart"/>) into one report (<see cref="SliceMerge"/>), prints it as the <c>experiment</c> verb does, with
/// a line per slice and per crashed peer, and writes it as JSON and, beside it, as an HTML page. A file that is no part,
/// parts of different runs, a slice given twice or missing: one line on stderr and exit code 2.
/// </summary>
public static partial class MergeCommand
{
    public const string Verb = "merge";

    private const string Usage = "usage: merge PART.json [PART.json ...] [--out report.json]";

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? errors = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        output ??= Console.Out;
        errors ??= Console.Error;
        if (!TryParse(args, out var files, out var outPath, out var problem))
        {
            await errors.WriteLineAsync($"P2PSim merge: {problem} ({Usage})").ConfigureAwait(false);
            return P2PSimApp.ExitBadSettings;
        }
        var parts = new List<(string Name, SlicePart Part)>(files.Count);
        foreach (var file in files)
        {
            string json;
            try
            {
                json = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                await errors.WriteLineAsync($"P2PSim merge: {file}: no such file").ConfigureAwait(false);
                return P2PSimApp.ExitBadSettings;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await errors.WriteLineAsync($"P2PSim merge: {file}: cannot be read ({ex.Message})").ConfigureAwait(false);
                return P2PSimApp.ExitBadSettings;
            }
            var (part, error) = SlicePart.Parse(json);
            if (part is null)
            {
                await errors.WriteLineAsync($"P2PSim merge: {file}: {error}").ConfigureAwait(false);
                return P2PSimApp.ExitBadSettings;
            }
            parts.Add((Path.GetFileName(file), part));
        }
        var (merged, mismatch) = SliceMerge.Merge(parts);
        if (merged is null)
        {
            await errors.WriteLineAsync($"P2PSim merge: {mismatch}").ConfigureAwait(false);
            return P2PSimApp.ExitBadSettings;
        }

        var report = merged.Report;
        var inv = CultureInfo.InvariantCulture;
        await output.WriteLineAsync(string.Create(inv,
            $"P2PSim merge: {merged.Slices.Count} slices of one tcp run, {report.Seeds} seeds, {report.Peers} peers, workload {report.WorkloadDescription}, run seed {report.RunSeed}")).ConfigureAwait(false);
        foreach (var s in merged.Slices)
        {
            var peers = s.Peers == 0 ? "no peers" : $"peers {s.FirstPeer}-{s.FirstPeer + s.Peers - 1}";
            var r = s.Resources;
            var cost = r is null ? "" : string.Create(inv,
                $"; {r.CpuSeconds:0.0} s CPU, peak working set {r.PeakWorkingSetBytes / (1024.0 * 1024):0} MiB, heap {(s.Peers > 0 ? r.ManagedHeapBytes / 1024.0 / s.Peers : 0):0} KiB per peer, {r.OpenFileDescriptors?.ToString(inv) ?? "?"} open files at the end{(s.PeakOpenFiles is { } peak ? $", {peak} at most" : "")}");
            await output.WriteLineAsync(string.Create(inv,
                $"  slice {s.Slice} ({s.Name}): {peers}, {s.Seeds} seed(s), on {s.Address}; {s.Originated} messages originated, {s.FirstReceipts} first receipts{cost}")).ConfigureAwait(false);
        }
        foreach (var note in merged.Notes)
        {
            await output.WriteLineAsync($"  {note}").ConfigureAwait(false);
        }
        await output.WriteLineAsync().ConfigureAwait(false);
        ReportWriter.WriteText(output, report);

        outPath ??= DefaultOut(files[0]);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            await File.WriteAllTextAsync(outPath, ReportWriter.ToJson(report), cancellationToken).ConfigureAwait(false);
            var html = Path.ChangeExtension(outPath, ".html");
            await File.WriteAllTextAsync(html, HtmlReport.ForRun(report, Path.GetFileName(outPath)), cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Report written to {Path.GetFullPath(outPath)}").ConfigureAwait(false);
            await output.WriteLineAsync($"HTML report with charts written to {Path.GetFullPath(html)}").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await errors.WriteLineAsync($"P2PSim merge: cannot write {outPath} ({ex.Message})").ConfigureAwait(false);
            return P2PSimApp.ExitFailure;
        }
        return P2PSimApp.ExitOk;
    }

    /// <summary>Part files and <c>--out</c> (also <c>--out=path</c>; null when not given); false with the problem for anything else.</summary>
    internal static bool TryParse(IReadOnlyList<string> args, out List<string> files, out string? outPath, out string problem)
    {
        files = [];
        outPath = null;
        problem = "";
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--out" || arg.StartsWith("--out=", StringComparison.Ordinal))
            {
                outPath = arg == "--out" ? (i + 1 < args.Count ? args[++i] : "") : arg["--out=".Length..];
                if (outPath.Length == 0)
                {
                    problem = "--out needs a file name";
                    return false;
                }
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
            problem = "no parts to merge";
            return false;
        }
        return true;
    }

    /// <summary>The first part's path without its <c>.slice&lt;n&gt;</c>: <c>experiments/tcp-burst-600-seed1.json</c>; else <c>merged.json</c> beside it.</summary>
    internal static string DefaultOut(string firstPart)
    {
        var name = Path.GetFileName(firstPart);
        var stripped = SliceSuffix().Replace(name, "");
        return Path.Combine(Path.GetDirectoryName(firstPart) ?? "", stripped != name && stripped.Length > ".json".Length ? stripped : "merged.json");
    }

    [GeneratedRegex(@"\.slice\d+(?=\.[^.]*$|$)")]
    private static partial Regex SliceSuffix();
}
