using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Gossip;

/// <summary>The history bounded in wire bytes as well as in count (<c>Peer:HistoryBytes</c>), and its setting.</summary>
public class MessageHistoryBytesTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static P2PSim.Protocol.Gossip Message(int n, int extraText = 0) =>
        TestGossip.Of($"1700000000000:127.0.0.1:5001:{n}" + new string('x', extraText));

    private static int Size(P2PSim.Protocol.Gossip message) => FrameCodec.FrameSize(message);

    private static bool Holds(MessageHistory history, P2PSim.Protocol.Gossip message) => history.TryGet(message.Id, out _);

    /// <summary>Which of <paramref name="messages"/> the history holds: k (kept) or - for each, in order.</summary>
    private static string Kept(MessageHistory history, IEnumerable<P2PSim.Protocol.Gossip> messages) =>
        string.Concat(messages.Select(m => Holds(history, m) ? 'k' : '-'));

    [Test]
    public void Beyond_the_bytes_the_oldest_messages_go_first()
    {
        var messages = Enumerable.Range(1, 5).Select(n => Message(n)).ToArray();
        var size = Size(messages[0]);
        Assert.That(messages.Select(Size), Is.All.EqualTo(size), "messages of one size");
        var history = new MessageHistory(100, Minute, maxBytes: 3 * size);

        for (var i = 0; i < messages.Length; i++)
        {
            history.Add(messages[i], T0.AddSeconds(i));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(history.Count, Is.EqualTo(3));
            Assert.That(history.Bytes, Is.EqualTo(3 * size));
            Assert.That(Kept(history, messages), Is.EqualTo("--kkk"));
            Assert.That(history.RecentIds(T0.AddSeconds(5), 10), Is.EqualTo(messages[2..].Select(m => m.Id)));
        }
    }

    [Test]
    public void A_large_message_pushes_out_as_many_old_ones_as_it_needs()
    {
        var small = Enumerable.Range(1, 4).Select(n => Message(n)).ToArray();
        var size = Size(small[0]);
        var large = Message(99, extraText: 2 * size - 10); // nearly three small ones
        var history = new MessageHistory(100, Minute, maxBytes: 4 * size);
        for (var i = 0; i < small.Length; i++)
        {
            history.Add(small[i], T0.AddSeconds(i));
        }

        var added = history.Add(large, T0.AddSeconds(10));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(added, Is.True);
            Assert.That(Size(large), Is.InRange(3 * size - 10, 3 * size));
            Assert.That(Kept(history, small), Is.EqualTo("---k"));
            Assert.That(Holds(history, large), Is.True);
            Assert.That(history.Bytes, Is.EqualTo(size + Size(large)).And.LessThanOrEqualTo(4 * size));
        }
    }

    [Test]
    public void A_message_larger_than_the_whole_bound_is_not_kept_and_pushes_nothing_out()
    {
        var small = Message(1);
        var history = new MessageHistory(100, Minute, maxBytes: 2 * Size(small));
        history.Add(small, T0);
        var huge = Message(2, extraText: 2 * Size(small));

        var added = history.Add(huge, T0.AddSeconds(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(added, Is.False);
            Assert.That(Holds(history, huge), Is.False);
            Assert.That(Holds(history, small), Is.True, "one message too big to keep does not empty the history");
            Assert.That(history.Bytes, Is.EqualTo(Size(small)));
        }
    }

    [Test]
    public void Without_a_byte_bound_the_count_alone_binds()
    {
        var history = new MessageHistory(3, Minute, maxBytes: 0);
        var messages = Enumerable.Range(1, 4).Select(n => Message(n, extraText: 3_000)).ToArray();

        for (var i = 0; i < messages.Length; i++)
        {
            history.Add(messages[i], T0.AddSeconds(i));
        }

        Assert.That(Kept(history, messages), Is.EqualTo("-kkk"));
        Assert.That(history.Bytes, Is.EqualTo(messages[1..].Sum(Size)));
    }

    [Test]
    public void Expired_messages_give_their_bytes_back()
    {
        var history = new MessageHistory(100, Minute, maxBytes: 100_000);
        history.Add(Message(1), T0);
        history.Add(Message(2), T0.AddSeconds(30));

        history.Expire(T0 + Minute);

        Assert.That((history.Count, history.Bytes), Is.EqualTo((1, (long)Size(Message(2)))));
        history.Expire(T0.AddSeconds(30) + Minute);
        Assert.That((history.Count, history.Bytes), Is.EqualTo((0, 0L)));
    }

    /// <summary>
    /// The history against a plain model (a FIFO of what it holds) over a long random run of messages of many sizes,
    /// repeats, expiry and both bounds, so the ring and its index grow, wrap, shrink and lose entries from every place.
    /// </summary>
    [TestCase(1, false)]
    [TestCase(2, false)]
    [TestCase(1, true)]
    [TestCase(2, true)]
    public void Agrees_with_a_plain_model_over_a_random_run(int seed, bool keepFrames)
    {
        var random = new Random(seed);
        const int capacity = 200;
        const long maxBytes = 20_000;
        var window = TimeSpan.FromSeconds(20);
        var history = new MessageHistory(capacity, window, maxBytes, keepFrames);
        var messages = Enumerable.Range(0, 1_500).Select(n => Message(n, extraText: random.Next(0, 400))).ToArray();
        var model = new LinkedList<(P2PSim.Protocol.Gossip Message, DateTimeOffset At)>();
        var now = T0;

        for (var step = 0; step < 20_000; step++)
        {
            now += TimeSpan.FromMilliseconds(step / 4_000 % 2 == 0 ? random.Next(0, 5) : random.Next(0, 300));
            var message = messages[random.Next(messages.Length)];
            while (model.First is { } oldest && now - oldest.Value.At >= window)
            {
                model.RemoveFirst();
            }
            var expected = model.All(held => held.Message.Id != message.Id);
            if (expected)
            {
                while (model.Count > 0 && (model.Count >= capacity || model.Sum(held => Size(held.Message)) + Size(message) > maxBytes))
                {
                    model.RemoveFirst();
                }
                model.AddLast((message, now));
            }

            Assert.That(history.Add(message, now), Is.EqualTo(expected), $"step {step}: added");
            if (step % 499 == 0)
            {
                Assert.That(history.RecentIds(now, capacity), Is.EqualTo(model.Select(held => held.Message.Id)), $"step {step}: held");
                Assert.That(history.Bytes, Is.EqualTo(model.Sum(held => Size(held.Message))), $"step {step}: bytes");
                foreach (var (held, at) in model)
                {
                    Assert.That(history.TryGet(held.Id, out var entry) ? entry : default, Is.EqualTo(new MessageHistory.Entry(held, at)), $"step {step}");
                }
            }
        }
    }

    [Test]
    public void The_setting_reaches_every_peer_s_history()
    {
        var options = new PeerOptions { HistoryBytes = 5_000 };

        var bench = new DisseminationBench(options, reportDuplicates: false);

        Assert.That(bench.Gossip.History.MaxBytes, Is.EqualTo(5_000));
        Assert.That(new DisseminationBench(new PeerOptions(), reportDuplicates: false).Gossip.History.MaxBytes, Is.EqualTo(64 * 1024), "the default");
        Assert.That(new DisseminationBench(options, reportDuplicates: false, new GossipOptions { Routing = Routing.Spanning }).Gossip.History.MaxBytes, Is.EqualTo(5_000), "on a tree too");
    }

    [TestCase(0L, true)]
    [TestCase(1024L, true)]
    [TestCase(262_144L, true)]
    [TestCase(1_073_741_824L, true)]
    [TestCase(1023L, false)]
    [TestCase(-1L, false)]
    [TestCase(1_073_741_825L, false)]
    public void The_setting_is_zero_or_from_1_KiB_to_1_GiB_and_a_bad_one_is_named(long bytes, bool valid)
    {
        var result = new PeerOptionsValidator(Options.Create(new TransportOptions())).Validate(null, new PeerOptions { HistoryBytes = bytes });

        Assert.That(result.Succeeded, Is.EqualTo(valid), result.FailureMessage);
        if (!valid)
        {
            Assert.That(result.FailureMessage, Is.EqualTo($"Peer:HistoryBytes must be 0 (count only) or between 1024 and 1073741824 (was {bytes})."));
        }
    }
}
