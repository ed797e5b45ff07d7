using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Gossip;

/// <summary>
/// The Message List as laid out to hold many ids in little memory: keyed 64-bit fingerprints in generations of an epoch,
/// the filling one a table, the others sorted arrays. (Its behaviour as a list of sightings: <see cref="MessageListTests"/>.)
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

    /// <summary>
    /// A peer of a 1,000-peer classic run: 10,000 ids within the time to live (one every 60 ms), for two and a half times
    /// the time to live. Counted against the ids of the last time to live (those it must hold; it may hold up to an epoch
    /// more), at every 500th id once the first generations have gone.
    /// </summary>
    [Test]
    public void A_steady_stream_of_ten_thousand_ids_a_time_to_live_takes_under_12_bytes_an_id()
    {
        var ttl = TimeSpan.FromMinutes(10);
        var list = new MessageList(100_000, ttl);
        var most = 0.0;
        var least = double.MaxValue;
        for (var n = 0; n < 25_000; n++)
        {
            var now = T0.AddMilliseconds(60 * n);
            list.TryAdd(Id(n), now, n % 2 == 0 ? Alice : Bob);
            if (n % 50 == 0)
            {
                list.Expire(now); // the node's housekeeping timer
            }
            if (n >= 12_000 && n % 500 == 0)
            {
                var perId = list.HeldBytes / 10_000.0;
                most = Math.Max(most, perId);
                least = Math.Min(least, perId);
            }
        }
        TestContext.Out.WriteLine($"bytes an id of the last time to live: {least:0.00} to {most:0.00}; {list.Count} ids held at the end, {list.HeldBytes} bytes");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(most, Is.LessThan(12));
            Assert.That(list.Count, Is.InRange(10_000, 10_000 + (10_000 / MessageList.Epochs) + 1));
            Assert.That(list.Contains(Id(15_001)) && list.Contains(Id(24_999)) && !list.Contains(Id(25_000)), Is.True);
            Assert.That(list.Contains(Id(13_000)), Is.False, "gone a time to live and an epoch later");
        }
    }

    [Test]
    public void The_tables_are_given_back_when_the_entries_expire()
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
    public void A_quiet_list_seals_its_last_epoch_on_expiry_into_arrays_of_its_size()
    {
        var ttl = TimeSpan.FromMinutes(10);
        var list = new MessageList(100_000, ttl);
        for (var n = 0; n < 10_000; n++)
        {
            list.TryAdd(Id(n), T0.AddMilliseconds(n), Alice); // a burst: one epoch
        }
        var filling = list.HeldBytes;

        list.Expire(T0 + (ttl / MessageList.Epochs));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(filling / 10_000.0, Is.GreaterThan(12), "a table grown by half, a quarter or more empty, with its senders");
            Assert.That(list.HeldBytes / 10_000.0, Is.LessThan(10.5), "sorted, with its senders (the last sealed keeps them) and bucket index");
            Assert.That(list.Contains(Id(0)) && list.Contains(Id(9_999)), Is.True);
            Assert.That(list.TryGetSender(Id(9_999), out var from) ? from : null, Is.EqualTo(Alice));
        }
    }

    [Test]
    public void Entries_added_with_the_clock_set_back_are_kept_from_their_own_time()
    {
        var ttl = TimeSpan.FromMinutes(10);
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice);
        var earlier = T0.AddSeconds(-5);

        list.TryAdd(Id(2), earlier, Bob);
        var sender = list.TryGetSender(Id(2), out var from) ? from : null;
        list.Expire(earlier + ttl);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sender, Is.EqualTo(Bob));
            Assert.That((list.Contains(Id(1)), list.Contains(Id(2))), Is.EqualTo((true, false)), "each its own generation: the later one is not kept from the earlier time");
        }
    }

    [Test]
    public void A_message_stamped_ahead_is_kept_from_its_stamp()
    {
        var ttl = TimeSpan.FromSeconds(10);
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice, createdAt: T0.AddSeconds(30));

        list.Expire(T0.AddSeconds(40) - TimeSpan.FromTicks(1));
        var keptPastItsArrival = list.Contains(Id(1));
        list.Expire(T0.AddSeconds(40));

        Assert.That((keptPastItsArrival, list.Contains(Id(1))), Is.EqualTo((true, false)));
    }
}
