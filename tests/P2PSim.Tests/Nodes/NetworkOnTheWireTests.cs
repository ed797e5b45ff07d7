using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>Whole networks of seed and peer machines on the synchronous in-memory wire.</summary>
[TestFixture]
public sealed class NetworkOnTheWireTests
{
    private const int SeedCount = 3;
    private const int PeerCount = 12;

    private static PeerOptions NetworkOptions() => ShortIntervals(o =>
    {
        o.MaxNeighbours = 3;
        o.MessagesPerPeer = 4;
        o.GossipInterval = TimeSpan.FromSeconds(1);
        o.LivenessInterval = TimeSpan.FromSeconds(10);
    });

    /// <summary>
    /// 3 seeds and 12 peers; each peer joins only after the previous one finished joining, 50 ms apart, so all
    /// of them are in the overlay before the first gossip message (1 s after the first peer joined).
    /// </summary>
    private static (MachineHarness Net, SeedMachine[] Seeds, PeerMachine[] Peers) JoinOneAtATime(int randomSeed = 7)
    {
        var net = new MachineHarness(T0);
        var seeds = Seeds(SeedCount).Select((s, i) => net.Add(NewSeed(s, randomSeed + i))).ToArray();
        var peers = new List<PeerMachine>();
        for (var i = 1; i <= PeerCount; i++)
        {
            var peer = net.Add(NewPeer(PeerAt(i), Seeds(SeedCount), NetworkOptions(), randomSeed * 1000 + i));
            net.Start(peer);
            Assert.That(peer.Joined, Is.True, $"{peer.Self} finished joining");
            peers.Add(peer);
            net.AdvanceBy(TimeSpan.FromMilliseconds(50));
        }
        return (net, seeds, peers.ToArray());
    }

    /// <summary>Breadth-first search over the neighbour sets, starting at the first peer.</summary>
    private static HashSet<NodeEndpoint> ReachableFrom(PeerMachine start, IEnumerable<PeerMachine> peers)
    {
        var bySelf = peers.ToDictionary(p => p.Self);
        var seen = new HashSet<NodeEndpoint> { start.Self };
        var queue = new Queue<NodeEndpoint>(seen);
        while (queue.TryDequeue(out var current))
        {
            foreach (var next in bySelf[current].ConnectedNeighbours.Where(seen.Add))
            {
                queue.Enqueue(next);
            }
        }
        return seen;
    }

    [Test]
    public void Peers_joining_one_at_a_time_form_a_connected_overlay_registered_with_a_majority_of_seeds()
    {
        var (net, seeds, peers) = JoinOneAtATime();

        Assert.That(ReachableFrom(peers[0], peers), Has.Count.EqualTo(PeerCount));
        Assert.That(peers.Select(p => p.RegisteredSeeds.Count), Is.All.EqualTo(2));
        foreach (var peer in peers.Skip(1))
        {
            Assert.That(peer.ConnectedNeighbours.Count(), Is.GreaterThanOrEqualTo(1), $"{peer.Self} links to the overlay");
        }
        foreach (var peer in peers)
        {
            foreach (var neighbour in peer.ConnectedNeighbours)
            {
                Assert.That(peers.Single(p => p.Self == neighbour).ConnectedNeighbours, Does.Contain(peer.Self), "connections are two-way");
                Assert.That(net.LinksBetween(peer.Self, neighbour), Is.EqualTo(1), "one connection per pair");
            }
        }
        var registrations = seeds.Sum(s => s.PeerList.Count);
        Assert.That(registrations, Is.EqualTo(2 * PeerCount));
        foreach (var seed in seeds)
        {
            foreach (var registrant in seed.PeerList)
            {
                Assert.That(peers.Single(p => p.Self == registrant).RegisteredSeeds, Does.Contain(seed.Self));
            }
        }
    }

    [Test]
    public void Every_peer_receives_every_other_peers_messages_exactly_once()
    {
        var (net, _, peers) = JoinOneAtATime();

        net.AdvanceBy(TimeSpan.FromSeconds(30));

        var originated = net.EventsOf<GossipOriginated>().ToArray();
        Assert.That(originated.Min(o => o.Event.At), Is.GreaterThan(net.EventsOf<NeighboursChosen>().Max(e => e.Event.At)), "everyone joined before the first message");
        Assert.That(originated, Has.Length.EqualTo(PeerCount * NetworkOptions().MessagesPerPeer));
        Assert.That(originated.Select(o => o.Event.Id), Is.Unique);
        foreach (var peer in peers)
        {
            var received = net.EventsOf<GossipReceived>(peer.Self).ToArray();
            var expected = originated.Where(o => o.Node != peer.Self).Select(o => o.Event.Id);
            Assert.That(received.Select(r => r.Id), Is.EquivalentTo(expected), $"{peer.Self} got each foreign message exactly once");
            Assert.That(peer.Received, Is.EqualTo(received.Length));
            Assert.That(received.Select(r => r.Hops), Is.All.InRange(1, PeerCount - 1));
        }
        Assert.That(peers.Sum(p => p.Duplicates), Is.GreaterThan(0), "the overlay has cycles, so some copies arrive twice");
        Assert.That(net.EventsOf<DuplicateDropped>().Count(), Is.EqualTo(peers.Sum(p => p.Duplicates)));
        Assert.That(net.EventsOf<NeighbourDead>(), Is.Empty);
        Assert.That(net.EventsOf<LivenessMissed>(), Is.Empty);
    }

