using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>Periodic re-registration (<c>Peer:ReregisterInterval</c>): a restarted seed relearns its peers; lost seeds are retried.</summary>
[TestFixture]
public sealed class ReregistrationTests
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Retry = QuietShortIntervals().RetryInterval;

    private static PeerOptions Options(Action<PeerOptions>? tweak = null) => QuietShortIntervals(o =>
    {
        o.ReregisterInterval = Every;
        tweak?.Invoke(o);
    });

    /// <summary>Fires the timer at <paramref name="at"/>; neighbours answer every ping it sends (so liveness stays quiet).</summary>
    private static NodeAction[] Tick(MachineProbe<PeerMachine> peer, DateTimeOffset at)
    {
        var actions = peer.TimerAt(at);
        foreach (var ping in actions.SendsOf<Ping>())
        {
            peer.Receive(ping.Connection, new Pong(((Ping)ping.Message).Sequence));
        }
        return [.. actions, .. peer.Take()];
    }

    [Test]
    public void Each_registered_seed_gets_a_fresh_register_every_interval_and_its_answer_refreshes_the_known_peers()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3), Options(), seedCount: 3);
        var registered = peer.Machine.RegisteredSeeds.ToArray();

        // The first re-registration with each seed falls at a random 50-100 % of the interval, later ones at 90-100 %;
        // each seed answers as soon as it is dialed.
        var early = TickEverySecond(peer, T0 + (Every / 2) - TimeSpan.FromMilliseconds(1));
        var first = new List<NodeAction>();
        var answers = new List<NodeAction>();
        var answeredAt = new Dictionary<NodeEndpoint, DateTimeOffset>();
        while (peer.Now < T0 + Every)
        {
            var step = Tick(peer, peer.Now + TimeSpan.FromSeconds(1));
            first.AddRange(step);
            foreach (var seed in step.DialTargets())
            {
                var link = peer.ConnectSeed(seed);
                answers.AddRange(peer.Take().Where(a => a is Send s && s.Connection == link));
                peer.Receive(link, new PeerList(Peers(2, 3, 4)));
                answers.AddRange(peer.Take());
                answeredAt[seed] = peer.Now;
            }
        }

        Assert.That(early.DialTargets(), Is.Empty);
        Assert.That(first.DialTargets(), Is.EquivalentTo(registered));
        Assert.That(answers.Sends().Count(s => s.Message is Register), Is.EqualTo(registered.Length));
        Assert.That(answers.ReportsOf<SeedRefreshed>().Select(r => (r.Seed, r.FailedAttempts)), Is.EquivalentTo(registered.Select(s => (s, 0))));
        Assert.That(answers.ReportsOf<RegisteredWithSeed>(), Is.Empty, "a refresh is not a first registration");
        Assert.That(answers.Closes(), Has.Length.EqualTo(registered.Length), "each registration connection is closed once answered");
        Assert.That(answers.Sends().Where(s => s.Message is Goodbye), Is.Empty);
        Assert.That(peer.Machine.KnownPeers, Is.EquivalentTo(Peers(2, 3, 4)));
        Assert.That(peer.Machine.ConnectedNeighbours, Is.EquivalentTo(Peers(2, 3)));
        Assert.That(TickEverySecond(peer, answeredAt.Values.Min() + (Every * 0.9) - TimeSpan.FromMilliseconds(1)).DialTargets(), Is.Empty);
        Assert.That(TickEverySecond(peer, answeredAt.Values.Max() + Every).DialTargets().Distinct(), Is.EquivalentTo(registered), "and again within one interval of each answer");
    }

    /// <summary>Fires the timer every second (and at <paramref name="until"/>), pings answered; everything the peer did.</summary>
    private static List<NodeAction> TickEverySecond(MachineProbe<PeerMachine> peer, DateTimeOffset until)
    {
        var actions = new List<NodeAction>();
        while (peer.Now < until)
        {
            actions.AddRange(Tick(peer, peer.Now + TimeSpan.FromSeconds(1) < until ? peer.Now + TimeSpan.FromSeconds(1) : until));
        }
        return actions;
    }

    [Test]
    public void The_latest_list_of_each_seed_replaces_its_earlier_one()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3), Options(), seedCount: 1);

        Tick(peer, T0 + Every);
        var link = peer.ConnectSeed(SeedAt(1));
        peer.Receive(link, new PeerList(Peers(3, 4)));

        Assert.That(peer.Machine.KnownPeers, Is.EquivalentTo(Peers(3, 4)), "PeerAt(2) was dropped by the only seed");
    }

    [Test]
    public void With_a_zero_interval_a_peer_registers_once_only()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3), Options(o => o.ReregisterInterval = TimeSpan.Zero), seedCount: 1);

        var actions = Enumerable.Range(1, 20).SelectMany(k => Tick(peer, T0 + (k * TimeSpan.FromSeconds(10)))).ToArray();

        Assert.That(actions.DialTargets(), Is.Empty);
    }

    [Test]
    public void A_lost_seed_is_retried_with_a_doubling_pause_up_to_the_interval_while_neighbours_and_gossip_carry_on()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3), ShortIntervals(o =>
        {
            o.ReregisterInterval = Every;
            o.MessagesPerPeer = 1000;
        }), seedCount: 1);
        var failures = new List<ReregistrationFailed>();
        var gossip = new List<NodeAction>();
        var at = T0 + Every;
        for (var attempt = 1; attempt <= 7; attempt++)
        {
            var dials = new List<NodeAction>();
            // Every timer up to the retry, one second at a time (gossip, liveness), with pings answered.
            // (The first attempt falls at a random 50-100 % of the interval; the retries at their RetryAt.)
            while (peer.Now < at && dials.DialTargets().Length == 0)
            {
                var step = Tick(peer, peer.Now + TimeSpan.FromSeconds(1) < at ? peer.Now + TimeSpan.FromSeconds(1) : at);
                gossip.AddRange(step);
                dials.AddRange(step);
            }
            Assert.That(dials.DialTargets(), Is.EqualTo(new[] { SeedAt(1) }), $"attempt {attempt} dials the seed once");
            peer.DialFails(SeedAt(1));
            var failed = peer.Take().ReportsOf<ReregistrationFailed>().Single();
            failures.Add(failed);
            at = failed.RetryAt!.Value;
        }

        Assert.That(failures.Select(f => f.Failures), Is.EqualTo(Enumerable.Range(1, 7)));
        Assert.That(failures.Select(f => f.RetryAt - f.At), Is.EqualTo(new TimeSpan?[]
        {
            Retry, 2 * Retry, 4 * Retry, 8 * Retry, Every, Every, Every,
        }));
        Assert.That(failures.Select(f => f.SeedsReachable), Is.All.Zero);
        Assert.That(failures[0].Reason, Is.EqualTo("connection refused"));
        Assert.That(peer.Machine.ConnectedNeighbours, Is.EquivalentTo(Peers(2, 3)), "the neighbours are kept");
        Assert.That(peer.Machine.RegisteredSeeds, Is.EqualTo(new[] { SeedAt(1) }), "the seed is not given up");
        Assert.That(gossip.ReportsOf<GossipOriginated>().Length, Is.GreaterThan(100), "gossip goes on");
        Assert.That(gossip.Closes(), Is.Empty);

        // The seed is back.
        while (peer.Now < at)
        {
            Tick(peer, peer.Now + TimeSpan.FromSeconds(1) < at ? peer.Now + TimeSpan.FromSeconds(1) : at);
        }
        var link = peer.ConnectSeed(SeedAt(1));
        peer.Receive(link, new PeerList(Peers(2, 3)));
        var back = peer.Take().ReportsOf<SeedRefreshed>().Single();
        Assert.That(back.FailedAttempts, Is.EqualTo(7));
    }

    [Test]
    public void A_reregistration_that_times_out_is_closed_without_withdrawing_the_registration()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2), Options(o => o.MinNeighbours = 1), seedCount: 1);
        Tick(peer, T0 + Every);
        var link = peer.ConnectSeed(SeedAt(1));
        peer.Take();

        var timedOut = Tick(peer, T0 + Every + QuietShortIntervals().RegistrationTimeout);

        Assert.That(timedOut.Where(a => a is Send or Close), Is.EqualTo(new NodeAction[] { new Close(link, "registration timed out") }), "no Goodbye: the peer wants to stay registered");
        var failed = timedOut.ReportsOf<ReregistrationFailed>().Single();
        Assert.That(failed.Reason, Is.EqualTo("no peer list before the registration timeout"));
        Assert.That(failed.RetryAt, Is.EqualTo(failed.At + Retry));
        Assert.That(timedOut.ReportsOf<SeedRegistrationFailed>(), Is.Empty);
    }

    [Test]
    public void A_peer_that_never_reached_a_seed_keeps_retrying_every_retry_interval()
    {
        var peer = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), [SeedAt(1)], Options()), T0);
        peer.Start();
        var dials = 0;
        for (var k = 0; k < 10; k++)
        {
            peer.DialFails(SeedAt(1));
            peer.Take();
            dials += peer.TimerAt(T0 + ((k + 1) * Retry)).DialTargets().Length;
        }

        Assert.That(dials, Is.EqualTo(10));
        Assert.That(peer.Machine.Joined, Is.False);
    }

    [Test]
    public void No_reregistration_while_leaving()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2), Options(), seedCount: 1);
        peer.Machine.Stop(peer.Now);
        peer.ConnectSeed(SeedAt(1));
        var stopping = peer.Take();

        var later = Enumerable.Range(1, 10).SelectMany(k => peer.TimerAt(T0 + (k * Every))).ToArray();

        Assert.That(stopping.WakeRequests(), Has.None.GreaterThan(T0 + TimeSpan.FromSeconds(1)));
        Assert.That(later.DialTargets(), Is.Empty);
        Assert.That(peer.Machine.StopComplete, Is.True);
    }

    // ---- on the in-memory wire ----

    private static (MachineHarness Net, SeedMachine Seed, PeerMachine[] Peers) Network(int peerCount, PeerOptions options)
    {
        var net = new MachineHarness(T0);
        var seed = net.Add(NewSeed(SeedAt(1)));
        var peers = Enumerable.Range(1, peerCount).Select(i => net.Add(NewPeer(PeerAt(i), [SeedAt(1)], options, i))).ToArray();
        foreach (var peer in peers)
        {
            net.Start(peer);
            net.AdvanceBy(TimeSpan.FromMilliseconds(100));
        }
        Assert.That(seed.PeerList, Has.Count.EqualTo(peerCount));
        return (net, seed, peers);
    }

    [Test]
    public void A_seed_that_lost_its_state_relearns_every_peer_within_one_reregister_interval()
    {
        var (net, _, peers) = Network(5, Options());
        net.AdvanceBy(TimeSpan.FromSeconds(5));
        var neighboursBefore = peers.ToDictionary(p => p.Self, p => p.ConnectedNeighbours.ToHashSet());

        var restarted = net.Replace(NewSeed(SeedAt(1), randomSeed: 99));
        net.Start(restarted);
        Assert.That(restarted.PeerList, Is.Empty, "a new seed knows nobody");
        net.AdvanceBy(Every);

        Assert.That(restarted.PeerList, Is.EquivalentTo(peers.Select(p => p.Self)));
        Assert.That(net.EventsOf<PeerRegistered>(SeedAt(1)).Count(e => !e.Again), Is.EqualTo(5 + 5), "each peer registered anew with the new seed");
        foreach (var peer in peers)
        {
            Assert.That(peer.ConnectedNeighbours, Is.EquivalentTo(neighboursBefore[peer.Self]), $"{peer.Self} kept its neighbours");
        }
        Assert.That(net.EventsOf<NeighbourDead>(), Is.Empty);
    }

    [Test]
    public void Peers_whose_seeds_all_went_away_keep_gossiping_and_register_again_when_a_seed_returns()
    {
        var (net, _, peers) = Network(4, Options(o => o.MessagesPerPeer = 0));
        net.Crash(SeedAt(1));

        net.AdvanceBy(TimeSpan.FromSeconds(45));
        var published = peers.Select(p => net.Act(p, (m, now) => m.Publish(now))).ToArray();
        net.AdvanceBy(TimeSpan.FromSeconds(15));
        var failed = net.EventsOf<ReregistrationFailed>().ToArray();

        foreach (var peer in peers)
        {
            var received = net.EventsOf<GossipReceived>(peer.Self).Select(e => e.Id);
            Assert.That(received, Is.EquivalentTo(published.Where((_, i) => peers[i] != peer)), $"{peer.Self} got every other peer's message once");
            Assert.That(peer.ConnectedNeighbours, Is.Not.Empty);
        }
        Assert.That(failed.Select(f => f.Node).Distinct(), Is.EquivalentTo(peers.Select(p => p.Self)), "every peer noticed");
        Assert.That(failed.Select(f => f.Event.SeedsReachable), Is.All.Zero);

        var back = net.Replace(NewSeed(SeedAt(1), randomSeed: 42));
        net.Start(back);
        net.AdvanceBy(Every);

        Assert.That(back.PeerList, Is.EquivalentTo(peers.Select(p => p.Self)));
        Assert.That(net.EventsOf<SeedRefreshed>().Where(r => r.Event.FailedAttempts > 0).Select(r => r.Node).Distinct(), Is.EquivalentTo(peers.Select(p => p.Self)));
    }
}
