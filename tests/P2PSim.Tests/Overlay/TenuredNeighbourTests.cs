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
