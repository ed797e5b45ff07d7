using P2PSim.Protocol;

namespace P2PSim.Gossip;

/// <summary>
/// The Message List: every gossip message a peer has seen, by hash, with when and from whom
/// it first arrived. Bounded two ways: entries expire after <c>timeToLive</c>, and at
/// <c>capacity</c> the oldest entry is evicted to make room. Pure: time is passed in.
/// </summary>
public sealed class MessageList(int capacity, TimeSpan timeToLive)
{
    private readonly Dictionary<MessageId, Entry> _entries = new();
    private readonly Queue<(MessageId Id, DateTimeOffset SeenAt)> _byAge = new();
    private long _nextExpiry = long.MaxValue; // UTC ticks when the oldest entry expires: most calls need not look at the queue

    /// <summary>When and from whom a message first arrived (null sender: originated here).</summary>
    public readonly record struct Entry(DateTimeOffset FirstSeen, NodeEndpoint? From);

    public int Count => _entries.Count;

    public int Capacity => capacity;

    /// <summary>How long an entry is kept after its first receipt.</summary>
    public TimeSpan Ttl => timeToLive;

    /// <summary>Entries dropped because the list was full before they expired.</summary>
    public long Evicted { get; private set; }

    public bool Contains(MessageId id) => _entries.ContainsKey(id);

    public bool TryGet(MessageId id, out Entry entry) => _entries.TryGetValue(id, out entry);

    /// <summary>Records a first sighting; false when the message was already in the list.</summary>
    /// <param name="createdAt">
    /// When the message says it was created, if later than <paramref name="now"/> (a clock a little ahead): the entry is
    /// then kept for the time to live from that moment, so it outlives every copy young enough to be accepted.
    /// </param>
    public bool TryAdd(MessageId id, DateTimeOffset now, NodeEndpoint? from, DateTimeOffset? createdAt = null)
    {
        Expire(now);
        if (!_entries.TryAdd(id, new Entry(now, from)))
        {
            return false;
        }
        // An entry kept from a later moment may stand before earlier ones in the queue: they then stay a little longer
        // (at most the clock skew a message may have), never shorter.
        _byAge.Enqueue((id, createdAt is { } created && created > now ? created : now));
        while (_entries.Count > capacity && _byAge.TryDequeue(out var oldest))
        {
            _entries.Remove(oldest.Id);
            Evicted++;
        }
        NoteHead();
        return true;
    }

    /// <summary>Removes every entry older than the time to live.</summary>
    public void Expire(DateTimeOffset now)
    {
        if (now.UtcTicks < _nextExpiry)
        {
            return;
        }
        while (_byAge.TryPeek(out var oldest) && now - oldest.SeenAt >= timeToLive)
        {
            _byAge.Dequeue();
            _entries.Remove(oldest.Id);
        }
        NoteHead();
    }

    private void NoteHead() =>
        _nextExpiry = _byAge.TryPeek(out var head) ? Saturating.Add(head.SeenAt.UtcTicks, timeToLive.Ticks) : long.MaxValue;
}
