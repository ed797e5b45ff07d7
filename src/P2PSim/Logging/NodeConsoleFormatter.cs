using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace P2PSim.Logging;

/// <summary>
/// One console line per event, tagged with the node: <c>13:21:39.123 [Peer 6003] Received gossip ...</c>.
/// Warnings and errors carry their level; exceptions show their message, not a stack trace. While the
/// <see cref="ConsoleDigest"/> is active, the nodes' lines below Warning are counted there instead of printed.
/// </summary>
public sealed class NodeConsoleFormatter(TimeProvider time, ConsoleDigest digest) : ConsoleFormatter(Name)
{
    public new const string Name = "p2psim";

    public override void Write<TState>(in LogEntry<TState> logEntry, Microsoft.Extensions.Logging.IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var isNode = NodeCategory.PortOf(logEntry.Category) is not null;
        if (isNode && logEntry.LogLevel < LogLevel.Warning && digest.Active)
        {
            digest.Count(logEntry.EventId);
            return;
        }
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null)
        {
            return;
        }
        var tag = isNode ? logEntry.Category : ShortCategory(logEntry.Category);
        textWriter.Write(time.GetLocalNow().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture));
        textWriter.Write(" [");
        textWriter.Write(tag);
        textWriter.Write("] ");
        if (logEntry.LogLevel >= LogLevel.Warning)
        {
            textWriter.Write(LevelTag.Of(logEntry.LogLevel).Trim());
            textWriter.Write(": ");
        }
        textWriter.Write(message);
        if (logEntry.Exception is { } ex)
        {
            textWriter.Write(" (");
            textWriter.Write(ex.GetType().Name);
            textWriter.Write(": ");
            textWriter.Write(ex.Message);
            textWriter.Write(')');
        }
        textWriter.Write(Environment.NewLine);
    }

    private static string ShortCategory(string category)
    {
        var dot = category.LastIndexOf('.');
        return dot >= 0 ? category[(dot + 1)..] : category;
    }
}

/// <summary>Options of <see cref="NodeConsoleFormatter"/> (none beyond the standard ones).</summary>
public sealed class NodeConsoleFormatterOptions : ConsoleFormatterOptions
{
}
