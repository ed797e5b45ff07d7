using System.Numerics;
using System.Security.Cryptography;
using P2PSim.Protocol;

namespace P2PSim.Gossip;

/// <summary>
/// The Message List: every gossip message a peer has seen, by hash, with when and from whom
/// it first arrived. Bounded two ways: entries expire after <c>timeToLive</c>, and at
/// <c>capacity</c> the oldest entry is evicted to make room. Pure: time is passed in.
/// </summary>
/// <remarks>
/// <para>
/// Laid out for a peer that holds tens of thousands of entries (a 1,000-peer classic run: 10,000 each) in a process of a
/// thousand peers. The entries sit in arrival order in one ring of 16-byte records holding no references (so the
/// garbage collector never scans them): a 64-bit fingerprint of the id, the first sighting in milliseconds from a
/// per-list epoch (32 bits; moved forward, with every record, when it would overflow), the sender as a small number into
/// a per-list table of the endpoints seen, and the milliseconds by which the time to live counts from later (a message
/// stamped a little in the future). An open-addressing index of 32-bit ring positions, one and a half times the ring,
/// finds them (linear probing, deletion by backward shift). So 22 bytes a ring slot; the ring grows by a quarter and
/// shrinks by half when a quarter full, so about 22-28 bytes an id (70 before: the whole 32-byte id in a 48-byte record
/// and an index twice the ring; 170 with a dictionary and an expiry queue).
/// </para>
/// <para>
/// The fingerprint is SipHash-2-4 of the id under a 128-bit key of this list's own, drawn from the operating system's
/// cryptographic generator when the list is made. Two ids with one fingerprint are one message to this list: a
/// genuinely new message would be taken for a duplicate and not delivered or forwarded by this peer (its neighbours
/// still get it by other paths, and catch-up offers it again). Among n ids held at once that happens with probability
/// about n^2/2^65 (10,000 ids: 3 in 10^12), by chance only: nobody can aim at it. The ids are SHA-256 outputs an
/// outsider cannot steer, the key is secret and differs per list and per peer, so an outsider cannot tell which ids
/// collide, nor make ids that pile up in one part of the index (SipHash is a pseudo-random function: without the key
/// its outputs are unpredictable). The key is not drawn from the node's seeded generator on purpose: that would make it
/// known to anyone who knows the run's seed, and shift every later draw of the node (the simulator's runs would
/// change). It changes no outcome but a collision, so runs stay reproducible.
/// </para>
/// <para>
/// Times are kept to the millisecond: <see cref="Entry.FirstSeen"/> is the first sighting rounded up to a whole
/// millisecond after the list's first time (exact when times differ by whole milliseconds, as in the simulator), so an
/// entry is never dropped earlier than its time to live, at most a millisecond later.
/// </para>
/// </remarks>
public sealed class MessageList
{
    private const int MinimumRing = 16;
    private const ushort NoSender = 0;
    private const long TicksPerMs = TimeSpan.TicksPerMillisecond;

    /// <summary>Offsets from the epoch are kept within this many milliseconds (about 12 days) either way; beyond, the epoch moves.</summary>
    private const int RebaseAfterMs = 1 << 30;

    private readonly int _capacity;
    private readonly TimeSpan _timeToLive;
    private readonly ulong _key0;
    private readonly ulong _key1;
    private Record[] _ring = new Record[MinimumRing];
    private int[] _index = new int[IndexLength(MinimumRing)]; // ring position + 1; 0: empty
    private int _head; // ring position of the oldest entry
    private int _count;
    private long _epoch = long.MinValue; // UTC ticks that offset 0 stands for; set by the first add
    private long _nextExpiry = long.MaxValue; // UTC ticks when the oldest entry expires: most calls need not look at the ring
    private readonly List<NodeEndpoint> _senders = [];
    private readonly Dictionary<NodeEndpoint, ushort> _senderNumbers = [];

    public MessageList(int capacity, TimeSpan timeToLive)
        : this(capacity, timeToLive, NewKey())
    {
    }

