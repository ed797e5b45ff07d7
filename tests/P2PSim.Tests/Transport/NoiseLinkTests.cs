using System.Buffers.Binary;
using System.Net.Sockets;
using CsCheck;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// Links over Noise XX (<c>Security:Links=noise</c>) on real loopback sockets: two nodes prove their node ids to each
/// other through the signed static keys and carry frames; a remote whose identity payload does not verify, garbage, a
/// TLS ClientHello, a plain P2PSim Hello, a stalled handshake, mutated handshake messages, or a changed or cut record
/// after the handshake costs that connection and one line, and the node goes on working. Nodes of two link kinds each
/// say why they cannot talk.
/// </summary>
[TestFixture]
public sealed class NoiseLinkTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task Two_noise_nodes_authenticate_each_other_and_carry_frames(CancellationToken ct)
    {
        using var aKey = NodeKey.Generate();
        using var bKey = NodeKey.Generate();
        await using var a = TestTransport.Start(noise: NoiseLinks.Create(aKey, TimeProvider.System));
        await using var b = TestTransport.Start(noise: NoiseLinks.Create(bKey, TimeProvider.System));
        var id = await a.ConnectToAsync(b, ct);
        // Writes larger than one Noise record (65,519 plaintext bytes) go through cut into records.
        var text = new string('x', ProtocolLimits.MaxPayloadBytes);
        for (var i = 1; i <= 20; i++)
        {
            Assert.That(a.Transport.Send(id, new P2PSim.Protocol.Gossip(GossipKind.Gossip, a.Endpoint, (ulong)i, 0, 1, text)), Is.True);
        }
        await Eventually.HoldsAsync(() => b.Handler.All.OfType<TransportEvent.Received>().Count(r => r.Message is P2PSim.Protocol.Gossip) is var n && n == 20
            ? null : $"{n} of 20 large messages arrived", TimeSpan.FromSeconds(20), ct);
        Assert.That(a.Transport.Send(id, new Ping(7)), Is.True);
        var pong = await a.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Message is Pong);
        var bSide = b.Handler.All.OfType<TransportEvent.Connected>().Single().Info.Id;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(b.Handler.All.OfType<TransportEvent.Received>().Select(r => r.Message).OfType<P2PSim.Protocol.Gossip>().Select(g => g.Text), Is.All.EqualTo(text));
            Assert.That(((Pong)pong.Message).Sequence, Is.EqualTo(7));
            Assert.That(a.Transport.Encrypted && b.Transport.Encrypted, Is.True);
            Assert.That(a.Transport.AuthenticatedId(id), Is.EqualTo(bKey.Id), "the dialer knows whom it reached");
            Assert.That(b.Transport.AuthenticatedId(bSide), Is.EqualTo(aKey.Id), "the accepting side knows who dialled");
            Assert.That(a.Log.Warnings.Concat(b.Log.Warnings), Is.Empty);
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task An_identity_payload_signed_by_another_key_is_refused_and_the_node_works_on(CancellationToken ct)
    {
        await using var node = StartNoise();
        using var signer = NodeKey.Generate();
        // Claims the client's own id, but the signature over the static key is another key's.
        await using var client = await NoiseClient.ConnectRawAsync(node, ct, (key, staticPublic) =>
        {
            var payload = NoiseLinks.Payload(signer, staticPublic);
            key.Id.WriteTo(payload);
            return payload;
        });
        await client.ExpectClosedAsync(ct);
        await ExpectLineAsync(node, "whose key did not sign the handshake's static key", ct);
        Assert.That(node.Handler.All.OfType<TransportEvent.Connected>(), Is.Empty);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_Hello_claiming_another_id_than_the_noise_handshake_proved_is_refused(CancellationToken ct)
    {
        await using var node = StartNoise();
        await using var client = await NoiseClient.ConnectRawAsync(node, ct);
        using var other = NodeKey.Generate();
        var claim = new Hello(ProtocolLimits.Version, NodeRole.Peer, TestTransport.FakeListen) { Id = other.Id, Nonce = HelloNonce.NewRandom() };
        await client.WriteAsync(FrameCodec.Encode(claim), ct);
        await client.ExpectClosedAsync(ct);
        await ExpectLineAsync(node, "but its Noise handshake is node", ct);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_changed_record_after_the_handshake_closes_that_connection_only(CancellationToken ct)
    {
        await using var node = StartNoise();
        await using var other = await NoiseClient.ConnectAsync(node, ct);
        await using var client = await NoiseClient.ConnectAsync(node, ct);
        var record = client.Seal(FrameCodec.Encode(new Ping(1)));
        record[^1] ^= 1; // the tag
        await client.WriteRawAsync(record, ct);
        await client.ExpectClosedAsync(ct);
        await ExpectLineAsync(node, "Noise record rejected: a Noise record of", ct);
        await other.ExpectAliveAsync(ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_record_shorter_than_its_tag_is_rejected_with_one_line(CancellationToken ct)
    {
        await using var node = StartNoise();
        await using var client = await NoiseClient.ConnectAsync(node, ct);
        await client.WriteRawAsync([0x00, 0x05, 1, 2, 3, 4, 5], ct);
        await client.ExpectClosedAsync(ct);
        await ExpectLineAsync(node, "shorter than its 16-byte tag", ct);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_record_cut_short_by_the_end_of_the_connection_is_rejected_with_one_line(CancellationToken ct)
    {
        await using var node = StartNoise();
        await using var client = await NoiseClient.ConnectAsync(node, ct);
        await client.WriteRawAsync([0x00, 0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], ct);
        client.ShutdownSend();
        await client.ExpectClosedAsync(ct);
        await ExpectLineAsync(node, "Noise record rejected: the connection ended in the middle of a Noise record", ct);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Garbage_instead_of_a_Noise_handshake_is_closed_with_one_line(CancellationToken ct)
    {
        await using var node = StartNoise();
        using var raw = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await raw.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), ct);
        await raw.ExpectClosedAsync(ct);
        await ExpectLineAsync(node, "no Noise handshake (the first bytes are 0x47 0x45", ct);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_TLS_ClientHello_to_a_noise_node_is_closed_and_both_sides_say_why(CancellationToken ct)
    {
        await using var node = StartNoise();
        await using var tls = TestTransport.Start(tls: TlsLinks.Create(NodeKey.Generate(), TimeProvider.System));
        tls.Transport.Dial(node.Endpoint);
        var failed = await tls.Handler.NextAsync<TransportEvent.DialFailed>(ct);
        Assert.That(failed.Reason, Does.Contain("TLS handshake failed"));
        await ExpectLineAsync(node, "a TLS ClientHello where a Noise handshake was expected: the remote runs with Security:Links=tls, this node with noise", ct);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_noise_dialer_to_a_tls_node_fails_and_both_sides_say_why(CancellationToken ct)
    {
        await using var node = StartNoise();
        await using var tls = TestTransport.Start(tls: TlsLinks.Create(NodeKey.Generate(), TimeProvider.System));
        node.Transport.Dial(tls.Endpoint);
        var failed = await node.Handler.NextAsync<TransportEvent.DialFailed>(ct);
        Assert.That(failed.Reason, Does.Contain("a TLS alert where the Noise handshake's reply was expected: the remote runs with Security:Links=tls, this node with noise"));
        await ExpectLineAsync(tls, "a Noise handshake where a TLS ClientHello was expected: the remote runs with Security:Links=noise, this node with tls", ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_plain_Hello_to_a_noise_node_is_closed_and_says_why(CancellationToken ct)
    {
        await using var node = StartNoise();
        await using var plain = TestTransport.Start();
        plain.Transport.Dial(node.Endpoint);
        await plain.Handler.NextAsync<TransportEvent.DialFailed>(ct);
        await ExpectLineAsync(node, "a plain P2PSim frame where a Noise handshake was expected: the remote runs with Security:Links=plain, this node with noise", ct);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_noise_dialer_to_a_plain_node_fails_and_both_sides_say_why(CancellationToken ct)
    {
        await using var node = StartNoise();
        await using var plain = TestTransport.Start();
        node.Transport.Dial(plain.Endpoint);
        var failed = await node.Handler.NextAsync<TransportEvent.DialFailed>(ct);
        Assert.That(failed.Reason, Does.Contain("the remote closed the connection during the Noise handshake"));
        await ExpectLineAsync(plain, "a Noise handshake where a plain P2PSim Hello was expected: the remote runs with Security:Links=noise, this node with plain", ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_handshake_that_stalls_is_closed_at_the_handshake_timeout(CancellationToken ct)
    {
        await using var node = StartNoise(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        using var raw = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await raw.SendAsync([0x00, 0x20, 1, 2, 3], ct); // a first message begun, never finished
        await raw.ExpectClosedAsync(ct);
        await ExpectLineAsync(node, "Noise handshake not completed within 500 ms (Transport:HandshakeTimeout)", ct);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Mutated_handshake_messages_each_cost_one_connection_and_the_node_works_on(CancellationToken ct)
    {
        await using var node = StartNoise();
        var cases = 0;
        // The first message (its length and ephemeral key) or the third (the encrypted static key and identity payload):
        // a byte changed, the message cut short, or bytes appended.
        await (from third in Gen.Bool
               from how in Gen.Int[0, 2]
               from at in Gen.Int[0, NoiseLinks.MessageSizes[third ? 2 : 0] + 1]
               from value in Gen.Byte
               select (third, how, at, value)).SampleAsync(async c =>
               {
                   Interlocked.Increment(ref cases);
                   await using var client = await NoiseClient.ConnectRawAsync(node, ct, mutate: (index, message) =>
                       index != (c.third ? 2 : 0) ? message : c.how switch
                       {
                           0 => Flip(message, c.at, c.value),
                           1 => message[..c.at],
                           _ => [.. message, .. Enumerable.Repeat(c.value, 1 + c.at % 8)],
                       }, endAfterFirst: !c.third);
                   if (c.third)
                   {
                       client.ShutdownSend(); // then the end: nothing is left to wait for
                   }
                   await client.ExpectClosedAsync(ct);
               }, iter: 60, threads: 1, seed: "0N0XIzNsQ0O4");
        Assert.That(cases, Is.EqualTo(60));
        // The client sees the close before the node has dropped the connection from its count: wait for it, with a deadline.
        await Eventually.HoldsAsync(() => node.Transport.InboundConnections <= 1
            ? null : $"{node.Transport.InboundConnections} inbound connections kept after every mutated handshake was closed", TimeSpan.FromSeconds(10), ct);
        Assert.That(node.Handler.All.OfType<TransportEvent.Connected>(), Is.Empty, "no mutated handshake reached the node");
        await ExpectWorkingAsync(node, ct);
    }

    private static byte[] Flip(byte[] framed, int at, byte bits)
    {
        var copy = (byte[])framed.Clone();
        copy[Math.Min(at, copy.Length - 1)] ^= bits == 0 ? (byte)1 : bits;
        return copy;
    }

    private static TestTransport StartNoise(Action<P2PSim.Configuration.TransportOptions>? configure = null) =>
        TestTransport.Start(configure: configure, noise: NoiseLinks.Create(NodeKey.Generate(), TimeProvider.System));

    /// <summary>The node still takes a genuine noise link and answers on it.</summary>
    private static async Task ExpectWorkingAsync(TestTransport node, CancellationToken ct)
    {
        await using var client = await NoiseClient.ConnectAsync(node, ct);
        await client.ExpectAliveAsync(ct);
    }

    private static Task ExpectLineAsync(TestTransport node, string text, CancellationToken ct) =>
        Eventually.HoldsAsync(() => node.Log.Warnings.Any(w => w.Contains(text, StringComparison.Ordinal))
            ? null
            : $"no warning containing \"{text}\"; warnings: {string.Join(" | ", node.Log.Warnings)}", TimeSpan.FromSeconds(10), ct);
}

/// <summary>A hand-driven Noise initiator with a genuine node key: speaks frames through Noise, or bytes under it.</summary>
internal sealed class NoiseClient : IAsyncDisposable
{
    private readonly NodeKey _key;
    private readonly TcpClient _tcp;
    private readonly NetworkStream _network;
    private readonly NoiseStream? _noise;
    private readonly NoiseCipher? _send;

    private NoiseClient(NodeKey key, TcpClient tcp, NetworkStream network, NoiseCipher? send, NoiseCipher? receive)
    {
        _key = key;
        _tcp = tcp;
        _network = network;
        _send = send;
        // Seal below writes records by hand with the stream's own sending cipher, so its nonces follow the stream's.
        _noise = send is null ? null : new NoiseStream(_network, send, receive!);
    }

    /// <summary>Completes the Noise handshake and the Hello exchange: the node has it as a link.</summary>
    public static async Task<NoiseClient> ConnectAsync(TestTransport node, CancellationToken ct)
    {
        var client = await ConnectRawAsync(node, ct);
        var ours = new Hello(ProtocolLimits.Version, NodeRole.Peer, TestTransport.FakeListen) { Id = client._key.Id, Nonce = HelloNonce.NewRandom() };
        await client.WriteAsync(FrameCodec.Encode(ours), ct);
        _ = await client.ReadFrameAsync(ct) as Hello ?? throw new AssertionException("the node did not answer with a Hello");
        return client; // the Noise handshake proved both ids: no HelloProof follows the Hellos (protocol version 7)
    }

    /// <summary>
    /// Runs the Noise handshake as the initiator, no Hello. <paramref name="payload"/>: this side's identity payload for
    /// its static key (default: the genuine one); <paramref name="mutate"/>: changes handshake message 0 or 2 (framed, as
    /// sent) before it goes; <paramref name="endAfterFirst"/>: send only the first message, then half-close.
    /// </summary>
    public static async Task<NoiseClient> ConnectRawAsync(TestTransport node, CancellationToken ct,
        Func<NodeKey, byte[], byte[]>? payload = null, Func<int, byte[], byte[]>? mutate = null, bool endAfterFirst = false)
    {
        var key = NodeKey.Generate();
        using var staticKey = NoiseHandshake.NewKey();
        var tcp = new TcpClient(AddressFamily.InterNetwork);
        await tcp.ConnectAsync(node.Endpoint.ToIPEndPoint(), ct);
        var network = tcp.GetStream();
        using var handshake = new NoiseHandshake(true, staticKey, NoiseLinks.Prologue);
        await network.WriteAsync((mutate ?? ((_, m) => m))(0, NoiseLinks.Framed(handshake.WriteMessage([]))), ct);
        if (endAfterFirst)
        {
            tcp.Client.Shutdown(SocketShutdown.Send);
            return new NoiseClient(key, tcp, network, null, null);
        }
        var header = new byte[2];
        await network.ReadExactlyAsync(header, ct);
        var second = new byte[BinaryPrimitives.ReadUInt16BigEndian(header)];
        await network.ReadExactlyAsync(second, ct);
        var theirs = handshake.ReadMessage(second);
        Assert.That(NoiseLinks.Verify(theirs, handshake.RemoteStatic, out var problem), Is.EqualTo(node.Transport.Key.Id), problem);
        var ours = payload?.Invoke(key, NoiseHandshake.PublicBytes(staticKey)) ?? NoiseLinks.Payload(key, NoiseHandshake.PublicBytes(staticKey));
        await network.WriteAsync((mutate ?? ((_, m) => m))(2, NoiseLinks.Framed(handshake.WriteMessage(ours))), ct);
        var (send, receive) = handshake.Split();
        return new NoiseClient(key, tcp, network, send, receive);
    }

    public Task WriteAsync(byte[] bytes, CancellationToken ct) => _noise!.WriteAsync(bytes, ct).AsTask();

    /// <summary>Bytes under the Noise stream, as they are.</summary>
    public Task WriteRawAsync(byte[] bytes, CancellationToken ct) => _network.WriteAsync(bytes, ct).AsTask();

    /// <summary>One record sealed with this link's next sending nonce, framed (to be changed before it is sent).</summary>
    public byte[] Seal(byte[] plaintext)
    {
        var record = new byte[2 + plaintext.Length + NoiseCipher.TagSize];
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)(plaintext.Length + NoiseCipher.TagSize));
        _send!.Encrypt([], plaintext, record.AsSpan(2));
        return record;
    }

    public void ShutdownSend() => _tcp.Client.Shutdown(SocketShutdown.Send);

    /// <summary>Exactly one frame through Noise (nothing after it is read).</summary>
    private async Task<Message?> ReadFrameAsync(CancellationToken ct)
    {
        var header = new byte[ProtocolLimits.LengthPrefixSize];
        await _noise!.ReadExactlyAsync(header, ct);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header)];
        await _noise.ReadExactlyAsync(body, ct);
        FrameCodec.TryRead([.. header, .. body], ProtocolLimits.DefaultMaxFrameLength, out var message, out _, out _);
        return message;
    }

    /// <summary>Sends a Ping through Noise and reads frames until its Pong: the node reads and answers on this link.</summary>
    public async Task ExpectAliveAsync(CancellationToken ct)
    {
        await WriteAsync(FrameCodec.Encode(new Ping(42)), ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            var message = await ReadFrameAsync(deadline.Token);
            if (message is Pong { Sequence: 42 })
            {
                return;
            }
        }
    }

    /// <summary>The node closes the link: a read under Noise ends (EOF or reset) within 10 s.</summary>
    public async Task ExpectClosedAsync(CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        var scratch = new byte[4096];
        try
        {
            while (await _network.ReadAsync(scratch, deadline.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // reset: closed too
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail("the node did not close the link within 10 s");
        }
    }

    public ValueTask DisposeAsync()
    {
        _noise?.Dispose();
        _tcp.Dispose();
        _key.Dispose();
        return ValueTask.CompletedTask;
    }
}
