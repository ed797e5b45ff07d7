using System.Net;
using System.Net.Sockets;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using P2PSim.Tests.Transport;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Integration;

/// <summary>
/// Protocol version 6 on a live network over real sockets: the seeds list each peer with the id that registered it, so a
/// peer knows whom to expect at a listed endpoint before it meets it. A dial that meets another id there is refused and
/// the dialer says so; a message naming a listed peer's endpoint as its origin under another id is dropped however many
/// hops out it comes (the gap version 5 left open beyond hop 1).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ListedIdTcpTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task A_node_at_a_listed_endpoint_that_gives_another_id_is_refused_and_the_dialer_says_so(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(1, 1, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Peer:ReregisterInterval"] = "00:00:02", // the joiner hears of the listed endpoint within two seconds
        }, ct);
        await network.WaitForOverlayAsync(ct);
        var joiner = network.Peers[0];
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var listed = new NodeEndpoint(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);

        // The id registered for the endpoint: a client holding its key registers it at the seed.
        using var registrant = await RawPeer.ConnectAsync(network.Seeds[0].Endpoint, ct);
        await registrant.HelloAsync(listed, ct);
        await registrant.SendAsync(Register.Instance, ct);
        var registeredId = registrant.Key.Id;
        var answer = registrant.ReadUntilAsync<PeerList>(ct); // the seed answers once its dial-back is done

        // The seed lists the endpoint only once its own dial there meets that id (Seed:DialBack): the registrant's key
        // answers the seed. Another node (another key) answers at that endpoint when the joiner dials it.
        RawPeer impostor;
        Hello dialerHello;
        while (true)
        {
            var accepted = RawPeer.Accepted(await listener.AcceptTcpClientAsync(ct));
            var hello = await accepted.ReadAsync(ct) as Hello ?? throw new AssertionException("the dialer did not speak first with a Hello");
            if (hello.Role != NodeRole.Seed)
            {
                (impostor, dialerHello) = (accepted, hello);
                break;
            }
            using (accepted)
            {
                await accepted.SendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, listed) { Id = registeredId, Nonce = HelloNonce.NewRandom() }, ct);
                await accepted.SendAsync(Handshake.Prove(registrant.Key, Handshake.Side.Acceptor, hello), ct);
                Assert.That(await accepted.ReadAsync(ct), Is.TypeOf<HelloProof>(), "the seed's dial-back proved its id");
            }
            var (_, before) = await answer;
            Assert.That(before.OfType<Attestation>().Select(a => (a.Peer, a.PeerId)), Is.EqualTo(new[] { (listed, registeredId) }),
                "registered and listed once the dial-back met the registrant's id: the seed attests it (version 8), then sends its list");
        }
        using var _ = impostor;
        await impostor.SendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, listed) { Id = impostor.Key.Id, Nonce = HelloNonce.NewRandom() }, ct);
        await impostor.SendAsync(Handshake.Prove(impostor.Key, Handshake.Side.Acceptor, dialerHello), ct); // a valid proof of its own id

        Assert.That(await impostor.ReadAsync(ct), Is.Null, "the joiner closed the link without proving its own id to the node it met");
        await HostileInputTests.ExpectLogAsync(network, joiner, $"Refused the link dialled to {listed}",
            $"expected id {registeredId.Short}… there, the node that answered proved id {impostor.Key.Id.Short}…", ct);
        var (refused, linked) = await TestNetwork.InspectPeerAsync(joiner, m => (m.DialsMetOtherId, m.ConnectedNeighbours.Contains(listed)), ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Is.GreaterThanOrEqualTo(1), "counted by the joiner");
            Assert.That(network.Stats.DialsMetOtherId, Is.GreaterThanOrEqualTo(1), "counted for the summary");
            Assert.That(linked, Is.False, "no link to the impostor");
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_message_naming_a_listed_peer_as_its_origin_under_another_id_is_dropped_beyond_hop_1_and_its_link_stays(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(1, 6, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Peer:MaxNeighbours"] = "1", // few links: most peers are known to the victim from the seed's list only
            ["Peer:MinNeighbours"] = "1",
            ["Peer:ReregisterInterval"] = "00:00:02",
            ["Peer:LivenessInterval"] = "00:00:05", // the raw neighbour answers no ping: it stays a neighbour for 15 s
        }, ct);
        await network.WaitForOverlayAsync(ct);
        var victim = network.Peers[0];

        // A peer the victim has no link to, whose id it knows from the seed's list alone.
        NodeService? listed = null;
        NodeId listedId = default;
        await Eventually.HoldsAsync(async () =>
        {
            foreach (var peer in network.Peers.Skip(1))
            {
                var id = await TestNetwork.InspectPeerAsync(peer, m => m.Id, ct);
                var known = await TestNetwork.InspectPeerAsync(victim, m => (Linked: m.Neighbours.Contains(peer.Endpoint), Expected: m.ExpectedId(peer.Endpoint)), ct);
                if (!known.Linked && known.Expected == id)
                {
                    (listed, listedId) = (peer, id);
                    return null;
                }
            }
            return "the victim knows no peer's id from the seed's list alone (every peer it knows of is its neighbour, or unlisted)";
        }, TimeSpan.FromSeconds(10), ct);

        using var raw = await RawPeer.ConnectAsync(victim.Endpoint, ct);
        var rawListen = NodeEndpoint.Loopback(64201);
        await raw.HelloAsync(rawListen, ct);
        await Eventually.HoldsAsync(async () => (await TestNetwork.InspectPeerAsync(victim, m => m.ConnectedNeighbours.Contains(rawListen), ct))
            ? null : "the victim has not taken the raw client as a neighbour", TimeSpan.FromSeconds(10), ct);
        var before = await TestNetwork.InspectPeerAsync(victim, m => m.SignatureCounts, ct);

        // Validly signed, by the raw client's own key, but naming the listed peer's endpoint as its origin, two hops out.
        var forged = new GossipMessage(GossipKind.Gossip, listed!.Endpoint, 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 2, "written in another peer's name")
        {
            OriginId = raw.Key.Id,
        };
        forged = forged with { Signature = MessageSignature.SignMessage(raw.Key, forged.Id) };
        Assert.That(MessageSignature.Verifies(forged), Is.True, "the signature itself is valid");
        await raw.SendAsync(forged, ct);

        await HostileInputTests.ExpectLogAsync(network, victim, $"naming {listed.Endpoint} as its origin, received from {rawListen}, as forged",
            $"{listedId.Short}", ct);
        var after = await TestNetwork.InspectPeerAsync(victim, m => (m.SignatureCounts, Linked: m.ConnectedNeighbours.Contains(rawListen)), ct);
        var holding = new List<NodeEndpoint>();
        foreach (var peer in network.Peers)
        {
            if (await TestNetwork.InspectPeerAsync(peer, m => m.Messages.Contains(forged.Id), ct))
            {
                holding.Add(peer.Endpoint);
            }
        }
        using (Assert.EnterMultipleScope())
        {
            Assert.That(after.SignatureCounts.Forged, Is.EqualTo(before.Forged + 1), "counted as forged");
            Assert.That(holding, Is.Empty, "nobody recorded or delivered it");
            Assert.That(after.Linked, Is.True, "the link it came on stays (a forwarder cannot always know whose an endpoint is)");
        }
    }
}
