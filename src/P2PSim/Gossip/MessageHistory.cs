using P2PSim.Protocol;

namespace P2PSim.Gossip;

/// <summary>
/// The gossip messages a peer received or originated recently, by id: what it hands a neighbour
/// that missed them (catch-up: <c>Digest</c> / <c>Want</c>, see PROTOCOL.md). Each is kept whole
/// (envelope, payload and signature), as the object that arrived or was originated (in the simulator, peers that got
/// a message from the same sender share it), or as its frame (see the remarks).
/// Bounded three ways: an entry is kept for <c>window</c> after it was added; beyond <c>capacity</c>
/// entries, or beyond <c>maxBytes</c> of their frames' wire size (0: no byte bound), the oldest are dropped.
/// A message whose frame alone is larger than <c>maxBytes</c> is not kept at all: it would push out every other.
/// A zero window keeps nothing (catch-up off). Pure: time is passed in.
/// </summary>
/// <remarks>
/// <para>
/// The entries sit in arrival order in one ring of 32-byte slots (the message, when it was added, its frame's size, its holders)
/// found through an open-addressing index of ring positions (linear probing, deletion by backward shift): nothing is
/// allocated per entry. Both grow by doubling and shrink by half when a quarter full.
/// </para>
/// <para>
/// With <c>keepFrames</c> (a peer on real sockets, which decoded its own copy of every message) each entry keeps the
/// message's frame instead of the decoded object, and its id beside it: about 430 bytes of heap for a message of the
/// demo's size where the decoded object with its signature and attestations takes about 1,000, and the object is left to
/// the collector young. A message asked for (<see cref="TryGet"/>: a graft, a catch-up) is decoded again. The simulator
/// keeps the object, which every peer that received the message shares.
/// </para>
/// <para>
/// Which message goes first when the bytes run out: each entry carries the links (<see cref="Links"/>, one bit each) known
/// to hold it: the one it came from, those it was pushed to, those that announced it (<see cref="MarkHeld"/>). One that a
/// current link may still lack is <em>pinned</em>: a neighbour on a tree may graft it. The byte bound drops the oldest
/// entry that no link needs among the oldest <see cref="MaxPassedOver"/> + 1 (the older, pinned ones move up a place, so
/// the ring stays in the order of adding and the window takes each in turn); when all of those are pinned, the oldest
/// goes anyway: the bound holds.
/// On a flood every link holds every message (it was pushed to all), so the oldest always goes first.
/// </para>
/// </remarks>
public sealed class MessageHistory
{
    private const int MinimumRing = 16;

    private Slot[] _ring = new Slot[MinimumRing];
    private MessageId[]? _ids; // keepFrames: the id of the message in the same ring position
    private int[] _index = new int[MinimumRing * 2]; // ring position + 1; 0: empty
    private int _head; // ring position of the oldest entry
    private int _count;
    private long _nextExpiry = long.MaxValue; // UTC ticks when the oldest entry leaves the window: most calls need not look

    /// <param name="capacity">Most messages kept.</param>
    /// <param name="window">How long a message is kept; zero: none is.</param>
    /// <param name="maxBytes">Most bytes the kept messages' frames take on the wire (<see cref="FrameCodec.FrameSize"/>); 0: no byte bound.</param>
    /// <param name="keepFrames">Keep each message as its frame (see the remarks); false: as the object added.</param>
    public MessageHistory(int capacity, TimeSpan window, long maxBytes = 0, bool keepFrames = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        Capacity = capacity;
        Window = window;
        MaxBytes = maxBytes;
        _ids = keepFrames ? new MessageId[MinimumRing] : null;
    }

    /// <summary>A remembered message, as it arrived or was originated (with that hop count), and when it was added.</summary>
    public readonly record struct Entry(Protocol.Gossip Message, DateTimeOffset At);

    /// <summary>One entry as held.</summary>
    private struct Slot
    {
        public object Message; // the Gossip, or with keepFrames its frame (a byte[])
        public long AddedAt; // UTC ticks
        public int Bytes; // its frame's size on the wire
        public ulong Holders; // the links (bits of Links) known to hold it
    }

    /// <summary>Pinned entries the byte bound passes over to find one no link needs, at most (see the remarks).</summary>
    public const int MaxPassedOver = 64;

    /// <summary>The current links, a bit each (<see cref="MarkHeld"/>); a message some of them may lack is pinned. 0: none pinned.</summary>
    public ulong Links { get; set; }

    public int Capacity { get; }

    public TimeSpan Window { get; }

    /// <summary>Most wire bytes of messages kept; 0: bounded by <see cref="Capacity"/> only.</summary>
    public long MaxBytes { get; }

