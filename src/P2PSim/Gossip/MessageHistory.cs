using P2PSim.Protocol;

namespace P2PSim.Gossip;

/// <summary>
/// The gossip messages a peer received or originated recently, by id: what it hands a neighbour
/// that missed them (catch-up: <c>Digest</c> / <c>Want</c>, see PROTOCOL.md). Each is kept whole
/// (envelope, payload and signature), as the object that arrived or was originated: no copy is
/// made to keep it (in the simulator, peers that got a message from the same sender share it).
/// Bounded three ways: an entry is kept for <c>window</c> after it was added; beyond <c>capacity</c>
/// entries, or beyond <c>maxBytes</c> of their frames' wire size (0: no byte bound), the oldest are dropped.
/// A message whose frame alone is larger than <c>maxBytes</c> is not kept at all: it would push out every other.
/// A zero window keeps nothing (catch-up off). Pure: time is passed in.
/// </summary>
/// <remarks>
/// The entries sit in arrival order in one ring of 24-byte slots (the message, when it was added, its frame's size)
/// found through an open-addressing index of ring positions (linear probing, deletion by backward shift): nothing is
/// allocated per entry. Both grow by doubling and shrink by half when a quarter full.
/// </remarks>
public sealed class MessageHistory
{
    private const int MinimumRing = 16;

    private Slot[] _ring = new Slot[MinimumRing];
    private int[] _index = new int[MinimumRing * 2]; // ring position + 1; 0: empty
    private int _head; // ring position of the oldest entry
    private int _count;
    private long _nextExpiry = long.MaxValue; // UTC ticks when the oldest entry leaves the window: most calls need not look

    /// <param name="capacity">Most messages kept.</param>
    /// <param name="window">How long a message is kept; zero: none is.</param>
    /// <param name="maxBytes">Most bytes the kept messages' frames take on the wire (<see cref="FrameCodec.FrameSize"/>); 0: no byte bound.</param>
    public MessageHistory(int capacity, TimeSpan window, long maxBytes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        Capacity = capacity;
        Window = window;
        MaxBytes = maxBytes;
    }

    /// <summary>A remembered message, as it arrived or was originated (with that hop count), and when it was added.</summary>
    public readonly record struct Entry(Protocol.Gossip Message, DateTimeOffset At);

    /// <summary>One entry as held.</summary>
    private struct Slot
    {
        public Protocol.Gossip Message;
        public long AddedAt; // UTC ticks
        public int Bytes; // its frame's size on the wire
    }

    public int Capacity { get; }

    public TimeSpan Window { get; }

    /// <summary>Most wire bytes of messages kept; 0: bounded by <see cref="Capacity"/> only.</summary>
    public long MaxBytes { get; }

    /// <summary>False when the window is zero: nothing is kept.</summary>
    public bool Enabled => Window > TimeSpan.Zero && Capacity > 0;

    public int Count => _count;

    /// <summary>Wire bytes of the messages held (their frames, length prefix included).</summary>
    public long Bytes { get; private set; }

    /// <summary>
    /// Remembers <paramref name="message"/>, first seen at <paramref name="now"/> (times must not go
    /// backwards), under its id. False when it is already held, when its frame alone is larger than
    /// <see cref="MaxBytes"/>, or when the history is off.
    /// </summary>
    public bool Add(Protocol.Gossip message, DateTimeOffset now)
    {
        if (!Enabled)
        {
            return false;
        }
        Expire(now);
        var id = message.Id;
        if (Find(id) >= 0)
        {
            return false;
        }
        var bytes = FrameCodec.FrameSize(message);
        if (MaxBytes > 0 && bytes > MaxBytes)
        {
            return false;
        }
        // Room first (the oldest go), so a ring of the capacity is never outgrown.
        while (_count > 0 && (_count >= Capacity || (MaxBytes > 0 && Bytes + bytes > MaxBytes)))
        {
            RemoveOldest();
        }
        if (_count == _ring.Length)
        {
            Resize(_ring.Length * 2);
        }
        var position = (_head + _count) & (_ring.Length - 1);
        _ring[position] = new Slot { Message = message, AddedAt = now.UtcTicks, Bytes = bytes };
        Insert(position);
        _count++;
        Bytes += bytes;
        NoteHead();
        return true;
    }