    [Test]
    public void Flooding_sends_each_message_over_each_link_at_most_once_in_each_direction()
    {
        var (net, _, _) = JoinOneAtATime();

        net.AdvanceBy(TimeSpan.FromSeconds(30));

        var copies = net.Delivered
            .Where(d => d.Message is P2PSim.Protocol.Gossip)
            .GroupBy(d => (d.From, d.To, ((P2PSim.Protocol.Gossip)d.Message).Text))
            .Select(g => g.Count());
        Assert.That(copies, Is.All.EqualTo(1));
    }

    [Test]
    public void A_crashed_peer_is_detected_by_its_neighbours_and_removed_by_the_seeds_they_report_to()
    {
        var (net, seeds, peers) = JoinOneAtATime();
        var victim = peers[5];
        var neighbours = victim.ConnectedNeighbours.ToArray();
        var crashedAt = net.Now;

        net.Crash(victim.Self);
        net.AdvanceBy(TimeSpan.FromSeconds(60));

        var deaths = net.EventsOf<NeighbourDead>().ToArray();
        Assert.That(deaths.Select(d => d.Node), Is.EquivalentTo(neighbours));
        Assert.That(deaths.Select(d => d.Event.Neighbour), Is.All.EqualTo(victim.Self));
        var limit = NetworkOptions().MaxMissedLiveness * NetworkOptions().LivenessInterval + NetworkOptions().LivenessInterval;
        Assert.That(deaths.Select(d => d.Event.At - crashedAt), Is.All.LessThanOrEqualTo(limit));
        var reportedTo = peers.Where(p => neighbours.Contains(p.Self)).SelectMany(p => p.RegisteredSeeds).ToHashSet();
        foreach (var seed in seeds.Where(s => reportedTo.Contains(s.Self)))
        {
            Assert.That(seed.PeerList, Does.Not.Contain(victim.Self), $"{seed.Self} removed the dead peer");
        }
        var removals = net.EventsOf<DeadNodeReceived>().Where(e => e.Event.Removed).Select(e => e.Node).ToArray();
        Assert.That(removals, Is.Unique, "each seed removes the dead peer once; further reports find nothing");
    }

    [Test]
    public void A_peer_that_leaves_cleanly_is_never_reported_dead_and_the_seeds_forget_it()
    {
        var (net, seeds, peers) = JoinOneAtATime();
        var leaver = peers[4];
        var neighbours = leaver.ConnectedNeighbours.ToArray();

        net.Stop(leaver);
        net.AdvanceBy(TimeSpan.FromSeconds(60));

        Assert.That(leaver.StopComplete, Is.True);
        Assert.That(net.EventsOf<NeighbourLeft>().Select(e => e.Node), Is.EquivalentTo(neighbours));
        Assert.That(net.EventsOf<NeighbourDead>(), Is.Empty);
        Assert.That(net.EventsOf<DeadNodeReceived>(), Is.Empty);
        Assert.That(net.EventsOf<PeerDeregistered>().Select(e => e.Node), Is.EquivalentTo(leaver.RegisteredSeeds));
        Assert.That(seeds.SelectMany(s => s.PeerList), Does.Not.Contain(leaver.Self));
    }

    [Test]
    public void A_link_that_breaks_between_two_live_peers_is_redialed_and_nobody_is_declared_dead()
    {
        var (net, _, peers) = JoinOneAtATime();
        var one = peers[3];
        var other = peers.Single(p => p.Self == one.ConnectedNeighbours.First());

        net.Disconnect(one.Self, other.Self);
        Assert.That(one.ConnectedNeighbours, Does.Not.Contain(other.Self));
        net.AdvanceBy(TimeSpan.FromSeconds(60));

        Assert.That(net.LinksBetween(one.Self, other.Self), Is.EqualTo(1));
        Assert.That(one.ConnectedNeighbours, Does.Contain(other.Self));
        Assert.That(other.ConnectedNeighbours, Does.Contain(one.Self));
        Assert.That(net.EventsOf<NeighbourConnected>().Count(e => e.Event.Reconnected), Is.EqualTo(2), "both ends see the link come back");
        Assert.That(net.EventsOf<NeighbourDead>(), Is.Empty);
        Assert.That(net.EventsOf<DeadNodeReceived>(), Is.Empty);
    }

    [Test]
    public void A_late_joiner_after_a_crash_still_links_to_the_overlay()
    {
        var (net, _, peers) = JoinOneAtATime();
        net.Crash(peers[0].Self);
        net.Crash(peers[1].Self);

        var late = net.Add(NewPeer(PeerAt(99), Seeds(SeedCount), NetworkOptions(), 99));
        net.Start(late);

        Assert.That(late.Joined, Is.True);
        Assert.That(late.ConnectedNeighbours, Is.Not.Empty);
        Assert.That(late.ConnectedNeighbours, Does.Not.Contain(peers[0].Self).And.Not.Contain(peers[1].Self));
    }

    [Test]
    public void The_same_random_seeds_build_the_same_overlay()
    {
        static string Overlay(int randomSeed)
        {
            var (_, _, peers) = JoinOneAtATime(randomSeed);
            return string.Join(";", peers.Select(p => $"{p.Self.Port}:{string.Join(",", p.ConnectedNeighbours.Select(n => n.Port).Order())}"));
        }

        var first = Overlay(3);
        var again = Overlay(3);

        Assert.That(again, Is.EqualTo(first));
        Assert.That(Enumerable.Range(3, 4).Select(Overlay).Distinct().Count(), Is.GreaterThan(1), "other random seeds build other overlays");
    }
}
