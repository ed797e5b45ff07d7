using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Gossip;

/// <summary>
/// Which message the byte bound drops: on a tree a neighbour may graft a message seconds after it was announced, so one
/// that a current link may still lack (pinned) outlives those every link holds; the bound itself always holds.
/// </summary>
public class MessageHistoryPinningTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private const ulong LinkA = 1, LinkB = 2, Both = LinkA | LinkB;

    private static readonly P2PSim.Protocol.Gossip[] Messages = [.. Enumerable.Range(1, 8).Select(n => TestGossip.Of($"1700000000000:127.0.0.1:5001:{n}"))];

    /// <summary>A history that holds three of <see cref="Messages"/> by bytes, with links A and B.</summary>
    private static MessageHistory ThreeByBytes(bool keepFrames = false) =>
        new(100, Minute, maxBytes: 3 * FrameCodec.FrameSize(Messages[0]), keepFrames) { Links = Both };

    /// <summary>Which of the first <paramref name="count"/> messages the history holds at <paramref name="now"/>: k or - each.</summary>
    private static string Kept(MessageHistory history, int count, DateTimeOffset now)
    {
        history.Expire(now); // as a peer does before it serves a graft or a Want
        return string.Concat(Messages.Take(count).Select(m => history.TryGet(m.Id, out _) ? 'k' : '-'));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_message_a_link_may_still_lack_outlives_older_ones_every_link_holds(bool keepFrames)
    {
        var history = ThreeByBytes(keepFrames);
        history.Add(Messages[0], T0, holders: LinkA); // B has not got it: it may graft it
        history.Add(Messages[1], T0.AddSeconds(1), holders: Both);
        history.Add(Messages[2], T0.AddSeconds(2), holders: Both);

        history.Add(Messages[3], T0.AddSeconds(3), holders: Both);
        var afterOne = Kept(history, 4, T0.AddSeconds(3));
        history.Add(Messages[4], T0.AddSeconds(4), holders: Both);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterOne, Is.EqualTo("k-kk"), "the oldest every link holds went, not the pinned one");
            Assert.That(Kept(history, 5, T0.AddSeconds(4)), Is.EqualTo("k--kk"));
            Assert.That(history.Bytes, Is.LessThanOrEqualTo(history.MaxBytes));
            Assert.That(history.TryGet(Messages[0].Id, out var entry) ? entry.At : default, Is.EqualTo(T0), "kept with the time it was added");
        }
    }

    [Test]
    public void Once_every_link_holds_it_a_pinned_message_is_the_oldest_again()
    {
        var history = ThreeByBytes();
        history.Add(Messages[0], T0, holders: LinkA);
        history.Add(Messages[1], T0.AddSeconds(1), holders: Both);
        history.Add(Messages[2], T0.AddSeconds(2), holders: Both);
        history.Add(Messages[3], T0.AddSeconds(3), holders: Both); // passes message 1 over: it drops message 2

        history.MarkHeld(Messages[0].Id, LinkB); // B announced it, or got it by graft
        history.Add(Messages[4], T0.AddSeconds(4), holders: Both); // drops message 3, now the oldest in line
        history.Add(Messages[5], T0.AddSeconds(5), holders: Both);

        Assert.That(Kept(history, 6, T0.AddSeconds(5)), Is.EqualTo("---kkk"), "held by every link now, it went next, before message 4 (pinned still: k---kk)");
    }

    [Test]
    public void When_every_message_is_pinned_the_oldest_goes_anyway_and_the_bytes_hold()
    {
        var history = ThreeByBytes();
        for (var n = 0; n < 8; n++)
        {
            history.Add(Messages[n], T0.AddSeconds(n), holders: LinkA);
            Assert.That(history.Bytes, Is.LessThanOrEqualTo(history.MaxBytes), $"after message {n + 1}");
        }

        Assert.That(history.Count, Is.EqualTo(3));
    }

    [Test]
    public void A_passed_over_message_still_leaves_with_the_window_and_is_neither_offered_nor_served_after_it()
    {
        var history = ThreeByBytes();
        history.Add(Messages[0], T0, holders: LinkA);
        history.Add(Messages[1], T0.AddSeconds(30), holders: Both);
        history.Add(Messages[2], T0.AddSeconds(31), holders: Both);
        history.Add(Messages[3], T0.AddSeconds(32), holders: Both); // message 1 passed over (pinned), message 2 dropped

        var late = T0 + Minute;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Kept(history, 1, late), Is.EqualTo("-"), "a minute old: past the window");
            Assert.That(history.RecentIds(late, 100), Does.Not.Contain(Messages[0].Id), "nor offered in a digest");
            Assert.That(history.RecentIds(late, 100), Is.EquivalentTo(new[] { Messages[2].Id, Messages[3].Id }));
        }
    }

    [Test]
    public void A_link_that_is_gone_leaves_no_word_of_what_its_bit_held_for_the_next_link_given_it()
    {
        var history = ThreeByBytes();
        history.Add(Messages[0], T0, holders: Both);
        history.ForgetHolders(LinkB); // B went; a new link gets its bit
        history.Add(Messages[1], T0.AddSeconds(1), holders: Both);
        history.Add(Messages[2], T0.AddSeconds(2), holders: Both);

        history.Add(Messages[3], T0.AddSeconds(3), holders: Both);

        Assert.That(Kept(history, 4, T0.AddSeconds(3)), Is.EqualTo("k-kk"), "the new link may lack message 1");
    }

    [Test]
    public void Without_links_nothing_is_pinned_and_the_oldest_goes_first()
    {
        var history = ThreeByBytes();
        history.Links = 0; // a flood: every message was pushed to every link
        history.Add(Messages[0], T0, holders: 0);
        history.Add(Messages[1], T0.AddSeconds(1), holders: 0);
        history.Add(Messages[2], T0.AddSeconds(2), holders: 0);

        history.Add(Messages[3], T0.AddSeconds(3), holders: 0);

        Assert.That(Kept(history, 4, T0.AddSeconds(3)), Is.EqualTo("-kkk"));
    }
}
