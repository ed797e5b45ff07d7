using P2PSim.Nodes;
using P2PSim.Protocol;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>Clean shutdown, and connections crossing each other.</summary>
[TestFixture]
public sealed class PeerConnectionTests
{
    private static readonly TimeSpan Interval = QuietShortIntervals().LivenessInterval;

    [Test]
    public void Stop_says_goodbye_to_every_connected_neighbour_and_then_closes_after_flushing()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3), seedCount: 3);
        var toTwo = peer.Connections[PeerAt(2)];
        var toThree = peer.Connections[PeerAt(3)];

        peer.Machine.Stop(peer.Now);
        var actions = peer.Take();

        var neighbourActions = actions.Where(a => a is Send or Close).ToArray();
        Assert.That(neighbourActions, Is.EquivalentTo(new NodeAction[]
        {
            new Send(toTwo, Goodbye.Instance), new Close(toTwo, "leaving", AfterFlush: true),
            new Send(toThree, Goodbye.Instance), new Close(toThree, "leaving", AfterFlush: true),
        }));
        Assert.That(Array.IndexOf(actions, new Send(toTwo, Goodbye.Instance)), Is.LessThan(Array.IndexOf(actions, new Close(toTwo, "leaving", AfterFlush: true))));
        Assert.That(actions.ReportsOf<Leaving>().Single(), Is.EqualTo(new Leaving(T0, 2, 2)));
        Assert.That(peer.Machine.Neighbours, Is.Empty);
    }

    [Test]
    public void Stop_dials_every_registered_seed_and_is_complete_once_each_goodbye_is_handed_over()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3), seedCount: 3);
        var seeds = peer.Machine.RegisteredSeeds.ToArray();

        peer.Machine.Stop(peer.Now);
        var dialed = peer.Take().DialTargets();

        Assert.That(dialed, Is.EquivalentTo(seeds));
        Assert.That(peer.Machine.StopComplete, Is.False);
        var first = peer.ConnectSeed(seeds[0]);
        Assert.That(peer.Take().Where(a => a is Send or Close), Is.EqualTo(new NodeAction[]
        {
            new Send(first, Goodbye.Instance), new Close(first, "goodbye delivered", AfterFlush: true),
        }));
        Assert.That(peer.Machine.StopComplete, Is.False, "one seed still waits for its goodbye");
        var second = peer.ConnectSeed(seeds[1]);
        Assert.That(peer.Take().Sends(), Is.EqualTo(new[] { new Send(second, Goodbye.Instance) }));
        Assert.That(peer.Machine.StopComplete, Is.True);
    }

    [Test]
    public void A_seed_that_cannot_be_reached_on_stop_does_not_hold_the_shutdown_up()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2), seedCount: 3);
        var seeds = peer.Machine.RegisteredSeeds.ToArray();
        peer.Machine.Stop(peer.Now);
        peer.Take();

        peer.ConnectSeed(seeds[0]);
        peer.DialFails(seeds[1]);
        var actions = peer.Take();

        Assert.That(peer.Machine.StopComplete, Is.True);
        Assert.That(actions.ReportsOf<SeedUnreachable>().Single().WillRetry, Is.False);
        Assert.That(actions.DialTargets(), Is.Empty);
    }

    [Test]
    public void After_stop_the_peer_neither_gossips_nor_pings_and_refuses_new_neighbours()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2), ShortIntervals(), seedCount: 1);
        peer.Machine.Stop(peer.Now);
        peer.ConnectSeed(SeedAt(1));
        peer.Take();

        var late = peer.ConnectPeer(PeerAt(5), inbound: true);
        var refused = peer.Take();
        var timers = Enumerable.Range(1, 30).SelectMany(k => peer.TimerAt(T0 + (k * TimeSpan.FromSeconds(1)))).ToArray();

        Assert.That(refused.Closes(), Is.EqualTo(new[] { new Close(late, "shutting down", AfterFlush: false) }));
        Assert.That(peer.Machine.Neighbours, Is.Empty);
        Assert.That(timers.Sends(), Is.Empty);
        Assert.That(timers.DialTargets(), Is.Empty);
        Assert.That(peer.Machine.StopComplete, Is.True);
    }

    [Test]
    public void Stop_twice_says_goodbye_once()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2), seedCount: 1);
        peer.Machine.Stop(peer.Now);
        peer.Take();

        peer.Machine.Stop(peer.Now);

        Assert.That(peer.Take(), Is.Empty);
    }

    [Test]
    public void A_peer_stopping_while_its_registration_is_answered_says_goodbye_to_that_seed_too()
    {
        var peer = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), [SeedAt(1)], QuietShortIntervals()), T0);
        peer.Start();
        var connection = peer.ConnectSeed(SeedAt(1));
        peer.Take();

        peer.Machine.Stop(peer.Now);
        Assert.That(peer.Machine.StopComplete, Is.False, "the registration is still under way");
        peer.Receive(SeedAt(1), new PeerList(Peers(2)));
        var actions = peer.Take();

        Assert.That(actions.Where(a => a is Send or Close), Is.EqualTo(new NodeAction[]
        {
            new Send(connection, Goodbye.Instance), new Close(connection, "registration complete", AfterFlush: true),
        }), "the seed registered this peer, so it must hear the goodbye");
        Assert.That(actions.DialTargets(), Is.Empty, "no neighbours are dialed while stopping");
        Assert.That(peer.Machine.StopComplete, Is.True);
    }

    [Test]
    public void A_peer_stopping_while_a_seed_retry_is_pending_does_not_ask_to_be_woken_in_the_past()
    {
        var peer = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), Seeds(3), QuietShortIntervals()), T0);
        var pending = new Queue<NodeEndpoint>(peer.Start().DialTargets());
        var answered = pending.Dequeue();
        peer.ConnectSeed(answered);
        peer.Receive(answered, new PeerList([]));
        while (pending.TryDequeue(out var failing))
        {
            peer.DialFails(failing);
            foreach (var next in peer.Take().DialTargets())
            {
                pending.Enqueue(next);
            }
        }
        Assert.That(peer.Machine.Joined, Is.True);
        Assert.That(peer.Machine.RegisteredSeeds, Is.EqualTo(new[] { answered }), "one seed of the two wanted; the others are retried later");

        peer.Now = T0 + TimeSpan.FromSeconds(1);
        peer.Machine.Stop(peer.Now);
        peer.ConnectSeed(answered);
        peer.Take();
        var woken = peer.TimerAt(T0 + QuietShortIntervals().RetryInterval);

        Assert.That(peer.Machine.StopComplete, Is.True);
        Assert.That(woken.DialTargets(), Is.Empty, "no registration retry while stopping");
        Assert.That(woken.WakeRequests(), Has.None.LessThanOrEqualTo(peer.Now), "a wake-up in the past would make the driver spin");
    }

    // ---- crossed connections ----

    /// <summary>
    /// <paramref name="smallerPort"/> and <paramref name="largerPort"/> dial each other at the same time. Each side sees
    /// its own dial complete and the other's arrive, in the order given.
    /// </summary>
    [TestCase(true, true)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(false, false)]
    public void Crossed_dials_leave_exactly_one_connection_the_one_dialed_by_the_smaller_endpoint(bool smallerSeesOwnDialFirst, bool largerSeesOwnDialFirst)
    {
        var small = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), [], QuietShortIntervals()), T0);
        var large = new MachineProbe<PeerMachine>(NewPeer(PeerAt(2), [], QuietShortIntervals()), T0);
        small.Start();
        large.Start();
        Assert.That(NodeEndpoint.Compare(small.Machine.Self, large.Machine.Self), Is.LessThan(0));
        // Link X was dialed by the smaller endpoint, link Y by the larger one; each has an id at either end.
        var xAtSmall = new ConnectionId(1);
        var xAtLarge = new ConnectionId(2);
        var yAtLarge = new ConnectionId(3);
        var yAtSmall = new ConnectionId(4);
        var smallEvents = new[]
        {
            new ConnectionInfo(xAtSmall, PeerAt(2), NodeRole.Peer, Inbound: false, "127.0.0.1:10002"),
            new ConnectionInfo(yAtSmall, PeerAt(2), NodeRole.Peer, Inbound: true, "127.0.0.1:50001"),
        };
        var largeEvents = new[]
        {
            new ConnectionInfo(yAtLarge, PeerAt(1), NodeRole.Peer, Inbound: false, "127.0.0.1:10001"),
            new ConnectionInfo(xAtLarge, PeerAt(1), NodeRole.Peer, Inbound: true, "127.0.0.1:50002"),
        };

        foreach (var connection in smallerSeesOwnDialFirst ? smallEvents : smallEvents.Reverse())
        {
            small.Machine.OnConnected(connection, T0);
        }
        foreach (var connection in largerSeesOwnDialFirst ? largeEvents : largeEvents.Reverse())
        {
            large.Machine.OnConnected(connection, T0);
        }
        var smallCloses = small.Take().Closes();
        var largeCloses = large.Take().Closes();
        small.Machine.OnClosed(yAtSmall, "duplicate connection", T0);
        large.Machine.OnClosed(yAtLarge, "duplicate connection", T0);
        var afterClose = small.Take().Concat(large.Take()).ToArray();

        Assert.That(smallCloses.Select(c => c.Connection), Is.EqualTo(new[] { yAtSmall }));
        Assert.That(largeCloses.Select(c => c.Connection), Is.EqualTo(new[] { yAtLarge }));
        Assert.That(afterClose.ReportsOf<NeighbourConnectionLost>(), Is.Empty);
        Assert.That(small.Machine.ConnectedNeighbours, Is.EqualTo(new[] { PeerAt(2) }));
        Assert.That(large.Machine.ConnectedNeighbours, Is.EqualTo(new[] { PeerAt(1) }));
        Assert.That(small.TimerAt(T0 + Interval).SendsOf<Ping>().Single().Connection, Is.EqualTo(xAtSmall), "link X carries the traffic");
        Assert.That(large.TimerAt(T0 + Interval).SendsOf<Ping>().Single().Connection, Is.EqualTo(xAtLarge));
    }

    [Test]
    public void A_connection_to_itself_is_closed()
    {
        var peer = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), [], QuietShortIntervals()), T0);
        peer.Start();

        var self = peer.ConnectPeer(PeerAt(1));

        Assert.That(peer.Take().Closes(), Is.EqualTo(new[] { new Close(self, "connection to self", AfterFlush: false) }));
        Assert.That(peer.Machine.Neighbours, Is.Empty);
    }

    [Test]
    public void An_inbound_connection_from_a_seed_is_closed_after_the_hello_is_flushed_and_costs_nothing_else()
    {
        // A seed checking a dead-node report dials the peer and says nothing: the Hello is the answer, so the close
        // must not abort it (an aborted handshake would look to the seed like a dead peer).
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2), seedCount: 1);

        var connection = peer.Connect(SeedAt(1), NodeRole.Seed, inbound: true);
        var actions = peer.Take();
        peer.Machine.OnClosed(connection, "closed", peer.Now);
        var closed = peer.Take();

        Assert.That(actions.Closes(), Is.EqualTo(new[] { new Close(connection, "a seed checked that this peer is alive", AfterFlush: true) }));
        Assert.That(actions.Sends(), Is.Empty);
        Assert.That(actions.OfType<Report>(), Is.Empty, "nothing worth a log line");
        Assert.That(closed, Is.Empty);
        Assert.That(peer.Machine.ConnectedNeighbours, Is.EqualTo(new[] { PeerAt(2) }));
    }
}