    public bool TryGet(MessageId id, out Entry entry)
    {
        var slot = Find(id);
        if (slot < 0)
        {
            entry = default;
            return false;
        }
        ref var held = ref _ring[_index[slot] - 1];
        entry = new Entry(held.Message, new DateTimeOffset(held.AddedAt, TimeSpan.Zero));
        return true;
    }

    /// <summary>Drops every entry added <see cref="Window"/> or longer before <paramref name="now"/>.</summary>
    public void Expire(DateTimeOffset now)
    {
        if (now.UtcTicks < _nextExpiry)
        {
            return;
        }
        while (_count > 0 && now.UtcTicks - _ring[_head].AddedAt >= Window.Ticks)
        {
            RemoveOldest();
        }
        var length = _ring.Length; // halved while a quarter full, at once to the size that fits
        while (_count < length / 4 && length > MinimumRing)
        {
            length /= 2;
        }
        if (length != _ring.Length)
        {
            Resize(length);
        }
        NoteHead();
    }

    private void NoteHead() =>
        _nextExpiry = _count > 0 ? Saturating.Add(_ring[_head].AddedAt, Window.Ticks) : long.MaxValue;

    /// <summary>The ids held at <paramref name="now"/>, oldest first; at most the newest <paramref name="max"/> of them.</summary>
    public MessageId[] RecentIds(DateTimeOffset now, int max)
    {
        Expire(now);
        var take = Math.Min(_count, Math.Max(0, max));
        var ids = new MessageId[take];
        for (int i = 0, age = _count - take; i < take; i++, age++)
        {
            ids[i] = _ring[(_head + age) & (_ring.Length - 1)].Message.Id;
        }
        return ids;
    }

    private int Home(in MessageId id) => (int)id.B & (_index.Length - 1); // an id is a SHA-256: any of its words is uniform

    /// <summary>The index slot that holds <paramref name="id"/>'s ring position, or -1.</summary>
    private int Find(in MessageId id)
    {
        var mask = _index.Length - 1;
        for (var slot = Home(id); ; slot = (slot + 1) & mask)
        {
            var held = _index[slot];
            if (held == 0)
            {
                return -1;
            }
            if (_ring[held - 1].Message.Id == id)
            {
                return slot;
            }
        }
    }

    private void Insert(int position)
    {
        var mask = _index.Length - 1;
        var slot = Home(_ring[position].Message.Id);
        while (_index[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }
        _index[slot] = position + 1;
    }

    private void RemoveOldest()
    {
        var slot = Find(_ring[_head].Message.Id);
        Bytes -= _ring[_head].Bytes;
        _ring[_head] = default; // the message is no longer held here
        _head = (_head + 1) & (_ring.Length - 1);
        _count--;
        // Backward shift: later entries of the same probe run move up, so a lookup never stops at a hole before them.
        var mask = _index.Length - 1;
        var hole = slot;
        for (var next = (hole + 1) & mask; _index[next] != 0; next = (next + 1) & mask)
        {
            var home = Home(_ring[_index[next] - 1].Message.Id);
            // The entry at 'next' may fill the hole when its home is not in the cyclic range (hole, next].
            if (((next - home) & mask) >= ((next - hole) & mask))
            {
                _index[hole] = _index[next];
                hole = next;
            }
        }
        _index[hole] = 0;
    }

    /// <summary>Moves the entries, oldest first, to a ring of <paramref name="length"/> (a power of two) and rebuilds the index at twice that.</summary>
    private void Resize(int length)
    {
        var ring = new Slot[length];
        for (var i = 0; i < _count; i++)
        {
            ring[i] = _ring[(_head + i) & (_ring.Length - 1)];
        }
        _ring = ring;
        _head = 0;
        _index = new int[length * 2];
        for (var i = 0; i < _count; i++)
        {
            Insert(i);
        }
    }
}
