namespace P2PSim.Logging;

/// <summary>
/// A token bucket for one kind of log line of one node: at most <see cref="Burst"/> lines at once, then one more per
/// <see cref="Refill"/>. A remote that breaks the protocol over and over (a flood of bad frames on fresh connections)
/// then costs a few lines, not one per frame; the next line written says how many were left out. Pure: time is passed in
/// (the events' own time). Not thread-safe: one node writes its lines one at a time.
/// </summary>
public sealed class LogRateLimit(int burst, TimeSpan refill)
{
    private double _tokens = burst;
    private DateTimeOffset? _last;
    private int _suppressed;

    /// <summary>Protocol violations: ten lines at once, then one a second.</summary>
    public static LogRateLimit ForViolations() => new(10, TimeSpan.FromSeconds(1));

    public int Burst { get; } = burst;

    public TimeSpan Refill { get; } = refill;

    /// <summary>
    /// Whether a line may be written at <paramref name="at"/>; when it may, <paramref name="suppressed"/> says how many
    /// were left out since the last one written (and the count starts again).
    /// </summary>
    public bool TryTake(DateTimeOffset at, out int suppressed)
    {
        if (_last is { } last && at > last && Refill > TimeSpan.Zero)
        {
            _tokens = Math.Min(Burst, _tokens + ((at - last) / Refill));
        }
        if (_last is null || at > _last)
        {
            _last = at;
        }
        if (_tokens < 1)
        {
            _suppressed++;
            suppressed = 0;
            return false;
        }
        _tokens--;
        suppressed = _suppressed;
        _suppressed = 0;
        return true;
    }
}
