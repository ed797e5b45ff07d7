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
        var exit = standard.Invoke(parseResult);
        var command = parseResult.CommandResult.Command;
        Write(parseResult.InvocationConfiguration.Output, command is RootCommand ? P2PSimCommandLine.DemoVerb : command.Name);
        return exit;
    }

    private const int Width = 100;

    /// <summary>The sections each verb reads (the demo's for the root command).</summary>
    public static IReadOnlyList<string> SectionsOf(string verb) => verb switch
    {
        ExperimentCommand.Verb => [ExperimentOptions.Section, PeerOptions.Section, SeedOptions.Section, GossipOptions.Section, TransportOptions.Section],
        Experiments.Reports.CompareCommand.Verb => [],
        _ => [NetworkOptions.Section, PeerOptions.Section, SeedOptions.Section, GossipOptions.Section, PrivateOptions.Section, TransportOptions.Section, DemoOptions.Section,
            LiveViewOptions.Section, LogOptions.Section],
    };

    private static void Write(TextWriter output, string verb)
    {
        var sections = SectionsOf(verb);
        if (sections.Count == 0)
        {
            return;
        }
        var text = new StringBuilder();
        text.AppendLine("Settings:");
        text.AppendLine("  Given as --Section:Key=value after the verb (e.g. --Network:Peers=20), or in appsettings.json in the current folder.");
        text.AppendLine("  Durations are written hh:mm:ss[.fff] (00:00:05 is five seconds). Built-in defaults are shown;");
        text.AppendLine("  README.md (Settings) says what each one does.");
        foreach (var section in sections)
        {
            var line = new StringBuilder($"  {section + ":",-11}");
            var indent = line.Length;
            foreach (var setting in KnownSettings.InSection(section))
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
        if (sections.Contains(DemoOptions.Section))
        {
            text.AppendLine($"  {KnownSettings.LoggingSection + ":",-11}LogLevel:Default=Information (the standard .NET logging settings)");
        }
        output.Write(text.ToString());
    }
}
