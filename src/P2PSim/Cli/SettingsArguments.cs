namespace P2PSim.Cli;

/// <summary>
/// The <c>--Section:Key=value</c> arguments a verb was given, read as Microsoft.Extensions.Configuration's command-line
/// provider reads them (<c>--Key=value</c>, <c>--Key value</c>, <c>/Key=value</c>, <c>/Key value</c>, <c>Key=value</c>), so
/// that what is checked here is exactly what binds later. A word that is none of these is a stray: the provider would
/// silently skip it, so it is refused instead (as the first argument it is most likely a misspelt verb).
/// </summary>
internal sealed class SettingsArguments
{
    private SettingsArguments(IReadOnlyList<KeyValuePair<string, string?>> settings, IReadOnlyList<string> strays)
    {
        Settings = settings;
        Strays = strays;
    }

    /// <summary>The settings in the order given (a later one wins, as in the configuration).</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Settings { get; }

    /// <summary>Arguments that are no setting: a bare word, a key without a value.</summary>
    public IReadOnlyList<string> Strays { get; }

    /// <summary>The settings written back as <c>--Key=value</c>, for <c>AddCommandLine</c>.</summary>
    public string[] ToArguments() => [.. Settings.Select(static s => $"--{s.Key}={s.Value}")];

    public static SettingsArguments Parse(IReadOnlyList<string> args)
    {
        var settings = new List<KeyValuePair<string, string?>>();
        var strays = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var start = arg.StartsWith("--", StringComparison.Ordinal) ? 2 : arg.StartsWith('/') ? 1 : arg.StartsWith('-') ? -1 : 0;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (start < 0 || (start == 0 && equals < 0) || arg.Length == start || equals == start)
            {
                strays.Add(arg); // "-x" (the provider ignores single-dash keys), a bare word, "--", "--=3"
            }
            else if (equals >= 0)
            {
                settings.Add(new(arg[start..equals], arg[(equals + 1)..]));
            }
            else if (i + 1 < args.Count)
            {
                settings.Add(new(arg[start..], args[++i]));
            }
            else
            {
                strays.Add(arg); // "--Network:Peers" with nothing after it
            }
        }
        return new SettingsArguments(settings, strays);
    }
}
