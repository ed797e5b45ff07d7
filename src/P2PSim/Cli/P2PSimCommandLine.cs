using System.CommandLine;
using System.CommandLine.Help;
using P2PSim.Experiments;
using P2PSim.Experiments.Reports;
using P2PSim.Experiments.Slices;
using P2PSim.Hosting;

namespace P2PSim.Cli;

/// <summary>
/// The verbs and their help (System.CommandLine): <c>demo</c> (the default: no verb), <c>experiment</c>, <c>compare</c> and <c>merge</c>.
/// Settings (<c>--Section:Key=value</c>) are no options of their own: System.CommandLine hands them over as unmatched
/// tokens, <see cref="SettingsGate"/> checks them, and the verb binds them as before. An unknown verb, option or setting is
/// refused with the nearest valid name and exit code 2; <c>--help</c> after any verb prints its help and runs nothing.
/// </summary>
public static class P2PSimCommandLine
{
    public const string DemoVerb = "demo";

    private static readonly string[] Verbs = [DemoVerb, ExperimentCommand.Verb, CompareCommand.Verb, MergeCommand.Verb];

    private static readonly string[] HelpWords = ["--help", "-h", "-?", "/?", "/h"];

    /// <summary>Parses <paramref name="args"/> and runs the verb; the exit code (2 for anything mistyped).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? errors = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        errors ??= Console.Error;
        // "-- --help" (the separator passed through) asks for help too, instead of being taken as a setting.
        if (args.Any(static a => HelpWords.Contains(a, StringComparer.Ordinal)) && args.Contains("--", StringComparer.Ordinal))
        {
            args = [.. args.Where(static a => a != "--")];
        }
        var root = Build(output, errors);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not SettingsHelp)
        {
            var problems = parsed.Errors.Select(static e => e.Message).Distinct().ToList();
            await SettingsGate.WriteProblemsAsync(errors, "P2PSim", problems, settingsHint: false).ConfigureAwait(false);
            return P2PSimApp.ExitBadSettings;
        }
        // The host (demo) and the experiment handle Ctrl+C themselves: System.CommandLine must not take the signal.
        var invocation = new InvocationConfiguration { Output = output, Error = errors, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        return await parsed.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    private static RootCommand Build(TextWriter output, TextWriter errors)
    {
        var root = new RootCommand("""
            P2PSim: a whole peer-to-peer gossip network in one process (seeds and peers on loopback TCP).
            Without a verb it runs the demo: the network forms, gossips, loses a peer and notices; Ctrl+C ends it.
            Settings are read from appsettings.json in the current folder; override any with --Section:Key=value.
            """)
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.SetAction(async (parsed, ct) =>
        {
            var tokens = parsed.UnmatchedTokens;
            if (tokens.Count > 0 && IsWord(tokens[0]))
            {
                // A bare first word is meant as a verb: say which one was probably meant instead of running the demo.
                await errors.WriteLineAsync($"P2PSim: unknown command '{tokens[0]}'; did you mean '{KnownSettings.Nearest(tokens[0], Verbs)}'? (P2PSim --help lists the commands)").ConfigureAwait(false);
                return P2PSimApp.ExitBadSettings;
            }
            return await P2PSimApp.RunAsync([.. tokens], output, errors).ConfigureAwait(false);
        });

        var demo = new Command(DemoVerb, "Runs the demo (the same as no verb): seeds start, peers join one by one, gossip flows, a peer crashes and its neighbours report it; Ctrl+C (or Demo:Duration) ends it with a summary.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        demo.SetAction(async (parsed, ct) => await P2PSimApp.RunAsync([.. parsed.UnmatchedTokens], output, errors).ConfigureAwait(false));
        root.Subcommands.Add(demo);

        var experiment = new Command(ExperimentCommand.Verb, "Runs one experiment (real TCP or simulated), shows its progress and prints a report; writes it as JSON and HTML (experiments/).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        experiment.SetAction(async (parsed, ct) => await ExperimentCommand.RunAsync([.. parsed.UnmatchedTokens], output, errors, ct).ConfigureAwait(false));
        root.Subcommands.Add(experiment);

        var reports = new Argument<string[]>("reports") { Description = "Experiment reports (JSON) to compare.", Arity = ArgumentArity.OneOrMore };
        var outFile = new Option<string>("--out") { Description = "The HTML page to write.", DefaultValueFactory = _ => CompareCommand.DefaultOut };
        var compare = new Command(CompareCommand.Verb, "Prints experiment reports side by side and writes one HTML page with every chart overlaid.") { reports, outFile };
        compare.SetAction(async (parsed, ct) =>
            await CompareCommand.RunAsync([.. parsed.GetValue(reports) ?? [], "--out", parsed.GetValue(outFile) ?? CompareCommand.DefaultOut], output, errors, ct).ConfigureAwait(false));
        root.Subcommands.Add(compare);

        var parts = new Argument<string[]>("parts") { Description = "The parts of one run's report, one per slice (JSON, written by experiment with Slice:Count above 1).", Arity = ArgumentArity.OneOrMore };
        var mergedOut = new Option<string?>("--out") { Description = "The merged report (JSON; the HTML page goes beside it). Default: the first part's name without .slice<n>." };
        var merge = new Command(MergeCommand.Verb, "Joins the parts the slices of one experiment wrote into one report, as one process would have written it (JSON and HTML).") { parts, mergedOut };
        merge.SetAction(async (parsed, ct) => await MergeCommand.RunAsync(
            [.. parsed.GetValue(parts) ?? [], .. parsed.GetValue(mergedOut) is { } o ? new[] { "--out", o } : []], output, errors, ct).ConfigureAwait(false));
        root.Subcommands.Add(merge);

        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction action)
            {
                help.Action = new SettingsHelp(action);
            }
        }
        return root;
    }

    private static bool IsWord(string token) =>
        !token.StartsWith('-') && !token.StartsWith('/') && !token.Contains('=', StringComparison.Ordinal);
}
