using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// No TLS link is ever resumed: every handshake, the first and every reconnect between the same two nodes, is a full one
/// in which both certificates are sent and checked, and a node with another key at an endpoint dialled before is known
/// for who it is. Resuming would not skip the node key proof anyway (the Hello / HelloProof inside every link signs a
/// fresh nonce), but a link should not lean on that (PROTOCOL.md, <i>Encrypted links</i>). On real sockets, through a
/// relay that reads the cleartext ClientHello and ServerHello of each handshake.
/// </summary>
[TestFixture]
public sealed class TlsReconnectTests
{
    private const int PreSharedKey = 41; // the TLS 1.3 extension that offers (ClientHello) or selects (ServerHello) a resumed session

    [Test]
    [CancelAfter(60_000)]
    public async Task A_reconnect_proves_both_keys_anew_and_another_node_at_the_same_endpoint_is_refused(CancellationToken ct)
    {
        using var aKey = NodeKey.Generate();
        using var bKey = NodeKey.Generate();
        using var cKey = NodeKey.Generate();
        await using var a = TestTransport.Start(tls: TlsLinks.Create(aKey, TimeProvider.System));
        await using var b = TestTransport.Start(tls: TlsLinks.Create(bKey, TimeProvider.System));
        await using var c = TestTransport.Start(tls: TlsLinks.Create(cKey, TimeProvider.System));
        await using var relay = HelloRelay.Start(b.Endpoint);

        for (var round = 1; round <= 3; round++)
        {
            a.Transport.Dial(relay.Endpoint, LinkPurpose.Overlay, bKey.Id);
            var up = await a.Handler.NextAsync<TransportEvent.Connected>(ct);
            Assert.That(a.Transport.AuthenticatedId(up.Info.Id), Is.EqualTo(bKey.Id), $"link {round} is to B");
            a.Transport.Close(up.Info.Id, "test: reconnect", afterFlush: false);
            await a.Handler.NextAsync<TransportEvent.Closed>(ct, e => e.Connection == up.Info.Id);
        }

        relay.Target = c.Endpoint; // B is gone from the endpoint A knows; C, with another key, answers there now
        a.Transport.Dial(relay.Endpoint, LinkPurpose.Overlay, bKey.Id);
        var refused = await a.Handler.NextAsync<TransportEvent.DialFailed>(ct);
        a.Transport.Dial(relay.Endpoint);
        var toC = await a.Handler.NextAsync<TransportEvent.Connected>(ct);

        await Eventually.HoldsAsync(() => relay.ServerHellos.Count >= 5 ? null : $"{relay.ServerHellos.Count} ServerHellos seen of 5", TimeSpan.FromSeconds(10), ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Reason, Does.Contain($"gave id {cKey.Id.Short}…, not the expected {bKey.Id.Short}…"), "C does not pass for B");
            Assert.That(a.Transport.AuthenticatedId(toC.Info.Id), Is.EqualTo(cKey.Id), "the link to C is authenticated as C, whatever A kept of B");
            Assert.That(relay.ClientHellos.Where(h => h.Extensions.Contains(PreSharedKey)), Is.Empty, "a node never offers a session to resume");
            Assert.That(relay.ServerHellos.Where(h => h.Extensions.Contains(PreSharedKey)), Is.Empty, "no handshake was resumed");
            Assert.That(relay.ServerHellos.Count(h => h.IsTls13), Is.EqualTo(relay.ServerHellos.Count), "all TLS 1.3");
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_client_that_offers_a_session_back_gets_a_full_handshake(CancellationToken ct)
    {
        using var bKey = NodeKey.Generate();
        await using var b = TestTransport.Start(tls: TlsLinks.Create(bKey, TimeProvider.System));
        await using var relay = HelloRelay.Start(b.Endpoint);
        using var key = NodeKey.Generate();
        using var certificate = NodeCertificate.Create(key, TimeProvider.System);
        var seen = new ConcurrentQueue<NodeId>();
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "b.p2psim", // a name, and resumption allowed: .NET keeps the session and offers it on the next connection
            AllowTlsResume = true,
            ClientCertificates = [certificate.Certificate],
            EnabledSslProtocols = SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, remote, _, _) =>
            {
                if (remote is not X509Certificate2 node || !NodeCertificate.TryVerify(node, TimeProvider.System.GetUtcNow(), out var id, out _))
                {
                    return false;
                }
                seen.Enqueue(id);
                return true;
            },
        };

        for (var round = 1; round <= 2; round++)
        {
            using var tcp = new TcpClient(AddressFamily.InterNetwork);
            await tcp.ConnectAsync(relay.Endpoint.ToIPEndPoint(), ct);
            await using var tls = new SslStream(tcp.GetStream());
            await tls.AuthenticateAsClientAsync(options, ct);
            var hello = new Hello(ProtocolLimits.Version, NodeRole.Peer, TestTransport.FakeListen) { Id = key.Id, Nonce = HelloNonce.NewRandom() };
            await tls.WriteAsync(FrameCodec.Encode(hello), ct);
            Assert.That(await tls.ReadAsync(new byte[64], ct), Is.GreaterThan(0), "the node answers the Hello"); // any tickets are read before it
        }

