using P2PSim.Nodes;
using P2PSim.Simulation;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Private;

/// <summary>
/// Private messages on the simulated network, with the real seed and peer machines (deterministic): 3 seeds, 8 quiet
/// peers, 5 ms links; acknowledgement timeout 1 s, 3 attempts.
/// </summary>
[TestFixture]
public sealed class PrivateSimulationTests
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Enough = TimeSpan.FromSeconds(10);
    private static readonly int[] SecondAndThird = [2, 3];

    private static PrivateSimulation Joined(params int[] notDialable)
    {
        var sim = new PrivateSimulation(seeds: 3, peers: 8, notDialable: notDialable);
        Assert.That(sim.JoinAll(JoinTimeout), Is.Zero, "every peer should join");
        sim.RunFor(TimeSpan.FromSeconds(1)); // reservations settle
        return sim;
    }

    [Test]
    public void A_private_message_reaches_its_recipient_exactly_once_and_nobody_else_and_is_acknowledged_for_one_payload_and_one_acknowledgement()
    {
        var sim = Joined();
        var before = (sim.Network.Counters.PayloadTransmissions, sim.Network.Counters.DirectAcks);

        var id = sim.Send(1, 6, "hello six");
        Assert.That(sim.RunUntil(() => sim.EventsOf<PrivateAcknowledged>(1).Any(), Enough), Is.True, "the sender should get the acknowledgement");
        sim.RunFor(Enough); // and nothing else follows

        Assert.Multiple(() =>
        {
            var deliveries = sim.Deliveries.ToArray();
            Assert.That(deliveries.Select(d => (d.Peer, d.Delivery.Id, d.Delivery.Text, d.Delivery.RelayedBy)), Is.EqualTo(new[] { (6, id, "hello six", (P2PSim.Protocol.NodeEndpoint?)null) }),
                "delivered once, to the recipient only");
            var ack = sim.EventsOf<PrivateAcknowledged>(1).Single();
            Assert.That((ack.Id, ack.Attempts, ack.RelayedBy), Is.EqualTo((id, 1, (P2PSim.Protocol.NodeEndpoint?)null)));
            Assert.That(sim.Network.Counters.PayloadTransmissions - before.PayloadTransmissions, Is.EqualTo(1), "one payload transmission");
            Assert.That(sim.Network.Counters.DirectAcks - before.DirectAcks, Is.EqualTo(1), "plus its acknowledgement");
            Assert.That(sim.Peer(1).PrivateCounts.Acknowledged, Is.EqualTo(1));
            Assert.That(sim.Peer(6).PrivateCounts.Delivered, Is.EqualTo(1));
            Assert.That(sim.Events.Select(e => e.Event).OfType<ProtocolViolation>(), Is.Empty);
        });
    }

    [Test]
    public void The_recipient_answers_over_the_link_the_sender_opened()
    {
        var sim = Joined();
        sim.Send(2, 5, "ping");
        Assert.That(sim.RunUntil(() => sim.EventsOf<PrivateAcknowledged>(2).Any(), Enough), Is.True);
        var dials = sim.Network.Counters.DialsAttempted;

        sim.Send(5, 2, "pong");
        Assert.That(sim.RunUntil(() => sim.EventsOf<PrivateAcknowledged>(5).Any(), Enough), Is.True);

        Assert.That(sim.Network.Counters.DialsAttempted, Is.EqualTo(dials), "no second link");
        Assert.That(sim.Deliveries.Select(d => (d.Peer, d.Delivery.Text)), Is.EqualTo(new[] { (5, "ping"), (2, "pong") }));
    }

    [Test]
    public void A_recipient_that_cannot_be_dialled_is_reached_through_a_seed_it_holds_a_reservation_with()
    {
        var sim = Joined(notDialable: 4);
        var hidden = sim.Peer(4);
        Assert.That(hidden.ReservedWith, Is.EquivalentTo(hidden.RegisteredSeeds), "a reservation with every seed it registered with");
        var before = (sim.Network.Counters.PayloadTransmissions, sim.Network.Counters.DirectAcks);

        var id = sim.Send(0, 4, "through the seed");
        Assert.That(sim.RunUntil(() => sim.EventsOf<PrivateAcknowledged>(0).Any(), Enough), Is.True, "the sender should get the acknowledgement");
        sim.RunFor(Enough);

        Assert.Multiple(() =>
        {
            var delivery = sim.Deliveries.Single();
            Assert.That((delivery.Peer, delivery.Delivery.Id), Is.EqualTo((4, id)), "delivered once, to the recipient only");
            Assert.That(delivery.Delivery.RelayedBy, Is.Not.Null);
            Assert.That(hidden.RegisteredSeeds, Does.Contain(delivery.Delivery.RelayedBy!.Value));
            var ack = sim.EventsOf<PrivateAcknowledged>(0).Single();
            Assert.That(ack.RelayedBy, Is.EqualTo(delivery.Delivery.RelayedBy));
            Assert.That(ack.Attempts, Is.EqualTo(1), "the failed dial sends it on to a seed within the first attempt");
            Assert.That(sim.EventsOf<PrivateRelaying>(0).First().Reason, Is.EqualTo("cannot dial it (connection refused)"));
            Assert.That(sim.Network.Counters.PayloadTransmissions - before.PayloadTransmissions, Is.LessThanOrEqualTo(4),
                "to the seeds tried in turn, then one hop to the recipient");
            Assert.That(sim.Network.Counters.DirectAcks - before.DirectAcks, Is.EqualTo(2), "the recipient's acknowledgement, and the seed passing it on");
            Assert.That(sim.Events.Select(e => e.Event).OfType<ProtocolViolation>(), Is.Empty);
        });
    }

    [Test]
    public void A_peer_that_cannot_be_dialled_still_sends_directly()
    {
        var sim = Joined(notDialable: 4);

        sim.Send(4, 7, "from behind the NAT");
        Assert.That(sim.RunUntil(() => sim.EventsOf<PrivateAcknowledged>(4).Any(), Enough), Is.True);

        Assert.That(sim.EventsOf<PrivateAcknowledged>(4).Single().RelayedBy, Is.Null);
        Assert.That(sim.Deliveries.Single().Peer, Is.EqualTo(7));
    }

    [Test]
    public void A_crashed_recipient_makes_the_message_undeliverable_after_the_retries_reported_and_never_delivered()
    {
        var sim = Joined();
        sim.Crash(3);

        var id = sim.Send(0, 3, "anyone there?");
        // Attempts wait 1, 2 and 4 s: undeliverable 7 s after the send.
        Assert.That(sim.RunUntil(() => sim.EventsOf<PrivateUndeliverable>(0).Any(), TimeSpan.FromSeconds(8)), Is.True, "reported undeliverable");

        Assert.Multiple(() =>
        {
            var given = sim.EventsOf<PrivateUndeliverable>(0).Single();
            Assert.That((given.Id, given.Attempts), Is.EqualTo((id, 3)));
            Assert.That(given.Reason, Does.StartWith("no acknowledgement after 3 attempts (last: cannot dial it (connection refused), and no seed relays it ("));
            Assert.That(sim.EventsOf<PrivateRetrying>(0).Select(r => r.Attempt), Is.EqualTo(SecondAndThird));
            Assert.That(sim.Deliveries, Is.Empty);
            Assert.That(sim.EventsOf<PrivateAcknowledged>(0), Is.Empty);
            Assert.That(sim.Peer(0).PrivateCounts, Is.EqualTo(new P2PSim.Private.PrivateCounts(Sent: 1, Acknowledged: 0, Undeliverable: 1, Pending: 0, Delivered: 0, Duplicates: 0)));
        });
    }

    [Test]
    public void A_crashed_recipient_that_could_not_be_dialled_loses_its_reservations_and_the_seeds_refuse_to_relay()
    {
        var sim = Joined(notDialable: 2);
        sim.Crash(2);
        sim.RunFor(TimeSpan.FromSeconds(1));

        sim.Send(0, 2, "gone?");
        Assert.That(sim.RunUntil(() => sim.EventsOf<PrivateUndeliverable>(0).Any(), TimeSpan.FromSeconds(8)), Is.True);

        Assert.That(Enumerable.Range(0, 3).SelectMany(s => sim.Seed(s).Reservations), Is.Empty);
        Assert.That(sim.Deliveries, Is.Empty);
    }

    [Test]
    public void A_run_is_the_same_every_time()
    {
        string Trace()
        {
            var sim = Joined(notDialable: 4);
            sim.Send(0, 4, "a");
            sim.Send(1, 6, "b");
            sim.RunFor(Enough);
            return string.Join("\n", sim.Events.Select(e => $"{e.Node} {e.Event}"));
        }

        var first = Trace();
        var second = Trace();
        Assert.That(second, Is.EqualTo(first));
    }
}
