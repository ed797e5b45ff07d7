using P2PSim.Configuration;
using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// One broadcast tree carries every publisher's messages. Plumtree's (<c>tree</c>) holds while messages do not overlap
/// in flight; when several publishers' messages are in flight at once it is cut faster than grafts mend it (the known
/// limit below). The computed spanning tree (<c>spanning</c>) does not depend on who publishes and holds either way.
/// 200 simulated peers, 35 ms links, a random publisher per message.
/// </summary>
[TestFixture]
[Parallelizable] // the simulated network only: virtual time, no sockets, no shared state (see Parallelism.cs)
public sealed class TreeConcurrencyTests
{
    private static ExperimentOptions Burst(TimeSpan spacing, Routing routing = Routing.Tree) => new()
    {
        Network = NetworkKind.Simulated,
        Peers = 200,
        RunSeed = 1,
        Messages = 50,
        Spacing = spacing,
        Latency = TimeSpan.FromMilliseconds(35),
        Gossip = new GossipOptions { Routing = routing },
    };

    [Test]
    public void A_spanning_tree_carries_overlapping_messages_of_many_publishers_once_per_peer()
    {
        var report = new SimulatedExperiment(Burst(TimeSpan.FromMilliseconds(100), Routing.Spanning)).Run();
        var flood = new SimulatedExperiment(Burst(TimeSpan.FromMilliseconds(100), Routing.Flood)).Run();

        Assert.Multiple(() =>
        {
            Assert.That(report.Traffic.Routing, Is.EqualTo("spanning"));
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Traffic.Rmr, Is.LessThan(0.01), "no flood to form it, no graft, no duplicate");
            Assert.That(report.Delivery.ReachAllP99Ms, Is.LessThan(400), "no message waited for a graft");
            Assert.That(report.Delivery.LastDeliveryHop, Is.LessThanOrEqualTo(flood.Delivery.LastDeliveryHop * 2), "a path in a tree is at most twice its depth");
        });
    }

    [Test]
    public void Messages_that_do_not_overlap_in_flight_keep_one_tree_that_carries_each_message_once_per_peer()
    {
        // A message crosses at most about 7 links of 35 ms: 300 ms apart, each is done before the next starts.
        var report = new SimulatedExperiment(Burst(TimeSpan.FromMilliseconds(300))).Run();

        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Traffic.RmrAfterFirstMessage, Is.LessThan(0.01), "no graft, no duplicate once the tree formed");
            Assert.That(report.Delivery.ReachAllP99Ms, Is.LessThan(400), "no message waited for a graft");
        });
    }

    [Test]
    [Category(LongRuns.Category)]
    [Explicit("Known limit of issue 9, not fixed yet: RMR after the first message 0.62, reach-all p50 0.83 s, last hop 18 (flood: 7).")]
    public void Messages_of_several_publishers_in_flight_at_once_still_keep_one_tree()
    {
        // 100 ms apart, about three messages of different publishers are in flight at once. Each prunes the links that
        // bring it twice: on a cycle of the tree's links, two messages entering at different points prune two different
        // links of it, which cuts the tree; the grafts that mend it make new cycles, and the next overlapping messages cut
        // those again. Longer graft waits only make each repair slower (GraftTimeout 2 s: reach-all p50 5.4 s).
        var report = new SimulatedExperiment(Burst(TimeSpan.FromMilliseconds(100))).Run();

        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Traffic.RmrAfterFirstMessage, Is.LessThan(0.1));
            Assert.That(report.Delivery.ReachAllP99Ms, Is.LessThan(400));
        });
    }

    [TestCase(PublisherKind.One, 0.2)]
    [TestCase(PublisherKind.Random, 1.0)]
    [TestCase(PublisherKind.Every, 3.0)]
    public void A_spanning_tree_passes_iroh_gossips_gates_well_below_them(PublisherKind publishers, double irohGate)
    {
        // iroh-gossip's simulator: 100 peers, 50 ms links, 30 rounds; one sender, a random sender each round, or every
        // peer at once (10 rounds here: 1,000 messages).
        var report = new SimulatedExperiment(new ExperimentOptions
        {
            Network = NetworkKind.Simulated,
            Peers = 100,
            Messages = publishers == PublisherKind.Every ? 10 : 30,
            Spacing = TimeSpan.FromSeconds(1),
            Latency = TimeSpan.FromMilliseconds(50),
            Publishers = publishers,
            Gossip = new GossipOptions { Routing = Routing.Spanning },
        }).Run();

        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0), "no message missed");
            Assert.That(report.Traffic.Rmr, Is.LessThan(irohGate / 4), $"iroh's gate is {irohGate}");
            Assert.That(report.Delivery.LastDeliveryHop, Is.LessThan(15));
        });
    }
}
