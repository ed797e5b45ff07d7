using P2PSim.Protocol;

namespace P2PSim.Gossip;

/// <summary>
/// How many new messages a peer takes from each origin: at most <c>Gossip:OriginBurst</c> at once, then
/// <c>Gossip:OriginRate</c> a second (a token bucket per origin, kept as one number: the generic cell rate algorithm's
/// "theoretical arrival time", the moment the origin's bucket would be full again). A peer that publishes far faster
/// than that (a flood of valid messages) has the excess dropped by the first peers it reaches, so it never spreads;
/// honest origins, however bursty within the burst, never notice.
/// </summary>
/// <remarks>
/// Memory: an origin is remembered only while its bucket is not full, so a peer holds an entry per origin that
/// published in the last <c>OriginBurst / OriginRate</c> (10 s with the defaults) and stays near zero otherwise; the full
/// ones are swept out whenever the table has doubled since the last sweep. Pure: time is passed in.
/// </remarks>
public sealed class OriginRateLimit
{
    private readonly Dictionary<NodeEndpoint, long> _fullAt = [];
    private readonly long _interval;
    private readonly long _tolerance;
    private int _sweepAt = 64;

    /// <param name="rate">Messages a second each origin may publish, sustained (more than 0).</param>
    /// <param name="burst">Messages an origin may publish at once (at least 1).</param>
    public OriginRateLimit(double rate, int burst)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        _interval = Math.Max(1, (long)(TimeSpan.TicksPerSecond / rate));
        _tolerance = _interval * (burst - 1);
        Rate = rate;
        Burst = burst;
    }

    public double Rate { get; }

    public int Burst { get; }

    /// <summary>Origins remembered now (their buckets are not full).</summary>
    public int Tracked => _fullAt.Count;

    /// <summary>Takes one message of <paramref name="origin"/> at <paramref name="now"/>: true if its bucket allowed it.</summary>
    public bool TryTake(NodeEndpoint origin, DateTimeOffset now)
    {
        var t = now.UtcTicks;
        ref var fullAt = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_fullAt, origin, out var known);
        var start = known && fullAt > t ? fullAt : t;
        if (start - t > _tolerance)
        {
            return false; // the bucket is empty: the message is dropped, and costs the origin nothing more
        }
        fullAt = start + _interval;
        if (!known && _fullAt.Count >= _sweepAt)
        {
            Sweep(t);
        }
        return true;
    }

    /// <summary>Forgets the origins whose buckets are full again (they are as if never seen).</summary>
    private void Sweep(long now)
    {
        foreach (var (origin, fullAt) in _fullAt)
        {
            if (fullAt <= now)
            {
                _fullAt.Remove(origin);
            }
        }
        _sweepAt = Math.Max(64, _fullAt.Count * 2);
    }
}
