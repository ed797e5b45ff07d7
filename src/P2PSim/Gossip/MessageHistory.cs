namespace P2PSim.Gossip;

/// <summary>
/// The gossip messages a peer received or originated recently, by id: what it hands a neighbour
/// that missed them (catch-up: <c>Digest</c> / <c>Want</c>, see PROTOCOL.md). Each is kept whole
/// (envelope, payload and signature), as the object that arrived or was originated: no copy is
/// made to keep it (in the simulator, peers that got a message from the same sender share it).
/// Bounded two ways: an entry is kept for <c>window</c> after it was added, and at
/// <c>capacity</c> entries the oldest is dropped. A zero window keeps nothing (catch-up off).
/// Pure: time is passed in.
/// </summary>
public sealed class MessageHistory
{
    private readonly Dictionary<MessageId, Entry> _entries = new();
    private readonly Queue<(MessageId Id, long AddedAt)> _byAge = new();
    private long _nextExpiry = long.MaxValue; // UTC ticks when the oldest entry leaves the window: most calls need not look

    public MessageHistory(int capacity, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);
        Capacity = capacity;
        Window = window;
    }

    /// <summary>A remembered message, as it arrived or was originated (with that hop count), and when it was added.</summary>
    public readonly record struct Entry(Protocol.Gossip Message, DateTimeOffset At);

    public int Capacity { get; }

    public TimeSpan Window { get; }

    /// <summary>False when the window is zero: nothing is kept.</summary>
    public bool Enabled => Window > TimeSpan.Zero && Capacity > 0;

    public int Count => _entries.Count;

    /// <summary>
    /// Remembers <paramref name="message"/>, first seen at <paramref name="now"/> (times must not go
    /// backwards), under its id. False when it is already held or the history is off.
    /// </summary>
    public bool Add(Protocol.Gossip message, DateTimeOffset now)
    {
        if (!Enabled)
        {
            return false;
        }
        Expire(now);
        var id = message.Id;
        if (!_entries.TryAdd(id, new Entry(message, now)))
        {
            return false;
        }
        _byAge.Enqueue((id, now.UtcTicks));
        while (_entries.Count > Capacity && _byAge.TryDequeue(out var oldest))
        {
            _entries.Remove(oldest.Id);
        }
        NoteHead();
        return true;
    }

    public bool TryGet(MessageId id, out Entry entry) => _entries.TryGetValue(id, out entry);

    /// <summary>Drops every entry added <see cref="Window"/> or longer before <paramref name="now"/>.</summary>
    public void Expire(DateTimeOffset now)
    {
        if (now.UtcTicks < _nextExpiry)
        {
            return;
        }
        while (_byAge.TryPeek(out var oldest) && now.UtcTicks - oldest.AddedAt >= Window.Ticks)
        {
            _byAge.Dequeue();
            _entries.Remove(oldest.Id);
        }
        NoteHead();
    }

    private void NoteHead() =>
        _nextExpiry = _byAge.TryPeek(out var head) ? Saturating.Add(head.AddedAt, Window.Ticks) : long.MaxValue;

    /// <summary>The ids held at <paramref name="now"/>, oldest first; at most the newest <paramref name="max"/> of them.</summary>
    public MessageId[] RecentIds(DateTimeOffset now, int max)
    {
        Expire(now);
        var skip = Math.Max(0, _byAge.Count - Math.Max(0, max));
        return _byAge.Skip(skip).Select(e => e.Id).ToArray();
    }
}
