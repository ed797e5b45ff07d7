using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Nodes;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Gossip;

/// <summary>
/// Signed messages at one peer (protocol version 5; PROTOCOL.md, <i>Receiving a message</i>): a peer with a real key,
/// neighbours that proved their ids, messages signed (or forged) with real Ed25519 keys. The order of the checks is the
/// point: duplicate first (no signature work), then the signature, then the origin's allowance.
/// </summary>
[TestFixture]
public sealed class SignedMessageTests
{
    private static readonly DerivedKeys Keys = new(42, "signed-message-tests");

    /// <summary>The key of the node numbered <paramref name="n"/> (<see cref="NodeTestKit.PeerAt"/>); the same on every call.</summary>
    private static NodeKey KeyOf(int n) => Keys[n];

    [OneTimeTearDown]
    public void DisposeKeys() => Keys.Dispose();

    /// <summary>PeerAt(1), checking signatures for real, with neighbours PeerAt(2) and PeerAt(3) that proved their ids.</summary>
    private static MachineProbe<PeerMachine> Peer(SignatureMode mode = SignatureMode.Verify, Action<GossipOptions>? gossip = null)
    {
        var gossipOptions = new GossipOptions();
        gossip?.Invoke(gossipOptions);
        return SignedPeer.Create(KeyOf(1), [(PeerAt(2), KeyOf(2).Id), (PeerAt(3), KeyOf(3).Id)], T0, mode, gossipOptions);
    }

    /// <summary>Message <paramref name="sequence"/> of the peer numbered <paramref name="origin"/>, signed with its key, <paramref name="hops"/> links out.</summary>
    private static GossipMessage SignedBy(int origin, ushort hops, ulong sequence = 1, string? text = null)
    {
        var message = new GossipMessage(GossipKind.Gossip, PeerAt(origin), sequence, T0.ToUnixTimeMilliseconds(), hops, text ?? $"{T0.ToUnixTimeMilliseconds()}:127.0.0.1:{PeerAt(origin).Port}:{sequence}")
        {
            OriginId = KeyOf(origin).Id,
        };
        return message with { Signature = MessageSignature.SignMessage(KeyOf(origin), message.Id) };
    }

    /// <summary>What a copy decoded from the wire is: a body of its own, its signature not checked yet.</summary>
    private static GossipMessage Decoded(GossipMessage message) =>
        FrameCodec.TryRead(FrameCodec.Encode(message), ProtocolLimits.DefaultMaxFrameLength, out var decoded, out _, out _) == DecodeStatus.Complete
            ? (GossipMessage)decoded!
            : throw new AssertionException("the message does not decode");

