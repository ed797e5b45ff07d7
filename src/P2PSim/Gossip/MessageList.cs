using System.Numerics;
using System.Security.Cryptography;
using P2PSim.Protocol;

namespace P2PSim.Gossip;

/// <summary>
/// The Message List: every gossip message a peer has seen, by hash, and for the recent ones the neighbour it first came
/// from. Bounded two ways: an entry lives at least <c>timeToLive</c> after its first receipt and at most one epoch
/// (<c>timeToLive</c>/8) longer, and at <c>capacity</c> the oldest entries are evicted to make room. Pure: time is
/// passed in.
/// </summary>
/// <remarks>
/// <para>
/// Laid out for a peer that holds tens of thousands of entries (a 1,000-peer classic run: 10,000 each) in a process of a
/// thousand peers: about 10-11 bytes an id. The entries are kept in generations of one epoch each (an eighth of the
/// time to live) holding bare 64-bit fingerprints and no references (the garbage collector never scans them). The
/// newest generation, the one being filled, is an open-addressing table (linear probing, no deletions: a generation
/// goes whole); when its epoch is over it is sealed: sorted into an array of exactly its size with a bucket index of
/// one 32-bit start per 16 fingerprints (8.25 bytes an id). A generation is dropped whole when its newest entry has
/// lived the time to live, so an entry lives between the time to live and the time to live plus an epoch (more when a
/// message of its generation was stamped ahead of this clock: by as much, see <see cref="TryAdd"/>). A lookup probes the filling table and
/// the bucket of each sealed generation (at most nine or ten with the time to live kept by the clock).
/// </para>
/// <para>
/// The sender of a first receipt is needed only for a duplicate that comes a little later (a spanning tree prunes the
/// grafted link the first copy came on), so it is kept, as a 16-bit number into a per-list table of the endpoints seen,
/// only in the filling generation and the one sealed last: for an epoch at least (75 s with the defaults), unless the
/// capacity forces generations out sooner. When a message was first seen is kept by no one: nothing asks.
/// </para>
/// <para>
/// The fingerprint is SipHash-2-4 of the id under a 128-bit key of this list's own, drawn from the operating system's
/// cryptographic generator when the list is made. Two ids with one fingerprint are one message to this list: a
/// genuinely new message would be taken for a duplicate and not delivered or forwarded by this peer (its neighbours
/// still get it by other paths, and catch-up offers it again). Among n ids held at once that happens with probability
/// about n^2/2^65 (10,000 ids: 3 in 10^12), by chance only: nobody can aim at it. The ids are SHA-256 outputs an
/// outsider cannot steer, the key is secret and differs per list and per peer, so an outsider cannot tell which ids
/// collide, nor make ids that pile up in one part of a table (SipHash is a pseudo-random function: without the key
/// its outputs are unpredictable). The key is not drawn from the node's seeded generator on purpose: that would make it
/// known to anyone who knows the run's seed, and shift every later draw of the node (the simulator's runs would
/// change). It changes no outcome but a collision, so runs stay reproducible. (A fingerprint of 0 is held as 1: the
/// filling table's mark for an empty slot; one more collision in 2^64.)
/// </para>
/// </remarks>
public sealed class MessageList
{
    /// <summary>Generations a time to live spans: an entry outlives its time to live by at most one of them.</summary>
    internal const int Epochs = 8;

    private const int MinimumTable = 16;
    private const int PerBucket = 16;
    private const ushort NoSender = 0;

    private readonly int _capacity;
    private readonly TimeSpan _timeToLive;
    private readonly long _epochTicks;
    private readonly int _generationCapacity;
    private readonly ulong _key0;
    private readonly ulong _key1;

