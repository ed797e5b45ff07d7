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
    public void First_sighting_is_recorded_with_its_sender()
    {
        var list = new MessageList(100, TimeSpan.FromMinutes(10));

        var added = list.TryAdd(Id(1), T0, Alice);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(added, Is.True);
            Assert.That(list.Count, Is.EqualTo(1));
            Assert.That(list.Contains(Id(1)), Is.True);
            Assert.That(list.Contains(Id(2)), Is.False);
            Assert.That(list.TryGetSender(Id(1), out var from), Is.True);
            Assert.That(from, Is.EqualTo(Alice));
            Assert.That(list.TryGetSender(Id(2), out _), Is.False);
        }
    }

    [Test]
    public void Duplicate_is_rejected_and_the_first_sender_is_kept()
    {
        var list = new MessageList(100, TimeSpan.FromMinutes(10));
        list.TryAdd(Id(1), T0, Alice);

        var again = list.TryAdd(Id(1), T0.AddSeconds(3), Bob);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again, Is.False);
            Assert.That(list.Count, Is.EqualTo(1));
            Assert.That(list.TryGetSender(Id(1), out var from) ? from : null, Is.EqualTo(Alice));
            Assert.That(list.Evicted, Is.Zero);
        }
    }

    [Test]
    public void Originated_message_has_no_sender()
    {
        var list = new MessageList(100, TimeSpan.FromMinutes(10));

        list.TryAdd(Id(1), T0, null);

        Assert.That(list.TryGetSender(Id(1), out var from) ? from : Alice, Is.Null);
    }

    [Test]
    public void The_sender_is_kept_an_epoch_at_least_the_id_its_time_to_live()
    {
        var ttl = TimeSpan.FromSeconds(80);
        var epoch = ttl / MessageList.Epochs;
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice);

        // Each add in a new epoch seals the generation before it; two seals on, the first one's senders are gone.
        list.TryAdd(Id(2), T0 + epoch, Bob);
        var afterOneSeal = list.TryGetSender(Id(1), out var first) ? first : null;
        list.TryAdd(Id(3), T0 + (2 * epoch), Bob);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterOneSeal, Is.EqualTo(Alice), "known an epoch after the first receipt");
            Assert.That(list.TryGetSender(Id(1), out _), Is.False, "two epochs on: no longer known");
            Assert.That(list.Contains(Id(1)), Is.True, "the id itself is kept");
            Assert.That(list.TryGetSender(Id(2), out var second) ? second : null, Is.EqualTo(Bob));
        }
    }

    [Test]
    public void Entry_is_kept_its_time_to_live_and_removed_with_its_epoch()
    {
        var ttl = TimeSpan.FromSeconds(10);
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice);

        list.Expire(T0 + ttl - TimeSpan.FromTicks(1));
        var containedJustBefore = list.Contains(Id(1));
        list.Expire(T0 + ttl);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(containedJustBefore, Is.True);
            Assert.That(list.Contains(Id(1)), Is.False, "alone in its generation: gone at its time to live");
            Assert.That(list.Count, Is.Zero);
            Assert.That(list.Evicted, Is.Zero, "expiry is not eviction");
        }
    }

    [Test]
    public void An_entry_lives_at_most_an_epoch_past_its_time_to_live()
    {
        var ttl = TimeSpan.FromSeconds(80);
        var epoch = ttl / MessageList.Epochs;
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice);
        var last = T0 + epoch - TimeSpan.FromTicks(1); // the same epoch
        list.TryAdd(Id(2), last, Alice);

        list.Expire(T0 + ttl);
        var keptWithItsEpoch = list.Contains(Id(1));
        list.Expire(last + ttl);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(keptWithItsEpoch, Is.True);
            Assert.That(list.Contains(Id(1)) || list.Contains(Id(2)), Is.False, "dropped once the newest of the epoch has lived the time to live");
        }
    }

    [Test]
    public void Expired_message_is_accepted_again()
    {
        var ttl = TimeSpan.FromSeconds(10);
        var list = new MessageList(100, ttl);
        list.TryAdd(Id(1), T0, Alice);

        var beforeExpiry = list.TryAdd(Id(1), T0 + TimeSpan.FromSeconds(9), Bob);
        var afterExpiry = list.TryAdd(Id(1), T0 + TimeSpan.FromSeconds(11.25), Bob);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(beforeExpiry, Is.False);
            Assert.That(afterExpiry, Is.True);
            Assert.That(list.TryGetSender(Id(1), out var from) ? from : null, Is.EqualTo(Bob));
        }
    }

    [Test]
    public void Adding_expires_only_the_generations_past_their_time_to_live()
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
    public void At_a_small_capacity_the_oldest_entry_is_evicted_and_counted()
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
    public void Count_never_exceeds_capacity_and_the_newest_seven_eighths_are_kept_across_ten_thousand_inserts()
    {
        const int capacity = 100;
        var list = new MessageList(capacity, TimeSpan.FromDays(1));
        var maxSeen = 0;
        var leastAfterFull = int.MaxValue;

        for (var i = 0; i < 10_000; i++)
        {
            Assert.That(list.TryAdd(Id(i), T0.AddMilliseconds(i), Alice), Is.True, $"insert {i}");
            maxSeen = Math.Max(maxSeen, list.Count);
            if (i >= capacity)
            {
                leastAfterFull = Math.Min(leastAfterFull, list.Count);
            }
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(maxSeen, Is.EqualTo(capacity));
            Assert.That(leastAfterFull, Is.GreaterThan(capacity - (capacity / MessageList.Epochs)), "evicted a generation (an eighth of the capacity) at a time");
            Assert.That(list.Evicted, Is.EqualTo(10_000 - list.Count));
            Assert.That(Enumerable.Range(10_000 - list.Count, list.Count).All(i => list.Contains(Id(i))), Is.True, "the newest are kept");
            Assert.That(list.Contains(Id(10_000 - list.Count - 1)), Is.False);
        }
    }

    /// <summary>
    /// The list against a plain model (a dictionary and a FIFO of arrivals, what it used to be) over a long random run:
    /// duplicates, clocks ahead, expiry, generations sealed and dropped. Every id the model holds within its time to
    /// live is in the list; none is there past its time to live plus an epoch (and the stamps ahead); in between, either.
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Agrees_with_a_plain_model_over_a_random_run(int seed)
    {
        var random = new Random(seed);
        var ttl = TimeSpan.FromSeconds(30);
        // An entry lives at most an epoch past its time to live, more when a message of its generation was stamped
        // ahead (here up to 19 s): its generation is kept until the newest time to live in it is over.
        var latest = ttl + (ttl / MessageList.Epochs) + TimeSpan.FromSeconds(19);
        var epoch = ttl / MessageList.Epochs;
        var list = new MessageList(100_000, ttl);
        var model = new Dictionary<MessageId, (DateTimeOffset KeepFrom, DateTimeOffset Seen, NodeEndpoint? From)>();
        var senders = Enumerable.Range(0, 12).Select(i => (NodeEndpoint?)NodeEndpoint.Loopback(6000 + i)).Append(null).ToArray();
        var now = T0;

        for (var step = 0; step < 60_000; step++)
        {
            // Bursts and lulls, so the tables grow, are sealed, drain by expiry and shrink again.
            now += TimeSpan.FromMilliseconds(step / 5_000 % 2 == 0 ? random.Next(0, 10) : random.Next(0, 400));
            var id = Id(random.Next(0, 3_000));
            var from = senders[random.Next(senders.Length)];
            DateTimeOffset? created = random.Next(10) == 0 ? now.AddSeconds(random.Next(1, 20)) : null;

            var held = model.TryGetValue(id, out var entry);
            var added = list.TryAdd(id, now, from, created);
            if (held && now - entry.KeepFrom < ttl)
            {
                Assert.That(added, Is.False, $"step {step}: a duplicate within its time to live");
            }
            else if (held && now - entry.KeepFrom < latest)
            {
                // Either: kept with its generation, or dropped with it.
            }
            else
            {
                Assert.That(added, Is.True, $"step {step}: new, or past its time to live and an epoch");
            }
            if (added)
            {
                model[id] = (created is { } c && c > now ? c : now, now, from);
            }
            if (step % 997 == 0)
            {
                foreach (var (heldId, e) in model)
                {
                    var age = now - e.KeepFrom;
                    if (age < ttl)
                    {
                        Assert.That(list.Contains(heldId), Is.True, $"step {step}: {heldId.Short} within its time to live");
                    }
                    else if (age >= latest)
                    {
                        Assert.That(list.Contains(heldId), Is.False, $"step {step}: {heldId.Short} past its time to live and an epoch");
                    }
                    if (now - e.Seen < epoch)
                    {
                        Assert.That(list.TryGetSender(heldId, out var first) ? first : NodeEndpoint.Loopback(1), Is.EqualTo(e.From), $"step {step}: {heldId.Short}'s sender");
                    }
                }
                Assert.That(list.Count, Is.LessThanOrEqualTo(model.Count), $"step {step}: count");
            }
        }
        Assert.That(list.Evicted, Is.Zero);
    }
}
