using System.Globalization;
using Microsoft.Extensions.Configuration;
using P2PSim.Cli;
using P2PSim.Experiments.Reports;
using P2PSim.Experiments.Slices;
using P2PSim.Hosting;
using Spectre.Console;

namespace P2PSim.Experiments;

/// <summary>
/// <c>P2PSim experiment [--Section:Key=value ...]</c>: builds a network (real TCP or simulated),
/// runs one workload, shows its progress while it runs (a live display on a terminal, a line a second otherwise) and the report at the end, and
/// writes the report as JSON and, beside it, as an HTML page with charts (<see cref="Reports.HtmlReport"/>).
/// </summary>
public static class ExperimentCommand
{
    public const string Verb = "experiment";

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? errors = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        errors ??= Console.Error;
        const string Heading = "P2PSim experiment cannot start";
        var settings = await SettingsGate.CheckAsync(Verb, Heading, args, errors).ConfigureAwait(false);
        if (settings is null)
        {
            return P2PSimApp.ExitBadSettings;
        }
        ExperimentOptions options;
        IConfiguration configuration;
        try
        {
            configuration = settings.BuildConfiguration(); // the sources the demo reads
            options = ExperimentOptions.From(configuration);
        }
        catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException or FormatException)
        {
            // A value that does not convert: the binder names the setting and the value, the inner exception what would do.
            var why = ex.InnerException is FormatException or ArgumentException ? $"{ex.Message} {ex.InnerException.Message}" : ex.Message;
            await SettingsGate.WriteProblemsAsync(errors, Heading, [why]).ConfigureAwait(false);
            return P2PSimApp.ExitBadSettings;
        }
        if (SliceExperiment.IsSliced(configuration)) // several slices: this process runs one (Slices/)
        {
            return await SliceExperimentCommand.RunAsync(configuration, options, settings.Source, settings.Warnings, output, errors, cancellationToken).ConfigureAwait(false);
        }
        var checks = new ExperimentOptionsValidator().Validate(null, options);
        if (checks.Failed)
        {
            await SettingsGate.WriteProblemsAsync(errors, Heading, [.. checks.Failures ?? []]).ConfigureAwait(false);
            return P2PSimApp.ExitBadSettings;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var simulated = options.Network == NetworkKind.Simulated;
            await output.WriteLineAsync($"P2PSim experiment: {options.NetworkName} network, {options.Seeds} seeds, {options.Peers} peers, workload {options.WorkloadToRun().Describe()}, run seed {options.RunSeed}").ConfigureAwait(false);
            await output.WriteLineAsync(settings.Source).ConfigureAwait(false);
            foreach (var warning in settings.Warnings)
            {
                await errors.WriteLineAsync(warning).ConfigureAwait(false);
            }
            ExperimentProgress? printed = null;
            void Progress(ExperimentProgress p)
            {
                // A phase's first report and the next tick can come a moment apart: one line for both.
                if (printed is { } last && last.Phase == p.Phase && p.WallElapsed - last.WallElapsed < TimeSpan.FromSeconds(0.5))
                {
                    return;
                }
                printed = p;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  [{p.WallElapsed.TotalSeconds,6:0.0} s] {p.Phase,-9} peers joined {p.PeersJoined}/{p.Peers}, messages {p.MessagesPublished}, first receipts {p.FirstReceipts}{(simulated ? $", virtual {p.VirtualElapsed.TotalSeconds:0.0} s" : "")}"));
            }
            Task<ExperimentReport> Run(Action<ExperimentProgress> progress) => simulated
                ? Task.Run(() => new SimulatedExperiment(options).Run(progress, cancel.Token), cancel.Token)
                : new TcpExperiment(options).RunAsync(progress, cancel.Token);
            // A terminal gets a live progress display and a drawn table; redirected output the plain lines and text table.
            var terminal = ProgressDisplay.IsTerminal(output);
            var report = terminal
                ? await ProgressDisplay.RunAsync(options, Run).ConfigureAwait(false)
                : await Run(Progress).ConfigureAwait(false);
            await output.WriteLineAsync().ConfigureAwait(false);
            if (terminal)
            {
                ReportWriter.WriteTable(AnsiConsole.Console, output, [report]);
            }
            else
            {
                ReportWriter.WriteText(output, report);
            }
            var path = ReportPath(options);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, ReportWriter.ToJson(report), cancel.Token).ConfigureAwait(false);
            await output.WriteLineAsync($"Report written to {Path.GetFullPath(path)}").ConfigureAwait(false);
            if (options.HtmlReport)
            {
                var html = Path.ChangeExtension(path, ".html");
                await File.WriteAllTextAsync(html, HtmlReport.ForRun(report, Path.GetFileName(path)), cancel.Token).ConfigureAwait(false);
                await output.WriteLineAsync($"HTML report with charts written to {Path.GetFullPath(html)}").ConfigureAwait(false);
            }
            return P2PSimApp.ExitOk;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await errors.WriteLineAsync("Experiment cancelled.").ConfigureAwait(false);
            return P2PSimApp.ExitFailure;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static string ReportPath(ExperimentOptions e) => e.ReportPath
        .Replace("{network}", e.NetworkName, StringComparison.Ordinal)
        .Replace("{workload}", e.WorkloadName, StringComparison.Ordinal)
        .Replace("{peers}", e.Peers.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{seed}", e.RunSeed.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
