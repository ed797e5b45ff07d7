using P2PSim.Protocol;

namespace P2PSim.Gossip;

/// <summary>
/// The Message List: every gossip message a peer has seen, by hash, with when and from whom
/// it first arrived. Bounded two ways: entries expire after <c>timeToLive</c>, and at
/// <c>capacity</c> the oldest entry is evicted to make room. Pure: time is passed in.
/// </summary>
/// <remarks>
/// Laid out for a peer that holds tens of thousands of entries (a 1,000-peer classic run: 10,000 each) in a process
/// of a thousand peers: the entries sit in arrival order in one ring of 48-byte records holding no references (so the
/// garbage collector never scans them), and an open-addressing index of ring positions finds them (linear probing,
/// deletion by backward shift). Senders are kept as a small number into a per-list table of the endpoints seen. About
/// 70 bytes an entry, where a dictionary with an expiry queue took about 170. Both arrays grow by doubling and shrink
/// by half when a quarter full.
/// </remarks>
public sealed class MessageList
{
    private const int MinimumRing = 16;
    private const ushort NoSender = 0;

    private readonly int _capacity;
    private readonly TimeSpan _timeToLive;
    private Record[] _ring = new Record[MinimumRing];
    private int[] _index = new int[MinimumRing * 2]; // ring position + 1; 0: empty
    private int _head; // ring position of the oldest entry
    private int _count;
    private long _nextExpiry = long.MaxValue; // UTC ticks when the oldest entry expires: most calls need not look at the ring
    private readonly List<NodeEndpoint> _senders = [];
    private readonly Dictionary<NodeEndpoint, ushort> _senderNumbers = [];

    public MessageList(int capacity, TimeSpan timeToLive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _timeToLive = timeToLive;
    }

    /// <summary>When and from whom a message first arrived (null sender: originated here).</summary>
    public readonly record struct Entry(DateTimeOffset FirstSeen, NodeEndpoint? From);

    /// <summary>One entry as held: no references. <see cref="KeepFromDelta"/>: ticks from the first sighting to the moment the time to live counts from.</summary>
    private struct Record
    {
        public MessageId Id;
        public long FirstSeen;
        public int KeepFromDelta;
        public ushort From;
    }

    public int Count => _count;

    public int Capacity => _capacity;

    /// <summary>How long an entry is kept after its first receipt.</summary>
    public TimeSpan Ttl => _timeToLive;

    /// <summary>Entries dropped because the list was full before they expired.</summary>
    public long Evicted { get; private set; }

    public bool Contains(MessageId id) => Find(id) >= 0;

    public bool TryGet(MessageId id, out Entry entry)
    {
        var slot = Find(id);
        if (slot < 0)
        {
            entry = default;
            return false;
        }
        ref var record = ref _ring[_index[slot] - 1];
        entry = new Entry(new DateTimeOffset(record.FirstSeen, TimeSpan.Zero), record.From == NoSender ? null : _senders[record.From - 1]);
        return true;
    }

    /// <summary>Records a first sighting; false when the message was already in the list.</summary>
    /// <param name="createdAt">
    /// When the message says it was created, if later than <paramref name="now"/> (a clock a little ahead): the entry is
    /// then kept for the time to live from that moment, so it outlives every copy young enough to be accepted.
    /// </param>
    public bool TryAdd(MessageId id, DateTimeOffset now, NodeEndpoint? from, DateTimeOffset? createdAt = null)
    {
        Expire(now);
        if (Find(id) >= 0)
        {
            return false;
        }
        if (_count == _ring.Length)
        {
            Resize(_ring.Length * 2);
        }
        var position = (_head + _count) & (_ring.Length - 1);
        // An entry kept from a later moment may stand behind earlier ones in the ring: they then stay a little longer
        // (at most the clock skew a message may have), never shorter.
        var delta = createdAt is { } created && created > now ? Math.Min(int.MaxValue, (created - now).Ticks) : 0;
        _ring[position] = new Record { Id = id, FirstSeen = now.UtcTicks, KeepFromDelta = (int)delta, From = SenderNumber(from) };
        Insert(position);
        _count++;
        while (_count > _capacity)
        {
            RemoveOldest();
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
        while (_count > 0 && now.UtcTicks - KeepFrom(in _ring[_head]) >= _timeToLive.Ticks)
        {
            RemoveOldest();
        }
        if (_count < _ring.Length / 4 && _ring.Length > MinimumRing)
        {
            Resize(_ring.Length / 2);
        }
        NoteHead();
    }

    private static long KeepFrom(in Record record) => record.FirstSeen + record.KeepFromDelta;

    private void NoteHead() =>
        _nextExpiry = _count > 0 ? Saturating.Add(KeepFrom(in _ring[_head]), _timeToLive.Ticks) : long.MaxValue;

    /// <summary>The sender's number in this list's table of senders; <see cref="NoSender"/> for none (or past 65,535 of them).</summary>
    private ushort SenderNumber(NodeEndpoint? from)
    {
        if (from is not { } sender)
        {
            return NoSender;
        }
        if (_senderNumbers.TryGetValue(sender, out var number))
        {
            return number;
        }
        if (_senders.Count == ushort.MaxValue)
        {
            return NoSender;
        }
        _senders.Add(sender);
        number = (ushort)_senders.Count;
        _senderNumbers.Add(sender, number);
        return number;
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
            if (_ring[held - 1].Id == id)
            {
                return slot;
            }
        }
    }

    private void Insert(int position)
    {
        var mask = _index.Length - 1;
        var slot = Home(in _ring[position].Id);
        while (_index[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }
        _index[slot] = position + 1;
    }

    private void RemoveOldest()
    {
        var slot = Find(in _ring[_head].Id);
        _ring[_head] = default;
        _head = (_head + 1) & (_ring.Length - 1);
        _count--;
        // Backward shift: later entries of the same probe run move up, so a lookup never stops at a hole before them.
        var mask = _index.Length - 1;
        var hole = slot;
        for (var next = (hole + 1) & mask; _index[next] != 0; next = (next + 1) & mask)
        {
            var home = Home(in _ring[_index[next] - 1].Id);
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
        var ring = new Record[length];
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