    /// <summary>True when entries are kept as frames (see the remarks).</summary>
    public bool KeepsFrames => _ids is not null;

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
    /// <param name="holders">The links known to hold it (see the remarks); by default all: never pinned.</param>
    public bool Add(Protocol.Gossip message, DateTimeOffset now, ulong holders = ulong.MaxValue)
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
        // Room first (the oldest go; for the bytes the oldest that no link needs), so a ring of the capacity is never outgrown.
        while (_count > 0 && (_count >= Capacity || (MaxBytes > 0 && Bytes + bytes > MaxBytes)))
        {
            var unneeded = _count < Capacity ? OldestUnpinned() : 0;
            if (unneeded > 0)
            {
                RemoveAt(unneeded);
            }
            else
            {
                RemoveOldest();
            }
        }
        if (_count == _ring.Length)
        {
            Resize(_ring.Length * 2);
        }
        var position = (_head + _count) & (_ring.Length - 1);
        _ring[position] = new Slot { Message = _ids is null ? message : FrameCodec.Encode(message), AddedAt = now.UtcTicks, Bytes = bytes, Holders = holders };
        if (_ids is not null)
        {
            _ids[position] = id;
        }
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
        entry = new Entry(held.Message as Protocol.Gossip ?? Decode((byte[])held.Message), new DateTimeOffset(held.AddedAt, TimeSpan.Zero));
        return true;
    }

    /// <summary>The links <paramref name="links"/> hold the message <paramref name="id"/>, if it is kept (see the remarks).</summary>
    public void MarkHeld(MessageId id, ulong links)
    {
        var slot = Find(id);
        if (slot >= 0)
        {
            _ring[_index[slot] - 1].Holders |= links;
        }
    }

    /// <summary>The links <paramref name="links"/> are gone: their bits, given to new links, say nothing of what those hold.</summary>
    public void ForgetHolders(ulong links)
    {
        for (var i = 0; i < _count; i++)
        {
            _ring[(_head + i) & (_ring.Length - 1)].Holders &= ~links;
        }
    }

    /// <summary>A kept frame as a message again: it was encoded here from one, so it decodes.</summary>
    private static Protocol.Gossip Decode(byte[] frame) =>
        FrameCodec.TryRead(frame, int.MaxValue, out var message, out _, out var error) == DecodeStatus.Complete && message is Protocol.Gossip gossip
            ? gossip
            : throw new InvalidOperationException($"A kept gossip frame does not decode: {error}");

    /// <summary>The id of the message at ring <paramref name="position"/>.</summary>
    private MessageId IdAt(int position) => _ids is null ? ((Protocol.Gossip)_ring[position].Message).Id : _ids[position];

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
            ids[i] = IdAt((_head + age) & (_ring.Length - 1));
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
            if (IdAt(held - 1) == id)
            {
                return slot;
            }
        }
    }

    private void Insert(int position)
    {
        var mask = _index.Length - 1;
        var slot = Home(IdAt(position));
        while (_index[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }
        _index[slot] = position + 1;
    }

    /// <summary>
    /// How many entries from the oldest the oldest one no current link may lack is (0: the oldest itself, or none is
    /// pinned, or every entry of the first <see cref="MaxPassedOver"/> is pinned: then the oldest goes anyway).
    /// </summary>
    private int OldestUnpinned()
    {
        var look = Math.Min(_count, MaxPassedOver + 1);
        for (var age = 0; age < look; age++)
        {
            if ((Links & ~_ring[(_head + age) & (_ring.Length - 1)].Holders) == 0)
            {
                return age;
            }
        }
        return 0;
    }

    /// <summary>
    /// Drops the entry <paramref name="age"/> places after the oldest; the older ones move up a place, so the ring stays in
    /// the order the entries were added (their index slots follow them).
    /// </summary>
    private void RemoveAt(int age)
    {
        var mask = _ring.Length - 1;
        var position = (_head + age) & mask;
        Unindex(Find(IdAt(position)));
        Bytes -= _ring[position].Bytes;
        for (var to = position; to != _head; to = (to - 1) & mask)
        {
            var from = (to - 1) & mask;
            var slot = Find(IdAt(from)); // still found at 'from': nothing has moved over it yet
            _ring[to] = _ring[from];
            if (_ids is not null)
            {
                _ids[to] = _ids[from];
            }
            _index[slot] = to + 1;
        }
        _ring[_head] = default;
        _head = (_head + 1) & mask;
        _count--;
    }

    private void RemoveOldest()
    {
        var slot = Find(IdAt(_head));
        Bytes -= _ring[_head].Bytes;
        _ring[_head] = default; // the message is no longer held here
        _head = (_head + 1) & (_ring.Length - 1);
        _count--;
        Unindex(slot);
    }

    /// <summary>Empties index slot <paramref name="slot"/>.</summary>
    private void Unindex(int slot)
    {
        // Backward shift: later entries of the same probe run move up, so a lookup never stops at a hole before them.
        var mask = _index.Length - 1;
        var hole = slot;
        for (var next = (hole + 1) & mask; _index[next] != 0; next = (next + 1) & mask)
        {
            var home = Home(IdAt(_index[next] - 1));
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
        var ids = _ids is null ? null : new MessageId[length];
        for (var i = 0; i < _count; i++)
        {
            var from = (_head + i) & (_ring.Length - 1);
            ring[i] = _ring[from];
            if (ids is not null)
            {
                ids[i] = _ids![from];
            }
        }
        _ring = ring;
        _ids = ids;
        _head = 0;
        _index = new int[length * 2];
        for (var i = 0; i < _count; i++)
        {
            Insert(i);
        }
    }
}
