using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text;
using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.LiveView;

namespace P2PSim.Cli;

/// <summary><c>--help</c>: System.CommandLine's help, then every setting the verb reads, with its built-in default.</summary>
internal sealed class SettingsHelp(HelpAction standard) : SynchronousCommandLineAction
{
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var configuration = parseResult.InvocationConfiguration;
        var output = configuration.Output;
        using var standardHelp = new StringWriter();
        int exit;
        configuration.Output = standardHelp;
        try
        {
            exit = standard.Invoke(parseResult);
        }
        finally
        {
            configuration.Output = output;
        }
        var command = parseResult.CommandResult.Command;
        output.Write(command.TreatUnmatchedTokensAsErrors ? standardHelp.ToString() : WithSettingsUsage(standardHelp.ToString()));
        Write(output, command is RootCommand ? P2PSimCommandLine.DemoVerb : command.Name);
        return exit;
    }

    /// <summary>
    /// System.CommandLine's help for a verb that takes settings as unmatched tokens calls them
    /// "[[--] &lt;additional arguments&gt;...]]" and "Arguments passed to the application that is being run": its usage line
    /// says <c>[--Section:Key=value ...]</c> instead, and that section goes (the settings follow, see <see cref="Write"/>).
    /// </summary>
    internal static string WithSettingsUsage(string help)
    {
        var lines = help.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        var section = lines.FindIndex(static l => l.StartsWith("Additional Arguments:", StringComparison.Ordinal));
        if (section >= 0)
        {
            var end = section + 1;
            while (end < lines.Count && lines[end].Length > 0)
            {
                end++;
            }
            lines.RemoveRange(section, Math.Min(end + 1, lines.Count) - section);
        }
        return string.Join(Environment.NewLine, lines).Replace("[[--] <additional arguments>...]]", "[--Section:Key=value ...]", StringComparison.Ordinal);
    }

    private const int Width = 100;

    private static void Write(TextWriter output, string verb)
    {
        var sections = KnownSettings.SectionsOf(verb);
        if (sections.Count == 0)
        {
            return;
        }
        var text = new StringBuilder();
        var (section, key, value) = verb == ExperimentCommand.Verb ? ("Experiment", "Peers", "50") : ("Network", "Peers", "20");
        text.AppendLine("Settings:");
        text.AppendLine($"  Given as --Section:Key=value after the verb (e.g. --{section}:{key}={value}), as environment variables");
        text.AppendLine($"  Section__Key=value ({section}__{key}={value}), or in appsettings.json in the current folder; the command line wins,");
        text.AppendLine("  then the environment, then the file. Durations are written hh:mm:ss[.fff] (00:00:05 is five seconds).");
        text.AppendLine("  Built-in defaults are shown; README.md (Settings) says what each one does.");
        foreach (var name in sections.Where(static s => s != KnownSettings.LoggingSection))
        {
            var line = new StringBuilder($"  {name + ":",-12}");
            var indent = line.Length;
            foreach (var setting in KnownSettings.InSection(name))
            {
                var item = $"{setting.Key}={setting.Default}";
                if (line.Length + item.Length + 1 > Width && line.Length > indent)
                {
                    text.AppendLine(line.ToString().TrimEnd());
                    line.Clear().Append(' ', indent);
                }
                line.Append(item).Append(' ');
            }
            text.AppendLine(line.ToString().TrimEnd());
        }
        if (sections.Contains(KnownSettings.LoggingSection))
        {
            text.AppendLine($"  {KnownSettings.LoggingSection + ":",-12}LogLevel:Default=Information (the standard .NET logging settings)");
        }
        output.Write(text.ToString());
    }
}
