using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>
/// A peer keeps working when its own seeds go down: it registers with other configured seeds, sends dead-node reports
/// that its seeds could not take to a seed that can, and keeps its neighbours and gossip while no seed answers.
/// </summary>
[TestFixture]
public sealed class SeedFailoverTests
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(30);

    /// <summary>Re-registration every 30 s; MinNeighbours 1, so a peer with one neighbour does not ask its seeds for more every round.</summary>
    private static PeerOptions Options(Action<PeerOptions>? tweak = null) => QuietShortIntervals(o =>
    {
        o.ReregisterInterval = Every;
        o.MinNeighbours = 1;
        tweak?.Invoke(o);
    });

    private static SeedMachine[] CooperatingSeeds(MachineHarness net, int count) =>
        Seeds(count).Select((s, i) => net.Add(NewSeed(s, i + 1, Seeds(count)))).ToArray();

    [Test]
    public void A_peer_whose_registered_seed_stops_answering_registers_with_the_other_configured_seed_after_two_failed_reregistrations()
    {
        var net = new MachineHarness(T0);
        var seeds = CooperatingSeeds(net, 3);
        var peer = net.Add(NewPeer(PeerAt(1), Seeds(3), Options(), RandomSeedRegisteringWith(PeerAt(1), 3, SeedAt(1), SeedAt(2))));
        var neighbour = net.Add(NewPeer(PeerAt(2), Seeds(3), Options(), RandomSeedRegisteringWith(PeerAt(2), 3, SeedAt(2), SeedAt(3))));
        net.Start(peer);
        net.Start(neighbour);
        Assert.That(peer.ConnectedNeighbours, Is.EqualTo(new[] { PeerAt(2) }));

        net.Crash(SeedAt(1));
        // The first re-registration falls at a random 50-100 % of the interval (SeedSession.FirstReregisterSpread).
        while (!net.EventsOf<ReregistrationFailed>(PeerAt(1)).Any() && net.Now < T0 + Every)
        {
            net.AdvanceBy(TimeSpan.FromMilliseconds(100));
        }
        var afterOneFailure = net.EventsOf<SeedFailover>(PeerAt(1)).ToArray();
        net.AdvanceBy(QuietShortIntervals().RetryInterval + TimeSpan.FromMilliseconds(1));

        Assert.That(net.EventsOf<ReregistrationFailed>(PeerAt(1)).Count(), Is.EqualTo(2));
        Assert.That(afterOneFailure, Is.Empty, "one failed re-registration is not enough to switch");
        var failover = net.EventsOf<SeedFailover>(PeerAt(1)).Single();
        Assert.That(failover.Seed, Is.EqualTo(SeedAt(3)), "the one configured seed it was not registered with");
        Assert.That(failover.Unreachable, Is.EqualTo(new[] { SeedAt(1) }));
        Assert.That((failover.Reachable, failover.Wanted), Is.EqualTo((1, 2)));
        Assert.That(failover.At, Is.EqualTo(net.EventsOf<ReregistrationFailed>(PeerAt(1)).Last().At), "at the second failure");
        Assert.That(net.EventsOf<RegisteredWithSeed>(PeerAt(1)).Select(r => r.Seed), Does.Contain(SeedAt(3)));
        Assert.That(seeds[2].PeerList, Does.Contain(PeerAt(1)));
        Assert.That(peer.RegisteredSeeds, Is.EquivalentTo(Seeds(3)), "the lost seed stays registered and is retried");
        Assert.That(peer.ConnectedNeighbours, Is.EqualTo(new[] { PeerAt(2) }), "neighbours kept");
        Assert.That(net.EventsOf<NeighbourDead>(), Is.Empty);
    }

    [Test]
    public void With_five_seeds_and_two_of_its_three_down_a_peer_registers_with_the_other_two_and_has_a_majority_again()
    {
        var net = new MachineHarness(T0);
        var seeds = CooperatingSeeds(net, 5);
        var peer = net.Add(NewPeer(PeerAt(1), Seeds(5), Options(), RandomSeedRegisteringWith(PeerAt(1), 5, SeedAt(1), SeedAt(2), SeedAt(3))));
        net.Start(peer);

        net.Crash(SeedAt(1));
        net.Crash(SeedAt(2));
        net.AdvanceBy(Every + TimeSpan.FromSeconds(5));

        Assert.That(net.EventsOf<SeedFailover>(PeerAt(1)).Select(f => f.Seed), Is.EquivalentTo(new[] { SeedAt(4), SeedAt(5) }));
        Assert.That(seeds[3].PeerList, Does.Contain(PeerAt(1)));
        Assert.That(seeds[4].PeerList, Does.Contain(PeerAt(1)));
        var reachable = peer.RegisteredSeeds.Where(s => s != SeedAt(1) && s != SeedAt(2));
        Assert.That(reachable, Is.EquivalentTo(new[] { SeedAt(3), SeedAt(4), SeedAt(5) }), "floor(5/2)+1 = 3 reachable seeds");
    }

    [Test]
    public void A_report_its_seed_cannot_take_goes_to_another_seed_and_the_dead_peer_leaves_every_live_seed_that_listed_it()
    {
        var net = new MachineHarness(T0);
        var seeds = CooperatingSeeds(net, 3);
        // Long re-registration and no repair (which would ask the seeds for peers while the reporter has no reachable
        // neighbour): the report is the first thing that finds seed 1 down.
        var options = Options(o =>
        {
            o.ReregisterInterval = TimeSpan.FromMinutes(10);
            o.MinNeighbours = 0;
        });
        var reporter = net.Add(NewPeer(PeerAt(1), Seeds(3), options, RandomSeedRegisteringWith(PeerAt(1), 3, SeedAt(1), SeedAt(2))));
        var victim = net.Add(NewPeer(PeerAt(2), Seeds(3), options, RandomSeedRegisteringWith(PeerAt(2), 3, SeedAt(1), SeedAt(3))));
        net.Start(reporter);
        net.Start(victim);
        Assert.That(reporter.ConnectedNeighbours, Is.EqualTo(new[] { PeerAt(2) }));
        Assert.That(seeds[2].PeerList, Is.EqualTo(new[] { PeerAt(2) }), "seed 3 lists the victim; the reporter never registered there");
        net.AdvanceBy(TimeSpan.FromSeconds(1));
        var crashedAt = net.Now;

        net.Crash(SeedAt(1)); // the only seed the two shared
        net.Crash(PeerAt(2));
        net.AdvanceBy(TimeSpan.FromMinutes(1));

        var redirected = net.EventsOf<DeadNodeReportRedirected>(PeerAt(1)).Single();
        Assert.That((redirected.FailedSeed, redirected.Substitute), Is.EqualTo((SeedAt(1), (NodeEndpoint?)SeedAt(3))));
        Assert.That(net.EventsOf<SeedFailover>(PeerAt(1)).Single().Seed, Is.EqualTo(SeedAt(3)), "registered there first: seeds take reports from registered peers only");
        var removal = net.EventsOf<DeadNodeReceived>(SeedAt(3)).Single(r => r.Removed);
        Assert.That(removal.Confirmation, Is.EqualTo("connection refused"), "seed 3 checked for itself");
        var target = (options.MaxMissedLiveness + 1) * options.LivenessInterval;
        Assert.That(removal.At - crashedAt, Is.LessThanOrEqualTo(target));
        Assert.That(seeds[1].PeerList.Concat(seeds[2].PeerList), Does.Not.Contain(PeerAt(2)), "gone from every live seed");
        Assert.That(net.EventsOf<DeadNodeRefuted>(), Is.Empty);
    }

    [Test]
    public void A_report_no_configured_seed_can_take_is_given_up_with_a_clear_event()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2), Options(o => o.MinNeighbours = 0), seedCount: 1);
        peer.Closed(PeerAt(2));
        peer.Take();
        for (var round = 1; round <= Options().MaxMissedLiveness; round++)
        {
            foreach (var target in peer.TimerAt(T0 + (round * Options().LivenessInterval)).DialTargets().Where(t => t == PeerAt(2)))
            {
                peer.DialFails(target);
            }
        }

        peer.DialFails(SeedAt(1));
        var failed = peer.Take();

        var redirected = failed.ReportsOf<DeadNodeReportRedirected>().Single();
        Assert.That(redirected.FailedSeed, Is.EqualTo(SeedAt(1)));
        Assert.That(redirected.Substitute, Is.Null);
        Assert.That(failed.ReportsOf<SeedUnreachable>().Single().WillRetry, Is.True, "its own seed is still retried");
    }

    [Test]
    public void Peers_whose_seeds_all_went_away_keep_their_neighbours_and_gossip_and_register_again_when_a_seed_is_back()
    {
        var net = new MachineHarness(T0);
        CooperatingSeeds(net, 3);
        var peers = Enumerable.Range(1, 4).Select(i => net.Add(NewPeer(PeerAt(i), Seeds(3), Options(), 40 + i))).ToArray();
        foreach (var peer in peers)
        {
            net.Start(peer);
            net.AdvanceBy(TimeSpan.FromMilliseconds(100));
        }
        var neighboursBefore = peers.ToDictionary(p => p.Self, p => p.ConnectedNeighbours.ToHashSet());
        var wereRegisteredWith3 = peers.Where(p => p.RegisteredSeeds.Contains(SeedAt(3))).Select(p => p.Self).ToArray();
        Assert.That(wereRegisteredWith3.Length, Is.InRange(1, 3), "some peers registered with seed 3, some did not");

        foreach (var seed in Seeds(3))
        {
            net.Crash(seed);
        }
        net.AdvanceBy(TimeSpan.FromMinutes(3));
        var published = peers.Select(p => net.Act(p, (m, now) => m.Publish(now))).ToArray();
        net.AdvanceBy(TimeSpan.FromSeconds(5));

        foreach (var peer in peers)
        {
            Assert.That(net.EventsOf<GossipReceived>(peer.Self).Select(e => e.Id), Is.EquivalentTo(published.Where((_, i) => peers[i] != peer)), $"{peer.Self} got every other message once");
            Assert.That(peer.ConnectedNeighbours, Is.EquivalentTo(neighboursBefore[peer.Self]), $"{peer.Self} kept its neighbours");
        }
        Assert.That(net.EventsOf<NeighbourDead>(), Is.Empty);
        Assert.That(net.EventsOf<SeedRegistrationFailed>().Where(e => e.Event.Seed == SeedAt(3)).Select(e => e.Node).Distinct(),
            Is.EquivalentTo(peers.Select(p => p.Self).Except(wereRegisteredWith3)), "the others tried seed 3 too");

        var back = net.Replace(NewSeed(SeedAt(3), 99, Seeds(3)));
        net.Start(back);
        net.AdvanceBy(2 * Every);

        Assert.That(back.PeerList, Is.EquivalentTo(peers.Select(p => p.Self)), "every peer registered with the seed that came back");
        Assert.That(net.EventsOf<SeedRefreshed>().Where(r => r.Event.Seed == SeedAt(3) && r.Event.FailedAttempts > 0).Select(r => r.Node),
            Is.EquivalentTo(wereRegisteredWith3), "its own peers: registered again");
        Assert.That(net.EventsOf<RegisteredWithSeed>().Where(r => r.Event.Seed == SeedAt(3) && r.Event.At > T0 + TimeSpan.FromMinutes(3)).Select(r => r.Node),
            Is.EquivalentTo(peers.Select(p => p.Self).Except(wereRegisteredWith3)), "the others: by failover");
    }
}
