using System.Net.Sockets;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Tests.TestSupport;

/// <summary>A raw TCP client against a node, for bad-input tests: connect, and see the node close the connection.</summary>
internal static class RawClient
{
    public static async Task<TcpClient> ConnectAsync(NodeService node, CancellationToken ct)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(node.Endpoint.ToIPEndPoint(), ct);
        return client;
    }

    /// <summary>
    /// The dialer's side of the whole handshake on a raw client, with a fresh key (or <paramref name="key"/>, to sign
    /// messages with later): its Hello (claiming <paramref name="listen"/>, <paramref name="role"/>,
    /// <paramref name="purpose"/>), the node's Hello and HelloProof (read exactly, nothing after them), its own proof.
    /// Returns the node's Hello.
    /// </summary>
    public static async Task<Hello> HandshakeAsync(TcpClient client, NodeEndpoint listen, CancellationToken ct, NodeRole role = NodeRole.Peer, LinkPurpose purpose = default,
        NodeKey? key = null)
    {
        using var fresh = key is null ? NodeKey.Generate() : null;
        key ??= fresh!;
        var stream = client.GetStream();
        var ours = new Hello(ProtocolLimits.Version, role, listen, purpose) { Id = key.Id, Nonce = HelloNonce.NewRandom() };
        await stream.WriteAsync(FrameCodec.Encode(ours), ct);
        var theirs = await ReadFrameAsync(stream, ct) as Hello ?? throw new AssertionException("the node did not answer with a Hello");
        var proof = await ReadFrameAsync(stream, ct) as HelloProof ?? throw new AssertionException("the node did not send its HelloProof");
        Assert.That(Handshake.Verifies(proof, Handshake.Side.Acceptor, theirs, ours), "the node's HelloProof verifies");
        await stream.WriteAsync(FrameCodec.Encode(Handshake.Prove(key, Handshake.Side.Dialer, theirs)), ct);
        return theirs;
    }

    /// <summary>Exactly one frame from <paramref name="stream"/> (its length, then its body; nothing more is read), within 5 s.</summary>
    public static async Task<Message> ReadFrameAsync(Stream stream, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(5));
        var prefix = new byte[ProtocolLimits.LengthPrefixSize];
        await stream.ReadExactlyAsync(prefix, deadline.Token);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(prefix);
        Assert.That(length, Is.InRange(1, ProtocolLimits.DefaultMaxFrameLength), "a frame length");
        var frame = new byte[ProtocolLimits.LengthPrefixSize + length];
        prefix.CopyTo(frame, 0);
        await stream.ReadExactlyAsync(frame.AsMemory(ProtocolLimits.LengthPrefixSize), deadline.Token);
        Assert.That(FrameCodec.TryRead(frame, ProtocolLimits.DefaultMaxFrameLength, out var message, out _, out var error), Is.EqualTo(DecodeStatus.Complete), error);
        return message!;
    }

    /// <summary>The node closes the connection: a read ends (EOF or reset) well within the deadline.</summary>
    public static async Task ExpectClosedByNodeAsync(TcpClient client, CancellationToken ct) => await ReadUntilClosedAsync(client, ct);

    /// <summary>Everything the node sends until it closes the connection (EOF or reset), which it must do within 5 s.</summary>
    public static async Task<byte[]> ReadUntilClosedAsync(TcpClient client, CancellationToken ct)
    {
        var stream = client.GetStream();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(5));
        var received = new MemoryStream();
        var buffer = new byte[1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
            {
                received.Write(buffer, 0, read); // a Hello answer may come first; keep reading until the node closes
            }
        }
        catch (IOException)
        {
            // Reset by the node: closed too.
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail("the node did not close the connection within 5 s");
        }
        return received.ToArray();
    }
}
