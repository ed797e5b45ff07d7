using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Gossip;

/// <summary>
/// The Message List as laid out to hold many ids in little memory: keyed 64-bit fingerprints, millisecond times from a
/// per-list epoch, a ring grown by a quarter. (Its behaviour as a list of sightings: <see cref="MessageListTests"/>.)
/// </summary>
public class CompactMessageListTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly NodeEndpoint Alice = NodeEndpoint.Loopback(5001);
    private static readonly NodeEndpoint Bob = NodeEndpoint.Loopback(5002);

    private static MessageId Id(int n) => TestGossip.IdOf($"1700000000000:127.0.0.1:5001:{n}");

    [Test]
    public void The_fingerprint_is_SipHash_2_4_of_the_id_as_the_reference_computes_it()
    {
        // The reference key 00 01 .. 0f over the 32 bytes 00 01 .. 1f (the id's four words, little-endian); the
        // expected value is OpenSSL 3's SIPHASH (size 8) of the same key and bytes, an implementation we did not write.
        var list = new MessageList(16, TimeSpan.FromMinutes(1), (0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL));
        var id = new MessageId(0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL, 0x1716151413121110UL, 0x1f1e1d1c1b1a1918UL);

        Assert.That(list.Fingerprint(id), Is.EqualTo(0x7127512f72f27cceUL));
    }

    [Test]
    public void Every_list_has_a_key_of_its_own()
    {
        var first = new MessageList(16, TimeSpan.FromMinutes(1));
        var second = new MessageList(16, TimeSpan.FromMinutes(1));
        var ids = Enumerable.Range(0, 4).Select(Id).ToArray();

        var firsts = ids.Select(id => first.Fingerprint(id)).ToArray();
        var again = ids.Select(id => first.Fingerprint(id)).ToArray();
        var seconds = ids.Select(id => second.Fingerprint(id)).ToArray();

        Assert.That(seconds, Is.Not.EqualTo(firsts), "an outsider who learnt one peer's fingerprints learns nothing of another's");
        Assert.That(again, Is.EqualTo(firsts), "one list, one key");
    }

    [Test]
    public void Ten_thousand_ids_take_under_28_bytes_each()
    {
        var list = new MessageList(100_000, TimeSpan.FromMinutes(10));
        for (var n = 0; n < 10_000; n++)
        {
            list.TryAdd(Id(n), T0.AddMilliseconds(5 * n), n % 2 == 0 ? Alice : Bob);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.Count, Is.EqualTo(10_000));
            Assert.That(list.HeldBytes / (double)list.Count, Is.LessThan(28), $"{list.HeldBytes} bytes in the ring and its index");
            Assert.That(list.Contains(Id(0)) && list.Contains(Id(9_999)) && !list.Contains(Id(10_000)), Is.True);
        }
    }

    [Test]
    public void The_ring_shrinks_back_when_the_entries_expire()
    {
        var ttl = TimeSpan.FromSeconds(10);
        var list = new MessageList(100_000, ttl);
        for (var n = 0; n < 5_000; n++)
        {
            list.TryAdd(Id(n), T0, Alice);
        }
        var full = list.HeldBytes;

        list.TryAdd(Id(-1), T0 + ttl, Alice); // every other entry expires; the newcomer stays
        list.Expire(T0 + ttl + ttl / 2);
        list.Expire(T0 + ttl * 3); // and then it too

        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.Count, Is.Zero);
            Assert.That(list.HeldBytes, Is.LessThan(full / 100), "the arrays are given back, not just emptied");
        }
    }

    [Test]
    public void A_first_sighting_between_milliseconds_is_kept_to_the_next_one_never_less()
    {
        var ttl = TimeSpan.FromSeconds(10);
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice); // the list's first time: its epoch
        var between = T0 + TimeSpan.FromTicks(4_000); // 0.4 ms

        list.TryAdd(Id(2), between, Bob);
        list.Expire(between + ttl);
        var keptAtItsTtl = list.Contains(Id(2));
        list.Expire(T0 + TimeSpan.FromMilliseconds(1) + ttl);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(keptAtItsTtl, Is.True, "not dropped before its time to live");
            Assert.That(list.Contains(Id(2)), Is.False, "dropped at most a millisecond after it");
            Assert.That(list.Contains(Id(1)), Is.False);
        }
    }

    [Test]
    public void Entries_outlive_a_move_of_the_epoch_with_their_times()
    {
        // Offsets are 32-bit milliseconds: after about 12 days the epoch moves, with every record.
        var ttl = TimeSpan.FromDays(20);
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice);
        var later = T0.AddDays(13);

        list.TryAdd(Id(2), later, Bob);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.TryGet(Id(1), out var first) ? first : default, Is.EqualTo(new MessageList.Entry(T0, Alice)));
            Assert.That(list.TryGet(Id(2), out var second) ? second : default, Is.EqualTo(new MessageList.Entry(later, Bob)));
        }
        list.Expire(T0 + ttl);
        Assert.That((list.Contains(Id(1)), list.Contains(Id(2))), Is.EqualTo((false, true)));
    }

    [Test]
    public void A_clock_set_back_keeps_the_times_it_gives()
    {
        var list = new MessageList(100, TimeSpan.FromMinutes(10));
        list.TryAdd(Id(1), T0, Alice);
        var earlier = T0.AddSeconds(-5);

        list.TryAdd(Id(2), earlier, Bob);

        Assert.That(list.TryGet(Id(2), out var entry) ? entry : default, Is.EqualTo(new MessageList.Entry(earlier, Bob)));
    }

    [Test]
    public void A_message_stamped_ahead_is_kept_from_its_stamp()
    {
        var ttl = TimeSpan.FromSeconds(10);
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice, createdAt: T0.AddSeconds(30));

        list.Expire(T0.AddSeconds(39));
        var keptPastItsArrival = list.Contains(Id(1));
        list.Expire(T0.AddSeconds(40));

        Assert.That((keptPastItsArrival, list.Contains(Id(1))), Is.EqualTo((true, false)));
    }
}
