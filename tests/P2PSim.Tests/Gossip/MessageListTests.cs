using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Gossip;

public class MessageListTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly NodeEndpoint Alice = NodeEndpoint.Loopback(5001);
    private static readonly NodeEndpoint Bob = NodeEndpoint.Loopback(5002);

    private static MessageId Id(int n) => TestGossip.IdOf($"1700000000000:127.0.0.1:5001:{n}");

    [Test]
    public void First_sighting_is_recorded_with_time_and_sender()
    {
        var list = new MessageList(100, TimeSpan.FromMinutes(10));

        var added = list.TryAdd(Id(1), T0, Alice);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(added, Is.True);
            Assert.That(list.Count, Is.EqualTo(1));
            Assert.That(list.Contains(Id(1)), Is.True);
            Assert.That(list.Contains(Id(2)), Is.False);
            Assert.That(list.TryGet(Id(1), out var entry), Is.True);
            Assert.That(entry, Is.EqualTo(new MessageList.Entry(T0, Alice)));
        }
    }

    [Test]
    public void Duplicate_is_rejected_and_the_first_sighting_is_kept()
    {
        var list = new MessageList(100, TimeSpan.FromMinutes(10));
        list.TryAdd(Id(1), T0, Alice);

        var again = list.TryAdd(Id(1), T0.AddSeconds(3), Bob);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again, Is.False);
            Assert.That(list.Count, Is.EqualTo(1));
            Assert.That(list.TryGet(Id(1), out var entry), Is.True);
            Assert.That(entry, Is.EqualTo(new MessageList.Entry(T0, Alice)));
            Assert.That(list.Evicted, Is.Zero);
        }
    }

    [Test]
    public void Originated_message_has_no_sender()
    {
        var list = new MessageList(100, TimeSpan.FromMinutes(10));

        list.TryAdd(Id(1), T0, null);

        Assert.That(list.TryGet(Id(1), out var entry) ? entry.From : Alice, Is.Null);
    }

    [Test]
    public void Entry_is_kept_until_its_time_to_live_and_removed_at_it()
    {
        var ttl = TimeSpan.FromSeconds(10);
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice);

        list.Expire(T0 + ttl - TimeSpan.FromMilliseconds(1));
        var containedJustBefore = list.Contains(Id(1));
        list.Expire(T0 + ttl);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(containedJustBefore, Is.True);
            Assert.That(list.Contains(Id(1)), Is.False);
            Assert.That(list.Count, Is.Zero);
            Assert.That(list.Evicted, Is.Zero, "expiry is not eviction");
        }
    }

    [Test]
    public void Expired_message_is_accepted_again()
    {
        var ttl = TimeSpan.FromSeconds(10);
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice);

        var beforeExpiry = list.TryAdd(Id(1), T0 + TimeSpan.FromSeconds(9), Bob);
        var afterExpiry = list.TryAdd(Id(1), T0 + TimeSpan.FromSeconds(11), Bob);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(beforeExpiry, Is.False);
            Assert.That(afterExpiry, Is.True);
            Assert.That(list.TryGet(Id(1), out var entry), Is.True);
            Assert.That(entry, Is.EqualTo(new MessageList.Entry(T0 + TimeSpan.FromSeconds(11), Bob)));
        }
    }

    [Test]
    public void Adding_expires_only_the_entries_past_their_time_to_live()
    {
        var list = new MessageList(100, TimeSpan.FromSeconds(10));
        list.TryAdd(Id(1), T0, Alice);
        list.TryAdd(Id(2), T0.AddSeconds(5), Alice);

        list.TryAdd(Id(3), T0.AddSeconds(12), Alice);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.Contains(Id(1)), Is.False);
            Assert.That(list.Contains(Id(2)), Is.True);
            Assert.That(list.Contains(Id(3)), Is.True);
            Assert.That(list.Count, Is.EqualTo(2));
        }
    }

    [Test]
    public void At_capacity_the_oldest_entry_is_evicted_and_counted()
    {
        var list = new MessageList(3, TimeSpan.FromMinutes(10));
        for (var i = 1; i <= 5; i++)
        {
            list.TryAdd(Id(i), T0.AddSeconds(i), Alice);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.Capacity, Is.EqualTo(3));
            Assert.That(list.Count, Is.EqualTo(3));
            Assert.That(list.Evicted, Is.EqualTo(2));
            Assert.That(Enumerable.Range(1, 5).Where(i => list.Contains(Id(i))), Is.EqualTo(Enumerable.Range(3, 3)));
        }
    }

    [Test]
    public void Rejected_duplicates_do_not_evict()
    {
        var list = new MessageList(2, TimeSpan.FromMinutes(10));
        list.TryAdd(Id(1), T0, Alice);
        list.TryAdd(Id(2), T0, Alice);

        list.TryAdd(Id(2), T0, Bob);
        list.TryAdd(Id(1), T0, Bob);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.Count, Is.EqualTo(2));
            Assert.That(list.Evicted, Is.Zero);
            Assert.That(list.Contains(Id(1)) && list.Contains(Id(2)), Is.True);
        }
    }

    [Test]
    public void Count_never_exceeds_capacity_across_ten_thousand_inserts()
    {
        const int capacity = 100;
        var list = new MessageList(capacity, TimeSpan.FromDays(1));
        var maxSeen = 0;

        for (var i = 0; i < 10_000; i++)
        {
            Assert.That(list.TryAdd(Id(i), T0.AddMilliseconds(i), Alice), Is.True, $"insert {i}");
            maxSeen = Math.Max(maxSeen, list.Count);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(maxSeen, Is.EqualTo(capacity));
            Assert.That(list.Count, Is.EqualTo(capacity));
            Assert.That(list.Evicted, Is.EqualTo(10_000 - capacity));
            Assert.That(list.Contains(Id(9_999)), Is.True);
            Assert.That(list.Contains(Id(10_000 - capacity)), Is.True);
            Assert.That(list.Contains(Id(10_000 - capacity - 1)), Is.False);
        }
    }

    /// <summary>
    /// The list against a plain model (a dictionary and a FIFO of arrivals, what it used to be) over a long random run:
    /// duplicates, clocks ahead, expiry, eviction at capacity, the ring and its index growing and shrinking. Any slip in
    /// the open-addressing index (a probe run cut by a deletion) shows as an id the model holds and the list lost.
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Agrees_with_a_plain_model_over_a_random_run(int seed)
    {
        var random = new Random(seed);
        var ttl = TimeSpan.FromSeconds(30);
        const int capacity = 700;
        var list = new MessageList(capacity, ttl);
        var model = new Dictionary<MessageId, MessageList.Entry>();
        var arrivals = new Queue<(MessageId Id, DateTimeOffset KeepFrom)>();
        long evicted = 0;
        var senders = Enumerable.Range(0, 12).Select(i => (NodeEndpoint?)NodeEndpoint.Loopback(6000 + i)).Append(null).ToArray();
        var now = T0;

        for (var step = 0; step < 60_000; step++)
        {
            // Bursts and lulls, so the ring grows, fills to capacity, drains by expiry and shrinks again.
            now += TimeSpan.FromMilliseconds(step / 5_000 % 2 == 0 ? random.Next(0, 10) : random.Next(0, 400));
            var id = Id(random.Next(0, 3_000));
            var from = senders[random.Next(senders.Length)];
            DateTimeOffset? created = random.Next(10) == 0 ? now.AddSeconds(random.Next(1, 20)) : null;

            while (arrivals.TryPeek(out var oldest) && now - oldest.KeepFrom >= ttl)
            {
                model.Remove(arrivals.Dequeue().Id);
            }
            var expected = !model.ContainsKey(id);
            if (expected)
            {
                model[id] = new MessageList.Entry(now, from);
                arrivals.Enqueue((id, created is { } c && c > now ? c : now));
                while (model.Count > capacity)
                {
                    model.Remove(arrivals.Dequeue().Id);
                    evicted++;
                }
            }

            Assert.That(list.TryAdd(id, now, from, created), Is.EqualTo(expected), $"step {step}: added");
            if (step % 997 == 0)
            {
                Assert.That(list.Count, Is.EqualTo(model.Count), $"step {step}: count");
                foreach (var (heldId, entry) in model)
                {
                    Assert.That(list.TryGet(heldId, out var held) ? held : default, Is.EqualTo(entry), $"step {step}: {heldId.Short}");
                }
            }
        }
        Assert.That(list.Evicted, Is.EqualTo(evicted));
        Assert.That(evicted, Is.GreaterThan(0), "the run reached the capacity");
    }
}
