using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Gossip;

/// <summary>
/// The broadcast tree's rules (<c>Dissemination.Tree.cs</c>) for PeerAt(1) alone, on a scripted clock: pushing over tree
/// links and announcing over lazy ones, pruning on a duplicate, grafting after a wait, answering a graft.
/// </summary>
[TestFixture]
public sealed class TreeDisseminationTests
{
    private static readonly NodeEndpoint Stranger = PeerAt(7);
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    /// <summary>No announcement batching, a fixed 200 ms graft wait (the random spread adds up to half of it).</summary>
    private static readonly GossipOptions Tree = new()
    {
        Routing = Routing.Tree,
        AnnounceInterval = TimeSpan.Zero,
        GraftTimeout = TimeSpan.FromMilliseconds(200),
        GraftRetry = TimeSpan.FromMilliseconds(100),
    };

    private static DisseminationBench LinkedTo(params NodeEndpoint[] neighbours)
    {
        var bench = new DisseminationBench(QuietShortIntervals(), reportDuplicates: true, Tree, neighbours) { Now = T0 };
        return bench;
    }

    private static GossipMessage Message(int number, ushort hops = 2) => TestGossip.Of(GossipText.Create(T0, Stranger, number), hops);

    [Test]
    public void A_duplicate_prunes_the_link_it_came_on_and_later_messages_are_only_announced_there()
    {
        var bench = LinkedTo(Peers(2, 3, 4));
        bench.GossipFrom(PeerAt(2), Message(1));

        var duplicate = bench.GossipFrom(PeerAt(3), Message(1));
        var next = bench.GossipFrom(PeerAt(2), Message(2));

        Assert.Multiple(() =>
        {
            Assert.That(duplicate.SendsOf<Prune>().Select(s => s.Connection), Is.EqualTo(new[] { bench.LinkOf(PeerAt(3)) }));
            Assert.That(bench.Gossip.IsLazy(PeerAt(3)), Is.True);
            Assert.That(next.SendsOf<GossipMessage>().Select(s => s.Connection), Is.EqualTo(new[] { bench.LinkOf(PeerAt(4)) }), "pushed over the tree link only");
            Assert.That(next.SendsOf<IHave>().Select(s => s.Connection), Is.EqualTo(new[] { bench.LinkOf(PeerAt(3)) }), "announced over the pruned one");
        });
    }

    [Test]
    public void A_duplicate_on_a_link_already_lazy_here_prunes_it_again_so_a_sender_whose_graft_crossed_the_prune_stops_pushing()
    {
        var bench = LinkedTo(Peers(2, 3));
        bench.GossipFrom(PeerAt(2), Message(1));
        bench.GossipFrom(PeerAt(3), Message(1)); // pruned here; say PeerAt(3) grafted meanwhile and still pushes
        bench.GossipFrom(PeerAt(2), Message(2));

        var pushedAgain = bench.GossipFrom(PeerAt(3), Message(2));

        Assert.Multiple(() =>
        {
            Assert.That(pushedAgain.SendsOf<Prune>().Select(s => s.Connection), Is.EqualTo(new[] { bench.LinkOf(PeerAt(3)) }));
            Assert.That(bench.Gossip.IsLazy(PeerAt(3)), Is.True);
            Assert.That(bench.Gossip.Duplicates, Is.EqualTo(2));
        });
    }

    [Test]
    public void A_message_heard_of_only_by_announcement_is_grafted_from_the_announcer_after_the_wait_and_not_before()
    {
        var bench = LinkedTo(Peers(2, 3));
        bench.GossipFrom(PeerAt(2), Message(1));
        bench.GossipFrom(PeerAt(3), Message(1)); // PeerAt(3) is lazy now
        var missing = Message(2);
        bench.Gossip.OnIHave(PeerAt(3), new IHave([new Announcement(missing.Id, 3)]), bench.Now);
        bench.Part.Take();

        bench.Now += 199 * Ms;
        bench.Gossip.OnTimer(bench.Now);
        var early = bench.Part.Take();
        bench.Now += 101 * Ms; // past the longest wait: 200 ms plus half of it
        bench.Gossip.OnTimer(bench.Now);
        var due = bench.Part.Take();

        Assert.Multiple(() =>
        {
            Assert.That(early.SendsOf<Graft>(), Is.Empty, "the tree may still bring it");
            var graft = due.SendsOf<Graft>().Single();
            Assert.That(graft.Connection, Is.EqualTo(bench.LinkOf(PeerAt(3))));
            Assert.That(((Graft)graft.Message).Ids, Is.EqualTo(new[] { missing.Id }));
            Assert.That(bench.Gossip.IsLazy(PeerAt(3)), Is.False, "the grafted link is a tree link again");
        });
    }