        await Eventually.HoldsAsync(() => relay.ServerHellos.Count >= 2 ? null : $"{relay.ServerHellos.Count} ServerHellos seen of 2", TimeSpan.FromSeconds(10), ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(relay.ClientHellos.Last().Extensions, Does.Contain(PreSharedKey),
                "the second ClientHello offers the first session back (else this test would show nothing)");
            Assert.That(relay.ServerHellos.Where(h => h.Extensions.Contains(PreSharedKey)), Is.Empty, "the node did not take it: a full handshake");
            Assert.That(seen, Is.EqualTo(new[] { bKey.Id, bKey.Id }), "both times the client checked the node's certificate");
        }
    }
}

/// <summary>The extensions of one ClientHello or ServerHello record, as read off the wire.</summary>
internal sealed record HelloRecord(IReadOnlyList<int> Extensions, bool IsTls13)
{
    /// <summary>Reads a TLS record holding a ClientHello (type 1) or ServerHello (type 2); null when it holds neither.</summary>
    public static HelloRecord? Read(ReadOnlySpan<byte> record)
    {
        if (record.Length < 9 || record[0] != 0x16 || record[5] is not (1 or 2))
        {
            return null;
        }
        var client = record[5] == 1;
        var body = record[9..];
        var at = 2 + 32; // legacy_version, random
        at += 1 + body[at]; // legacy_session_id
        at += client ? 2 + ((body[at] << 8) | body[at + 1]) : 2; // cipher_suites / cipher_suite
        at += client ? 1 + body[at] : 1; // legacy_compression_methods / method
        var end = at + 2 + ((body[at] << 8) | body[at + 1]);
        at += 2;
        var extensions = new List<int>();
        var tls13 = false;
        while (at + 4 <= end)
        {
            var type = (body[at] << 8) | body[at + 1];
            var length = (body[at + 2] << 8) | body[at + 3];
            extensions.Add(type);
            if (type == 43) // supported_versions: the ServerHello's names the one chosen
            {
                tls13 = client || ((body[at + 4] << 8) | body[at + 5]) == 0x0304;
            }
            at += 4 + length;
        }
        return new HelloRecord(extensions, tls13);
    }
}

/// <summary>
/// A TCP relay on an OS-assigned loopback port to a target that can change between connections; it reads the first
/// TLS record each way of every connection (the ClientHello and the ServerHello) as it passes them on unchanged.
/// </summary>
internal sealed class HelloRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Task> _pumps = new();
    private readonly ConcurrentQueue<TcpClient> _sockets = new();
    private readonly Task _accepting;

    private HelloRelay(NodeEndpoint target)
    {
        Target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public static HelloRelay Start(NodeEndpoint target) => new(target);

    public NodeEndpoint Endpoint => NodeEndpoint.From((IPEndPoint)_listener.LocalEndpoint);

    /// <summary>Where the next connection goes.</summary>
    public NodeEndpoint Target { get; set; }

    public ConcurrentQueue<HelloRecord> ClientHellos { get; } = new();

    public ConcurrentQueue<HelloRecord> ServerHellos { get; } = new();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
                var outbound = new TcpClient(AddressFamily.InterNetwork);
                _sockets.Enqueue(inbound);
                _sockets.Enqueue(outbound);
                await outbound.ConnectAsync(Target.ToIPEndPoint(), _stop.Token);
                _pumps.Enqueue(PumpAsync(inbound, outbound, ClientHellos));
                _pumps.Enqueue(PumpAsync(outbound, inbound, ServerHellos));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/>; the first TLS record that passes is read into <paramref name="hellos"/>.</summary>
    private async Task PumpAsync(TcpClient from, TcpClient to, ConcurrentQueue<HelloRecord> hellos)
    {
        var buffer = new byte[16 * 1024];
        var first = new List<byte>();
        var read = true;
        try
        {
            var source = from.GetStream();
            var sink = to.GetStream();
            int count;
            while ((count = await source.ReadAsync(buffer, _stop.Token)) > 0)
            {
                if (read)
                {
                    first.AddRange(buffer.AsSpan(0, count));
                    if (first.Count >= 5 && first.Count >= 5 + ((first[3] << 8) | first[4]))
                    {
                        read = false;
                        if (HelloRecord.Read(first.ToArray()) is { } hello)
                        {
                            hellos.Enqueue(hello);
                        }
                    }
                }
                await sink.WriteAsync(buffer.AsMemory(0, count), _stop.Token);
            }
            to.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            to.Close(); // the other side sees the end too
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        while (_sockets.TryDequeue(out var socket))
        {
            socket.Dispose();
        }
        while (_pumps.TryDequeue(out var pump))
        {
            await pump;
        }
        _stop.Dispose();
    }
}