    /// <summary>A list whose fingerprints are keyed with <paramref name="key"/> (tests; anything else uses a fresh secret key).</summary>
    internal MessageList(int capacity, TimeSpan timeToLive, (ulong K0, ulong K1) key)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _timeToLive = timeToLive;
        (_key0, _key1) = key;
    }

    /// <summary>When and from whom a message first arrived (null sender: originated here).</summary>
    public readonly record struct Entry(DateTimeOffset FirstSeen, NodeEndpoint? From);

    /// <summary>One entry as held: no references, 16 bytes.</summary>
    private struct Record
    {
        public ulong Fingerprint;
        /// <summary>The first sighting, milliseconds after <see cref="_epoch"/>.</summary>
        public int FirstSeen;
        public ushort From;
        /// <summary>Milliseconds from the first sighting to the moment the time to live counts from.</summary>
        public ushort KeepFromDelta;
    }

    public int Count => _count;

    public int Capacity => _capacity;

    /// <summary>How long an entry is kept after its first receipt.</summary>
    public TimeSpan Ttl => _timeToLive;

    /// <summary>Entries dropped because the list was full before they expired.</summary>
    public long Evicted { get; private set; }

    /// <summary>Bytes of the ring and its index: what the list holds in memory beyond its table of senders.</summary>
    internal long HeldBytes => (long)_ring.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<Record>() + (long)_index.Length * sizeof(int);

    public bool Contains(MessageId id) => Find(Fingerprint(id)) >= 0;

    public bool TryGet(MessageId id, out Entry entry)
    {
        var slot = Find(Fingerprint(id));
        if (slot < 0)
        {
            entry = default;
            return false;
        }
        ref var record = ref _ring[_index[slot] - 1];
        entry = new Entry(new DateTimeOffset(_epoch + record.FirstSeen * TicksPerMs, TimeSpan.Zero), record.From == NoSender ? null : _senders[record.From - 1]);
        return true;
    }

    /// <summary>Records a first sighting; false when the message was already in the list.</summary>
    /// <param name="createdAt">
    /// When the message says it was created, if later than <paramref name="now"/> (a clock a little ahead): the entry is
    /// then kept for the time to live from that moment (at most 65 seconds ahead: more than the clock skew a message may
    /// have), so it outlives every copy young enough to be accepted.
    /// </param>
    public bool TryAdd(MessageId id, DateTimeOffset now, NodeEndpoint? from, DateTimeOffset? createdAt = null)
    {
        Expire(now);
        var fingerprint = Fingerprint(id);
        if (Find(fingerprint) >= 0)
        {
            return false;
        }
        if (_count == _ring.Length)
        {
            // A quarter more, never past what the capacity can hold (one over it, for a moment, before the oldest goes).
            Resize(Math.Max(Math.Min(_ring.Length + _ring.Length / 4, _capacity + 1), _count + 1));
        }
        var position = RingPosition(_count);
        // An entry kept from a later moment may stand behind earlier ones in the ring: they then stay a little longer
        // (at most the clock skew a message may have), never shorter.
        var delta = createdAt is { } created && created > now ? Math.Min(ushort.MaxValue, CeilingMs((created - now).Ticks)) : 0;
        _ring[position] = new Record { Fingerprint = fingerprint, FirstSeen = Offset(now.UtcTicks), KeepFromDelta = (ushort)delta, From = SenderNumber(from) };
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
        var length = _ring.Length; // halved while a quarter full, at once to the size that fits
        while (_count < length / 4 && length > MinimumRing)
        {
            length = Math.Max(length / 2, MinimumRing);
        }
        if (length != _ring.Length)
        {
            Resize(length);
        }
        NoteHead();
    }

    /// <summary>This list's fingerprint of <paramref name="id"/>: SipHash-2-4 of its 32 bytes (the four words, little-endian) under the list's key.</summary>
    internal ulong Fingerprint(in MessageId id)
    {
        var v0 = _key0 ^ 0x736f6d6570736575UL;
        var v1 = _key1 ^ 0x646f72616e646f6dUL;
        var v2 = _key0 ^ 0x6c7967656e657261UL;
        var v3 = _key1 ^ 0x7465646279746573UL;
        Compress(ref v0, ref v1, ref v2, ref v3, id.A);
        Compress(ref v0, ref v1, ref v2, ref v3, id.B);
        Compress(ref v0, ref v1, ref v2, ref v3, id.C);
        Compress(ref v0, ref v1, ref v2, ref v3, id.D);
        Compress(ref v0, ref v1, ref v2, ref v3, (ulong)MessageId.Size << 56); // the last block: the length, no bytes left
        v2 ^= 0xff;
        for (var i = 0; i < 4; i++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private static void Compress(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3, ulong m)
    {
        v3 ^= m;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= m;
    }

    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }

    private static (ulong, ulong) NewKey()
    {
        Span<ulong> key = stackalloc ulong[2];
        RandomNumberGenerator.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(key));
        return (key[0], key[1]);
    }

    private static long CeilingMs(long ticks) => (ticks + TicksPerMs - 1) / TicksPerMs;

    /// <summary>
    /// <paramref name="utcTicks"/> as milliseconds after the epoch, rounded up; the first time sets the epoch, and one
    /// too far from it (after 12 days, or a clock set back that far) moves the epoch there, with every record.
    /// </summary>
    private int Offset(long utcTicks)
    {
        if (_epoch == long.MinValue)
        {
            _epoch = utcTicks;
        }
        var ms = utcTicks >= _epoch ? CeilingMs(utcTicks - _epoch) : -((_epoch - utcTicks) / TicksPerMs);
        if (ms is > RebaseAfterMs or < -RebaseAfterMs)
        {
            Rebase(ms);
            ms = 0;
        }
        return (int)ms;
    }

    /// <summary>Moves the epoch <paramref name="ms"/> milliseconds on; records too old for the new epoch are kept as its oldest time (they expire at once).</summary>
    private void Rebase(long ms)
    {
        for (var i = 0; i < _count; i++)
        {
            ref var record = ref _ring[RingPosition(i)];
            record.FirstSeen = (int)Math.Clamp(record.FirstSeen - ms, int.MinValue, int.MaxValue);
        }
        _epoch += ms * TicksPerMs;
    }

    private long KeepFrom(in Record record) => _epoch + ((long)record.FirstSeen + record.KeepFromDelta) * TicksPerMs;

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

    /// <summary>Index slots for a ring of <paramref name="ring"/>: half again as many, so the index is at most two-thirds full.</summary>
    private static int IndexLength(int ring) => ring + ring / 2;

    private int RingPosition(int age)
    {
        var position = _head + age;
        return position < _ring.Length ? position : position - _ring.Length;
    }

    /// <summary>A fingerprint's first index slot: its high 32 bits scaled to the index's length.</summary>
    private int Home(ulong fingerprint) => (int)(((fingerprint >> 32) * (ulong)_index.Length) >> 32);

    private int Next(int slot) => slot + 1 == _index.Length ? 0 : slot + 1;

    /// <summary>The index slot that holds the ring position of the entry with <paramref name="fingerprint"/>, or -1.</summary>
    private int Find(ulong fingerprint)
    {
        for (var slot = Home(fingerprint); ; slot = Next(slot))
        {
            var held = _index[slot];
            if (held == 0)
            {
                return -1;
            }
            if (_ring[held - 1].Fingerprint == fingerprint)
            {
                return slot;
            }
        }
    }

    private void Insert(int position)
    {
        var slot = Home(_ring[position].Fingerprint);
        while (_index[slot] != 0)
        {
            slot = Next(slot);
        }
        _index[slot] = position + 1;
    }

    /// <summary>Slots from <paramref name="from"/> forward to <paramref name="to"/>, around the end of the index.</summary>
    private int Distance(int from, int to) => to >= from ? to - from : to - from + _index.Length;

    private void RemoveOldest()
    {
        var slot = Find(_ring[_head].Fingerprint);
        _ring[_head] = default;
        _head = RingPosition(1);
        _count--;
        // Backward shift: later entries of the same probe run move up, so a lookup never stops at a hole before them.
        var hole = slot;
        for (var next = Next(hole); _index[next] != 0; next = Next(next))
        {
            var home = Home(_ring[_index[next] - 1].Fingerprint);
            // The entry at 'next' may fill the hole when its home is not in the cyclic range (hole, next].
            if (Distance(home, next) >= Distance(hole, next))
            {
                _index[hole] = _index[next];
                hole = next;
            }
        }
        _index[hole] = 0;
    }

    /// <summary>Moves the entries, oldest first, to a ring of <paramref name="length"/> and rebuilds the index for it.</summary>
    private void Resize(int length)
    {
        var ring = new Record[length];
        for (var i = 0; i < _count; i++)
        {
            ring[i] = _ring[RingPosition(i)];
        }
        _ring = ring;
        _head = 0;
        _index = new int[IndexLength(length)];
        for (var i = 0; i < _count; i++)
        {
            Insert(i);
        }
    }
}
