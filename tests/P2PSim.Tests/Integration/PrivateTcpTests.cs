using System.Net.Sockets;
using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Integration;

/// <summary>
/// Private messages on a small real network (real host, loopback TCP): 3 seeds, 5 quiet peers, peer 3 not dialable.
/// Direct and relayed delivery, and bad input from raw sockets: it costs at most its own connection.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PrivateTcpTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);
    private TestNetwork _network = null!;

    [OneTimeSetUp]
    public async Task StartNetwork()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _network = await TestNetwork.StartAsync(3, 5, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Private:NotDialablePeers"] = "3",
            ["Private:AckTimeout"] = "00:00:00.500",
            ["Private:Attempts"] = "3",
        }, cts.Token);
        await _network.WaitForOverlayAsync(cts.Token);
        await Eventually.HoldsAsync(async () =>
        {
            var (reserved, registered) = await TestNetwork.InspectPeerAsync(Peer(3), m => (m.ReservedWith.ToArray(), m.RegisteredSeeds.ToArray()), cts.Token);
            return registered.Length > 0 && reserved.ToHashSet().SetEquals(registered) ? null : $"peer 3 holds reservations with {reserved.Length} of its {registered.Length} seeds";
        }, Within, cts.Token);
    }

    [OneTimeTearDown]
    public async Task StopNetwork() => await _network.DisposeAsync();

    private NodeService Peer(int index) => _network.Peers.Single(p => p.Index == index);

    [Test]
    [CancelAfter(30_000)]
    public async Task A_private_message_goes_over_a_direct_link_is_delivered_once_and_acknowledged(CancellationToken ct)
    {
        var (from, to) = (Peer(0), Peer(1));

        var id = await from.SendPrivateAsync(to.Endpoint, "hello one, directly", ct);

        await ExpectLogLineAsync(from, $"Private to {to.Endpoint}: delivered and acknowledged over a direct link", $"[{id.Short}]", ct);
        await ExpectLogLineAsync(to, $"Private from {from.Endpoint}: hello one, directly", $"[{id.Short}]", ct);
        Assert.That(CountLines(to, "hello one, directly"), Is.EqualTo(1), "delivered once");
        Assert.That(_network.Peers.Where(p => p != to).Sum(p => CountLines(p, "Private from", "hello one, directly")), Is.Zero, "to nobody else");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_peer_that_cannot_be_dialled_refuses_every_connection_and_gets_private_messages_through_a_seed(CancellationToken ct)
    {
        var (from, hidden) = (Peer(2), Peer(3));
        using (var client = new TcpClient(AddressFamily.InterNetwork))
        {
            var refused = Assert.CatchAsync<SocketException>(async () => await client.ConnectAsync(hidden.Endpoint.ToIPEndPoint(), ct));
            Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));
        }

        var id = await from.SendPrivateAsync(hidden.Endpoint, "hello three, through a seed", ct);

        await ExpectLogLineAsync(from, $"Private to {hidden.Endpoint}: delivered and acknowledged, relayed by seed", $"[{id.Short}]", ct);
        await ExpectLogLineAsync(hidden, $"Private from {from.Endpoint}: hello three, through a seed (relayed by seed", $"[{id.Short}]", ct);
        Assert.That(CountLines(hidden, "hello three, through a seed"), Is.EqualTo(1), "delivered once");
        Assert.That(await TestNetwork.InspectPeerAsync(hidden, m => m.ConnectedNeighbours.Count(), ct), Is.Positive, "its own links out work");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_message_for_a_peer_that_is_not_there_is_retried_and_reported_undeliverable(CancellationToken ct)
    {
        var from = Peer(1);
        var nobody = FreeLoopbackEndpoint();

        var id = await from.SendPrivateAsync(nobody, "is anybody there?", ct);

        // Attempts wait 0.5, 1 and 2 s; every seed refuses to relay to a peer it does not know.
        await ExpectLogLineAsync(from, $"Private to {nobody}: undeliverable, no acknowledgement after 3 attempts (last: cannot dial it (connection refused), and no seed relays it (",
            $"the recipient is unknown there)) [{id.Short}]", ct);
        Assert.That(CountLines(from, $"Private to {nobody}: ", "retrying (attempt"), Is.EqualTo(2));
        Assert.That(await TestNetwork.InspectPeerAsync(from, m => m.PrivateCounts.Undeliverable, ct), Is.Positive);
    }

    // ---- bad input from raw sockets ----

    [Test]
    [CancelAfter(30_000)]
    public async Task A_reservation_from_a_peer_no_seed_knows_is_refused_and_its_connection_closed(CancellationToken ct)
    {
        var seed = _network.Seeds[0];
        using var client = await DirectLinkAsync(seed, 65001, ct);

        await client.GetStream().WriteAsync(FrameCodec.Encode(Reserve.Instance), ct);

        await ExpectClosedByNodeAsync(client, ct);
        await ExpectLogLineAsync(seed, "Rejected Reserve for 127.0.0.1:65001", "is not a registered peer; connection closed", ct);
        await ExpectStillDeliversAsync(ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_relay_request_for_an_unknown_peer_is_answered_with_a_refusal_and_the_connection_stays(CancellationToken ct)
    {
        var seed = _network.Seeds[1];
        using var key = NodeKey.Generate();
        using var client = await DirectLinkAsync(seed, 65002, ct, key);
        var envelope = Envelope(NodeEndpoint.Loopback(65002), NodeEndpoint.Loopback(65003)) with { OriginId = key.Id };
        envelope = envelope with { Signature = MessageSignature.SignMessage(key, envelope.Id) }; // a seed relays only what its origin signed

        await client.GetStream().WriteAsync(FrameCodec.Encode(envelope), ct);
        var frames = await ReadFramesAsync(client, count: 1, ct);

        Assert.That(frames[0], Is.EqualTo(new RelayRefused(envelope.Id, RelayRefusal.UnknownRecipient)));
        Assert.That(client.Client.Poll(0, SelectMode.SelectRead), Is.False, "the connection stays open");
        await ExpectLogLineAsync(seed, "Private: did not relay a message from 127.0.0.1:65002 to 127.0.0.1:65003", "it is no peer this seed knows", ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task An_acknowledgement_to_a_seed_without_a_reservation_closes_that_connection_only(CancellationToken ct)
    {
        var seed = _network.Seeds[2];
        using var client = await DirectLinkAsync(seed, 65004, ct);
        var local = client.Client.LocalEndPoint!.ToString()!;

        await client.GetStream().WriteAsync(FrameCodec.Encode(new DirectAck(new MessageId(1, 2, 3, 4))), ct);

        await ExpectClosedByNodeAsync(client, ct);
        await ExpectLogLineAsync(seed, $"Rejected input from {local}: ", "a DirectAck from 127.0.0.1:65004, which holds no reservation on this link", ct);
        await ExpectStillDeliversAsync(ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_private_message_for_someone_else_closes_that_connection_only(CancellationToken ct)
    {
        var peer = Peer(4);
        using var client = await DirectLinkAsync(peer, 65005, ct);
        var local = client.Client.LocalEndPoint!.ToString()!;

        await client.GetStream().WriteAsync(FrameCodec.Encode(Envelope(NodeEndpoint.Loopback(65005), Peer(1).Endpoint)), ct);

        await ExpectClosedByNodeAsync(client, ct);
        await ExpectLogLineAsync(peer, $"Rejected input from {local}: ", $"a private message for {Peer(1).Endpoint} reached {peer.Endpoint}", ct);
        Assert.That(CountLines(Peer(1), "not for you"), Is.Zero);
        await ExpectStillDeliversAsync(ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task An_acknowledgement_for_nothing_to_a_peer_closes_that_connection_only(CancellationToken ct)
    {
        var peer = Peer(2); // not the peer of the test above: violation lines are rate-limited per peer (one a second)
        using var client = await DirectLinkAsync(peer, 65006, ct);
        var local = client.Client.LocalEndPoint!.ToString()!;

        await client.GetStream().WriteAsync(FrameCodec.Encode(new DirectAck(new MessageId(9, 9, 9, 9))), ct);

        await ExpectClosedByNodeAsync(client, ct);
        await ExpectLogLineAsync(peer, $"Rejected input from {local}: ", "an acknowledgement for nothing", ct);
        await ExpectStillDeliversAsync(ct);
    }

    /// <summary>A loopback endpoint nothing listens on (the system gave it out and it was let go at once).</summary>
    private static NodeEndpoint FreeLoopbackEndpoint()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return NodeEndpoint.From((System.Net.IPEndPoint)socket.LocalEndPoint!);
    }

    private static GossipMessage Envelope(NodeEndpoint origin, NodeEndpoint recipient) =>
        new GossipMessage(GossipKind.Direct, origin, 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 1, "not for you") { Recipient = recipient };

    /// <summary>A raw client that says it is the peer on 127.0.0.1:<paramref name="claimedPort"/> and asks for a direct link.</summary>
    private static async Task<TcpClient> DirectLinkAsync(NodeService node, int claimedPort, CancellationToken ct, NodeKey? key = null)
    {
        var client = await RawClient.ConnectAsync(node, ct);
        await RawClient.HandshakeAsync(client, NodeEndpoint.Loopback(claimedPort), ct, purpose: LinkPurpose.Direct, key: key);
        return client;
    }

    private static async Task<List<Message>> ReadFramesAsync(TcpClient client, int count, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(5));
        var frames = new List<Message>();
        var buffer = new byte[4096];
        var filled = 0;
        while (frames.Count < count)
        {
            var read = await client.GetStream().ReadAsync(buffer.AsMemory(filled), deadline.Token);
            Assert.That(read, Is.Positive, $"the node closed the connection after {frames.Count} frames");
            filled += read;
            while (FrameCodec.TryRead(buffer.AsSpan(0, filled), 65536, out var message, out var consumed, out var error) is var status && status != DecodeStatus.Incomplete)
            {
                Assert.That(status, Is.EqualTo(DecodeStatus.Complete), error);
                frames.Add(message!);
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
            }
        }
        return frames;
    }

    private static Task ExpectClosedByNodeAsync(TcpClient client, CancellationToken ct) => RawClient.ExpectClosedByNodeAsync(client, ct);

    /// <summary>After bad input the network still carries a private message, directly and through a seed.</summary>
    private async Task ExpectStillDeliversAsync(CancellationToken ct)
    {
        var text = $"still working {Guid.NewGuid():N}";
        var direct = await Peer(4).SendPrivateAsync(Peer(0).Endpoint, text, ct);
        var relayed = await Peer(1).SendPrivateAsync(Peer(3).Endpoint, text, ct);
        await ExpectLogLineAsync(Peer(4), $"Private to {Peer(0).Endpoint}: delivered and acknowledged", $"[{direct.Short}]", ct);
        await ExpectLogLineAsync(Peer(1), $"Private to {Peer(3).Endpoint}: delivered and acknowledged", $"[{relayed.Short}]", ct);
    }

    private int CountLines(NodeService node, string text, string? alsoText = null) =>
        _network.ReadLog(node.Endpoint.Port).Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal) && l.Contains(alsoText ?? text, StringComparison.Ordinal));

    private Task ExpectLogLineAsync(NodeService node, string prefix, string rest, CancellationToken ct) =>
        Eventually.HoldsAsync(() =>
        {
            var lines = _network.ReadLog(node.Endpoint.Port).Split('\n');
            return lines.Any(l => l.Contains(prefix, StringComparison.Ordinal) && l.Contains(rest, StringComparison.Ordinal))
                ? null
                : $"no line with \"{prefix}...{rest}\" in Log_{node.Endpoint.Port}.txt";
        }, Within, ct);
}
