using Microsoft.Extensions.Configuration;

namespace P2PSim.Cli;

/// <summary>What a verb may go on with: its settings as configuration arguments, and a line saying where they came from.</summary>
/// <param name="Arguments">The command-line settings, <c>--Section:Key=value</c> each, for <c>AddCommandLine</c>.</param>
/// <param name="Source">"Settings: /path/appsettings.json and 2 on the command line", to print.</param>
/// <param name="Warning">Set when there is no settings file: the run uses the built-in defaults.</param>
internal sealed record CheckedSettings(string[] Arguments, string Source, string? Warning);

/// <summary>
/// Checks a verb's settings before anything binds them: the arguments must all be settings, every key (on the command
/// line and in appsettings.json) a known setting, every value well written. Reports every problem at once, one line
/// each, and says which settings file is read (warning when there is none, as when P2PSim runs from another folder).
/// </summary>
internal static class SettingsGate
{
    public const string FileName = "appsettings.json";

    public const string HelpHint = "P2PSim --help lists every setting; README.md (Settings) says what each does";

    /// <summary>The checked settings, or null after writing the problems to <paramref name="errors"/>.</summary>
    public static async Task<CheckedSettings?> CheckAsync(string heading, IReadOnlyList<string> args, TextWriter errors, string? folder = null)
    {
        folder ??= Directory.GetCurrentDirectory();
        var given = SettingsArguments.Parse(args);
        var problems = new List<string>();
        problems.AddRange(given.Strays.Select(static s => $"'{s}' is not a setting; write settings as --Section:Key=value, e.g. --Network:Peers=20"));
        problems.AddRange(KnownSettings.Check(given.Settings, "on the command line"));

        var file = Path.Combine(folder, FileName);
        string source;
        string? warning = null;
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
            warning = $"warning: no {FileName} in {folder}: the built-in defaults are used (run from the repository root, or copy {FileName} here; P2PSim --help lists the defaults)";
        }
        if (given.Settings.Count > 0)
        {
            source += $" and {given.Settings.Count} on the command line";
        }

        if (problems.Count > 0)
        {
            await WriteProblemsAsync(errors, heading, problems).ConfigureAwait(false);
            return null;
        }
        return new CheckedSettings(given.ToArguments(), source, warning);
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