    [Test]
    public void A_graft_the_tree_answers_first_stretches_the_next_waits_and_a_needed_one_takes_part_back()
    {
        var bench = LinkedTo(Peers(2, 3));
        bench.GossipFrom(PeerAt(2), Message(1));
        bench.GossipFrom(PeerAt(3), Message(1)); // PeerAt(3) is lazy now
        var late = Message(2);
        bench.Gossip.OnIHave(PeerAt(3), new IHave([new Announcement(late.Id, 3)]), bench.Now);
        bench.Now += 300 * Ms;
        bench.Gossip.OnTimer(bench.Now); // grafted from PeerAt(3)
        var grafted = bench.Part.Take().SendsOf<Graft>().Length;

        bench.GossipFrom(PeerAt(2), late); // the tree's copy comes after all: the graft was premature
        var stretched = bench.Gossip.GraftBackoff;
        var next = Message(3);
        bench.Gossip.OnIHave(PeerAt(3), new IHave([new Announcement(next.Id, 3)]), bench.Now);
        bench.Now += 399 * Ms; // under twice the shortest wait
        bench.Gossip.OnTimer(bench.Now);
        var early = bench.Part.Take().SendsOf<Graft>().Length;
        bench.Now += 201 * Ms; // past twice the longest
        bench.Gossip.OnTimer(bench.Now);
        var due = bench.Part.Take().SendsOf<Graft>().Length;
        bench.GossipFrom(PeerAt(3), next); // the answer comes first: that graft was needed

        Assert.Multiple(() =>
        {
            Assert.That(grafted, Is.EqualTo(1));
            Assert.That(stretched, Is.EqualTo(2), "a premature graft doubles the wait");
            Assert.That(early, Is.Zero, "the tree gets twice as long now");
            Assert.That(due, Is.EqualTo(1));
            Assert.That(bench.Gossip.GraftBackoff, Is.EqualTo(1.5), "a needed graft takes a quarter back");
        });
    }

    [Test]
    public void Unanswered_grafts_are_retried_with_the_next_announcer_after_doubling_waits()
    {
        var bench = LinkedTo(Peers(2, 3, 4, 5));
        bench.GossipFrom(PeerAt(2), Message(1));
        foreach (var lazy in Peers(3, 4, 5))
        {
            bench.GossipFrom(lazy, Message(1));
        }
        var missing = Message(2);
        foreach (var announcer in Peers(3, 4, 5))
        {
            bench.Gossip.OnIHave(announcer, new IHave([new Announcement(missing.Id, 3)]), bench.Now);
        }
        bench.Part.Take();
        var graftsAt = new List<(int Ms, NodeEndpoint To)>();
        for (var ms = 1; ms <= 1_000; ms++)
        {
            bench.Now += Ms;
            bench.Gossip.OnTimer(bench.Now);
            foreach (var graft in bench.Part.Take().SendsOf<Graft>())
            {
                graftsAt.Add((ms, bench.Part.Connections.First(c => c.Value == graft.Connection).Key));
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(graftsAt.Select(g => g.To), Is.EqualTo(Peers(3, 4, 5)), "each announcer in turn");
            Assert.That(graftsAt[1].Ms - graftsAt[0].Ms, Is.EqualTo(100), "Gossip:GraftRetry after the first graft");
            Assert.That(graftsAt[2].Ms - graftsAt[1].Ms, Is.EqualTo(200), "twice that after the second");
        });
    }

    [Test]
    public void A_message_the_tree_brings_in_time_is_not_grafted()
    {
        var bench = LinkedTo(Peers(2, 3));
        bench.GossipFrom(PeerAt(2), Message(1));
        bench.GossipFrom(PeerAt(3), Message(1));
        var message = Message(2);
        bench.Gossip.OnIHave(PeerAt(3), new IHave([new Announcement(message.Id, 3)]), bench.Now);
        bench.Now += 50 * Ms;
        bench.GossipFrom(PeerAt(2), message);

        bench.Now += TimeSpan.FromSeconds(1);
        bench.Gossip.OnTimer(bench.Now);

        Assert.That(bench.Part.Take().SendsOf<Graft>(), Is.Empty);
    }

    [Test]
    public void A_graft_makes_the_link_a_tree_link_and_is_answered_with_the_messages_still_held_one_hop_further()
    {
        var bench = LinkedTo(Peers(2, 3));
        bench.GossipFrom(PeerAt(2), Message(1));
        bench.GossipFrom(PeerAt(3), Message(1));
        var held = Message(1);

        bench.Gossip.OnGraft(bench.LinkOf(PeerAt(3)), PeerAt(3), new Graft([held.Id, held.Id]), bench.Now);
        var answer = bench.Part.Take();

        Assert.Multiple(() =>
        {
            var copy = answer.SendsOf<GossipMessage>().Single();
            Assert.That(copy.Connection, Is.EqualTo(bench.LinkOf(PeerAt(3))));
            Assert.That(((GossipMessage)copy.Message).Id, Is.EqualTo(held.Id), "asked twice, sent once");
            Assert.That(bench.Gossip.IsLazy(PeerAt(3)), Is.False);
        });
    }
}
