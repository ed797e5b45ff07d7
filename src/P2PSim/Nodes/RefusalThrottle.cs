namespace P2PSim.Nodes;

/// <summary>
/// Rate limit for the log lines of refused input: at most one line per kind of refusal per <see cref="Interval"/>; the
/// next line that is let through says how many were held back meanwhile. Kinds are a small fixed set of names chosen by
/// the code (never taken from the input), so the map stays small. Pure: time is passed in.
/// </summary>
internal sealed class RefusalThrottle
{
    /// <summary>At most one line of each kind this often.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, (DateTimeOffset Last, int HeldBack)> _kinds = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether a refusal of <paramref name="kind"/> gets its log line now; if so, <paramref name="heldBack"/> counts the
    /// ones of that kind that did not since the last line. Every refusal is still counted by whoever refuses it.
    /// </summary>
    public bool Allow(string kind, DateTimeOffset now, out int heldBack)
    {
        if (_kinds.TryGetValue(kind, out var state) && now - state.Last < Interval)
        {
            _kinds[kind] = (state.Last, state.HeldBack + 1);
            heldBack = 0;
            return false;
        }
        heldBack = state.HeldBack;
        _kinds[kind] = (now, 0);
        return true;
    }

    /// <summary>
    /// A remote broke the protocol on <paramref name="connection"/>: it is closed at once either way; the
    /// <see cref="ProtocolViolation"/> line is let through at most once per <see cref="Interval"/>, saying how many were
    /// held back.
    /// </summary>
    public void Violation(Outbox outbox, ConnectionId connection, string remote, string reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        if (Allow("violation", now, out var heldBack))
        {
            outbox.Violation(connection, remote, heldBack == 0 ? reason : $"{reason} (and {heldBack} more direct-link violations within {Interval.TotalSeconds:0} s)", now);
        }
        else
        {
            outbox.Close(connection, reason, afterFlush: false);
        }
    }
}