    /// <summary>Sealed generations, oldest first.</summary>
    private readonly List<Sealed> _sealed = [];
    private ulong[] _table = new ulong[MinimumTable]; // the filling generation: fingerprints, 0 for an empty slot
    private ushort[] _tableSenders = new ushort[MinimumTable];
    private int _tableCount;
    private long _tableStart; // UTC ticks of the filling generation's first entry
    private long _tableKeepFrom = long.MinValue; // UTC ticks the time to live of its newest entry counts from
    private int _count;
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
        _epochTicks = Math.Max(1, timeToLive.Ticks / Epochs);
        _generationCapacity = Math.Max(1, capacity / Epochs);
        (_key0, _key1) = key;
    }

    /// <summary>A generation whose epoch is over: its fingerprints sorted, found through a bucket index.</summary>
    private sealed class Sealed(ulong[] fingerprints, ushort[] senders, long keepFrom)
    {
        public ulong[] Fingerprints { get; } = fingerprints;

        /// <summary>The first senders, by position; null once a later generation is sealed.</summary>
        public ushort[]? Senders { get; set; } = senders;

        /// <summary>UTC ticks the time to live of its newest entry counts from.</summary>
        public long KeepFrom { get; } = keepFrom;

        /// <summary>Where each bucket's fingerprints start, and at the end the count.</summary>
        public int[] Starts { get; } = BucketStarts(fingerprints);

        public int Count => Fingerprints.Length;

        public long HeldBytes => Fingerprints.Length * sizeof(ulong) + (Senders?.Length ?? 0) * sizeof(ushort) + Starts.Length * sizeof(int);

        /// <summary>The position of <paramref name="fingerprint"/>, or -1.</summary>
        public int Find(ulong fingerprint)
        {
            var bucket = Home(fingerprint, Starts.Length - 1);
            var end = Starts[bucket + 1];
            for (var i = Starts[bucket]; i < end; i++)
            {
                var held = Fingerprints[i];
                if (held >= fingerprint)
                {
                    return held == fingerprint ? i : -1;
                }
            }
            return -1;
        }

        private static int[] BucketStarts(ulong[] sorted)
        {
            var buckets = Math.Max(1, sorted.Length / PerBucket);
            var starts = new int[buckets + 1];
            var next = 0;
            for (var i = 0; i < sorted.Length; i++)
            {
                for (var home = Home(sorted[i], buckets); next <= home; next++)
                {
                    starts[next] = i;
                }
            }
            for (; next <= buckets; next++)
            {
                starts[next] = sorted.Length;
            }
            return starts;
        }
    }

    public int Count => _count;

    public int Capacity => _capacity;

    /// <summary>How long an entry is kept after its first receipt, at least.</summary>
    public TimeSpan Ttl => _timeToLive;

    /// <summary>Entries dropped because the list was full before they expired.</summary>
    public long Evicted { get; private set; }

    /// <summary>Bytes of the fingerprint tables, the senders kept and the bucket indexes: what the list holds in memory beyond its table of senders.</summary>
    internal long HeldBytes => _table.Length * (long)(sizeof(ulong) + sizeof(ushort)) + _sealed.Sum(g => g.HeldBytes);

    public bool Contains(MessageId id) => Contains(Held(Fingerprint(id)));

    /// <summary>
    /// The neighbour <paramref name="id"/> first came from (null: originated here), while it is known: for an epoch
    /// after the first receipt at least. False when the message is not in the list or its sender is no longer kept.
    /// </summary>
    public bool TryGetSender(MessageId id, out NodeEndpoint? from)
    {
        from = null;
        var fingerprint = Held(Fingerprint(id));
        var slot = FindInTable(fingerprint);
        ushort number;
        if (slot >= 0)
        {
            number = _tableSenders[slot];
        }
        else
        {
            var g = _sealed.Count - 1;
            var position = -1;
            while (g >= 0 && (position = _sealed[g].Find(fingerprint)) < 0)
            {
                g--;
            }
            if (g < 0 || _sealed[g].Senders is not { } senders)
            {
                return false;
            }
            number = senders[position];
        }
        from = number == NoSender ? null : _senders[number - 1];
        return true;
    }

    /// <summary>Records a first sighting; false when the message was already in the list.</summary>
    /// <param name="createdAt">
    /// When the message says it was created, if later than <paramref name="now"/> (a clock a little ahead): the entry is
    /// then kept for the time to live from that moment, so it outlives every copy young enough to be accepted (its
    /// whole generation is kept that much longer).
    /// </param>
    public bool TryAdd(MessageId id, DateTimeOffset now, NodeEndpoint? from, DateTimeOffset? createdAt = null)
    {
        Expire(now);
        var fingerprint = Held(Fingerprint(id));
        if (Contains(fingerprint))
        {
            return false;
        }
        var ticks = now.UtcTicks;
        // A new generation when the epoch is over, when the filling one holds its share of the capacity, or when the
        // clock went back (its entries must not be kept from a moment before they came).
        if (_tableCount > 0 && (ticks - _tableStart >= _epochTicks || ticks < _tableStart || _tableCount >= _generationCapacity))
        {
            Seal();
        }
        if (_tableCount == 0)
        {
            _tableStart = ticks;
        }
        if ((_tableCount + 1) * 4L > _table.Length * 3L)
        {
            Rehash(_table.Length + _table.Length / 2);
        }
        var slot = Home(fingerprint, _table.Length);
        while (_table[slot] != 0)
        {
            slot = slot + 1 == _table.Length ? 0 : slot + 1;
        }
        _table[slot] = fingerprint;
        _tableSenders[slot] = SenderNumber(from);
        _tableCount++;
        _count++;
        var keepFrom = createdAt is { } created && created.UtcTicks > ticks ? created.UtcTicks : ticks;
        _tableKeepFrom = Math.Max(_tableKeepFrom, keepFrom);
        while (_count > _capacity)
        {
            // The filling generation holds at most capacity/8: sealed ones hold the rest.
            Evicted += _sealed[0].Count;
            _count -= _sealed[0].Count;
            _sealed.RemoveAt(0);
        }
        return true;
    }

    /// <summary>Removes every generation whose newest entry has lived the time to live; seals the filling one when its epoch is over.</summary>
    public void Expire(DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        if (_tableCount > 0 && ticks - _tableStart >= _epochTicks)
        {
            Seal(); // a quiet list holds its last entries sorted too, not in a table a third empty
        }
        if (_tableCount > 0 && ticks - _tableKeepFrom >= _timeToLive.Ticks)
        {
            _count -= _tableCount;
            ResetTable(MinimumTable);
        }
        for (var g = _sealed.Count - 1; g >= 0; g--)
        {
            if (ticks - _sealed[g].KeepFrom >= _timeToLive.Ticks)
            {
                _count -= _sealed[g].Count;
                _sealed.RemoveAt(g);
            }
        }
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

    /// <summary>The fingerprint as held: 0 marks an empty slot of the filling table, so it is held as 1.</summary>
    private static ulong Held(ulong fingerprint) => fingerprint == 0 ? 1 : fingerprint;

    /// <summary>A fingerprint's place among <paramref name="length"/>: its high 32 bits scaled (so sorted fingerprints have ascending places).</summary>
    private static int Home(ulong fingerprint, int length) => (int)(((fingerprint >> 32) * (ulong)length) >> 32);

    private bool Contains(ulong fingerprint)
    {
        if (FindInTable(fingerprint) >= 0)
        {
            return true;
        }
        for (var g = _sealed.Count - 1; g >= 0; g--)
        {
            if (_sealed[g].Find(fingerprint) >= 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The filling table's slot holding <paramref name="fingerprint"/>, or -1.</summary>
    private int FindInTable(ulong fingerprint)
    {
        if (_tableCount == 0)
        {
            return -1;
        }
        for (var slot = Home(fingerprint, _table.Length); ; slot = slot + 1 == _table.Length ? 0 : slot + 1)
        {
            var held = _table[slot];
            if (held == fingerprint)
            {
                return slot;
            }
            if (held == 0)
            {
                return -1;
            }
        }
    }

    /// <summary>
    /// Ends the filling generation: sorted into a sealed one (the senders go with it; the generation sealed before drops
    /// its own); the next one starts small and grows by half when three-quarters full.
    /// </summary>
    private void Seal()
    {
        var fingerprints = new ulong[_tableCount];
        var senders = new ushort[_tableCount];
        var n = 0;
        for (var slot = 0; slot < _table.Length; slot++)
        {
            if (_table[slot] != 0)
            {
                fingerprints[n] = _table[slot];
                senders[n++] = _tableSenders[slot];
            }
        }
        Array.Sort(fingerprints, senders);
        if (_sealed.Count > 0)
        {
            _sealed[^1].Senders = null;
        }
        _sealed.Add(new Sealed(fingerprints, senders, _tableKeepFrom));
        ResetTable(MinimumTable);
    }

    private void ResetTable(int length)
    {
        _table = new ulong[length];
        _tableSenders = new ushort[length];
        _tableCount = 0;
        _tableKeepFrom = long.MinValue;
    }

    /// <summary>The filling table moved to <paramref name="length"/> slots.</summary>
    private void Rehash(int length)
    {
        var table = _table;
        var senders = _tableSenders;
        _table = new ulong[length];
        _tableSenders = new ushort[length];
        for (var i = 0; i < table.Length; i++)
        {
            if (table[i] != 0)
            {
                var slot = Home(table[i], length);
                while (_table[slot] != 0)
                {
                    slot = slot + 1 == length ? 0 : slot + 1;
                }
                _table[slot] = table[i];
                _tableSenders[slot] = senders[i];
            }
        }
    }

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
}
