using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

[TestFixture]
public sealed class PeerLivenessTests
{
    private static readonly TimeSpan Interval = QuietShortIntervals().LivenessInterval;
    private static readonly int Limit = QuietShortIntervals().MaxMissedLiveness;

    /// <summary>When the k-th liveness round of a peer that joined at T0 is due.</summary>
    private static DateTimeOffset Round(int k) => T0 + (k * Interval);

    /// <summary>
    /// PeerAt(1), registered with 2 of 3 seeds, connected to PeerAt(2) and PeerAt(3), no gossip. These tests see liveness
    /// alone: MinNeighbours is 1, so losing one neighbour does not start an overlay repair, and there is no periodic
    /// re-registration (both are covered in <see cref="OverlayRepairTests"/> and <see cref="ReregistrationTests"/>).
    /// </summary>
    private static MachineProbe<PeerMachine> WatchingPeer() =>
        PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3), LivenessOnly(), seedCount: 3);

    private static P2PSim.Configuration.PeerOptions LivenessOnly() => QuietShortIntervals(o =>
    {
        o.MinNeighbours = 1;
        o.ReregisterInterval = TimeSpan.Zero;
    });

    private static NodeEndpoint NeighbourOn(MachineProbe<PeerMachine> peer, ConnectionId connection) =>
        peer.Connections.Single(c => c.Value == connection).Key;

    /// <summary>The <paramref name="responders"/> answer the pings in <paramref name="actions"/>; the rest stay silent.</summary>
    private static NodeAction[] AnswerPings(MachineProbe<PeerMachine> peer, NodeAction[] actions, params NodeEndpoint[] responders)
    {
        foreach (var send in actions.SendsOf<Ping>())
        {
            if (responders.Contains(NeighbourOn(peer, send.Connection)))
            {
                peer.Receive(send.Connection, new Pong(((Ping)send.Message).Sequence));
            }
        }
        return peer.Take();
    }

    [Test]
    public void Each_liveness_interval_a_ping_goes_to_every_neighbour()
    {
        var peer = WatchingPeer();

        var early = peer.TimerAt(Round(1) - TimeSpan.FromMilliseconds(1));
        var first = peer.TimerAt(Round(1));
        AnswerPings(peer, first, Peers(2, 3));
        var second = peer.TimerAt(Round(2));

        Assert.That(early.SendsOf<Ping>(), Is.Empty);
        Assert.That(first.SendsOf<Ping>().Select(s => s.Connection), Is.EquivalentTo(new[] { peer.Connections[PeerAt(2)], peer.Connections[PeerAt(3)] }));
        Assert.That(second.SendsOf<Ping>().Select(s => s.Connection), Is.EquivalentTo(new[] { peer.Connections[PeerAt(2)], peer.Connections[PeerAt(3)] }));
        var sequences = first.Concat(second).SendsOf<Ping>().Select(s => ((Ping)s.Message).Sequence);
        Assert.That(sequences, Is.Unique);
        Assert.That(first.WakeRequests().Last(), Is.EqualTo(Round(2)));
        Assert.That(first.Concat(second).ReportsOf<LivenessMissed>(), Is.Empty);
    }

    [Test]
    public void A_ping_from_a_neighbour_is_answered_with_the_same_sequence()
    {
        var peer = WatchingPeer();

        peer.Receive(PeerAt(2), new Ping(77));

        Assert.That(peer.Take().Sends(), Is.EqualTo(new[] { new Send(peer.Connections[PeerAt(2)], new Pong(77)) }));
    }

    [Test]
    public void An_unanswered_ping_counts_a_miss_and_a_pong_with_the_right_sequence_resets_the_count()
    {
        var peer = WatchingPeer();
        AnswerPings(peer, peer.TimerAt(Round(1)), PeerAt(3));

        var second = peer.TimerAt(Round(2));
        AnswerPings(peer, second, Peers(2, 3));
        var third = peer.TimerAt(Round(3));
        AnswerPings(peer, third, PeerAt(3));
        var fourth = peer.TimerAt(Round(4));

        Assert.That(second.ReportsOf<LivenessMissed>().Single(), Is.EqualTo(new LivenessMissed(Round(2), PeerAt(2), 1, Limit)));
        Assert.That(third.ReportsOf<LivenessMissed>(), Is.Empty, "the pong reset the count");
        Assert.That(fourth.ReportsOf<LivenessMissed>().Single().Missed, Is.EqualTo(1), "counting starts again from zero");
    }

    [Test]
    public void A_pong_with_a_stale_sequence_does_not_reset_the_count()
    {
        var peer = WatchingPeer();
        var first = peer.TimerAt(Round(1));
        var stale = (Ping)first.SendsOf<Ping>().Single(s => s.Connection == peer.Connections[PeerAt(2)]).Message;
        AnswerPings(peer, first, PeerAt(3));
        AnswerPings(peer, peer.TimerAt(Round(2)), PeerAt(3));

        peer.Receive(PeerAt(2), new Pong(stale.Sequence));
        var third = peer.TimerAt(Round(3));

        Assert.That(third.ReportsOf<LivenessMissed>().Single(), Is.EqualTo(new LivenessMissed(Round(3), PeerAt(2), 2, Limit)));
    }

    [Test]
    public void After_max_missed_unanswered_rounds_the_neighbour_is_dead_dropped_and_reported_to_every_registered_seed()
    {
        var peer = WatchingPeer();
        var silent = peer.Connections[PeerAt(2)];
        var rounds = new List<NodeAction[]>();
        for (var k = 1; k <= Limit; k++)
        {
            rounds.Add(AnswerPings(peer, peer.TimerAt(Round(k)), PeerAt(3)));
            Assert.That(rounds[^1], Is.Empty);
        }

        var fatal = peer.TimerAt(Round(Limit + 1));

        var dead = fatal.ReportsOf<NeighbourDead>().Single();
        Assert.That(dead, Is.EqualTo(new NeighbourDead(Round(Limit + 1), PeerAt(2), Limit, "liveness requests unanswered")));
        Assert.That(fatal.Closes(), Is.EqualTo(new[] { new Close(silent, "declared dead", AfterFlush: false) }));
        Assert.That(fatal.SendsOf<Ping>().Select(s => s.Connection), Is.EqualTo(new[] { peer.Connections[PeerAt(3)] }));
        Assert.That(peer.Machine.Neighbours, Is.EqualTo(new[] { PeerAt(3) }));

        var seeds = peer.Machine.RegisteredSeeds.ToArray();
        Assert.That(seeds, Has.Length.EqualTo(2));
        Assert.That(fatal.DialTargets(), Is.EquivalentTo(seeds));
        var report = new DeadNode(PeerAt(2), Round(Limit + 1).ToUnixTimeMilliseconds(), PeerAt(1));
        Assert.That(fatal.ReportsOf<DeadNodeReportSent>(), Is.EquivalentTo(seeds.Select(s => new DeadNodeReportSent(Round(Limit + 1), s, report))));
        Assert.That(report.ToText(), Is.EqualTo($"Dead Node:127.0.0.1:10002:{Round(Limit + 1).ToUnixTimeMilliseconds()}:127.0.0.1"));

        foreach (var seed in seeds)
        {
            var connection = peer.ConnectSeed(seed);
            var delivered = peer.Take();
            Assert.That(delivered.Sends(), Is.EqualTo(new[] { new Send(connection, report) }));
            Assert.That(delivered.Closes().Single(), Is.EqualTo(new Close(connection, "report delivered", AfterFlush: true)));
        }
    }

    [Test]
    public void A_lost_connection_is_redialed_each_round_and_declared_dead_when_redials_keep_failing()
    {
        var peer = WatchingPeer();
        peer.Closed(PeerAt(2));
        var lost = peer.Take();
        var dialsPerRound = new List<NodeEndpoint[]>();
        var missesPerRound = new List<int>();
        for (var k = 1; k < Limit; k++)
        {
            var round = peer.TimerAt(Round(k));
            AnswerPings(peer, round, PeerAt(3));
            dialsPerRound.Add(round.DialTargets());
            missesPerRound.Add(round.ReportsOf<LivenessMissed>().Single().Missed);
            peer.DialFails(PeerAt(2));
            Assert.That(peer.Take().ReportsOf<NeighbourDialFailed>(), Is.Empty, "a redial failure is not a failed first dial");
        }

        var fatal = peer.TimerAt(Round(Limit));

        Assert.That(lost.ReportsOf<NeighbourConnectionLost>().Single().Neighbour, Is.EqualTo(PeerAt(2)));
        Assert.That(dialsPerRound, Is.All.EqualTo(new[] { PeerAt(2) }));
        Assert.That(missesPerRound, Is.EqualTo(Enumerable.Range(1, Limit - 1)));
        var dead = fatal.ReportsOf<NeighbourDead>().Single();
        Assert.That(dead, Is.EqualTo(new NeighbourDead(Round(Limit), PeerAt(2), Limit, "connection lost and could not be re-established")));
        Assert.That(fatal.DialTargets(), Is.EquivalentTo(peer.Machine.RegisteredSeeds), "only the seeds are dialed, to report");
        Assert.That(peer.Machine.Neighbours, Is.EqualTo(new[] { PeerAt(3) }));
    }

    [Test]
    public void A_redial_that_succeeds_restores_the_neighbour_without_a_death()
    {
        var peer = WatchingPeer();
        peer.Closed(PeerAt(2));
        var round1 = peer.TimerAt(Round(1));
        AnswerPings(peer, round1, PeerAt(3));
        Assert.That(round1.DialTargets(), Is.EqualTo(new[] { PeerAt(2) }));

        var fresh = peer.ConnectPeer(PeerAt(2));
        var reconnected = peer.Take();
        var later = new List<NodeAction>();
        for (var k = 2; k <= 10; k++)
        {
            var round = peer.TimerAt(Round(k));
            later.AddRange(round);
            AnswerPings(peer, round, Peers(2, 3));
        }

        var connected = reconnected.ReportsOf<NeighbourConnected>().Single();
        Assert.That(connected.Neighbour, Is.EqualTo(PeerAt(2)));
        Assert.That(connected.Reconnected, Is.True);
        Assert.That(later.ReportsOf<NeighbourDead>(), Is.Empty);
        Assert.That(later.ReportsOf<LivenessMissed>(), Is.Empty);
        Assert.That(later.SendsOf<Ping>().Count(s => s.Connection == fresh), Is.EqualTo(9));
        Assert.That(peer.Machine.ConnectedNeighbours, Is.EquivalentTo(Peers(2, 3)));
    }

    [Test]
    public void A_neighbour_that_says_goodbye_is_removed_and_never_reported_dead()
    {
        var peer = WatchingPeer();
        var connection = peer.Connections[PeerAt(2)];

        peer.Receive(PeerAt(2), Goodbye.Instance);
        var left = peer.Take();
        peer.Machine.OnClosed(connection, "closed by remote", peer.Now);
        var later = new List<NodeAction>(peer.Take());
        for (var k = 1; k <= 10; k++)
        {
            var round = peer.TimerAt(Round(k));
            later.AddRange(round);
            AnswerPings(peer, round, PeerAt(3));
        }

        Assert.That(left.ReportsOf<NeighbourLeft>().Single(), Is.EqualTo(new NeighbourLeft(T0, PeerAt(2), 1)));
        Assert.That(left.Closes().Single().Connection, Is.EqualTo(connection));
        Assert.That(peer.Machine.Neighbours, Is.EqualTo(new[] { PeerAt(3) }));
        Assert.That(later.ReportsOf<NeighbourConnectionLost>(), Is.Empty);
        Assert.That(later.ReportsOf<NeighbourDead>(), Is.Empty);
        Assert.That(later.ReportsOf<DeadNodeReportSent>(), Is.Empty);
        Assert.That(later.DialTargets(), Is.Empty);
        Assert.That(later.SendsOf<Ping>().Select(s => s.Connection), Is.All.EqualTo(peer.Connections[PeerAt(3)]));
    }

    [Test]
    public void A_neighbour_that_breaks_the_protocol_is_dropped_not_retried_and_never_reported_dead()
    {
        var peer = WatchingPeer();
        var connection = peer.Connections[PeerAt(2)];

        peer.Receive(PeerAt(2), Register.Instance);
        var actions = peer.Take();
        var later = new List<NodeAction>();
        for (var k = 1; k <= 10; k++)
        {
            var round = peer.TimerAt(Round(k));
            later.AddRange(round);
            AnswerPings(peer, round, PeerAt(3));
        }

        var violation = actions.ReportsOf<ProtocolViolation>().Single();
        Assert.That(violation.RemoteAddress, Is.EqualTo(PeerAt(2).ToString()));
        Assert.That(violation.Reason, Does.Contain("Register"));
        Assert.That(actions.Closes(), Is.EqualTo(new[] { new Close(connection, violation.Reason, AfterFlush: false) }));
        Assert.That(peer.Machine.Neighbours, Is.EqualTo(new[] { PeerAt(3) }));
        Assert.That(later.DialTargets(), Is.Empty);
        Assert.That(later.ReportsOf<NeighbourDead>(), Is.Empty);
    }

    [Test]
    public void A_dead_node_report_to_an_unreachable_seed_is_retried_then_given_up()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2), LivenessOnly(), seedCount: 1);
        for (var k = 1; k <= Limit; k++)
        {
            peer.TimerAt(Round(k));
        }
        var fatal = peer.TimerAt(Round(Limit + 1));
        Assert.That(fatal.ReportsOf<NeighbourDead>(), Has.Length.EqualTo(1));
        Assert.That(fatal.DialTargets(), Is.EqualTo(new[] { SeedAt(1) }));
        var retry = QuietShortIntervals().RetryInterval;
        var attempts = 1;
        var unreachable = new List<SeedUnreachable>();

        while (true)
        {
            peer.DialFails(SeedAt(1));
            var failed = peer.Take();
            unreachable.AddRange(failed.ReportsOf<SeedUnreachable>());
            if (!unreachable[^1].WillRetry)
            {
                break;
            }
            Assert.That(failed.WakeRequests(), Does.Contain(peer.Now + retry));
            Assert.That(peer.TimerAt(peer.Now + retry).DialTargets(), Is.EqualTo(new[] { SeedAt(1) }));
            attempts++;
        }
        var later = peer.TimerAt(peer.Now + (10 * retry));

        Assert.That(attempts, Is.EqualTo(3));
        Assert.That(unreachable.Select(u => u.What), Is.All.EqualTo("DeadNode"));
        Assert.That(later.DialTargets(), Is.Empty);
    }

    // ---- detection time, on the in-memory wire ----

    /// <summary>One seed, PeerAt(1) and PeerAt(2) connected to each other; the clock is at T0 + <paramref name="joinDelay"/>.</summary>
    private static MachineHarness TwoPeers(TimeSpan joinDelay)
    {
        var net = new MachineHarness(T0);
        net.Add(NewSeed(SeedAt(1)));
        var first = net.Add(NewPeer(PeerAt(1), [SeedAt(1)], QuietShortIntervals()));
        var second = net.Add(NewPeer(PeerAt(2), [SeedAt(1)], QuietShortIntervals()));
        net.Start(first);
        net.AdvanceBy(joinDelay);
        net.Start(second);
        Assert.That(net.LinksBetween(PeerAt(1), PeerAt(2)), Is.EqualTo(1));
        return net;
    }

    [TestCase(0.0, 0.0)]
    [TestCase(0.0, 0.001)]
    [TestCase(3.0, 5.0)]
    [TestCase(7.5, 9.999)]
    [TestCase(7.5, 10.0)]
    [TestCase(0.0, 10.001)]
    [TestCase(0.0, 37.0)]
    public void A_hung_neighbour_is_declared_dead_within_max_missed_plus_one_intervals(double joinDelaySeconds, double hangAfterSeconds)
    {
        var net = TwoPeers(TimeSpan.FromSeconds(joinDelaySeconds));
        net.AdvanceBy(TimeSpan.FromSeconds(hangAfterSeconds));
        var hungAt = net.Now;

        net.Freeze(PeerAt(2));
        net.AdvanceBy(10 * Interval);

        var dead = net.EventsOf<NeighbourDead>(PeerAt(1)).Single();
        Assert.That(dead.Neighbour, Is.EqualTo(PeerAt(2)));
        Assert.That(dead.At - hungAt, Is.LessThanOrEqualTo((Limit + 1) * Interval));
        Assert.That(dead.At - hungAt, Is.GreaterThanOrEqualTo((Limit - 1) * Interval), "not declared dead too early either");
        var seed = net.EventsOf<DeadNodeReceived>(SeedAt(1)).Single();
        Assert.That(seed.Report.Dead, Is.EqualTo(PeerAt(2)));
        Assert.That(seed.Report.Reporter, Is.EqualTo(PeerAt(1)));
        Assert.That(seed.Removed, Is.True);
        Assert.That(((SeedMachine)net.Machines.First()).PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    [TestCase(0.0)]
    [TestCase(0.001)]
    [TestCase(4.0)]
    [TestCase(9.999)]
    public void A_crashed_neighbour_is_declared_dead_within_max_missed_plus_one_intervals(double crashAfterSeconds)
    {
        var net = TwoPeers(TimeSpan.FromSeconds(2));
        net.AdvanceBy(TimeSpan.FromSeconds(crashAfterSeconds));
        var crashedAt = net.Now;

        net.Crash(PeerAt(2));
        net.AdvanceBy(10 * Interval);

        var dead = net.EventsOf<NeighbourDead>(PeerAt(1)).Single();
        Assert.That(dead.Neighbour, Is.EqualTo(PeerAt(2)));
        Assert.That(dead.Reason, Is.EqualTo("connection lost and could not be re-established"));
        Assert.That(dead.At - crashedAt, Is.LessThanOrEqualTo((Limit + 1) * Interval));
        Assert.That(net.EventsOf<DeadNodeReceived>(SeedAt(1)).Single().Removed, Is.True);
    }
}
