using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// The simulated network tells the same story as the real one: on the same network (same run seed, same workload)
/// tcp and simulated build the very same overlay and deliver the same messages. A peer's choices depend only on the
/// peer lists (in a fixed order) and on its seeded Random, derived the same way on both networks.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AgreementTests
{
    [TestCase(7)]
    [TestCase(8)]
    [CancelAfter(120_000)]
    public async Task Tcp_and_simulated_report_the_same_reliability_and_the_same_overlay(int runSeed, CancellationToken ct)
    {
        var options = new ExperimentOptions
        {
            Seeds = 3,
            Peers = 200,
            RunSeed = runSeed,
            Workload = WorkloadKind.Burst,
            Messages = 20,
            Spacing = TimeSpan.FromMilliseconds(50),
            // The default settings: a tcp burst runs without tenured neighbours (only the attack workload has them), as
            // the simulated network does; with them the tcp join draws would differ (highest degree 45/52, not 32/27).
        };

        var simulated = new SimulatedExperiment(options).Run(cancellationToken: ct);
        var tcp = await new TcpExperiment(options).RunAsync(cancellationToken: ct);

        Assert.Multiple(() =>
        {
            Assert.That(tcp.NetworkKind, Is.EqualTo("tcp"));
            Assert.That(simulated.NetworkKind, Is.EqualTo("simulated"));
            Assert.That(simulated.Overlay.Connected, Is.True);
            Assert.That(simulated.Overlay.PeersNotJoined, Is.Zero);
            Assert.That(simulated.Delivery.MessagesPublished, Is.EqualTo(20));
            Assert.That(simulated.Delivery.Reliability, Is.EqualTo(1.0));

            Assert.That(tcp.Overlay.Connected, Is.EqualTo(simulated.Overlay.Connected), "connected");
            Assert.That(tcp.Overlay.PeersNotJoined, Is.EqualTo(simulated.Overlay.PeersNotJoined), "peers not joined");
            Assert.That(tcp.Overlay.DegreeMin, Is.EqualTo(simulated.Overlay.DegreeMin), "degree min");
            Assert.That(tcp.Overlay.DegreeMean, Is.EqualTo(simulated.Overlay.DegreeMean), "degree mean");
            Assert.That(tcp.Overlay.DegreeMax, Is.EqualTo(simulated.Overlay.DegreeMax), "degree max");
            Assert.That(tcp.Overlay.Edges, Is.EqualTo(simulated.Overlay.Edges), "edges");
            Assert.That(tcp.Overlay.Fingerprint, Is.EqualTo(simulated.Overlay.Fingerprint), "the same edges between the same peer indices");
            Assert.That(tcp.Delivery.MessagesPublished, Is.EqualTo(simulated.Delivery.MessagesPublished), "messages");
            Assert.That(tcp.Delivery.ExpectedDeliveries, Is.EqualTo(simulated.Delivery.ExpectedDeliveries), "expected deliveries");
            Assert.That(tcp.Delivery.Deliveries, Is.EqualTo(simulated.Delivery.Deliveries), "deliveries");
            Assert.That(tcp.Delivery.Reliability, Is.EqualTo(simulated.Delivery.Reliability), "reliability");
            Assert.That(tcp.Traffic.FirstReceipts, Is.EqualTo(simulated.Traffic.FirstReceipts), "first receipts");
            // Flooding forwards each first receipt to every neighbour but its sender: the copies sent follow from the overlay.
            Assert.That(tcp.Traffic.PayloadTransmissions, Is.EqualTo(simulated.Traffic.PayloadTransmissions), "payload transmissions");
            Assert.That(tcp.Traffic.Rmr, Is.EqualTo(simulated.Traffic.Rmr), "RMR");
            Assert.That(tcp.Traffic.DuplicatesDropped, Is.EqualTo(simulated.Traffic.DuplicatesDropped), "duplicates (tcp: events; simulated: the machines' counts)");
            // tcp counts what its transports wrote: every gossip frame plus the Hellos, registrations, peer lists and pings.
            Assert.That(tcp.Traffic.MessagesSent, Is.GreaterThan(tcp.Traffic.PayloadTransmissions), "tcp frames of all types");
            Assert.That(tcp.Traffic.BytesSent, Is.GreaterThan(tcp.Traffic.PayloadBytes), "tcp bytes of all types");
            Assert.That(tcp.Traffic.SendQueueDrops?.Total, Is.Zero, "a quiet burst fills no send queue");
            Assert.That(simulated.Traffic.SendQueueDrops, Is.Null, "the simulator has no send queues");
        });
    }
}
