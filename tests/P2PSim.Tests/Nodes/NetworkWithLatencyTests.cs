using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>Whole networks on a wire with random latency (<see cref="LaggyWire"/>), so node events interleave.</summary>
[TestFixture]
public sealed class NetworkWithLatencyTests
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(200);

    private static PeerOptions Options() => ShortIntervals(o =>
    {
        o.MaxNeighbours = 2;
        o.MessagesPerPeer = 3;
        o.GossipInterval = TimeSpan.FromSeconds(20);
        o.LivenessInterval = TimeSpan.FromSeconds(5);
        o.RegistrationTimeout = TimeSpan.FromSeconds(3);
    });

    /// <summary>3 seeds; 12 peers, each started once the previous one has joined.</summary>
    private static (LaggyWire Net, SeedMachine[] Seeds, PeerMachine[] Peers) JoinOneAtATime(int randomSeed, TimeSpan? slowFirstSeedBy = null)
    {
        var net = new LaggyWire(T0, randomSeed, MaxDelay);
        var seeds = Seeds(3).Select((s, i) => net.Add(NewSeed(s, randomSeed + i))).ToArray();
        if (slowFirstSeedBy is { } extra)
        {
            net.SlowDown(seeds[0].Self, extra);
        }
        var peers = new List<PeerMachine>();
        for (var i = 1; i <= 12; i++)
        {
            var peer = net.Add(NewPeer(PeerAt(i), Seeds(3), Options(), (randomSeed * 100) + i));
            net.Start(peer);
            net.RunUntil(() => peer.Joined, net.Now + TimeSpan.FromSeconds(30));
            Assert.That(peer.Joined, Is.True, $"{peer.Self} joined");
            peers.Add(peer);
        }
        return (net, seeds, peers.ToArray());
    }

    private static int Reachable(PeerMachine[] peers)
    {
        var bySelf = peers.ToDictionary(p => p.Self);
        var seen = new HashSet<NodeEndpoint> { peers[0].Self };
        var queue = new Queue<NodeEndpoint>(seen);
        while (queue.TryDequeue(out var current))
        {
            foreach (var next in bySelf[current].ConnectedNeighbours.Where(seen.Add))
            {
                queue.Enqueue(next);
            }
        }
        return seen.Count;
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    public void With_latency_the_overlay_is_connected_and_every_message_arrives_once_everywhere(int randomSeed)
    {
        var (net, _, peers) = JoinOneAtATime(randomSeed);
        net.RunFor(TimeSpan.FromSeconds(90));

        Assert.That(Reachable(peers), Is.EqualTo(peers.Length));
        foreach (var peer in peers)
        {
            foreach (var neighbour in peer.ConnectedNeighbours)
            {
                Assert.That(peers.Single(p => p.Self == neighbour).ConnectedNeighbours, Does.Contain(peer.Self));
                Assert.That(net.LinksBetween(peer.Self, neighbour), Is.EqualTo(1));
            }
        }
        var originated = net.EventsOf<GossipOriginated>().ToArray();
        Assert.That(originated, Has.Length.EqualTo(peers.Length * Options().MessagesPerPeer));
        foreach (var peer in peers)
        {
            var received = net.EventsOf<GossipReceived>().Where(e => e.Node == peer.Self).Select(e => e.Event.Id);
            Assert.That(received, Is.EquivalentTo(originated.Where(o => o.Node != peer.Self).Select(o => o.Event.Id)));
        }
        Assert.That(net.EventsOf<NeighbourDead>(), Is.Empty);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void With_latency_a_crash_is_detected_in_time_and_a_clean_leave_of_everyone_else_empties_the_seeds(int randomSeed)
    {
        var (net, seeds, peers) = JoinOneAtATime(randomSeed);
        net.RunFor(TimeSpan.FromSeconds(10));
        var victim = peers[4];
        var neighbours = victim.ConnectedNeighbours.ToArray();
        var crashedAt = net.Now;

        net.Crash(victim.Self);
        net.RunFor(TimeSpan.FromSeconds(40));
        var deaths = net.EventsOf<NeighbourDead>().ToArray();
        var survivors = peers.Where(p => p != victim).ToArray();
        foreach (var peer in survivors)
        {
            net.Stop(peer);
        }
        net.RunFor(TimeSpan.FromSeconds(30));

        Assert.That(deaths.Select(d => d.Node), Is.EquivalentTo(neighbours));
        Assert.That(deaths.Select(d => d.Event.Neighbour), Is.All.EqualTo(victim.Self));
        var bound = ((Options().MaxMissedLiveness + 1) * Options().LivenessInterval) + (4 * MaxDelay);
        Assert.That(deaths.Select(d => d.Event.At - crashedAt), Is.All.LessThanOrEqualTo(bound));
        Assert.That(survivors.Select(p => p.StopComplete), Is.All.True);
        Assert.That(seeds.SelectMany(s => s.PeerList).Except([victim.Self]), Is.Empty, "every survivor said goodbye to every seed that had it");
        Assert.That(net.EventsOf<NeighbourDead>().Count(), Is.EqualTo(deaths.Length), "leaving peers are never reported dead");
    }

    [TestCase(1)]
    [TestCase(2)]
    public void A_seed_slower_than_the_registration_timeout_does_not_keep_the_peers_that_gave_up_on_it(int randomSeed)
    {
        var slowBy = Options().RegistrationTimeout;
        var (net, seeds, peers) = JoinOneAtATime(randomSeed, slowFirstSeedBy: slowBy);
        net.RunFor(TimeSpan.FromSeconds(30));

        Assert.That(net.EventsOf<PeerRegistered>().Count(e => e.Node == seeds[0].Self), Is.GreaterThan(0), "peers did try the slow seed");
        Assert.That(peers.Select(p => p.RegisteredSeeds), Is.All.EquivalentTo(new[] { seeds[1].Self, seeds[2].Self }));
        Assert.That(seeds[0].PeerList, Is.Empty, "each peer that timed out withdrew its registration");
        Assert.That(seeds[1].PeerList, Has.Count.EqualTo(peers.Length));
        Assert.That(seeds[2].PeerList, Has.Count.EqualTo(peers.Length));
    }
}
