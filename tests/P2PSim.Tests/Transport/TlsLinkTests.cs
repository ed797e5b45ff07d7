using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using CsCheck;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Security;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// Links over TLS 1.3 (<c>Security:Links=tls</c>) on real loopback sockets: two nodes authenticate each other by the
/// certificates bound to their node keys and carry frames; a remote with a certificate that is not bound to a node key,
/// garbage, a plain P2PSim Hello, a stalled handshake, or a forged, cut or oversized record after the handshake costs
/// that connection and one line, and the node goes on working. A plain node and a tls node each say why they cannot talk.
/// </summary>
[TestFixture]
public sealed class TlsLinkTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task Two_tls_nodes_authenticate_each_other_and_carry_frames(CancellationToken ct)
    {
        using var aKey = NodeKey.Generate();
        using var bKey = NodeKey.Generate();
        await using var a = TestTransport.Start(tls: TlsLinks.Create(aKey, TimeProvider.System));
        await using var b = TestTransport.Start(tls: TlsLinks.Create(bKey, TimeProvider.System));
        var id = await a.ConnectToAsync(b, ct);
        Assert.That(a.Transport.Send(id, new Ping(7)), Is.True);
        var pong = await a.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Message is Pong);
        var bSide = b.Handler.All.OfType<TransportEvent.Connected>().Single().Info.Id;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(((Pong)pong.Message).Sequence, Is.EqualTo(7));
            Assert.That(a.Transport.AuthenticatedId(id), Is.EqualTo(bKey.Id), "the dialer knows whom it reached");
            Assert.That(b.Transport.AuthenticatedId(bSide), Is.EqualTo(aKey.Id), "the accepting side knows who dialled");
            Assert.That(a.Log.Warnings.Concat(b.Log.Warnings), Is.Empty);
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task On_a_tls_link_the_Hellos_finish_the_handshake_and_a_HelloProof_after_them_is_refused(CancellationToken ct)
    {
        await using var node = StartTls();
        await using var client = await TlsClient.ConnectAsync(node, ct); // TLS, then the two Hellos: no proof either way
        var connected = await node.Handler.NextAsync<TransportEvent.Connected>(ct);
        Assert.That(connected.Info.Inbound, Is.True, "the node has the link without a HelloProof");
        await client.WriteAsync(FrameCodec.Encode(new HelloProof(new byte[NodeId.SignatureSize])), ct);
        await TlsClient.ExpectClosedAsync(client, ct);
        await ExpectLineAsync(node, "a HelloProof on a TLS or Noise link", ct);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_client_certificate_without_the_node_key_extension_is_refused_and_the_node_works_on(CancellationToken ct)
    {
        await using var node = StartTls();
        using var certificate = TestCertificates.Make(_ => null);
        await ExpectRefusedAsync(node, certificate, ct);
        await ExpectLineAsync(node, "carries no node key extension", ct);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_client_certificate_whose_extension_another_key_signed_is_refused_and_the_node_works_on(CancellationToken ct)
    {
        await using var node = StartTls();
        using var claimed = NodeKey.Generate();
        using var signer = NodeKey.Generate();
        using var certificate = TestCertificates.Make(spki => TestCertificates.Extension(claimed.Id, signer.Sign(TestCertificates.Signed(spki))));
        await ExpectRefusedAsync(node, certificate, ct);
        await ExpectLineAsync(node, "does not verify", ct);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_tls_dialer_refuses_a_server_whose_certificate_is_not_bound_to_a_node_key(CancellationToken ct)
    {
        await using var node = StartTls();
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var certificate = TestCertificates.Make(_ => null);
        node.Transport.Dial(NodeEndpoint.From((System.Net.IPEndPoint)listener.LocalEndpoint));
        using var accepted = await listener.AcceptTcpClientAsync(ct);
        await using var server = new SslStream(accepted.GetStream());
        var serving = server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
            RemoteCertificateValidationCallback = static (_, remote, _, _) => remote is not null, // the dialer's own check is under test
        }, ct);
        var failed = await node.Handler.NextAsync<TransportEvent.DialFailed>(ct);
        Assert.That(failed.Reason, Does.Contain("carries no node key extension"));
        Assert.That(node.Handler.All.OfType<TransportEvent.Connected>(), Is.Empty);
        await IgnoreFailureAsync(serving);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Garbage_instead_of_a_ClientHello_is_closed_with_one_line(CancellationToken ct)
    {
        await using var node = StartTls();
        using var raw = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await raw.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), ct);
        await raw.ExpectClosedAsync(ct);
        await ExpectLineAsync(node, "no TLS ClientHello (the first byte is 0x47", ct);
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_handshake_that_stalls_is_closed_at_the_handshake_timeout(CancellationToken ct)
    {
        await using var node = StartTls(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        using var raw = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await raw.SendAsync([0x16, 0x03, 0x01, 0x00], ct); // a record header begun, never finished
        await raw.ExpectClosedAsync(ct);
        await ExpectLineAsync(node, "TLS handshake not completed within 500 ms (Transport:HandshakeTimeout)", ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_plain_Hello_to_a_tls_node_is_closed_and_both_sides_say_why(CancellationToken ct)
    {
        await using var node = StartTls();
        await using var plain = TestTransport.Start();
        plain.Transport.Dial(node.Endpoint);
        var failed = await plain.Handler.NextAsync<TransportEvent.DialFailed>(ct);
        Assert.That(failed.Reason, Does.Contain("runs with Security:Links=tls, this node with plain"));
        await ExpectLineAsync(plain, "runs with Security:Links=tls, this node with plain", ct);
        await ExpectLineAsync(node, "the remote runs with Security:Links=plain, this node with tls", ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_tls_dialer_to_a_plain_node_fails_and_both_sides_say_why(CancellationToken ct)
    {
        await using var node = StartTls();
        await using var plain = TestTransport.Start();
        node.Transport.Dial(plain.Endpoint);
        var failed = await node.Handler.NextAsync<TransportEvent.DialFailed>(ct);
        Assert.That(failed.Reason, Does.Contain("Security:Links=plain"));
        await ExpectLineAsync(plain, "a TLS ClientHello where a plain P2PSim Hello was expected: the remote runs with Security:Links=tls", ct);
        await ExpectLineAsync(node, "Security:Links=plain", ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task An_oversized_record_after_the_handshake_closes_that_connection_only(CancellationToken ct)
    {
        await using var node = StartTls();
        await using var other = await TlsClient.ConnectAsync(node, ct);
        var (client, socket) = await TlsClient.RawAsync(node, ct);
        await using (client)
        {
            // Under the TLS stream: a record that claims 18,433 bytes (TLS 1.3 allows 16,640), then all of them.
            byte[] record = [0x17, 0x03, 0x03, 0x48, 0x01, .. new byte[0x4801]];
            await socket.GetStream().WriteAsync(record, ct);
            await TlsClient.ExpectClosedAsync(client, ct);
            await ExpectLineAsync(node, "TLS record rejected", ct);
            await other.ExpectAliveAsync(ct);
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_record_cut_short_by_the_end_of_the_connection_is_rejected_with_one_line(CancellationToken ct)
    {
        await using var node = StartTls();
        var (client, socket) = await TlsClient.RawAsync(node, ct);
        await using (client)
        {
            await socket.GetStream().WriteAsync(new byte[] { 0x17, 0x03, 0x03, 0x00, 0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, ct);
            socket.Client.Shutdown(SocketShutdown.Send);
            await TlsClient.ExpectClosedAsync(client, ct);
            await ExpectLineAsync(node, "TLS record rejected", ct);
        }
        await ExpectWorkingAsync(node, ct);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Mutated_ClientHellos_each_cost_one_connection_and_the_node_works_on(CancellationToken ct)
    {
        await using var node = StartTls();
        var clientHello = await TlsClient.CaptureClientHelloAsync(ct);
        var cases = 0;
        await (from how in Gen.Int[0, 2]
               from at in Gen.Int[0, clientHello.Length - 1]
               from value in Gen.Byte
               select how switch
               {
                   0 => Flip(clientHello, at, value),
                   1 => clientHello[..at],
                   _ => [.. clientHello[..at], .. Enumerable.Repeat(value, 64)],
               }).SampleAsync(async bytes =>
               {
                   Interlocked.Increment(ref cases);
                   using var raw = await RawPeer.ConnectAsync(node.Endpoint, ct);
                   await raw.SendAsync(bytes, ct);
                   raw.Client.Client.Shutdown(SocketShutdown.Send); // then the end: nothing is left to wait for
                   await raw.ExpectClosedAsync(ct);
               }, iter: 60, threads: 1, seed: "0N0XIzNsQ0O4");
        Assert.That(cases, Is.EqualTo(60));
        Assert.That(node.Transport.InboundConnections, Is.LessThanOrEqualTo(1), "no refused connection is kept");
        Assert.That(node.Handler.All.OfType<TransportEvent.Connected>(), Is.Empty, "no mutated ClientHello reached the node");
        await ExpectWorkingAsync(node, ct);
    }

    private static byte[] Flip(byte[] valid, int at, byte bits)
    {
        var copy = (byte[])valid.Clone();
        copy[at] ^= bits == 0 ? (byte)1 : bits;
        return copy;
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_Hello_claiming_another_id_than_the_tls_certificate_proved_is_refused(CancellationToken ct)
    {
        await using var node = StartTls();
        var (client, _) = await TlsClient.RawAsync(node, ct);
        await using (client)
        {
            using var other = NodeKey.Generate();
            var claim = new Hello(ProtocolLimits.Version, NodeRole.Peer, TestTransport.FakeListen) { Id = other.Id, Nonce = HelloNonce.NewRandom() };
            await client.WriteAsync(FrameCodec.Encode(claim), ct);
            await TlsClient.ExpectClosedAsync(client, ct);
        }
        await ExpectLineAsync(node, "but its TLS certificate is node", ct);
        await ExpectWorkingAsync(node, ct);
    }

    private static TestTransport StartTls(Action<P2PSim.Configuration.TransportOptions>? configure = null)
    {
        var key = NodeKey.Generate(); // the node's for its lifetime: its HelloProofs are signed with it
        return TestTransport.Start(configure: configure, tls: TlsLinks.Create(key, TimeProvider.System));
    }

    /// <summary>A raw TLS client with <paramref name="certificate"/>: the node refuses it, during the handshake or right after.</summary>
    private static async Task ExpectRefusedAsync(TestTransport node, X509Certificate2 certificate, CancellationToken ct)
    {
        using var tcp = new TcpClient(AddressFamily.InterNetwork);
        await tcp.ConnectAsync(node.Endpoint.ToIPEndPoint(), ct);
        await using var tls = new SslStream(tcp.GetStream());
        try
        {
            await tls.AuthenticateAsClientAsync(TlsClient.Options(certificate), ct);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return; // refused during the handshake
        }
        await TlsClient.ExpectClosedAsync(tls, ct); // TLS 1.3: the client is done first, the server's refusal follows
    }

    /// <summary>The node still takes a genuine tls link and answers on it.</summary>
    private static async Task ExpectWorkingAsync(TestTransport node, CancellationToken ct)
    {
        await using var client = await TlsClient.ConnectAsync(node, ct);
        await client.ExpectAliveAsync(ct);
    }

    private static Task ExpectLineAsync(TestTransport node, string text, CancellationToken ct) =>
        Eventually.HoldsAsync(() => node.Log.Warnings.Any(w => w.Contains(text, StringComparison.Ordinal))
            ? null
            : $"no warning containing \"{text}\"; warnings: {string.Join(" | ", node.Log.Warnings)}", TimeSpan.FromSeconds(10), ct);

    private static async Task IgnoreFailureAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
        }
    }
}

/// <summary>A hand-driven TLS remote with a genuine node certificate: speaks frames through TLS, or bytes under it.</summary>
internal sealed class TlsClient : IAsyncDisposable
{
    private readonly NodeKey _key;
    private readonly NodeCertificate _certificate;
    private readonly TcpClient _tcp;
    private readonly SslStream _tls;

    private TlsClient(NodeKey key, NodeCertificate certificate, TcpClient tcp, SslStream tls)
    {
        _key = key;
        _certificate = certificate;
        _tcp = tcp;
        _tls = tls;
    }

    public static SslClientAuthenticationOptions Options(X509Certificate2 certificate) => new()
    {
        TargetHost = "",
        ClientCertificates = [certificate],
        EnabledSslProtocols = SslProtocols.Tls13,
        RemoteCertificateValidationCallback = static (_, remote, _, _) =>
            remote is X509Certificate2 node && NodeCertificate.TryVerify(node, TimeProvider.System.GetUtcNow(), out _, out _),
    };

    /// <summary>Connects with a node certificate of its own and says Hello through TLS; the node has it as a link.</summary>
    public static async Task<TlsClient> ConnectAsync(TestTransport node, CancellationToken ct)
    {
        var (client, _) = await RawAsync(node, ct);
        var ours = new Hello(ProtocolLimits.Version, NodeRole.Peer, TestTransport.FakeListen) { Id = client._key.Id, Nonce = HelloNonce.NewRandom() };
        await client.WriteAsync(FrameCodec.Encode(ours), ct);
        _ = await client.ReadFrameAsync(ct) as Hello ?? throw new AssertionException("the node did not answer with a Hello");
        return client; // the TLS handshake proved both ids: no HelloProof follows the Hellos (protocol version 7)
    }

    /// <summary>Exactly one frame through TLS (nothing after it is read).</summary>
    private async Task<Message?> ReadFrameAsync(CancellationToken ct)
    {
        var header = new byte[ProtocolLimits.LengthPrefixSize];
        await _tls.ReadExactlyAsync(header, ct);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header);
        var body = new byte[length];
        await _tls.ReadExactlyAsync(body, ct);
        FrameCodec.TryRead([.. header, .. body], ProtocolLimits.DefaultMaxFrameLength, out var message, out _, out _);
        return message;
    }

    /// <summary>Connects and completes the TLS handshake, no Hello; returns the socket under the TLS stream too.</summary>
    public static async Task<(TlsClient Client, TcpClient Socket)> RawAsync(TestTransport node, CancellationToken ct)
    {
        var key = NodeKey.Generate();
        var certificate = NodeCertificate.Create(key, TimeProvider.System);
        var tcp = new TcpClient(AddressFamily.InterNetwork);
        await tcp.ConnectAsync(node.Endpoint.ToIPEndPoint(), ct);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: true);
        await tls.AuthenticateAsClientAsync(Options(certificate.Certificate), ct);
        return (new TlsClient(key, certificate, tcp, tls), tcp);
    }

    /// <summary>The first bytes a .NET TLS 1.3 client sends: its ClientHello record.</summary>
    public static async Task<byte[]> CaptureClientHelloAsync(CancellationToken ct)
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var key = NodeKey.Generate();
        using var certificate = NodeCertificate.Create(key, TimeProvider.System);
        using var tcp = new TcpClient(AddressFamily.InterNetwork);
        await tcp.ConnectAsync((System.Net.IPEndPoint)listener.LocalEndpoint, ct);
        await using var tls = new SslStream(tcp.GetStream());
        var handshake = tls.AuthenticateAsClientAsync(Options(certificate.Certificate), ct);
        using var accepted = await listener.AcceptTcpClientAsync(ct);
        var header = new byte[5];
        await accepted.GetStream().ReadExactlyAsync(header, ct);
        var body = new byte[(header[3] << 8) | header[4]];
        await accepted.GetStream().ReadExactlyAsync(body, ct);
        accepted.Close();
        try
        {
            await handshake;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
        }
        return [.. header, .. body];
    }

    public Task WriteAsync(byte[] bytes, CancellationToken ct) => _tls.WriteAsync(bytes, ct).AsTask();

    /// <summary>Sends a Ping through TLS and reads frames until its Pong: the node reads and answers on this link.</summary>
    public async Task ExpectAliveAsync(CancellationToken ct)
    {
        await WriteAsync(FrameCodec.Encode(new Ping(42)), ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        var end = 0;
        while (true)
        {
            var read = await _tls.ReadAsync(buffer.AsMemory(end), deadline.Token);
            Assert.That(read, Is.GreaterThan(0), "the node closed a genuine tls link");
            end += read;
            var start = 0;
            while (FrameCodec.TryRead(buffer.AsSpan(start, end - start), ProtocolLimits.DefaultMaxFrameLength, out var message, out var consumed, out _) == DecodeStatus.Complete)
            {
                if (message is Pong { Sequence: 42 })
                {
                    return;
                }
                start += consumed;
            }
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
        }
    }

    /// <summary>The node closes the link: a read through TLS ends (EOF, reset or a TLS alert) within 10 s.</summary>
    public static Task ExpectClosedAsync(TlsClient client, CancellationToken ct) => ExpectClosedAsync(client._tls, ct);

    public static async Task ExpectClosedAsync(SslStream tls, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        var scratch = new byte[4096];
        try
        {
            while (await tls.ReadAsync(scratch, deadline.Token) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException)
        {
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail("the node did not close the connection within 10 s");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _tcp.Dispose();
        _certificate.Dispose();
        _key.Dispose();
    }
}
