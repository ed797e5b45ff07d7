using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Integration;

/// <summary>
/// End-to-end encrypted private messages on a small real network (real host, loopback TCP, plain links so a raw client
/// sees the frames as the nodes write them): 3 seeds, 3 quiet peers. A raw client, written from PROTOCOL.md, plays a
/// recipient that cannot be dialled and holds its reservation at a seed: what the seed relays to it is exactly what the
/// seed passes on, and holds no plaintext; the client's key opens it.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class EncryptedPrivateTcpTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);
    private TestNetwork _network = null!;

    [OneTimeSetUp]
    public async Task StartNetwork()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _network = await TestNetwork.StartAsync(3, 3, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Private:AckTimeout"] = "00:00:01",
            ["Private:Attempts"] = "3",
        }, cts.Token);
        await _network.WaitForOverlayAsync(cts.Token);
    }

    [OneTimeTearDown]
    public async Task StopNetwork() => await _network.DisposeAsync();

    [Test]
    [CancelAfter(45_000)]
    public async Task A_message_relayed_by_a_seed_crosses_it_sealed_and_only_the_recipients_key_opens_it(CancellationToken ct)
    {
        var seed = _network.Seeds[0];
        var sender = _network.Peers[0];
        using var key = NodeKey.Generate();
        var hidden = FreeLoopbackEndpoint(); // nothing listens there: the sender's dial fails, and a seed must relay
        await RegisterAsync(seed, hidden, key, ct);
        using var reservation = await RawClient.ConnectAsync(seed, ct);
        await RawClient.HandshakeAsync(reservation, hidden, ct, purpose: LinkPurpose.Direct, key: key);
        await reservation.GetStream().WriteAsync(FrameCodec.Encode(Reserve.Instance), ct);
        await Eventually.HoldsAsync(async () => await TestNetwork.InspectSeedAsync(seed, m => m.Reservations.Contains(hidden), ct) ? null : $"seed {seed.Endpoint} holds no reservation for {hidden}", Within, ct);
        var secret = $"the vault code is {Guid.NewGuid():N}";

        var id = await sender.SendPrivateAsync(hidden, secret, ct);
        var (frame, envelope) = await NextEnvelopeAsync(reservation, ct);

        using var sealing = new SealingKey(key);
        using var stranger = new SealingKey(NodeKey.Derived(1, "stranger", 1));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(envelope.Id, Is.EqualTo(id));
            Assert.That((envelope.Origin, envelope.Recipient), Is.EqualTo((sender.Endpoint, (NodeEndpoint?)hidden)));
            Assert.That(Contains(frame, Encoding.UTF8.GetBytes(secret)), Is.False, "the bytes the seed passed on hold no plaintext");
            Assert.That(Contains(frame, Encoding.UTF8.GetBytes(secret[^32..])), Is.False, "not even its random part");
            Assert.That(PrivateSeal.Open(sealing, envelope), Is.EqualTo(secret), "the recipient's key opens it");
            Assert.That(PrivateSeal.Open(stranger, envelope), Is.Null, "no other key does");
            Assert.That(MessageSignature.Verifies(envelope), Is.True, "signed by its origin, ciphertext included");
        }

        await reservation.GetStream().WriteAsync(FrameCodec.Encode(MessageSignature.Acknowledge(key, envelope.Id)), ct);
        await ExpectLogLineAsync(sender, $"Private to {hidden}: delivered and acknowledged, relayed by seed {seed.Endpoint}", $"[{id.Short}]", ct);
        var seedLog = _network.ReadLog(seed.Endpoint.Port);
        Assert.That(seedLog, Does.Contain($"Private: relayed a message from {sender.Endpoint} to {hidden} [{id.Short}]"), "the seed relayed it");
        Assert.That(seedLog, Does.Not.Contain(secret[^32..]), "and logged no text");
    }

    [Test]
    [CancelAfter(45_000)]
    public async Task A_peer_reads_what_an_outside_client_seals_to_its_id_and_refuses_what_does_not_open_closing_that_link_only(CancellationToken ct)
    {
        var peer = _network.Peers[1];
        using var key = NodeKey.Generate();
        var claimed = NodeEndpoint.Loopback(65011);

        using (var client = await RawClient.ConnectAsync(peer, ct))
        {
            var theirs = await RawClient.HandshakeAsync(client, claimed, ct, purpose: LinkPurpose.Direct, key: key);
            var envelope = SealedEnvelopes.Make(key, claimed, peer.Endpoint, theirs.Id, DateTimeOffset.UtcNow, "sealed from outside");
            await client.GetStream().WriteAsync(FrameCodec.Encode(envelope), ct);

            var ack = await RawClient.ReadFrameAsync(client.GetStream(), ct) as DirectAck;
            Assert.That(ack, Is.Not.Null, "acknowledged");
            Assert.That(MessageSignature.Verifies(ack!, theirs.Id), Is.True, "by the recipient itself");
            await ExpectLogLineAsync(peer, $"Private from {claimed}: sealed from outside", $"[{envelope.Id.Short}]", ct);
        }

        using (var client = await RawClient.ConnectAsync(peer, ct))
        {
            var theirs = await RawClient.HandshakeAsync(client, claimed, ct, purpose: LinkPurpose.Direct, key: key);
            var local = client.Client.LocalEndPoint!.ToString()!;
            var wrong = SealedEnvelopes.Make(key, claimed, peer.Endpoint, theirs.Id, DateTimeOffset.UtcNow, "sealed to someone else", sequence: 2, sealTo: key.Id);
            await client.GetStream().WriteAsync(FrameCodec.Encode(wrong), ct);

            await RawClient.ExpectClosedByNodeAsync(client, ct);
            await ExpectLogLineAsync(peer, $"Rejected input from {local}: ", "that does not open with this peer's key", ct);
            Assert.That(_network.ReadLog(peer.Endpoint.Port), Does.Not.Contain("sealed to someone else"), "never delivered");
        }

        var text = $"still working {Guid.NewGuid():N}";
        var id = await _network.Peers[2].SendPrivateAsync(peer.Endpoint, text, ct);
        await ExpectLogLineAsync(peer, $"Private from {_network.Peers[2].Endpoint}: {text}", $"[{id.Short}]", ct);
    }

    /// <summary>A raw client registers <paramref name="listen"/> with <paramref name="seed"/> under <paramref name="key"/>'s id, as a peer does.</summary>
    private static async Task RegisterAsync(NodeService seed, NodeEndpoint listen, NodeKey key, CancellationToken ct)
    {
        using var client = await RawClient.ConnectAsync(seed, ct);
        await RawClient.HandshakeAsync(client, listen, ct, key: key);
        await client.GetStream().WriteAsync(FrameCodec.Encode(Register.Instance), ct);
        Assert.That(await RawClient.ReadFrameAsync(client.GetStream(), ct), Is.TypeOf<PeerList>(), "the seed answers the registration");
    }

    /// <summary>The next private message on the reservation, with its frame's bytes as the seed wrote them; pings are answered meanwhile.</summary>
    private static async Task<(byte[] Frame, GossipMessage Envelope)> NextEnvelopeAsync(TcpClient client, CancellationToken ct)
    {
        var stream = client.GetStream();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(15));
        while (true)
        {
            var prefix = new byte[ProtocolLimits.LengthPrefixSize];
            await stream.ReadExactlyAsync(prefix, deadline.Token);
            var frame = new byte[ProtocolLimits.LengthPrefixSize + BinaryPrimitives.ReadInt32BigEndian(prefix)];
            prefix.CopyTo(frame, 0);
            await stream.ReadExactlyAsync(frame.AsMemory(ProtocolLimits.LengthPrefixSize), deadline.Token);
            Assert.That(FrameCodec.TryRead(frame, ProtocolLimits.DefaultMaxFrameLength, out var message, out _, out var error), Is.EqualTo(DecodeStatus.Complete), error);
            switch (message)
            {
                case GossipMessage envelope:
                    return (frame, envelope);
                case Ping ping:
                    await stream.WriteAsync(FrameCodec.Encode(new Pong(ping.Sequence)), deadline.Token);
                    break;
                default:
                    break;
            }
        }
    }

    private static NodeEndpoint FreeLoopbackEndpoint()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return NodeEndpoint.From((System.Net.IPEndPoint)socket.LocalEndPoint!);
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private Task ExpectLogLineAsync(NodeService node, string prefix, string rest, CancellationToken ct) =>
        Eventually.HoldsAsync(() =>
        {
            var lines = _network.ReadLog(node.Endpoint.Port).Split('\n');
            return lines.Any(l => l.Contains(prefix, StringComparison.Ordinal) && l.Contains(rest, StringComparison.Ordinal))
                ? null
                : $"no line with \"{prefix}...{rest}\" in Log_{node.Endpoint.Port}.txt";
        }, Within, ct);
}
