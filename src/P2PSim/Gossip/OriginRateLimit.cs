using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Gossip;

/// <summary>
/// How many new messages a peer takes from each origin: at most <c>Gossip:OriginBurst</c> at once, then
/// <c>Gossip:OriginRate</c> a second (a token bucket per origin, kept as one number: the generic cell rate algorithm's
/// "theoretical arrival time", the moment the origin's bucket would be full again). A peer that publishes far faster
/// than that (a flood of valid messages) has the excess dropped by the first peers it reaches, so it never spreads;
/// honest origins, however bursty within the burst, never notice.
/// <para>
/// An origin is its endpoint and its id together, as the message names them: the id is the one its signature verifies
/// for, so nobody can spend another's allowance by naming its endpoint. (Keyed by endpoint alone, a peer that signs with
/// its own id but names, as origin, the endpoint of a peer the receiver knows no id for, beyond hop 1, used up that
/// peer's allowance, and the real peer's messages were then dropped as a flood.)
/// </para>
/// </summary>
/// <remarks>
/// Memory: an origin is remembered only while its bucket is not full, so a peer holds an entry per origin that
/// published in the last <c>OriginBurst / OriginRate</c> (10 s with the defaults) and stays near zero otherwise; the full
/// ones are swept out whenever the table has doubled since the last sweep, and on the node's housekeeping timer
/// (<see cref="Trim"/>), which also gives back the slots a burst of origins left behind (a thousand origins: about
/// 70 KB a peer, kept by a dictionary that never shrinks by itself). Pure: time is passed in.
/// </remarks>
public sealed class OriginRateLimit
{
    private readonly Dictionary<(NodeEndpoint Endpoint, NodeId Id), long> _fullAt = [];
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

    /// <summary>Takes one message of the origin at <paramref name="endpoint"/> with id <paramref name="id"/> at <paramref name="now"/>: true if its bucket allowed it.</summary>
    public bool TryTake(NodeEndpoint endpoint, NodeId id, DateTimeOffset now)
    {
        var origin = (endpoint, id);
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

    /// <summary>Slots of the table now (tests: a burst's slack is given back).</summary>
    internal int TableCapacity => _fullAt.EnsureCapacity(0);

    /// <summary>
    /// Housekeeping: forgets the origins whose buckets are full again, and gives back the table's slots when it holds
    /// far fewer than a burst of origins made room for. Changes no answer (a forgotten origin is one whose bucket is full).
    /// </summary>
    public void Trim(DateTimeOffset now)
    {
        Sweep(now.UtcTicks);
        if (TableCapacity > 2 * _sweepAt)
        {
            _fullAt.TrimExcess(_sweepAt);
        }
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
