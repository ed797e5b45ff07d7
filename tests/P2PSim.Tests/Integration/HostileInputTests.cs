using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using P2PSim.Tests.Transport;

namespace P2PSim.Tests.Integration;

/// <summary>
/// Hostile remotes against a live network: a flood of idle connections beyond the inbound limit, floods of
/// frames that claim huge lengths, and a slow reader that never reads. Each costs the attacker its own
/// connections and nothing else: refused or cut with a log line, memory bounded, every message still delivered
/// between the real peers, nobody real declared dead.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HostileInputTests
{
    private const int InboundLimit = 20;
    private static readonly NodeEndpoint FakeListen = NodeEndpoint.Loopback(65000);

    private TestNetwork _network = null!;

    [OneTimeSetUp]
    public async Task StartNetwork()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _network = await TestNetwork.StartAsync(2, 6, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Peer:LivenessInterval"] = "00:00:00.200",
            ["Transport:MaxInboundConnections"] = InboundLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Transport:HandshakeTimeout"] = "00:00:01",
            ["Transport:FrameTimeout"] = "00:00:01",
        }, cts.Token);
        await _network.WaitForOverlayAsync(cts.Token);
    }

    [OneTimeTearDown]
    public async Task StopNetwork() => await _network.DisposeAsync();

    [Test]
    [CancelAfter(60_000)]
    public async Task A_flood_of_idle_connections_is_refused_beyond_the_limit_and_cut_at_the_handshake_timeout_while_the_network_works_on(CancellationToken ct)
    {
        var target = _network.Peers[1];
        var before = target.TransportStats!;
        var idle = new List<RawPeer>();
        try
        {
            for (var i = 0; i < 3 * InboundLimit; i++)
            {
                idle.Add(await RawPeer.ConnectAsync(target.Endpoint, ct));
            }
            // Every slot is taken: the rest were refused (accepted by the kernel, closed by the node at once).
            await Eventually.HoldsAsync(() =>
            {
                var s = target.TransportStats!;
                return s.InboundConnections == InboundLimit && s.RefusedConnections - before.RefusedConnections >= 2 * InboundLimit
                    ? null
                    : $"{s.InboundConnections} slots held, {s.RefusedConnections - before.RefusedConnections} refused";
            }, TimeSpan.FromSeconds(10), ct);
            await ExpectLogAsync(target, "Refused a connection from 127.0.0.1:", $"the limit is {InboundLimit} (Transport:MaxInboundConnections)", ct);

            // While the flood holds every slot, the existing neighbour links carry gossip and liveness as before.
            await ExpectNetworkDeliversAsync(ct);

            // The idle connections are cut at the handshake timeout, and their slots come back.
            foreach (var client in idle)
            {
                await client.ExpectClosedAsync(ct, timeoutMs: 5_000);
            }
            await Eventually.HoldsAsync(() => target.TransportStats!.InboundConnections == before.InboundConnections
                ? null
                : $"{target.TransportStats!.InboundConnections} slots held, {before.InboundConnections} before the flood", TimeSpan.FromSeconds(10), ct);
            await ExpectLogAsync(target, "Rejected input from 127.0.0.1:", "no Hello within 1 s (Transport:HandshakeTimeout)", ct);
            var refusalLines = _network.ReadLog(target.Endpoint.Port).Split('\n').Count(l => l.Contains("Refused a connection", StringComparison.Ordinal));
            Assert.That(refusalLines, Is.InRange(1, 10), "refusals are logged, but rate-limited, not one line per connection");

            // A new connection is accepted again.
            using var fresh = await RawPeer.ConnectAsync(target.Endpoint, ct);
            Assert.That(await fresh.HelloAsync(NodeEndpoint.Loopback(65001), ct, NodeRole.Seed), Is.TypeOf<Hello>(), "the node answers a newcomer again");
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
        await ExpectNetworkDeliversAsync(ct);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Floods_of_frames_claiming_huge_lengths_are_rejected_without_allocating_what_they_claim(CancellationToken ct)
    {
        var seed = _network.Seeds[0];
        var peer = _network.Peers[2];
        var allocatedBefore = GC.GetTotalAllocatedBytes();

        // Over the limit: rejected as soon as the 4 length bytes are in, before or after the Hello.
        for (var wave = 0; wave < 10; wave++)
        {
            var clients = new List<RawPeer>();
            for (var i = 0; i < 10; i++)
            {
                var node = i % 2 == 0 ? seed : peer;
                var client = await RawPeer.ConnectAsync(node.Endpoint, ct);
                clients.Add(client);
                if (i % 4 < 2)
                {
                    // As a peer to the seed, as a seed to the peer: neither becomes a neighbour that could later be missed.
                    await client.HelloAsync(NodeEndpoint.Loopback(64000 + i), ct, node == seed ? NodeRole.Peer : NodeRole.Seed);
                }
                await client.SendAsync(RawPeer.Frame(int.MaxValue - wave, (byte)MessageType.Gossip, 0, 1), ct);
            }
            foreach (var client in clients)
            {
                await client.ExpectClosedAsync(ct, timeoutMs: 5_000);
                client.Dispose();
            }
        }
        // At the limit (1 MiB, valid) but trickled and never completed: the buffer grows only with what arrives, and the
        // frame timeout cuts it.
        const int stalled = 45; // three waves of 15, within the inbound limit of 20
        for (var wave = 0; wave < stalled / 15; wave++)
        {
            var trickles = new List<RawPeer>();
            try
            {
                for (var i = 0; i < 15; i++)
                {
                    var client = await RawPeer.ConnectAsync(seed.Endpoint, ct);
                    client.Client.NoDelay = true;
                    trickles.Add(client);
                    await client.HelloAsync(NodeEndpoint.Loopback(63000 + i), ct);
                    await client.SendAsync(RawPeer.Frame(ProtocolLimits.DefaultMaxFrameLength, (byte)MessageType.Gossip), ct);
                }
                // The trickle itself: a few bytes per client every 20 ms, each arriving in a read of its own.
                for (var step = 0; step < 10; step++)
                {
                    foreach (var client in trickles)
                    {
                        await client.SendAsync(new byte[10], ct);
                    }
                    await Task.Delay(20, ct);
                }
                foreach (var client in trickles)
                {
                    await client.ExpectClosedAsync(ct, timeoutMs: 10_000);
                }
            }
            finally
            {
                trickles.ForEach(c => c.Dispose());
            }
        }
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;

        await ExpectLogAsync(seed, "Rejected input from 127.0.0.1:", "exceeds the maximum of", ct);
        await ExpectLogAsync(peer, "Rejected input from 127.0.0.1:", "exceeds the maximum of", ct);
        await ExpectLogAsync(seed, "Rejected input from 127.0.0.1:", "frame not completed within 1 s (Transport:FrameTimeout)", ct);
        TestContext.Out.WriteLine($"allocated {allocated / 1024} KiB in the whole process while {stalled} connections claimed {stalled} MiB");
        Assert.That(allocated, Is.LessThan(stalled * (long)P2PSim.Protocol.ProtocolLimits.DefaultMaxFrameLength / 2),
            "memory follows the bytes that arrived, not the lengths claimed");
        await ExpectNetworkDeliversAsync(ct);
    }

    private async Task ExpectNetworkDeliversAsync(CancellationToken ct)
    {
        var published = await _network.PublishFromEveryPeerAsync(ct);
        await _network.WaitForDeliveryAsync(published, ct, TimeSpan.FromSeconds(15));
        Assert.That(_network.Stats.ComputeDeaths(), Is.Empty, "hostile input must not make anybody look dead");
        Assert.That(TestNetwork.Unreachable(await _network.NeighbourMapAsync(ct)), Is.Empty);
    }

    private Task ExpectLogAsync(NodeService node, string prefix, string reason, CancellationToken ct) => ExpectLogAsync(_network, node, prefix, reason, ct);

    internal static Task ExpectLogAsync(TestNetwork network, NodeService node, string prefix, string reason, CancellationToken ct) =>
        Eventually.HoldsAsync(() =>
        {
            var lines = network.ReadLog(node.Endpoint.Port).Split('\n');
            return lines.Any(l => l.Contains(prefix, StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal))
                ? null
                : $"no line with \"{prefix}...{reason}\" in Log_{node.Endpoint.Port}.txt";
        }, TimeSpan.FromSeconds(10), ct);

    /// <summary>
    /// A raw client completes a Hello as a peer and then never reads. The node counts it as a neighbour and sends it
    /// gossip and pings; its kernel buffers fill, then its send queues, then frames for it are dropped (counted and
    /// logged), the queues never grow past their capacities, and the connection is finally cut. The real peers see
    /// none of it.
    /// </summary>
    [Test]
    [CancelAfter(90_000)]
    public async Task A_peer_that_never_reads_costs_only_its_own_frames(CancellationToken ct)
    {
        const int forwardedCapacity = 1024;
        const int ownCapacity = 128;
        await using var network = await TestNetwork.StartAsync(1, 5, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Peer:LivenessInterval"] = "00:00:01",
            ["Peer:MaxMissedLiveness"] = "10",
            ["Transport:SendQueueCapacity"] = forwardedCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Transport:OwnGossipQueueCapacity"] = ownCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Transport:FrameTimeout"] = "00:00:05",
            ["Transport:SocketBufferBytes"] = "16384", // so the slow peer's kernel buffers fill after a few hundred frames
        }, ct);
        await network.WaitForOverlayAsync(ct);
        var target = network.Peers[0];
        using var slow = await RawPeer.ConnectAsync(target.Endpoint, ct, receiveBuffer: 4096);
        await slow.HelloAsync(FakeListen, ct);
        await Eventually.HoldsAsync(async () =>
            (await TestNetwork.InspectPeerAsync(target, m => m.ConnectedNeighbours.Contains(FakeListen), ct)) ? null : "the slow peer is not a neighbour yet",
            TimeSpan.FromSeconds(10), ct);

        // Flood until the node has had to drop frames for the slow peer (its own and forwarded gossip).
        var published = new List<(NodeEndpoint, P2PSim.Gossip.MessageId)>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (target.TransportStats!.Dropped is { OwnGossip: 0 } or { ForwardedGossip: 0 })
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"no drops yet: {target.TransportStats}");
            foreach (var peer in network.Peers)
            {
                published.Add((peer.Endpoint, await peer.PublishAsync(ct)));
            }
        }
        var stats = target.TransportStats!;
        TestContext.Out.WriteLine($"{published.Count} messages published; the node to the slow peer: {stats}");

        Assert.Multiple(() =>
        {
            Assert.That(stats.Dropped.Control, Is.Zero, "no control frame dropped (a full control queue would close the link instead)");
            Assert.That(stats.PeakQueuedFrames, Is.LessThanOrEqualTo(forwardedCapacity + ownCapacity + new P2PSim.Configuration.TransportOptions().ControlQueueCapacity),
                "no queue grows past its capacity: memory for the slow peer is bounded");
            Assert.That(network.Peers.Skip(1).Select(p => p.TransportStats!.Dropped.Total), Is.All.Zero, "the other peers dropped nothing");
        });
        await ExpectLogAsync(network, target, $"Send queue for ForwardedGossip to {slow.LocalAddress} (peer {FakeListen})", "dropped a Gossip frame", ct);
        await ExpectLogAsync(network, target, $"Send queue for OwnGossip to {slow.LocalAddress} (peer {FakeListen})", "Transport:OwnGossipQueueCapacity", ct);

        // The real peers got everything, and liveness between them held.
        await network.WaitForDeliveryAsync(published, ct, TimeSpan.FromSeconds(20));
        Assert.That(network.Stats.ComputeDeaths().Select(d => d.Node), Is.All.EqualTo(FakeListen), "only the slow peer may be declared dead");

        // The link to the slow peer is cut: its writes stalled past the frame timeout (or it stopped answering pings).
        await slow.ExpectClosedAsync(ct, timeoutMs: 30_000);
        await ExpectLogAsync(network, target, $"Connection with {slow.LocalAddress} (peer {FakeListen}) closed", "gossip frames because its send queues were full", ct);
        Assert.That(TestNetwork.Unreachable(await network.NeighbourMapAsync(ct)), Is.Empty);
    }
}
