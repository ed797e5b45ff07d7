using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Nodes;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Security;

/// <summary>
/// Origin endpoints a receiver can check (protocol version 8; PROTOCOL.md, <i>Attestations</i> and <i>Receiving a
/// message</i>), in the machines with real Ed25519 keys: a seed attests the peers it lists, a peer carries its
/// attestations in every message it creates, and a receiver that knows no id for an origin's endpoint verifies it by an
/// attestation from a seed it knows, or counts it unverified (delivered marked, or dropped).
/// </summary>
[TestFixture]
public sealed class OriginAttestationTests
{
    private static readonly DerivedKeys Keys = new(43, "origin-attestation-tests");
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    /// <summary>Key 0 is the seed's, key n the peer numbered n's (<see cref="NodeTestKit.PeerAt"/>).</summary>
    private static NodeKey KeyOf(int n) => Keys[n];

    [OneTimeTearDown]
    public void DisposeKeys() => Keys.Dispose();

    private static NodeId SeedId => KeyOf(0).Id;

    /// <summary>A started seed with key 0 giving attestations of <paramref name="lifetime"/> (zero: none), dialling back or not.</summary>
    private static MachineProbe<SeedMachine> StartedSeed(TimeSpan lifetime, bool dialBack = false)
    {
        var seed = new MachineProbe<SeedMachine>(new SeedMachine(SeedAt(1), new Random(1))
        {
            Id = SeedId, Signing = MessageSigning.Verify(KeyOf(0)), AttestationLifetime = lifetime,
            Guard = dialBack ? new SeedGuard(DialBack: true, 0, JudgeReporters: false) : SeedGuard.Off,
        }, T0);
        seed.Start();
        return seed;
    }

    [Test]
    public void A_seed_attests_a_peer_it_lists_just_before_its_peer_list_and_again_on_every_re_registration()
    {
        var seed = StartedSeed(lifetime: Lifetime);

        var first = Register(seed, 2);
        seed.Now = T0 + TimeSpan.FromSeconds(30);
        var again = Register(seed, 2);

        foreach (var (actions, at) in new[] { (first, T0), (again, seed.Now) })
        {
            var sends = actions.Sends();
            var attestation = sends.Select(s => s.Message).OfType<Attestation>().Single();
            using (Assert.EnterMultipleScope())
            {
                Assert.That(sends.Select(s => s.Message.Type), Is.EqualTo(new[] { MessageType.Attestation, MessageType.PeerList }), "the attestation comes first: the peer closes once its list is in");
                Assert.That((attestation.Peer, attestation.PeerId, attestation.NotAfterUnixMs), Is.EqualTo((PeerAt(2), KeyOf(2).Id, (at + Lifetime).ToUnixTimeMilliseconds())));
                Assert.That(EndpointAttestation.Verifies(SeedId, PeerAt(2), KeyOf(2).Id, new SeedAttestation(SeedAt(1), attestation.NotAfterUnixMs, attestation.Signature)), Is.True);
            }
        }
        Assert.That(seed.Machine.AttestationsGiven, Is.EqualTo(2));
    }

    [Test]
    public void A_seed_without_an_attestation_lifetime_gives_none()
    {
        var seed = StartedSeed(lifetime: TimeSpan.Zero);

        Assert.That(Register(seed, 2).Sends().Select(s => s.Message.Type), Is.EqualTo(new[] { MessageType.PeerList }));
    }

    [Test]
    public void A_seed_that_dials_back_attests_only_once_the_dial_back_met_the_registrants_id()
    {
        var seed = StartedSeed(lifetime: Lifetime, dialBack: true);

        var registered = Register(seed, 2);
        Assert.That(registered.Sends(), Is.Empty, "the answer waits for the dial-back");
        Assert.That(registered.DialTargets(), Is.EqualTo(new[] { PeerAt(2) }));
        seed.Machine.OnConnected(new ConnectionInfo(new ConnectionId(999), PeerAt(2), NodeRole.Peer, Inbound: false, "127.0.0.1", RemoteId: KeyOf(2).Id), T0);
        var answered = seed.Take().Sends().Where(s => s.Connection == seed.Connections[PeerAt(2)]).Select(s => s.Message.Type);

        Assert.That(answered, Is.EqualTo(new[] { MessageType.Attestation, MessageType.PeerList }));
    }

