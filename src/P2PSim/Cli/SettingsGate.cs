using System.Collections;
using Microsoft.Extensions.Configuration;

namespace P2PSim.Cli;

/// <summary>What a verb may go on with: its settings as configuration arguments, and lines saying where they came from.</summary>
/// <param name="Arguments">The command-line settings, <c>--Section:Key=value</c> each, for <c>AddCommandLine</c>.</param>
/// <param name="Source">"Settings: /path/appsettings.json, 1 environment variable and 2 on the command line", to print.</param>
/// <param name="Warnings">To print on stderr: no settings file (the built-in defaults are used), an environment variable that looks meant for P2PSim but is not read.</param>
/// <param name="Folder">Where the settings file is looked for (the current folder).</param>
internal sealed record CheckedSettings(string[] Arguments, string Source, IReadOnlyList<string> Warnings, string Folder)
{
    /// <summary>
    /// The settings as the demo's host reads them, for a verb that builds its own configuration (the experiment): the
    /// <c>DOTNET_</c>-prefixed environment variables, <c>appsettings.json</c>, the environment variables, the command line;
    /// a later source wins.
    /// </summary>
    public IConfiguration BuildConfiguration() => new ConfigurationBuilder()
        .SetBasePath(Folder)
        .AddEnvironmentVariables(SettingsGate.DotnetPrefix)
        .AddJsonFile(SettingsGate.FileName, optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(Arguments)
        .Build();
}

/// <summary>
/// Checks a verb's settings before anything binds them: the arguments must all be settings, every key (on the command
/// line, in appsettings.json and in the environment variables of P2PSim's sections) a known setting, every value well
/// written, and every setting on the command line one the verb reads. Reports every problem at once, one line each,
/// and says which settings file is read (warning when there is none, as when P2PSim runs from another folder).
/// </summary>
internal static class SettingsGate
{
    public const string FileName = "appsettings.json";

    public const string HelpHint = "P2PSim --help lists every setting; README.md (Settings) says what each does";

    /// <summary>The prefix of the environment variables the .NET host reads as its own settings (and strips).</summary>
    public const string DotnetPrefix = "DOTNET_";

    /// <summary>The checked settings, or null after writing the problems to <paramref name="errors"/>.</summary>
    /// <param name="verb"><c>demo</c> or <c>experiment</c>: a command-line setting of a section it does not read is refused.</param>
    /// <param name="environment">The environment variables (null: the process's).</param>
    public static async Task<CheckedSettings?> CheckAsync(string verb, string heading, IReadOnlyList<string> args, TextWriter errors,
        string? folder = null, IDictionary? environment = null)
    {
        folder ??= Directory.GetCurrentDirectory();
        var given = SettingsArguments.Parse(args);
        var problems = new List<string>();
        problems.AddRange(given.Strays.Select(static s => $"'{s}' is not a setting; write settings as --Section:Key=value, e.g. --Network:Peers=20"));
        problems.AddRange(KnownSettings.Check(given.Settings, "on the command line"));
        problems.AddRange(NotReadBy(verb, given.Settings.Where(static s => KnownSettings.Check([s], "").Count == 0)));

        var file = Path.Combine(folder, FileName);
        string source;
        var warnings = new List<string>();
        if (File.Exists(file))
        {
            try
            {
                var keys = new ConfigurationBuilder().AddJsonFile(file, optional: false, reloadOnChange: false).Build()
                    .AsEnumerable().Where(static kv => kv.Value is not null && kv.Key.Contains(':', StringComparison.Ordinal));
                problems.AddRange(KnownSettings.Check(keys, $"in {FileName}"));
            }
            catch (InvalidDataException ex)
            {
                problems.Add($"{file} is not valid JSON: {ex.InnerException?.Message ?? ex.Message}");
            }
            source = $"Settings: {file}";
        }
        else
        {
            source = "Settings: the built-in defaults";
            warnings.Add($"warning: no {FileName} in {folder}: the built-in defaults are used (run from the repository root, or copy {FileName} here; P2PSim --help lists the defaults)");
        }

        var variables = EnvironmentSettings.Read(environment ?? Environment.GetEnvironmentVariables());
        foreach (var variable in variables.Own)
        {
            // Named as set (NETWORK__PEERS stays so); a suggestion in the variable's form (Slice__Index).
            problems.AddRange(KnownSettings.Check([new(variable.Key, variable.Value)], "an environment variable",
                name => string.Equals(name, variable.Key, StringComparison.OrdinalIgnoreCase) ? variable.Name : variable.Prefix + EnvironmentSettings.VariableName(name)));
        }
        warnings.AddRange(variables.Lookalikes);

        var read = new List<string>();
        if (variables.Own.Count > 0)
        {
            read.Add(variables.Own.Count == 1 ? "1 environment variable" : $"{variables.Own.Count} environment variables");
        }
        if (given.Settings.Count > 0)
        {
            read.Add($"{given.Settings.Count} on the command line");
        }
        source += read.Count switch
        {
            0 => "",
            1 => $" and {read[0]}",
            _ => $", {read[0]} and {read[1]}",
        };

        if (problems.Count > 0)
        {
            await WriteProblemsAsync(errors, heading, problems).ConfigureAwait(false);
            return null;
        }
        return new CheckedSettings(given.ToArguments(), source, warnings, folder);
    }

    /// <summary>
    /// Command-line settings of sections <paramref name="verb"/> does not read (an <c>Experiment:</c> setting given to the
    /// demo, a <c>Demo:</c> one to an experiment): they would do nothing, so they are refused, saying who reads them.
    /// appsettings.json and the environment hold the settings of every verb and are not held to this.
    /// </summary>
    private static IEnumerable<string> NotReadBy(string verb, IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var read = KnownSettings.SectionsOf(verb);
        foreach (var (key, value) in settings)
        {
            if (KnownSettings.SectionOf(key) is not { } section || (read.Contains(section) && !KnownSettings.IgnoredBy(verb, key)))
            {
                continue; // a key the host itself reads (--environment)
            }
            var colon = key.IndexOf(':', StringComparison.Ordinal);
            var sameKey = read.Where(s => s != section).Select(s => KnownSettings.Find($"{s}:{key[(colon + 1)..]}")).FirstOrDefault(s => s is not null);
            yield return verb == P2PSimCommandLine.DemoVerb
                ? $"{key} (on the command line) is an experiment setting, which the demo does not read; to run an experiment: P2PSim experiment --{key}={value}"
                : $"{key} (on the command line) is a demo setting, which an experiment does not read"
                    + (sameKey is not null ? $"; did you mean {sameKey.Name}?" : $" (an experiment reads the sections {string.Join(", ", read)})");
        }
    }

    /// <summary>
    /// One line for one problem (<c>P2PSim cannot start: ...</c>), else a heading and one line per problem; for settings
    /// the hint where every setting is listed.
    /// </summary>
    public static async Task WriteProblemsAsync(TextWriter errors, string heading, IReadOnlyList<string> problems, bool settingsHint = true)
    {
        var hint = settingsHint ? $" ({HelpHint})" : "";
        if (problems.Count == 1)
        {
            await errors.WriteLineAsync($"{heading}: {problems[0].TrimEnd('.')}{hint}.").ConfigureAwait(false);
        }
        else
        {
            await errors.WriteLineAsync($"{heading}: {problems.Count} problems{(settingsHint ? " with the settings" : "")}{hint}:").ConfigureAwait(false);
            foreach (var problem in problems)
            {
                await errors.WriteLineAsync($"  - {problem}").ConfigureAwait(false);
            }
        }
        await errors.FlushAsync().ConfigureAwait(false);
    }
}
