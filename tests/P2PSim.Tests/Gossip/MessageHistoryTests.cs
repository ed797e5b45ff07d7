using P2PSim.Gossip;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Gossip;

public class MessageHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static string Text(int n) => $"1700000000000:127.0.0.1:5001:{n}";

    private static MessageId Id(int n) => TestGossip.IdOf(Text(n));

    private static P2PSim.Protocol.Gossip Message(int n, ushort hops = 1) => TestGossip.Of(Text(n), hops);

    private static MessageHistory Filled(int count, int capacity = 100, TimeSpan? window = null)
    {
        var history = new MessageHistory(capacity, window ?? Minute);
        for (var n = 1; n <= count; n++)
        {
            history.Add(Message(n, (ushort)n), T0.AddSeconds(n));
        }
        return history;
    }

    [Test]
    public void A_message_is_kept_whole_under_its_id_with_its_time()
    {
        var history = new MessageHistory(100, Minute);
        var message = Message(1, hops: 3) with { Signature = new byte[64] };

        var added = history.Add(message, T0);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(added, Is.True);
            Assert.That(history.Count, Is.EqualTo(1));
            Assert.That(history.TryGet(Id(1), out var entry), Is.True);
            Assert.That(entry, Is.EqualTo(new MessageHistory.Entry(message, T0)));
            Assert.That(entry.Message, Is.SameAs(message), "the very copy, signature and all");
            Assert.That(history.TryGet(Id(2), out _), Is.False);
        }
    }

    [Test]
    public void Adding_the_same_id_again_keeps_the_first_entry()
    {
        var history = new MessageHistory(100, Minute);
        history.Add(Message(1), T0);

        var again = history.Add(Message(1, hops: 7), T0.AddSeconds(5));

        Assert.That(again, Is.False);
        Assert.That(history.TryGet(Id(1), out var entry) ? entry : default, Is.EqualTo(new MessageHistory.Entry(Message(1), T0)));
        Assert.That(history.Count, Is.EqualTo(1));
    }

    [Test]
    public void Recent_ids_are_listed_oldest_first()
    {
        var history = Filled(5);

        Assert.That(history.RecentIds(T0.AddSeconds(10), 100), Is.EqualTo(new[] { Id(1), Id(2), Id(3), Id(4), Id(5) }));
    }

    [Test]
    public void Recent_ids_are_capped_at_the_newest_max()
    {
        var history = Filled(5);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(history.RecentIds(T0.AddSeconds(10), 2), Is.EqualTo(new[] { Id(4), Id(5) }));
            Assert.That(history.RecentIds(T0.AddSeconds(10), 0), Is.Empty);
            Assert.That(history.Count, Is.EqualTo(5), "listing removes nothing");
        }
    }

    [Test]
    public void An_entry_expires_exactly_one_window_after_it_was_added()
    {
        var history = Filled(3); // added at T0+1s, +2s, +3s

        var justBefore = history.RecentIds(T0.AddSeconds(1) + Minute - TimeSpan.FromTicks(1), 100);
        var atTheWindow = history.RecentIds(T0.AddSeconds(1) + Minute, 100);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(justBefore, Is.EqualTo(new[] { Id(1), Id(2), Id(3) }));
            Assert.That(atTheWindow, Is.EqualTo(new[] { Id(2), Id(3) }));
            Assert.That(history.TryGet(Id(1), out _), Is.False);
            Assert.That(history.Count, Is.EqualTo(2));
        }
    }

    [Test]
    public void Everything_expires_after_the_window()
    {
        var history = Filled(10);

        history.Expire(T0.AddSeconds(10) + Minute);

        Assert.That(history.Count, Is.Zero);
        Assert.That(history.RecentIds(T0.AddSeconds(10) + Minute, 100), Is.Empty);
    }

    [Test]
    public void At_capacity_the_oldest_entry_makes_room()
    {
        var history = Filled(5, capacity: 3);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(history.Count, Is.EqualTo(3));
            Assert.That(history.RecentIds(T0.AddSeconds(6), 100), Is.EqualTo(new[] { Id(3), Id(4), Id(5) }));
            Assert.That(history.TryGet(Id(2), out _), Is.False);
            Assert.That(history.TryGet(Id(5), out _), Is.True);
        }
    }

    [Test]
    public void An_id_that_expired_can_be_added_again()
    {
        var history = Filled(1);

        var again = history.Add(Message(1, hops: 2), T0.AddSeconds(1) + Minute);

        Assert.That(again, Is.True);
        Assert.That(history.RecentIds(T0.AddSeconds(1) + Minute, 100), Is.EqualTo(new[] { Id(1) }));
    }

    [Test]
    public void A_zero_window_keeps_nothing()
    {
        var history = new MessageHistory(100, TimeSpan.Zero);

        var added = history.Add(Message(1), T0);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(history.Enabled, Is.False);
            Assert.That(added, Is.False);
            Assert.That(history.Count, Is.Zero);
            Assert.That(history.RecentIds(T0, 100), Is.Empty);
        }
    }

    [Test]
    public void Memory_stays_bounded_under_a_long_stream_of_messages()
    {
        var history = new MessageHistory(1024, TimeSpan.FromSeconds(10));

        for (var n = 0; n < 10_000; n++)
        {
            history.Add(Message(n), T0.AddMilliseconds(n));
            Assert.That(history.Count, Is.LessThanOrEqualTo(1024));
        }

        Assert.That(history.RecentIds(T0.AddMilliseconds(10_000), 2000), Has.Length.EqualTo(1024));
    }

    [Test]
    public void Negative_capacity_or_window_is_refused()
    {
        Assert.That(() => new MessageHistory(-1, Minute), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new MessageHistory(10, TimeSpan.FromSeconds(-1)), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
