using System.Net;
using System.Net.Sockets;
using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using P2PSim.Tests.Transport;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Integration;

/// <summary>
/// Signed messages on a live network over real sockets (protocol version 5): a raw client that completed the handshake
/// as a neighbour of one peer forges, alters, replays and impersonates, and also sends one honest message of its own; a
/// raw recipient of a private message answers with a receipt someone else signed, then with its own.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SignedMessageTcpTests
{
    private TestNetwork _network = null!;

    [OneTimeSetUp]
    public async Task StartNetwork()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _network = await TestNetwork.StartAsync(2, 5, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Peer:LivenessInterval"] = "00:00:05", // the raw neighbours answer no ping: they stay neighbours for 15 s
            ["Private:AckTimeout"] = "00:00:00.500",
        }, cts.Token);
        await _network.WaitForOverlayAsync(cts.Token);
    }

    [OneTimeTearDown]
    public async Task StopNetwork() => await _network.DisposeAsync();

    private NodeService Target => _network.Peers[0];

    /// <summary>A raw client that is a neighbour of <see cref="Target"/>, claiming a listening endpoint of its own.</summary>
    private Task<RawPeer> NeighbourAsync(int port, CancellationToken ct) => TestNetwork.RawNeighbourAsync(Target, port, ct);

    private static Task<(long Checked, long Forged)> SignaturesAt(NodeService peer, CancellationToken ct) => TestNetwork.InspectPeerAsync(peer, m => m.SignatureCounts, ct);

    private async Task<string[]> PeersHoldingAsync(MessageId id, CancellationToken ct)
    {
        var holding = new List<string>();
        foreach (var peer in _network.Peers)
        {
            if (await TestNetwork.InspectPeerAsync(peer, m => m.Messages.Contains(id), ct))
            {
                holding.Add(peer.Endpoint.ToString());
            }
        }
        return [.. holding];
    }

    private static async Task<NodeId> IdOfAsync(NodeService peer, CancellationToken ct) => await TestNetwork.InspectPeerAsync(peer, m => m.Id, ct);

    private static GossipMessage Signed(NodeKey key, NodeEndpoint origin, NodeId originId, ushort hops, string text)
    {
        var message = new GossipMessage(GossipKind.Gossip, origin, (ulong)Random.Shared.Next(1, int.MaxValue), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), hops, text)
        {
            OriginId = originId,
        };
        return message with { Signature = MessageSignature.SignMessage(key, message.Id) };
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_neighbour_forwarding_a_message_in_another_peers_name_with_a_forged_signature_is_cut_off_and_nobody_delivers_it(CancellationToken ct)
    {
        var victim = _network.Peers[2];
        var before = await SignaturesAt(Target, ct);
        using var raw = await NeighbourAsync(64101, ct);
        var forged = Signed(raw.Key, victim.Endpoint, await IdOfAsync(victim, ct), hops: 3, "a message the victim never wrote");

        await raw.SendAsync(forged, ct);

        await raw.ExpectClosedAsync(ct);
        Assert.That((await SignaturesAt(Target, ct)).Forged, Is.EqualTo(before.Forged + 1), "counted");
        Assert.That(await PeersHoldingAsync(forged.Id, ct), Is.Empty, "nobody recorded or delivered it");
        await HostileInputTests.ExpectLogAsync(_network, Target, "Rejected input from", "whose signature does not verify: forged or altered", ct);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_real_message_with_its_payload_altered_is_dropped_and_its_replay_is_a_duplicate_that_costs_no_signature_work(CancellationToken ct)
    {
        using var raw = await NeighbourAsync(64102, ct);
        var id = await _network.Peers[3].PublishAsync(ct);
        var (genuine, _) = await raw.ReadUntilAsync<GossipMessage>(ct, g => g.Id == id); // the real, signed message, as the target forwards it
        await _network.WaitForDeliveryAsync([(_network.Peers[3].Endpoint, id)], ct);
        var before = await SignaturesAt(Target, ct);
        var duplicatesBefore = await TestNetwork.InspectPeerAsync(Target, m => m.Duplicates, ct);

        // Replays (hop counts changed too: not part of the id), then an honest message of the raw client's own as a marker:
        // frames of one link are handled in order, so once the marker is in, the replays were handled.
        for (var i = 0; i < 3; i++)
        {
            await raw.SendAsync(genuine with { Hops = (ushort)(genuine.Hops + 1 + i) }, ct);
        }
        var marker = Signed(raw.Key, NodeEndpoint.Loopback(64102), raw.Key.Id, hops: 1, "marker");
        await raw.SendAsync(marker, ct);
        await Eventually.HoldsAsync(async () => (await PeersHoldingAsync(marker.Id, ct)).Contains(Target.Endpoint.ToString()) ? null : "the marker has not arrived", TimeSpan.FromSeconds(10), ct);
        var afterReplays = await SignaturesAt(Target, ct);
        var duplicatesAfter = await TestNetwork.InspectPeerAsync(Target, m => m.Duplicates, ct);

        var altered = genuine with { Text = genuine.Text + " (altered)", Hops = (ushort)(genuine.Hops + 1) };
        await raw.SendAsync(altered, ct);
        await raw.ExpectClosedAsync(ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(duplicatesAfter - duplicatesBefore, Is.GreaterThanOrEqualTo(3), "the replays were duplicates");
            Assert.That(afterReplays.Checked - before.Checked, Is.EqualTo(1), "one signature checked: the marker's; none for the replays");
            Assert.That(afterReplays.Forged, Is.EqualTo(before.Forged));
            Assert.That((await SignaturesAt(Target, ct)).Forged, Is.EqualTo(before.Forged + 1), "the altered copy was refused as forged");
            Assert.That(await PeersHoldingAsync(altered.Id, ct), Is.Empty, "nobody delivered the altered copy");
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_hop_1_copy_naming_another_id_than_its_sender_proved_is_refused(CancellationToken ct)
    {
        using var raw = await NeighbourAsync(64103, ct);
        using var other = NodeKey.Generate();
        var impostor = Signed(other, NodeEndpoint.Loopback(64103), other.Id, hops: 1, "signed, but not by the sender");

        await raw.SendAsync(impostor, ct);

        await raw.ExpectClosedAsync(ct);
        Assert.That(await PeersHoldingAsync(impostor.Id, ct), Is.Empty);
        await HostileInputTests.ExpectLogAsync(_network, Target, "Rejected input from", "as its origin's but comes from 127.0.0.1:64103, which proved id", ct);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_message_a_raw_client_signs_with_its_own_key_is_delivered_by_every_peer_exactly_once(CancellationToken ct)
    {
        using var raw = await NeighbourAsync(64104, ct);
        var origin = NodeEndpoint.Loopback(64104);
        var honest = Signed(raw.Key, origin, raw.Key.Id, hops: 1, $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}:127.0.0.1:64104:1");

        await raw.SendAsync(honest, ct);

        await _network.WaitForDeliveryAsync([(origin, honest.Id)], ct);
        await Eventually.HoldsAsync(() =>
        {
            foreach (var peer in _network.Peers)
            {
                var lines = _network.ReadLog(peer.Endpoint.Port).Split('\n').Count(l => l.Contains($"[{honest.Id.Short}]", StringComparison.Ordinal) && l.Contains("Received gossip", StringComparison.Ordinal));
                if (lines != 1)
                {
                    return $"peer {peer.Endpoint} logged {lines} receipts of the message";
                }
            }
            return null;
        }, TimeSpan.FromSeconds(10), ct);
        Assert.That(raw.Client.Connected, Is.True, "an honest neighbour keeps its link");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_receipt_someone_else_signed_does_not_count_as_delivered_and_the_recipients_own_does(CancellationToken ct)
    {
        var sender = _network.Peers[1];
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var recipient = new NodeEndpoint(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var forger = NodeKey.Generate();
        var before = await TestNetwork.InspectPeerAsync(sender, m => m.PrivateCounts, ct);

        var id = await sender.SendPrivateAsync(recipient, "for your eyes only", ct);

        // First attempt: the recipient answers with a receipt another key signed.
        using (var first = RawPeer.Accepted(await listener.AcceptTcpClientAsync(ct)))
        {
            await first.AcceptHelloAsync(recipient, ct);
            var (envelope, _) = await first.ReadUntilAsync<GossipMessage>(ct, g => g.Id == id);
            Assert.That(MessageSignature.Verifies(envelope), Is.True, "the sender signed its private message");
            await first.SendAsync(MessageSignature.Acknowledge(forger, id), ct);
            await first.ExpectClosedAsync(ct);
        }
        var afterForgery = await TestNetwork.InspectPeerAsync(sender, m => m.PrivateCounts, ct);
        Assert.That(afterForgery.Acknowledged, Is.EqualTo(before.Acknowledged), "a forged receipt is no delivery");
        Assert.That(afterForgery.Pending, Is.EqualTo(before.Pending + 1), "the message still waits for its receipt");

        // The retry: the recipient answers with its own receipt.
        using (var second = RawPeer.Accepted(await listener.AcceptTcpClientAsync(ct)))
        {
            await second.AcceptHelloAsync(recipient, ct);
            await second.ReadUntilAsync<GossipMessage>(ct, g => g.Id == id);
            await second.SendAsync(MessageSignature.Acknowledge(second.Key, id), ct);
            await Eventually.HoldsAsync(async () => (await TestNetwork.InspectPeerAsync(sender, m => m.PrivateCounts, ct)).Acknowledged == before.Acknowledged + 1
                ? null : "the recipient's own receipt has not been taken", TimeSpan.FromSeconds(10), ct);
        }
    }
}
