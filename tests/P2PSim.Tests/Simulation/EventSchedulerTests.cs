using P2PSim.Simulation;

namespace P2PSim.Tests.Simulation;

[TestFixture]
public sealed class EventSchedulerTests
{
    [Test]
    public void Items_come_out_by_time_and_ties_in_the_order_they_were_scheduled()
    {
        var queue = new EventScheduler<int>(initialCapacity: 2);
        queue.Enqueue(30, 1);
        queue.Enqueue(10, 2);
        queue.Enqueue(30, 3);
        queue.Enqueue(10, 4);
        queue.Enqueue(20, 5);
        queue.Enqueue(10, 6);

        var order = new List<(long, int)>();
        while (queue.TryDequeue(out var time, out var item))
        {
            order.Add((time, item));
        }

        Assert.That(order, Is.EqualTo(new[] { (10L, 2), (10L, 4), (10L, 6), (20L, 5), (30L, 1), (30L, 3) }));
    }

    [Test]
    public void A_large_random_schedule_comes_out_sorted_by_time_then_sequence()
    {
        var random = new Random(5);
        var queue = new EventScheduler<int>();
        var expected = new List<(long Time, int Item)>();
        for (var i = 0; i < 10_000; i++)
        {
            var time = random.Next(500);
            queue.Enqueue(time, i);
            expected.Add((time, i));
        }
        // Interleave: take half out, put more in.
        var taken = new List<(long, int)>();
        for (var i = 0; i < 5_000; i++)
        {
            queue.TryDequeue(out var time, out var item);
            taken.Add((time, item));
        }
        for (var i = 10_000; i < 12_000; i++)
        {
            var time = 500 + random.Next(500);
            queue.Enqueue(time, i);
            expected.Add((time, i));
        }
        while (queue.TryDequeue(out var time, out var item))
        {
            taken.Add((time, item));
        }

        Assert.That(taken, Is.EqualTo(expected.OrderBy(e => e.Time).ThenBy(e => e.Item).ToList()));
        Assert.That(queue.Count, Is.Zero);
        Assert.That(queue.Scheduled, Is.EqualTo(12_000));
    }

    [Test]
    public void A_flood_at_one_time_keeps_its_order_while_it_grows_and_is_consumed()
    {
        var queue = new EventScheduler<int>();
        var expected = new List<int>();
        for (var round = 0; round < 3; round++)
        {
            // Fill a large bucket, consume part of it, append more at the same time, then an earlier item.
            for (var i = 0; i < 5_000; i++)
            {
                queue.Enqueue(100 * (round + 1), (round * 100_000) + i);
            }
            var taken = new List<int>();
            for (var i = 0; i < 2_000; i++)
            {
                queue.TryDequeue(out _, out var item);
                taken.Add(item);
            }
            for (var i = 5_000; i < 9_000; i++)
            {
                queue.Enqueue(100 * (round + 1), (round * 100_000) + i);
            }
            queue.Enqueue(50 * (round + 1), -1 - round);
            while (queue.TryDequeue(out _, out var item))
            {
                taken.Add(item);
            }
            expected.Clear();
            expected.AddRange(Enumerable.Range(0, 2_000).Select(i => (round * 100_000) + i));
            expected.Add(-1 - round);
            expected.AddRange(Enumerable.Range(2_000, 7_000).Select(i => (round * 100_000) + i));
            Assert.That(taken, Is.EqualTo(expected), $"round {round}");
        }
    }

    [Test]
    public void Peeking_an_empty_queue_finds_nothing()
    {
        var queue = new EventScheduler<int>();

        Assert.That(queue.TryPeekTime(out _), Is.False);
        Assert.That(queue.TryDequeue(out _, out _), Is.False);
        queue.Enqueue(7, 1);
        Assert.That(queue.TryPeekTime(out var time) && time == 7, Is.True);
    }
}