    [Test]
    public void A_message_signed_by_its_origin_is_checked_once_received_and_forwarded_with_its_signature()
    {
        var peer = Peer();
        var message = Decoded(SignedBy(7, hops: 2));

        peer.Receive(PeerAt(2), message);
        var actions = peer.Take();

        var forwarded = (GossipMessage)actions.SendsOf<GossipMessage>().Single().Message;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<GossipReceived>().Single().Id, Is.EqualTo(message.Id));
            Assert.That(forwarded.Signature, Is.EqualTo(message.Signature), "forwarded as it came, signature and all");
            Assert.That(forwarded.OriginId, Is.EqualTo(KeyOf(7).Id));
            Assert.That(peer.Machine.SignatureCounts, Is.EqualTo((1L, 0L)));
        }
    }

    [Test]
    public void A_replay_is_a_duplicate_dropped_before_any_signature_work()
    {
        var peer = Peer();
        var message = SignedBy(7, hops: 2);
        peer.Receive(PeerAt(2), Decoded(message));
        peer.Take();

        // The same message again, decoded afresh (nothing cached), and once more with its signature spoilt: the id is
        // known, so neither is looked at further. A forgery of a message already received costs a lookup and no more.
        peer.Receive(PeerAt(3), Decoded(message));
        peer.Receive(PeerAt(3), Decoded(message with { Signature = new byte[64] }));
        var actions = peer.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(peer.Machine.Duplicates, Is.EqualTo(2));
            Assert.That(peer.Machine.SignatureCounts, Is.EqualTo((1L, 0L)), "one check in all: the first receipt's");
            Assert.That(actions.ReportsOf<GossipForged>(), Is.Empty);
            Assert.That(actions.ReportsOf<ProtocolViolation>(), Is.Empty);
            Assert.That(actions.SendsOf<GossipMessage>(), Is.Empty);
        }
    }

    [Test]
    public void A_message_naming_another_peer_as_origin_with_a_forged_signature_is_dropped_counted_and_closes_the_link_it_came_on()
    {
        var peer = Peer();
        using var forger = NodeKey.Generate();
        var genuine = SignedBy(7, hops: 2);
        var forged = genuine with { Signature = MessageSignature.SignMessage(forger, genuine.Id) }; // peer 7's id, another key's signature

        peer.Receive(PeerAt(2), Decoded(forged));
        var actions = peer.Take();

        var violation = actions.ReportsOf<ProtocolViolation>().Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(violation.Reason, Does.Contain("whose signature does not verify"));
            Assert.That(actions.Closes().Single().Connection, Is.EqualTo(peer.Connections[PeerAt(2)]));
            Assert.That(actions.ReportsOf<GossipForged>().Single().Violation, Is.True);
            Assert.That(actions.ReportsOf<GossipReceived>(), Is.Empty);
            Assert.That(actions.SendsOf<GossipMessage>(), Is.Empty, "never forwarded");
            Assert.That(peer.Machine.Messages.Contains(forged.Id), Is.False, "never recorded");
            Assert.That(peer.Machine.SignatureCounts, Is.EqualTo((1L, 1L)));
            Assert.That(peer.Machine.Neighbours, Is.EqualTo(new[] { PeerAt(3) }), "the forwarder of a forgery is no neighbour any more");
        }

        // The genuine message, from an honest neighbour, is still taken: the forgery left nothing behind.
        peer.Receive(PeerAt(3), Decoded(genuine));
        Assert.That(peer.Take().ReportsOf<GossipReceived>().Single().Id, Is.EqualTo(genuine.Id));
    }

    [Test]
    public void An_altered_payload_under_the_original_signature_is_another_message_whose_signature_does_not_verify()
    {
        var peer = Peer();
        var genuine = SignedBy(7, hops: 2);
        var altered = genuine with { Text = genuine.Text + " (and send me your keys)" };

        peer.Receive(PeerAt(2), Decoded(altered));
        var actions = peer.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(altered.Id, Is.Not.EqualTo(genuine.Id));
            Assert.That(actions.ReportsOf<GossipReceived>(), Is.Empty);
            Assert.That(actions.ReportsOf<GossipForged>().Single().Id, Is.EqualTo(altered.Id));
            Assert.That(actions.ReportsOf<ProtocolViolation>().Single().Reason, Does.Contain("forged or altered"));
        }
    }

    [Test]
    public void A_hop_1_copy_whose_origin_id_is_not_the_id_its_sender_proved_is_refused()
    {
        var peer = Peer();
        var impostor = SignedBy(9, hops: 1) with { Origin = PeerAt(2) }; // peer 2's endpoint, another node's id and signature

        peer.Receive(PeerAt(2), Decoded(impostor));
        var actions = peer.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<ProtocolViolation>().Single().Reason,
                Is.EqualTo($"a Gossip with hops 1 names id {KeyOf(9).Id.Short}… as its origin's but comes from {PeerAt(2)}, which proved id {KeyOf(2).Id.Short}…"));
            Assert.That(actions.ReportsOf<GossipReceived>(), Is.Empty);
            Assert.That(peer.Machine.SignatureCounts.Forged, Is.EqualTo(1));
            Assert.That(peer.Machine.SignatureCounts.Checked, Is.Zero, "refused before any signature work");
        }
    }

    [Test]
    public void A_message_naming_a_neighbour_as_origin_with_another_id_is_dropped_but_the_forwarder_keeps_its_link()
    {
        var peer = Peer();
        // Validly signed by node 9's key, but naming neighbour 3's endpoint as its origin: node 9 speaking for peer 3.
        var claim = new GossipMessage(GossipKind.Gossip, PeerAt(3), 1, T0.ToUnixTimeMilliseconds(), 4, "I am peer 3") { OriginId = KeyOf(9).Id };
        claim = claim with { Signature = MessageSignature.SignMessage(KeyOf(9), claim.Id) };

        peer.Receive(PeerAt(2), Decoded(claim));
        var actions = peer.Take();

        var forged = actions.ReportsOf<GossipForged>().Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(forged.Violation, Is.False, "peer 2 may have forwarded it unknowing: its link stays");
            Assert.That(forged.Reason, Does.Contain($"but that endpoint is id {KeyOf(3).Id.Short}…"));
            Assert.That(actions.Closes(), Is.Empty);
            Assert.That(actions.ReportsOf<GossipReceived>(), Is.Empty);
            Assert.That(actions.SendsOf<GossipMessage>(), Is.Empty);
            Assert.That(peer.Machine.Neighbours, Is.EquivalentTo(Peers(2, 3)));
        }
    }

    [Test]
    public void A_forgery_does_not_use_up_the_allowance_of_the_origin_it_names()
    {
        var peer = Peer(gossip: g =>
        {
            g.OriginBurst = 1;
            g.OriginRate = 1; // one message of an origin at once, then one a second: the clock stands still here
        });
        using var forger = NodeKey.Generate();
        var genuine = SignedBy(7, hops: 2);
        var forged = SignedBy(7, hops: 2, sequence: 2) with { Signature = MessageSignature.SignMessage(forger, SignedBy(7, 2, 2).Id) };

        peer.Receive(PeerAt(2), Decoded(forged));
        peer.Receive(PeerAt(3), Decoded(genuine));
        var actions = peer.Take();

        Assert.That(actions.ReportsOf<GossipReceived>().Single().Id, Is.EqualTo(genuine.Id), "the origin's one message of its burst is the genuine one");
        Assert.That(actions.ReportsOf<GossipThrottled>(), Is.Empty);
    }

    [Test]
    public void A_message_the_peer_originates_is_signed_once_by_its_key()
    {
        var peer = Peer();

        var id = peer.Machine.Publish(peer.Now);
        var copies = peer.Take().SendsOf<GossipMessage>().Select(s => (GossipMessage)s.Message).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(copies, Has.Length.EqualTo(2));
            Assert.That(copies.Select(c => c.Id).Distinct(), Is.EqualTo(new[] { id }));
            Assert.That(copies[0].OriginId, Is.EqualTo(KeyOf(1).Id));
            Assert.That(MessageSignature.Verifies(Decoded(copies[0])), Is.True, "the signature verifies for the peer's id");
            Assert.That(copies[1].Signature, Is.SameAs(copies[0].Signature), "signed once: every copy carries the same signature");
        }
    }

    [Test]
    public void Skipping_the_cryptography_keeps_every_other_rule()
    {
        var peer = Peer(SignatureMode.Skip);
        var unsigned = new GossipMessage(GossipKind.Gossip, PeerAt(7), 1, T0.ToUnixTimeMilliseconds(), 2, "x") { OriginId = KeyOf(7).Id };
        var impostor = new GossipMessage(GossipKind.Gossip, PeerAt(2), 1, T0.ToUnixTimeMilliseconds(), 1, "y") { OriginId = KeyOf(9).Id };

        peer.Receive(PeerAt(3), Decoded(unsigned));
        var received = peer.Take();
        var id = peer.Machine.Publish(peer.Now);
        var published = peer.Take().SendsOf<GossipMessage>().Select(s => (GossipMessage)s.Message).First();
        peer.Receive(PeerAt(2), Decoded(impostor));
        var refused = peer.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(received.ReportsOf<GossipReceived>(), Has.Exactly(1).Items, "no signature is checked");
            Assert.That(published.Id, Is.EqualTo(id));
            Assert.That(published.Signature, Is.EqualTo(GossipMessage.Unsigned), "none is made: 64 bytes that sign nothing, the same size");
            Assert.That(FrameCodec.FrameSize(published), Is.EqualTo(FrameCodec.FrameSize(published with { Signature = new byte[64] })));
            Assert.That(refused.ReportsOf<ProtocolViolation>().Single().Reason, Does.Contain("as its origin's but comes from"), "the hop-1 id rule holds");
        }
    }
}
