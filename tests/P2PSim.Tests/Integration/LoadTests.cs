using System.Diagnostics;
using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using P2PSim.Transport;

namespace P2PSim.Tests.Integration;

/// <summary>
/// Liveness under load: a gossip flood must not make a live neighbour look dead, and every
/// message must still reach every peer, with the send queues' drop counters showing that
/// nothing was thrown away on the way (see Transport/TRANSPORT.md).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class LoadTests
{
    private const int PeerCount = 8;
    private const int MessagesPerPeer = 500;

    /// <summary>
    /// Eight peers publish 500 messages each as fast as the node loops take them (about 150,000 gossip frames:
    /// 1-2 s on an idle two-core machine, 5-7 s on a loaded one) while every peer pings every neighbour and gives
    /// up after 3 misses. Every node of the network shares one process and its thread pool, and on a busy
    /// two-core machine a single scheduling hop can take 100 ms or more, which no queueing discipline hides, so
    /// the interval is not the 100 ms one might pick. Measured on two cores: at 100 ms x 3 a live peer was
    /// declared dead in 2 of 5 runs with Transport:EchoPings on and in 5 of 5 with it off; at 200 ms x 4 with
    /// four busy-looping processes competing for the CPU, in 0 of 6 runs with the echo and 4 of 5 without.
    /// The deterministic proofs of the mechanism (a Pong comes back while the node's loop is stuck behind a
    /// backlog) are in Transport/PingEchoTests.cs and Transport/TcpTransportTests.cs.
    /// </summary>
    [Test]
    [CancelAfter(120_000)]
    public async Task A_gossip_flood_makes_no_live_peer_look_dead_and_every_message_arrives(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(2, PeerCount, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Peer:LivenessInterval"] = "00:00:00.400", // 1.2 s to declare a death: short next to the flood, tolerant of a loaded CI machine
            ["Peer:MaxMissedLiveness"] = "3",
        }, ct);
        await network.WaitForOverlayAsync(ct);

        var clock = Stopwatch.StartNew();
        var published = await Task.WhenAll(network.Peers.Select(async peer =>
        {
            var ids = new List<(NodeEndpoint, MessageId)>(MessagesPerPeer);
            for (var i = 0; i < MessagesPerPeer; i++)
            {
                ids.Add((peer.Endpoint, await peer.PublishAsync(ct)));
            }
            return ids;
        }));
        var publishTime = clock.Elapsed;

        await Eventually.HoldsAsync(() =>
        {
            var d = network.Stats.ComputeDelivery();
            return d.Delivered < d.Expected
                ? $"{d.Delivered} of {d.Expected} receipts ({Drops(network)} frames dropped by send queues); e.g. {string.Join("; ", d.Missing.Take(3))}"
                : null;
        }, TimeSpan.FromSeconds(60), ct);

        var delivery = network.Stats.ComputeDelivery();
        var stats = network.Peers.Select(p => p.TransportStats!).ToArray();
        var gossipFrames = network.Stats.Nodes.Sum(n => n.Received + n.Duplicates);
        TestContext.Out.WriteLine($"{published.Sum(p => p.Count)} messages published in {publishTime.TotalSeconds:0.00} s, " +
            $"all {delivery.Delivered} receipts after {clock.Elapsed.TotalSeconds:0.00} s; {gossipFrames} gossip frames handled; " +
            $"pings echoed by the transports {stats.Sum(s => s.PingsEchoed)}; most frames queued on one connection {stats.Max(s => s.PeakQueuedFrames)}; " +
            $"dropped {Drops(network)}");
        Assert.Multiple(() =>
        {
            Assert.That(network.Stats.ComputeDeaths(), Is.Empty, "a live peer was declared dead under load");
            Assert.That(delivery.Messages, Is.EqualTo(PeerCount * MessagesPerPeer));
            Assert.That(delivery.Expected, Is.EqualTo((long)PeerCount * MessagesPerPeer * (PeerCount - 1)));
            Assert.That(delivery.Delivered, Is.EqualTo(delivery.Expected));
            Assert.That(delivery.Repeated, Is.Zero);
            // The default queue capacities absorb this flood: the counters (not a guess) say no frame of any class was dropped.
            Assert.That(stats.Select(s => s.Dropped), Is.All.EqualTo(default(FrameDrops)), "frames dropped by the send queues");
            Assert.That(stats.Sum(s => s.PingsEchoed), Is.GreaterThan(PeerCount), "the transports answered the pings");
        });
        Assert.That(TestNetwork.Unreachable(await network.NeighbourMapAsync(ct)), Is.Empty);
        foreach (var peer in network.Peers)
        {
            Assert.That(network.ReadLog(peer.Endpoint.Port), Does.Not.Contain(" is dead after "), $"log of {peer.Endpoint}");
        }
    }

    private static FrameDrops Drops(TestNetwork network) => network.Peers
        .Select(p => p.TransportStats?.Dropped ?? default)
        .Aggregate(default(FrameDrops), (a, b) => new FrameDrops(a.Control + b.Control, a.OwnGossip + b.OwnGossip, a.ForwardedGossip + b.ForwardedGossip));
}
