using System.Buffers.Binary;
using System.Net.Sockets;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>
/// Whatever a remote sends costs at most that one connection: a log line naming the remote
/// and the reason, the connection closed, the node and the network unaffected.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class BadInputTests
{
    private TestNetwork _network = null!;

    [OneTimeSetUp]
    public async Task StartNetwork()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _network = await TestNetwork.StartAsync(2, 6, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Transport:HandshakeTimeout"] = "00:00:00.500",
            ["Transport:FrameTimeout"] = "00:00:00.500",
            ["Transport:MaxFrameBytes"] = "65536",
            // Liveness must keep working while we misbehave; nobody may be reported dead.
            ["Peer:LivenessInterval"] = "00:00:00.200",
        }, cts.Token);
        await _network.WaitForOverlayAsync(cts.Token);
    }

    [OneTimeTearDown]
    public async Task StopNetwork() => await _network.DisposeAsync();

    private static IEnumerable<TestCaseData> Garbage()
    {
        yield return new TestCaseData(System.Text.Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "exceeds the maximum").SetName("an HTTP request");
        yield return new TestCaseData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 1 }, "negative frame length").SetName("a negative length");
        yield return new TestCaseData(Frame(0x7FFFFFFF, []), "frame length 2147483647 exceeds the maximum").SetName("a frame claiming 2 GiB");
        yield return new TestCaseData(new byte[] { 0, 0, 0, 0 }, "empty frame").SetName("a zero length");
        yield return new TestCaseData(Frame(3, [99, 1, 2]), "unknown message type 99").SetName("an unknown message type");
        yield return new TestCaseData(Frame(2, [(byte)MessageType.Ping, 1]), "first frame must be Hello").SetName("a frame before Hello");
        yield return new TestCaseData(Frame(5, [(byte)MessageType.Hello, 0, 1, 2, 4]), "malformed Hello").SetName("a Hello with a truncated payload");
        yield return new TestCaseData(HelloBytes(version: 99), "protocol version 99 is not supported").SetName("a Hello of another version");
        yield return new TestCaseData(HelloBytes(version: 1), "protocol version 1 is not supported (this node speaks 8)").SetName("a Hello of version 1");
        yield return new TestCaseData(HelloBytes(version: 2), "protocol version 2 is not supported (this node speaks 8)").SetName("a Hello of version 2");
        yield return new TestCaseData(Version3Hello, "protocol version 3 is not supported (this node speaks 8)").SetName("a Hello of version 3");
        yield return new TestCaseData(OlderHello(4), "protocol version 4 is not supported (this node speaks 8)").SetName("a Hello of version 4");
        yield return new TestCaseData(OlderHello(5), "protocol version 5 is not supported (this node speaks 8)").SetName("a Hello of version 5");
        yield return new TestCaseData(OlderHello(6), "protocol version 6 is not supported (this node speaks 8)").SetName("a Hello of version 6");
        yield return new TestCaseData(OlderHello(7), "protocol version 7 is not supported (this node speaks 8)").SetName("a Hello of version 7");
        yield return new TestCaseData((byte[])[.. HelloBytes(ProtocolLimits.Version), .. Frame(2, [(byte)MessageType.Ping, 1])], "the frame after the Hello must be a HelloProof, got Ping")
            .SetName("a frame between the Hello and its proof");
        yield return new TestCaseData((byte[])[.. HelloBytes(ProtocolLimits.Version), .. FrameCodec.Encode(new HelloProof(new byte[ProtocolLimits.SignatureSize]))],
            "the HelloProof does not verify for id").SetName("a HelloProof that does not verify");
    }

    [TestCaseSource(nameof(Garbage))]
    [CancelAfter(20_000)]
    public async Task Garbage_closes_only_that_connection_with_a_log_line_naming_the_remote(byte[] bytes, string reason, CancellationToken ct)
    {
        foreach (var node in new[] { _network.Seeds[0], _network.Peers[1] })
        {
            using var client = await ConnectAsync(node, ct);
            var local = client.Client.LocalEndPoint!.ToString()!;
            await client.GetStream().WriteAsync(bytes, ct);
            await ExpectClosedByNodeAsync(client, ct);
            await ExpectLogLineAsync(node, $"Rejected input from {local}: ", reason, ct);
        }
        await ExpectNetworkStillDeliversAsync(ct);
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task A_client_that_connects_and_says_nothing_is_cut_off_after_the_handshake_timeout(CancellationToken ct)
    {
        using var client = await ConnectAsync(_network.Seeds[1], ct);
        var local = client.Client.LocalEndPoint!.ToString()!;
        await ExpectClosedByNodeAsync(client, ct);
        await ExpectLogLineAsync(_network.Seeds[1], $"Rejected input from {local}: ", "no Hello within 500 ms", ct);
        await ExpectNetworkStillDeliversAsync(ct);
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task A_frame_cut_short_by_a_closed_connection_is_reported(CancellationToken ct)
    {
        using var client = await ConnectAsync(_network.Peers[2], ct);
        var local = client.Client.LocalEndPoint!.ToString()!;
        var hello = HelloBytes(version: ProtocolLimits.Version);
        var stream = client.GetStream();
        await stream.WriteAsync(hello.AsMemory(0, hello.Length - 3), ct);
        client.Client.Shutdown(SocketShutdown.Send);
        var buffer = new byte[16];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(5));
        Assert.That(await stream.ReadAsync(buffer, deadline.Token), Is.Zero, "the node closes its side too");
        await ExpectLogLineAsync(_network.Peers[2], $"Rejected input from {local}: ", "closed in the middle of a frame", ct);
        await ExpectNetworkStillDeliversAsync(ct);
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task A_trickling_client_is_cut_off_after_the_frame_timeout(CancellationToken ct)
    {
        using var client = await ConnectAsync(_network.Peers[3], ct);
        var local = client.Client.LocalEndPoint!.ToString()!;
        var hello = HelloBytes(version: ProtocolLimits.Version);
        var stream = client.GetStream();
        var closed = false;
        foreach (var b in hello)
        {
            try
            {
                await stream.WriteAsync(new[] { b }, ct);
                await Task.Delay(100, ct); // the trickle itself: one byte per 100 ms
            }
            catch (IOException)
            {
                closed = true;
                break;
            }
        }
        if (!closed)
        {
            await ExpectClosedByNodeAsync(client, ct);
        }
        await ExpectLogLineAsync(_network.Peers[3], $"Rejected input from {local}: ", "no Hello within 500 ms", ct);
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task A_message_a_peer_never_accepts_closes_that_connection_only(CancellationToken ct)
    {
        var peer = _network.Peers[4];
        using var client = await ConnectAsync(peer, ct);
        var stream = client.GetStream();
        await RawClient.HandshakeAsync(client, NodeEndpoint.Loopback(65000), ct);
        await stream.WriteAsync(FrameCodec.Encode(Register.Instance), ct);
        await ExpectClosedByNodeAsync(client, ct);
        await ExpectLogLineAsync(peer, "Rejected input from ", "a peer does not accept Register from a peer", ct);
        await ExpectNetworkStillDeliversAsync(ct);
    }

    private async Task ExpectNetworkStillDeliversAsync(CancellationToken ct)
    {
        var published = await _network.PublishFromEveryPeerAsync(ct);
        await _network.WaitForDeliveryAsync(published, ct, TimeSpan.FromSeconds(10));
        Assert.That(_network.Stats.ComputeDeaths(), Is.Empty, "bad input must not make anybody look dead");
        var map = await _network.NeighbourMapAsync(ct);
        Assert.That(TestNetwork.Unreachable(map), Is.Empty);
    }

    private static Task<TcpClient> ConnectAsync(NodeService node, CancellationToken ct) => RawClient.ConnectAsync(node, ct);

    private static Task ExpectClosedByNodeAsync(TcpClient client, CancellationToken ct) => RawClient.ExpectClosedByNodeAsync(client, ct);

    private Task ExpectLogLineAsync(NodeService node, string prefix, string reason, CancellationToken ct) =>
        Eventually.HoldsAsync(() =>
        {
            var lines = _network.ReadLog(node.Endpoint.Port).Split('\n');
            return lines.Any(l => l.Contains(prefix, StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal))
                ? null
                : $"no line with \"{prefix}...{reason}\" in Log_{node.Endpoint.Port}.txt";
        }, TimeSpan.FromSeconds(5), ct);

    private static byte[] Frame(int length, byte[] body)
    {
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, length);
        body.CopyTo(frame, 4);
        return frame;
    }

    private static byte[] HelloBytes(ushort version) =>
        FrameCodec.Encode(new Hello(version, NodeRole.Peer, NodeEndpoint.Loopback(65000)) { Id = NodeId.FromBytes(Enumerable.Repeat((byte)7, NodeId.Size).ToArray()) });

    /// <summary>A version-4 node's Hello: the layout of this version's (id and nonce after the endpoint), version 4.</summary>
    /// <summary>A version-4 to 7 node's Hello: the layout of this version's (version 6 changed the peer lists only, 7 when the HelloProof is sent, 8 the envelope and frame 43).</summary>
    private static byte[] OlderHello(ushort version)
    {
        var hello = HelloBytes(ProtocolLimits.Version);
        BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(5), version);
        return hello;
    }

    /// <summary>A version-3 node's Hello (PROTOCOL.md of version 3): version, role, endpoint, purpose 0.</summary>
    private static readonly byte[] Version3Hello = [0, 0, 0, 0x0C, 1, 0, 3, 2, 4, 127, 0, 0, 1, 0xFD, 0xE8, 0];
}
