using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace P2PSim.Logging;

/// <summary>
/// The aggregated console (<c>Demo:Console</c> <c>summary</c>): while <see cref="Active"/>, the console formatter hands the
/// nodes' lines below Warning here instead of printing them, and once a second one line counts them per kind of event
/// (<see cref="TakeLine"/>). Warnings and errors, and every line of other categories, are still printed in full; the log
/// files get every line either way. Counting takes a short lock per line, far cheaper than writing it to a terminal.
/// </summary>
public sealed class ConsoleDigest
{
    private readonly object _gate = new();
    private Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private volatile bool _active;

    /// <summary>Whether node lines below Warning are counted instead of printed.</summary>
    public bool Active
    {
        get => _active;
        set => _active = value;
    }

    /// <summary>Counts one line of the kind of <paramref name="eventId"/>.</summary>
    public void Count(EventId eventId)
    {
        var kind = KindOf(eventId);
        lock (_gate)
        {
            _counts[kind] = _counts.GetValueOrDefault(kind) + 1;
        }
    }

    /// <summary>The counts since the last call as one line (null when nothing happened), and starts counting afresh.</summary>
    public string? TakeLine()
    {
        Dictionary<string, long> counts;
        lock (_gate)
        {
            if (_counts.Count == 0)
            {
                return null;
            }
            counts = _counts;
            _counts = new Dictionary<string, long>(StringComparer.Ordinal);
        }
        return Format(counts);
    }

    /// <summary><c>412 events: 380 gossip received, 24 gossip originated, 8 neighbour connected</c>: most frequent first.</summary>
    public static string Format(IReadOnlyDictionary<string, long> counts)
    {
        var total = counts.Values.Sum();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Plural.Of(total, "event")}");
        var separator = ": ";
        foreach (var (kind, count) in counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal))
        {
            sb.Append(separator).Append(CultureInfo.InvariantCulture, $"{count} {kind}");
            separator = ", ";
        }
        return sb.ToString();
    }

    /// <summary>
    /// The kind of a log line from its event's name, which the <c>[LoggerMessage]</c> generator sets to the method's:
    /// <c>LogInformationGossipReceived</c> is <c>gossip received</c>.
    /// </summary>
    public static string KindOf(EventId eventId)
    {
        var name = eventId.Name;
        if (string.IsNullOrEmpty(name))
        {
            return "other";
        }
        foreach (var prefix in (ReadOnlySpan<string>)["LogTrace", "LogDebug", "LogInformation", "LogWarning", "LogError", "LogCritical", "Log"])
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length)
            {
                name = name[prefix.Length..];
                break;
            }
        }
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                sb.Append(' ');
            }
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