    [Test]
    public void A_seed_whose_dial_back_met_another_id_gives_no_attestation()
    {
        var seed = StartedSeed(lifetime: Lifetime, dialBack: true);
        Register(seed, 2);

        seed.Machine.OnConnected(new ConnectionInfo(new ConnectionId(999), PeerAt(2), NodeRole.Peer, Inbound: false, "127.0.0.1", RemoteId: KeyOf(3).Id), T0);

        Assert.That(seed.Take().Sends().Select(s => s.Message.Type), Has.No.Member(MessageType.Attestation));
    }

    [Test]
    public void A_peer_carries_its_seeds_attestation_in_every_message_it_creates_while_it_holds()
    {
        var peer = AttestedPeer(1, UnverifiedOrigins.Accept);

        var message = Published(peer);
        peer.Now = T0 + Lifetime + TimeSpan.FromSeconds(1);
        var late = Published(peer);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(message.Attestations, Has.Count.EqualTo(1));
            Assert.That(message.Attestations[0].Seed, Is.EqualTo(SeedAt(1)));
            Assert.That(EndpointAttestation.Verifies(SeedId, PeerAt(1), KeyOf(1).Id, message.Attestations[0]), Is.True);
            Assert.That(MessageSignature.Verifies(message), Is.True, "the origin signs the id, which covers the block");
            Assert.That(late.Attestations, Is.Empty, "an attestation that ran out is no longer carried");
            Assert.That(peer.Machine.AttestationCounts.Received, Is.EqualTo(1));
        }
    }

    [Test]
    public void An_attestation_for_another_endpoint_or_id_is_not_held()
    {
        var peer = AttestedPeer(1, UnverifiedOrigins.Accept, attestation: EndpointAttestation.Sign(KeyOf(0), PeerAt(1), KeyOf(2).Id, (T0 + Lifetime).ToUnixTimeMilliseconds()));

        Assert.That((Published(peer).Attestations.Count, peer.Machine.AttestationCounts.Received), Is.EqualTo((0, 0L)));
    }

    [Test]
    public void A_message_from_afar_with_its_origins_attestation_is_verified()
    {
        var receiver = AttestedPeer(1, UnverifiedOrigins.Accept);

        var actions = Deliver(receiver, FromAfar(5, Attest(5)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<GossipReceived>().Single().OriginUnverified, Is.False);
            Assert.That(actions.ReportsOf<OriginUnverified>(), Is.Empty);
            Assert.That(actions.SendsOf<GossipMessage>(), Has.Length.EqualTo(1), "forwarded to the other neighbour");
        }
    }

    [Test]
    public void A_message_naming_an_endpoint_without_an_attestation_is_delivered_marked_unverified_and_counted()
    {
        var receiver = AttestedPeer(1, UnverifiedOrigins.Accept);

        // Peer 5's key, signing validly under its own id, names PeerAt(7) as its origin: nobody vouches for that.
        var actions = Deliver(receiver, FromAfar(7, [], signer: 5));

        var received = actions.ReportsOf<GossipReceived>().Single();
        var unverified = actions.ReportsOf<OriginUnverified>().Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That((received.OriginUnverified, received.OriginLabel), Is.EqualTo((true, $"{PeerAt(7)} (unverified)")));
            Assert.That((unverified.Origin, unverified.Dropped, unverified.BadAttestation), Is.EqualTo((PeerAt(7), false, false)));
            Assert.That(actions.SendsOf<GossipMessage>(), Has.Length.EqualTo(1), "accept: forwarded");
            Assert.That(actions.Closes(), Is.Empty);
        }
    }

    [Test]
    public void With_drop_a_message_naming_an_endpoint_nobody_vouches_for_reaches_no_one_and_the_link_stays()
    {
        var receiver = AttestedPeer(1, UnverifiedOrigins.Drop);

        var actions = Deliver(receiver, FromAfar(7, [], signer: 5));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<GossipReceived>(), Is.Empty);
            Assert.That(actions.ReportsOf<OriginUnverified>().Single().Dropped, Is.True);
            Assert.That(actions.SendsOf<GossipMessage>(), Is.Empty);
            Assert.That(actions.Closes(), Is.Empty, "a forwarder cannot know: its link stays");
        }
    }

    [Test]
    public void Another_peers_attestation_does_not_vouch_for_an_endpoint_it_does_not_name()
    {
        var receiver = AttestedPeer(1, UnverifiedOrigins.Drop);

        // Peer 5 carries its own (valid) attestation but names PeerAt(7) as the origin: the seed's word is for PeerAt(5).
        var actions = Deliver(receiver, FromAfar(7, Attest(5), signer: 5));

        Assert.That(actions.ReportsOf<OriginUnverified>().Single(), Has.Property(nameof(OriginUnverified.BadAttestation)).True);
    }

    [Test]
    public void An_expired_attestation_leaves_the_origin_unverified()
    {
        var receiver = AttestedPeer(1, UnverifiedOrigins.Accept);
        var expired = Attest(5, notAfter: T0 - ProtocolLimits.MaxClockSkew - TimeSpan.FromSeconds(1));

        var actions = Deliver(receiver, FromAfar(5, expired));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<GossipReceived>().Single().OriginUnverified, Is.True);
            Assert.That(actions.ReportsOf<OriginUnverified>().Single().BadAttestation, Is.False, "not checked at all: it does not cover the message");
        }
    }

    [Test]
    public void An_attestation_from_a_seed_the_receiver_does_not_know_leaves_the_origin_unverified()
    {
        var receiver = AttestedPeer(1, UnverifiedOrigins.Accept);
        var elsewhere = Attest(5).Select(a => a with { Seed = SeedAt(2) }).ToList();

        Assert.That(Deliver(receiver, FromAfar(5, elsewhere)).ReportsOf<GossipReceived>().Single().OriginUnverified, Is.True);
    }

    [Test]
    public void An_attestation_that_does_not_verify_from_a_known_seed_is_counted_and_nobody_is_blamed()
    {
        var receiver = AttestedPeer(1, UnverifiedOrigins.Accept);
        var forged = new List<SeedAttestation> { new(SeedAt(1), (T0 + Lifetime).ToUnixTimeMilliseconds(), EndpointAttestation.Sign(KeyOf(9), PeerAt(5), KeyOf(5).Id, (T0 + Lifetime).ToUnixTimeMilliseconds()).Signature) };

        var actions = Deliver(receiver, FromAfar(5, forged));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<OriginUnverified>().Single().BadAttestation, Is.True);
            Assert.That(actions.Closes(), Is.Empty);
            Assert.That(receiver.Machine.AttestationCounts.Bad, Is.EqualTo(1));
        }
    }

    [Test]
    public void A_neighbours_own_message_is_verified_by_the_id_it_proved()
    {
        var receiver = AttestedPeer(1, UnverifiedOrigins.Drop);

        var actions = Deliver(receiver, FromAfar(2, [], hops: 1));

        Assert.That(actions.ReportsOf<GossipReceived>().Single().OriginUnverified, Is.False);
    }

    [Test]
    public void An_attestation_object_verified_once_is_not_checked_again_but_a_changed_copy_is()
    {
        var signing = MessageSigning.Verify(KeyOf(1));
        var origins = new P2PSim.Gossip.OriginAttestations(KeyOf(1).Id, signing, Seeds(1));
        origins.SeedConnected(SeedAt(1), SeedId);
        var message = FromAfar(5, Attest(5));
        var bent = FromAfar(5, [message.Attestations[0] with { NotAfterUnixMs = message.Attestations[0].NotAfterUnixMs + 1 }]);

        var first = origins.Attested(message, out _);
        var second = origins.Attested(message, out _);
        var checks = signing.AttestationVerifications;
        var changed = origins.Attested(bent, out var bad);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((first, second, checks), Is.EqualTo((true, true, 1L)), "one Ed25519 check: the object remembers it (a simulation's copies share it)");
            Assert.That((changed, bad, signing.AttestationVerifications), Is.EqualTo((false, true, 2L)), "a copy with another notAfter is checked anew, and fails");
        }
    }

    // ---- helpers ----

    /// <summary>The seed (key 0) registers the peer numbered 2 or more; returns what the seed did.</summary>
    private static NodeAction[] Register(MachineProbe<SeedMachine> seed, int peer)
    {
        var connection = new ConnectionId(500 + peer + (int)(seed.Now - T0).TotalSeconds);
        seed.Connections[PeerAt(peer)] = connection;
        seed.Machine.OnConnected(new ConnectionInfo(connection, PeerAt(peer), NodeRole.Peer, Inbound: true, "127.0.0.1", RemoteId: KeyOf(peer).Id), seed.Now);
        seed.Receive(connection, P2PSim.Protocol.Register.Instance);
        return seed.Take();
    }

    /// <summary>
    /// PeerAt(<paramref name="self"/>), signing for real, registered with SeedAt(1) (which proved key 0's id and attested
    /// it, or gave <paramref name="attestation"/>), with neighbours PeerAt(2) and PeerAt(3) that proved their ids.
    /// </summary>
    private static MachineProbe<PeerMachine> AttestedPeer(int self, UnverifiedOrigins mode, Attestation? attestation = null)
    {
        var peer = new MachineProbe<PeerMachine>(new PeerMachine(PeerAt(self), Seeds(1), QuietShortIntervals(), new Random(1), signing: MessageSigning.Verify(KeyOf(self)))
        {
            UnverifiedOrigins = mode,
        }, T0);
        peer.Start();
        var seedLink = new ConnectionId(77);
        peer.Connections[SeedAt(1)] = seedLink;
        peer.Machine.OnConnected(new ConnectionInfo(seedLink, SeedAt(1), NodeRole.Seed, Inbound: false, "127.0.0.1", RemoteId: SeedId), T0);
        peer.Receive(seedLink, attestation ?? EndpointAttestation.Sign(KeyOf(0), PeerAt(self), KeyOf(self).Id, (T0 + Lifetime).ToUnixTimeMilliseconds()));
        peer.Receive(seedLink, new PeerList([PeerAt(2), PeerAt(3)]));
        peer.Take();
        var next = 200;
        foreach (var n in new[] { 2, 3 })
        {
            var connection = new ConnectionId(++next);
            peer.Connections[PeerAt(n)] = connection;
            peer.Machine.OnConnected(new ConnectionInfo(connection, PeerAt(n), NodeRole.Peer, Inbound: false, PeerAt(n).ToString(), RemoteId: KeyOf(n).Id), T0);
        }
        peer.Take();
        return peer;
    }

    private static GossipMessage Published(MachineProbe<PeerMachine> peer)
    {
        peer.Machine.Publish(peer.Now);
        return peer.Take().SendsOf<GossipMessage>().Select(s => (GossipMessage)s.Message).First();
    }

    /// <summary>The seed's (key 0) attestation of the peer numbered <paramref name="peer"/>, as an envelope carries it.</summary>
    private static List<SeedAttestation> Attest(int peer, DateTimeOffset? notAfter = null)
    {
        var until = (notAfter ?? T0 + Lifetime).ToUnixTimeMilliseconds();
        return [new SeedAttestation(SeedAt(1), until, EndpointAttestation.Sign(KeyOf(0), PeerAt(peer), KeyOf(peer).Id, until).Signature)];
    }

    /// <summary>A message naming PeerAt(<paramref name="origin"/>) as its origin, signed by key <paramref name="signer"/> (default: the origin's) under that key's id.</summary>
    private static GossipMessage FromAfar(int origin, IReadOnlyList<SeedAttestation> attestations, int? signer = null, ushort hops = 3)
    {
        var key = KeyOf(signer ?? origin);
        var message = new GossipMessage(GossipKind.Gossip, PeerAt(origin), 1, T0.ToUnixTimeMilliseconds(), hops, $"{T0.ToUnixTimeMilliseconds()}:127.0.0.1:{PeerAt(origin).Port}:1")
        {
            OriginId = key.Id,
            Attestations = attestations,
        };
        return message with { Signature = MessageSignature.SignMessage(key, message.Id) };
    }

    /// <summary>Neighbour PeerAt(2) hands <paramref name="message"/> to the receiver; returns what the receiver did.</summary>
    private static NodeAction[] Deliver(MachineProbe<PeerMachine> receiver, GossipMessage message)
    {
        receiver.Receive(PeerAt(2), message);
        return receiver.Take();
    }
}
