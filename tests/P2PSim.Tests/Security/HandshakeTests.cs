using System.Net.Sockets;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Transport;

namespace P2PSim.Tests.Security;

/// <summary>The version-4 handshake on real loopback sockets: each side proves it holds the key of the id its Hello claims.</summary>
public class HandshakeTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task Both_ends_learn_the_id_the_other_proved(CancellationToken ct)
    {
        await using var a = TestTransport.Start();
        await using var b = TestTransport.Start();

        a.Transport.Dial(b.Endpoint);
        var atDialer = (await a.Handler.NextAsync<TransportEvent.Connected>(ct)).Info;
        var atAcceptor = (await b.Handler.NextAsync<TransportEvent.Connected>(ct)).Info;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(atDialer.RemoteId, Is.EqualTo(b.Transport.Key.Id));
            Assert.That(atAcceptor.RemoteId, Is.EqualTo(a.Transport.Key.Id));
            Assert.That(a.Transport.Key.Id, Is.Not.EqualTo(b.Transport.Key.Id), "fresh keys");
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_client_that_claims_another_nodes_id_without_its_key_is_refused(CancellationToken ct)
    {
        await using var victim = TestTransport.Start();
        await using var node = TestTransport.Start();
        using var impostor = await RawPeer.ConnectAsync(node.Endpoint, ct);
        using var ownKey = NodeKey.Generate();

        // The impostor knows the victim's id (it is public) but can sign only with a key of its own.
        var hello = new Hello(ProtocolLimits.Version, NodeRole.Peer, victim.Endpoint) { Id = victim.Transport.Key.Id, Nonce = HelloNonce.NewRandom() };
        await impostor.SendAsync(hello, ct);
        var answer = await impostor.ReadAsync(ct) as Hello;
        Assert.That(await impostor.ReadAsync(ct), Is.TypeOf<HelloProof>());
        await impostor.SendAsync(Handshake.Prove(ownKey, Handshake.Side.Dialer, answer!), ct);

        await impostor.ExpectClosedAsync(ct);
        await TransportWait.UntilAsync(() => node.Log.Warnings.Any(w => w.Contains($"the HelloProof does not verify for id {victim.Transport.Key.Id.Short}", StringComparison.Ordinal)),
            "a warning naming the id whose proof failed", ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(node.Transport.RefusedProofs, Is.EqualTo(1), "counted");
            Assert.That(node.Handler.All.OfType<TransportEvent.Connected>(), Is.Empty, "the node never had the connection");
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_proof_replayed_from_another_connection_is_refused(CancellationToken ct)
    {
        await using var node = TestTransport.Start();
        using var first = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await first.HelloAsync(TestTransport.FakeListen, ct);
        await node.Handler.NextAsync<TransportEvent.Connected>(ct);

        // A second connection with the same id and the same proof bytes: the node's nonce is new, so the proof is not.
        using var second = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await second.SendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, TestTransport.FakeListen) { Id = first.Key.Id, Nonce = HelloNonce.NewRandom() }, ct);
        var theirs = (Hello)(await second.ReadAsync(ct))!;
        await second.ReadAsync(ct);
        var staleNonce = theirs with { Nonce = HelloNonce.NewRandom() };
        await second.SendAsync(Handshake.Prove(first.Key, Handshake.Side.Dialer, staleNonce), ct);

        await second.ExpectClosedAsync(ct);
        Assert.That(node.Transport.RefusedProofs, Is.EqualTo(1));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_dialer_whose_acceptor_cannot_prove_its_id_gives_up_the_dial(CancellationToken ct)
    {
        await using var node = TestTransport.Start();
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            node.Transport.Dial(NodeEndpoint.From((System.Net.IPEndPoint)listener.LocalEndpoint));
            using var remote = RawPeer.Accepted(await listener.AcceptTcpClientAsync(ct));
            var dialerHello = (Hello)(await remote.ReadAsync(ct))!;
            await remote.SendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, TestTransport.FakeListen) { Id = NodeId.FromBytes(Enumerable.Repeat((byte)1, NodeId.Size).ToArray()), Nonce = HelloNonce.NewRandom() }, ct);
            await remote.SendAsync(Handshake.Prove(remote.Key, Handshake.Side.Acceptor, dialerHello), ct); // signed, but not by the id claimed

            var failed = await node.Handler.NextAsync<TransportEvent.DialFailed>(ct);
            Assert.That(failed.Reason, Does.Contain("the HelloProof does not verify for id"));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_hello_without_its_proof_is_cut_off_at_the_handshake_timeout(CancellationToken ct)
    {
        await using var node = TestTransport.Start(configure: o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using var silent = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await silent.SendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, TestTransport.FakeListen) { Id = silent.Key.Id, Nonce = HelloNonce.NewRandom() }, ct);

        await silent.ExpectClosedAsync(ct);
        await TransportWait.UntilAsync(() => node.Log.Warnings.Any(w => w.Contains("no HelloProof within 300 ms (Transport:HandshakeTimeout)", StringComparison.Ordinal)),
            "a warning naming the missing proof", ct);
    }
}
