using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Integration;

/// <summary>
/// Origin endpoints a receiver can check (protocol version 8) on live networks over real sockets: the seeds attest the
/// peers they list (dial-back on), honest messages are verified at every receiver, and a raw neighbour publishing validly
/// signed messages under its own id that name an endpoint nobody vouches for is delivered marked and counted
/// (<c>Security:UnverifiedOrigins=accept</c>) or reaches no one (<c>drop</c>).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class OriginAttestationTcpTests
{
    private static Dictionary<string, string?> Settings(string mode) => new()
    {
        ["Peer:MessagesPerPeer"] = "0",
        ["Peer:LivenessInterval"] = "00:00:05", // the raw neighbour answers no ping: it stays a neighbour for 15 s
        ["Security:UnverifiedOrigins"] = mode,
    };

    /// <summary>A message signed by <paramref name="key"/> under its own id, naming <paramref name="origin"/> as its origin, two hops out.</summary>
    private static GossipMessage Naming(NodeKey key, NodeEndpoint origin, string text)
    {
        var message = new GossipMessage(GossipKind.Gossip, origin, (ulong)Random.Shared.Next(1, int.MaxValue), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 2, text)
        {
            OriginId = key.Id,
        };
        return message with { Signature = MessageSignature.SignMessage(key, message.Id) };
    }

    private static async Task<long> UnverifiedAsync(TestNetwork network, CancellationToken ct)
    {
        var total = 0L;
        foreach (var peer in network.Peers)
        {
            total += await TestNetwork.InspectPeerAsync(peer, m => m.OriginsUnverified, ct);
        }
        return total;
    }

    private static async Task<string[]> HoldingAsync(TestNetwork network, MessageId id, CancellationToken ct)
    {
        var holding = new List<string>();
        foreach (var peer in network.Peers)
        {
            if (await TestNetwork.InspectPeerAsync(peer, m => m.Messages.Contains(id), ct))
            {
                holding.Add(peer.Endpoint.ToString());
            }
        }
        return [.. holding];
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task With_accept_honest_messages_are_verified_everywhere_and_one_naming_an_unused_endpoint_is_delivered_marked_and_counted(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(3, 6, Settings("accept"), ct);
        await network.WaitForOverlayAsync(ct);
        var attested = await TestNetwork.InspectPeerAsync(network.Peers[4], m => m.AttestationCounts.Received, ct);
        var before = await UnverifiedAsync(network, ct);

        var honest = new List<(NodeEndpoint, MessageId)>();
        foreach (var peer in network.Peers)
        {
            honest.Add((peer.Endpoint, await peer.PublishAsync(ct)));
        }
        await network.WaitForDeliveryAsync(honest, ct);
        var afterHonest = await UnverifiedAsync(network, ct);

        var target = network.Peers[0];
        using var raw = await TestNetwork.RawNeighbourAsync(target, 64201, ct);
        var unused = NodeEndpoint.Loopback(64999); // nobody listens there, no seed lists it
        var claimed = Naming(raw.Key, unused, "a message from an endpoint nobody vouches for");
        await raw.SendAsync(claimed, ct);
        await Eventually.HoldsAsync(async () => (await HoldingAsync(network, claimed.Id, ct)).Length == network.Peers.Count
            ? null : $"only {string.Join(", ", await HoldingAsync(network, claimed.Id, ct))} hold it", TimeSpan.FromSeconds(15), ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(attested, Is.GreaterThanOrEqualTo(2), "a peer registers with a majority of the 3 seeds, and each attests it");
            Assert.That(afterHonest - before, Is.Zero, "every honest message is verified at every receiver");
            Assert.That(await UnverifiedAsync(network, ct) - afterHonest, Is.EqualTo(network.Peers.Count), "accept: delivered everywhere, counted unverified at every peer");
            Assert.That(network.Stats.Security.OriginsUnverified, Is.EqualTo(network.Peers.Count), "the demo summary's count");
            Assert.That(network.Stats.Security.UnverifiedDropped, Is.Zero);
        }
        await HostileInputTests.ExpectLogAsync(network, target, "from origin 127.0.0.1:64999 (unverified) via", "a message from an endpoint nobody vouches for", ct);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task With_drop_a_message_naming_an_unused_endpoint_reaches_no_one_and_the_link_stays(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(3, 5, Settings("drop"), ct);
        await network.WaitForOverlayAsync(ct);
        var target = network.Peers[0];
        using var raw = await TestNetwork.RawNeighbourAsync(target, 64202, ct);
        var claimed = Naming(raw.Key, NodeEndpoint.Loopback(64998), "dropped: nobody vouches for its origin");
        var own = Naming(raw.Key, NodeEndpoint.Loopback(64202), "the raw neighbour's own message") with { Hops = 1 };
        own = own with { Signature = MessageSignature.SignMessage(raw.Key, own.Id) };

        await raw.SendAsync(claimed, ct);
        await raw.SendAsync(own, ct); // frames of one link are handled in order: once this is in, the first was handled
        await Eventually.HoldsAsync(async () => (await HoldingAsync(network, own.Id, ct)).Contains(target.Endpoint.ToString()) ? null : "the marker has not arrived",
            TimeSpan.FromSeconds(10), ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await HoldingAsync(network, claimed.Id, ct), Is.Empty, "nobody recorded or delivered it");
            Assert.That(await TestNetwork.InspectPeerAsync(target, m => m.OriginsUnverified, ct), Is.EqualTo(1), "counted where it arrived");
            // The raw neighbour registered with no seed, so no seed attests even its own endpoint: its own message is
            // verified at the target (its neighbour, which knows its id) and dropped at each of the others.
            Assert.That(network.Stats.Security.UnverifiedDropped, Is.EqualTo(1 + (network.Peers.Count - 1)));
            Assert.That(await HoldingAsync(network, own.Id, ct), Is.EqualTo(new[] { target.Endpoint.ToString() }));
            Assert.That(await TestNetwork.InspectPeerAsync(target, m => m.ConnectedNeighbours.Contains(NodeEndpoint.Loopback(64202)), ct), Is.True, "the link stays");
        }
    }
}
