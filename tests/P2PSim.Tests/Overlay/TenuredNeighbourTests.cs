using P2PSim.Nodes;
using P2PSim.Overlay;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Overlay;

/// <summary>
/// Peer:TenuredNeighbours (issue 11): the first <see cref="Registration.TenuredPerList"/> entries of a seed's list are its
/// tenured share; a joining peer dials at least one of them, and scoring never replaces its last tenured neighbour for
/// a peer that is not tenured.
/// </summary>
[TestFixture]
public sealed class TenuredNeighbourTests
{
    private static readonly NodeEndpoint Seed = SeedAt(1);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    /// <summary>The seed's list: PeerAt(2)-PeerAt(5) first (its tenured share), then PeerAt(10)-PeerAt(29).</summary>
    private static readonly NodeEndpoint[] List = [.. Peers(2, 3, 4, 5), .. Enumerable.Range(10, 20).Select(PeerAt)];

    private static (NeighbourTable Table, Registration Known, PartBench Part) Bench(int tenured, int randomSeed = 1, int maxNeighbours = 4)
    {
        var part = new PartBench();
        var known = new Registration([Seed]);
        var options = QuietShortIntervals(o => o.MaxNeighbours = maxNeighbours);
        var table = new NeighbourTable(PeerAt(1), options, new Random(randomSeed), part.Outbox, known)
        {
            Scoring = new NeighbourScoring(Window, MinFirstDeliveries: 1, PoorChoiceFor: TimeSpan.FromMinutes(5), MaxPerAddress: 0, TenuredNeighbours: tenured),
        };
        known.Learn(Seed, List);
        return (table, known, part);
    }

    [Test]
    public void A_joining_peer_dials_at_least_one_peer_of_the_tenured_share()
    {
        var withRule = 0;
        var withoutRule = 0;
        for (var randomSeed = 1; randomSeed <= 40; randomSeed++)
        {
            foreach (var tenured in new[] { 1, 0 })
            {
                var (table, _, part) = Bench(tenured, randomSeed);
                table.Join(T0);
                var dialed = part.Take().DialTargets();
                Assert.That(dialed, Has.Length.EqualTo(4));
                var hasTenured = dialed.Any(Peers(2, 3, 4, 5).Contains);
                withRule += tenured == 1 && hasTenured ? 1 : 0;
                withoutRule += tenured == 0 && hasTenured ? 1 : 0;
            }
        }
        Assert.That(withRule, Is.EqualTo(40), "every join, with Peer:TenuredNeighbours=1");
        Assert.That(withoutRule, Is.LessThan(35), "a plain draw of 4 of 24 misses the 4 tenured about half the time");
    }

    /// <summary>
    /// A big join early in a network's life: every joiner is offered the same few oldest peers as its tenured share, and
    /// their inbound caps (Transport:MaxInboundConnections) refuse most dials. A joiner whose every tenured dial is refused
    /// must link to the overlay with the other peers of its list at once: those are dialed with the first tenured
    /// one, a tenured peer that refused is not dialed again (another tenured peer is tried while one is left), and then a
    /// plain candidate takes the slot. (Before: the refused peer could be drawn again at once, and the joiner went on
    /// dialing the full peers as long as they refused.)
    /// </summary>
    [Test]
    public void A_joiner_whose_tenured_peers_all_refuse_joins_with_the_others_at_once_and_does_not_redial_them()
    {
        for (var randomSeed = 1; randomSeed <= 20; randomSeed++)
        {
            var (table, _, part) = Bench(tenured: 1, randomSeed);
            var share = Peers(2, 3, 4, 5);
            table.Join(T0);
            var first = part.Take().DialTargets();
            Assert.That(first, Has.Length.EqualTo(4), "four neighbours dialed at the join");
            Assert.That(first.Count(share.Contains), Is.InRange(1, 3), "one of them drawn from the tenured share (the plain draw may add more)");
            var plain = first.Where(p => !share.Contains(p)).ToArray();

            // Every dial to a tenured peer is refused (inbound full), as often as the joiner tries; the others answer.
            var tenuredDials = new List<NodeEndpoint>();
            var pending = new Queue<NodeEndpoint>(first);
            var dials = 0;
            while (dials < 100 && pending.TryDequeue(out var target))
            {
                dials++;
                if (share.Contains(target))
                {
                    tenuredDials.Add(target);
                    table.OnDialFailed(target, "refused: inbound connections full", T0);
                }
                else
                {
                    table.OnConnected(part.Link(target, NodeRole.Peer), T0);
                }
                foreach (var next in part.Take().DialTargets())
                {
                    pending.Enqueue(next);
                }
            }

            Assert.That(pending, Is.Empty, $"random seed {randomSeed}: the joiner was still dialing after {dials} dials (tenured: {string.Join(", ", tenuredDials)})");
            Assert.That(tenuredDials, Is.Unique, $"random seed {randomSeed}: a refused tenured peer was dialed again");
            Assert.That(tenuredDials, Is.SubsetOf(share));
            Assert.That(dials, Is.LessThanOrEqualTo(4 + share.Length), $"random seed {randomSeed}: at most one dial more per tenured peer");
            var neighbours = table.ConnectedNeighbours.ToArray();
            Assert.That(neighbours, Has.Length.EqualTo(4), $"random seed {randomSeed}: the plain neighbours of the join, and plain candidates in the slots of the tenured ones");
            Assert.That(neighbours, Is.SupersetOf(plain), "the plain neighbours dialed at the join were kept");
            Assert.That(table.TenuredNeighbours, Is.Zero);
            Assert.That(table.Settled, Is.True, "no dial left under way");
        }
    }

    [TestCase(1, false)]
    [TestCase(0, true)]
    public void Scoring_never_replaces_the_last_tenured_neighbour_for_a_peer_that_is_not(int tenured, bool replacedAtOnce)
    {
        var (table, known, part) = Bench(tenured, maxNeighbours: 2);
        foreach (var other in Peers(3, 4, 5))
        {
            known.Forget(other); // the other tenured peers are gone: PeerAt(2) is the last one
        }
        table.Join(T0);
        var dialed = part.Take().DialTargets();
        Assert.That(dialed, Has.Length.EqualTo(2));
        if (tenured > 0)
        {
            Assert.That(dialed, Does.Contain(PeerAt(2)), "the one tenured peer left");
        }
        var silent = dialed.Contains(PeerAt(2)) ? PeerAt(2) : dialed[0]; // without the rule: any silent neighbour, for comparison
        foreach (var peer in dialed)
        {
            table.OnConnected(part.Link(peer, NodeRole.Peer), T0);
        }
        var delivering = dialed.Single(p => p != silent);

        table.OnFirstDelivery(delivering);
        table.JudgeNeighbours(T0 + Window);
        var first = part.Take();
        Assert.That(first.ReportsOf<NeighbourReplaced>().Any(r => r.Neighbour == silent), Is.EqualTo(replacedAtOnce),
            "the silent tenured neighbour is kept while no other tenured peer can take its place");
        if (replacedAtOnce)
        {
            return;
        }

        known.Remember(PeerAt(3)); // a tenured peer can be drawn again
        table.OnFirstDelivery(delivering);
        table.JudgeNeighbours(T0 + (2 * Window));
        var second = part.Take();
        var replaced = second.ReportsOf<NeighbourReplaced>().Single();
        Assert.That(replaced.Neighbour, Is.EqualTo(silent));
        Assert.That(replaced.Replacement, Is.EqualTo(PeerAt(3)), "replaced by a tenured peer");
        Assert.That(second.DialTargets(), Does.Contain(PeerAt(3)));
    }
}
