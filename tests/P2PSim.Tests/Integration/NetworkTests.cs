using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>A real network of 3 seeds and 12 peers on loopback TCP, on the Generic Host.</summary>
[TestFixture]
[NonParallelizable]
public sealed class NetworkTests
{
    private const int SeedCount = 3;
    private const int PeerCount = 12;

    [Test]
    [CancelAfter(60_000)]
    public async Task Every_peer_registers_with_a_majority_of_seeds_and_the_overlay_is_connected(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(SeedCount, PeerCount, cancellationToken: ct);
        await network.WaitForOverlayAsync(ct);

        foreach (var peer in network.Peers)
        {
            var seeds = await TestNetwork.InspectPeerAsync(peer, m => m.RegisteredSeeds.Count, ct);
            Assert.That(seeds, Is.EqualTo(SeedCount / 2 + 1), $"peer {peer.Endpoint} registered with {seeds} seeds");
        }
        var lists = new List<P2PSim.Protocol.NodeEndpoint>();
        foreach (var seed in network.Seeds)
        {
            lists.AddRange(await TestNetwork.InspectSeedAsync(seed, m => m.PeerList.ToArray(), ct));
        }
        foreach (var peer in network.Peers)
        {
            Assert.That(lists.Count(p => p == peer.Endpoint), Is.EqualTo(2), $"seeds holding {peer.Endpoint} (its listening port, not a client port)");
        }

        var map = await network.NeighbourMapAsync(ct);
        Assert.That(TestNetwork.Unreachable(map), Is.Empty, "peers cut off from the overlay");
        foreach (var (peer, neighbours) in map)
        {
            Assert.That(neighbours, Is.Unique.And.Not.Contains(peer), $"neighbours of {peer}");
            foreach (var neighbour in neighbours)
            {
                Assert.That(map[neighbour], Does.Contain(peer), $"{peer} -> {neighbour} must be two-way");
            }
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Every_peer_receives_every_other_peers_messages_exactly_once(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(SeedCount, PeerCount, cancellationToken: ct);
        await network.WaitForOverlayAsync(ct);

        // Timed gossip (3 per peer at 100 ms) plus one message from every peer once the overlay is complete.
        var published = await network.PublishFromEveryPeerAsync(ct);
        await network.WaitForDeliveryAsync(published, ct);
        await Eventually.HoldsAsync(() =>
        {
            var originated = network.Stats.Nodes.Sum(n => n.Originated);
            return originated < PeerCount * 4 ? $"{originated} of {PeerCount * 4} messages originated" : null;
        }, TimeSpan.FromSeconds(20), ct);
        await Eventually.HoldsAsync(() =>
        {
            var d = network.Stats.ComputeDelivery();
            return d.Delivered < d.Expected ? $"{d.Delivered} of {d.Expected} receipts; e.g. {string.Join("; ", d.Missing.Take(3))}" : null;
        }, TimeSpan.FromSeconds(20), ct);

        var delivery = network.Stats.ComputeDelivery();
        Assert.Multiple(() =>
        {
            Assert.That(delivery.Messages, Is.EqualTo(PeerCount * 4));
            // The explicit round alone expects every other peer for every peer's message.
            Assert.That(delivery.Expected, Is.GreaterThanOrEqualTo(PeerCount * (PeerCount - 1)));
            Assert.That(delivery.Delivered, Is.EqualTo(delivery.Expected));
            Assert.That(delivery.Repeated, Is.Zero, "a message delivered (and so forwarded) twice by one peer");
            Assert.That(network.Stats.Nodes.Sum(n => n.Duplicates), Is.GreaterThan(0), "flooding must have produced duplicates that were dropped");
        });
        foreach (var peer in network.Peers)
        {
            var received = network.Stats.Nodes.Single(n => n.Endpoint == peer.Endpoint).Received;
            var inList = await TestNetwork.InspectPeerAsync(peer, m => m.Received, ct);
            Assert.That(inList, Is.EqualTo(received));
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task The_message_list_forgets_messages_after_their_time_to_live(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(1, 4, new Dictionary<string, string?>
        {
            ["Peer:MessageListTtl"] = "00:00:01",
            ["Peer:MessagesPerPeer"] = "0",
        }, ct);
        await network.WaitForOverlayAsync(ct);
        var published = await network.PublishFromEveryPeerAsync(ct);
        await network.WaitForDeliveryAsync(published, ct);
        var before = await TestNetwork.InspectPeerAsync(network.Peers[0], m => m.Messages.Count, ct);
        Assert.That(before, Is.EqualTo(4));

        await Eventually.HoldsAsync(async () =>
        {
            foreach (var peer in network.Peers)
            {
                var count = await TestNetwork.InspectPeerAsync(peer, m => m.Messages.Count, ct);
                if (count > 0)
                {
                    return $"peer {peer.Endpoint} still holds {count} entries";
                }
            }
            return null;
        }, TimeSpan.FromSeconds(10), ct);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Each_node_writes_its_own_log_file_with_the_events_a_user_looks_for(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(2, 3, cancellationToken: ct);
        await network.WaitForOverlayAsync(ct);
        var published = await network.PublishFromEveryPeerAsync(ct);
        await network.WaitForDeliveryAsync(published, ct);

        var seedLog = network.ReadLog(network.Seeds[0].Endpoint.Port);
        var peerLog = network.ReadLog(network.Peers[2].Endpoint.Port);
        Assert.Multiple(() =>
        {
            Assert.That(seedLog, Does.Contain("Listening on"));
            Assert.That(seedLog, Does.Match(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO  Registered peer 127\.2\.0\.\d+:\d+ \(from 127\.2\.0\.\d+:\d+\)"));
            Assert.That(peerLog, Does.Contain("received its peer list"));
            Assert.That(peerLog, Does.Contain("chose"));
            Assert.That(peerLog, Does.Match(@"Received gossip ""\d+:127\.2\.0\.\d+:\d+:\d+"" from 127\.2\.0\.\d+:\d+ at \d\d:\d\d:\d\d\.\d{3}"));
            Assert.That(peerLog, Does.Not.Contain("Ping"), "liveness pings are not logged at Information");
        });
    }
}
