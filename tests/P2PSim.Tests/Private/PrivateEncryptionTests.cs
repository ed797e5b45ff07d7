using System.Text;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Nodes;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Private;

/// <summary>
/// End-to-end encrypted private messages (PROTOCOL.md, <i>End-to-end encrypted private messages</i>): only the recipient's
/// key opens one; whatever else changed on the way (the ciphertext, the capsule, the origin claimed, the recipient) makes
/// a message that does not open, refused like a forgery; a sender that knows no id for a recipient a seed must relay to
/// asks that seed first, and never sends a message without a capsule for the recipient.
/// </summary>
[TestFixture]
public sealed class PrivateEncryptionTests
{
    private static readonly NodeKey[] Keys = [.. Enumerable.Range(0, 10).Select(n => NodeKey.Derived(44, "private-encryption-tests", n))];

    [OneTimeTearDown]
    public void DisposeKeys()
    {
        foreach (var key in Keys)
        {
            key.Dispose();
        }
    }

    private static NodeKey KeyOf(int n) => Keys[n];

    /// <summary>A private message from peer <paramref name="from"/> to peer <paramref name="to"/>, sealed to <paramref name="to"/>'s id.</summary>
    private static GossipMessage Sealed(int from, int to, string text = "meet me at the usual place", NodeId? sealTo = null, NodeKey? signer = null) =>
        SealedEnvelopes.Make(KeyOf(from), PeerAt(from), PeerAt(to), KeyOf(to).Id, T0, text, sealTo: sealTo, signer: signer);

    private static string? OpenAs(int n, GossipMessage envelope)
    {
        using var key = new SealingKey(KeyOf(n));
        return PrivateSeal.Open(key, envelope);
    }

    /// <summary>Re-signs <paramref name="envelope"/> as its origin would (so only the encryption can tell what changed).</summary>
    private static GossipMessage Resigned(GossipMessage envelope, int origin) =>
        envelope with { Signature = MessageSignature.SignMessage(KeyOf(origin), envelope.Id) };

    // ---- the seal itself ----

    [Test]
    public void Only_the_recipients_key_opens_a_private_message_and_its_bytes_hold_no_plaintext()
    {
        var envelope = Sealed(1, 2, "meet me at the usual place");
        var frame = FrameCodec.Encode(envelope);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(OpenAs(2, envelope), Is.EqualTo("meet me at the usual place"));
            Assert.That(OpenAs(3, envelope), Is.Null, "another peer's key");
            Assert.That(OpenAs(1, envelope), Is.Null, "not even the sender's");
            Assert.That(Contains(frame, "usual place"u8), Is.False, "no plaintext on the wire");
            Assert.That(MessageSignature.Verifies(envelope), Is.True, "the origin signed the ciphertext");
        }
    }

    [Test]
    public void Whatever_changed_on_the_way_the_message_does_not_open()
    {
        var genuine = Sealed(1, 2);
        var text = genuine.Text.ToCharArray();
        text[5] = text[5] == 'A' ? 'B' : 'A';
        var otherCapsule = Sealed(1, 2, sealTo: KeyOf(3).Id).Capsule;
        var flipped = genuine.Capsule.ToArray();
        flipped[40] ^= 1;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(OpenAs(2, Resigned(genuine with { Text = new string(text) }, 1)), Is.Null, "a ciphertext changed (even re-signed by its origin)");
            Assert.That(OpenAs(2, genuine with { Capsule = flipped }), Is.Null, "a capsule changed");
            Assert.That(OpenAs(2, genuine with { Capsule = otherCapsule }), Is.Null, "a capsule sealed to another id");
            Assert.That(OpenAs(2, genuine with { Capsule = Sealed(1, 2, "another message").Capsule }), Is.Null, "the capsule of another message");
            Assert.That(OpenAs(2, Resigned(genuine with { Sequence = 2 }, 1)), Is.Null, "another header (the sequence)");
            Assert.That(OpenAs(2, genuine with { OriginId = KeyOf(4).Id }), Is.Null, "another origin id (a forger that signs it as its own)");
            Assert.That(OpenAs(2, genuine with { Capsule = GossipMessage.Unsealed }), Is.Null, "no capsule");
            Assert.That(OpenAs(2, genuine with { Text = "not base64!" }), Is.Null, "a payload that is not base64");
        }
    }

    [Test]
    public void A_message_sealed_for_one_recipient_cannot_be_replayed_to_another()
    {
        // Peer 3 takes peer 1's message to peer 2 and hands it on to peer 4 under peer 4's endpoint: a new id, whose
        // signature is not peer 1's; and even re-signed by a peer 1 gone rogue, the capsule is peer 2's.
        var toTwo = Sealed(1, 2);
        var redirected = Resigned(toTwo with { Recipient = PeerAt(4) }, 1);

        Assert.That(OpenAs(4, redirected), Is.Null);
    }

    [Test]
    public void Sealing_is_deterministic_so_a_simulated_run_is_the_same_on_every_run()
    {
        var once = FrameCodec.Encode(Sealed(1, 2));
        var twice = FrameCodec.Encode(Sealed(1, 2));
        var otherText = Sealed(1, 2, "something else");
        var otherRecipient = Sealed(1, 3);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(twice, Is.EqualTo(once));
            Assert.That(otherText.Capsule.AsSpan(0, 32).ToArray(), Is.Not.EqualTo(Sealed(1, 2).Capsule.AsSpan(0, 32).ToArray()), "a fresh ephemeral key per message");
            Assert.That(otherRecipient.Capsule.AsSpan(0, 32).ToArray(), Is.Not.EqualTo(Sealed(1, 2).Capsule.AsSpan(0, 32).ToArray()), "and per recipient");
        }
    }

    [Test]
    public void The_recipients_x25519_key_is_libsodiums_conversion_of_its_id()
    {
        using var sealing = new SealingKey(KeyOf(2));

        Assert.That(PrivateSeal.RecipientX25519(KeyOf(2).Id), Is.EqualTo(sealing.X25519Public), "the public half the sender computes from the id is the recipient's");
    }

    [Test]
    public void Nothing_is_sealed_to_an_id_that_is_no_key()
    {
        using var sealing = new SealingKey(KeyOf(1));
        var notAPoint = NodeId.FromBytes(Enumerable.Repeat((byte)0xFF, 32).ToArray()); // y >= p: no point of the curve

        Assert.That(PrivateSeal.Capsule(sealing.Secret, new byte[PrivateSeal.KeySize], KeyOf(1).Id, notAPoint, new MessageId(1, 2, 3, 4)), Is.Null);
    }

    [Test]
    public void The_longest_text_sealed_fills_the_payload()
    {
        var longest = SealedEnvelopes.Make(KeyOf(1), PeerAt(1), PeerAt(2), KeyOf(2).Id, T0, new string('x', PrivateSeal.MaxTextBytes));

        Assert.That(Encoding.UTF8.GetByteCount(longest.Text), Is.EqualTo(ProtocolLimits.MaxPayloadBytes));
        Assert.That(OpenAs(2, longest), Has.Length.EqualTo(PrivateSeal.MaxTextBytes));
    }

    // ---- at the recipient ----

    /// <summary>Peer 1, with real keys, with an open direct link from peer <paramref name="remote"/>, which proved its id.</summary>
    private static (MachineProbe<PeerMachine> Probe, ConnectionId Link) PeerWithLink(int remote, NodeRole role = NodeRole.Peer)
    {
        var probe = new MachineProbe<PeerMachine>(new PeerMachine(PeerAt(1), Seeds(1), QuietShortIntervals(), new Random(1), signing: MessageSigning.Verify(KeyOf(1))), T0);
        probe.Start();
        var at = role == NodeRole.Seed ? SeedAt(1) : PeerAt(remote);
        var link = new ConnectionId(300 + remote);
        probe.Connections[at] = link;
        probe.Machine.OnConnected(new ConnectionInfo(link, at, role, role == NodeRole.Peer, at.ToString(), LinkPurpose.Direct, KeyOf(remote).Id), probe.Now);
        probe.Take();
        return (probe, link);
    }

    [Test]
    public void The_recipient_opens_a_message_sealed_to_it_delivers_its_text_and_acknowledges_it()
    {
        var (peer, link) = PeerWithLink(2);

        peer.Receive(link, Sealed(2, 1, "for your eyes only"));
        var actions = peer.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<PrivateDelivered>().Single().Text, Is.EqualTo("for your eyes only"));
            Assert.That(actions.SendsOf<DirectAck>(), Has.Exactly(1).Items);
        }
    }

    [Test]
    public void A_message_that_does_not_open_from_its_sender_is_refused_like_a_forgery_and_closes_that_link()
    {
        var (peer, link) = PeerWithLink(2);

        peer.Receive(link, Sealed(2, 1, "not for you", sealTo: KeyOf(3).Id)); // signed by its origin, sealed to someone else
        var actions = peer.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<PrivateDelivered>(), Is.Empty);
            Assert.That(actions.SendsOf<DirectAck>(), Is.Empty, "no receipt for what it cannot read");
            Assert.That(actions.ReportsOf<ProtocolViolation>().Single().Reason, Does.Contain("that does not open with this peer's key"));
            Assert.That(actions.Closes().Single().Connection, Is.EqualTo(link));
            Assert.That(peer.Machine.SignatureCounts.Forged, Is.EqualTo(1), "counted as forged");
        }
    }

    [Test]
    public void A_message_a_seed_passes_on_that_does_not_open_is_refused_with_one_line_and_the_reservation_stays()
    {
        var (peer, link) = PeerWithLink(0, NodeRole.Seed);
        var genuine = Sealed(2, 1);
        var flipped = genuine.Capsule.ToArray();
        flipped[0] ^= 0x40;

        peer.Receive(link, genuine with { Capsule = flipped, Hops = 2 }); // the capsule is not signed: a seed could change it
        var actions = peer.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<PrivateDelivered>(), Is.Empty);
            Assert.That(actions.SendsOf<DirectAck>(), Is.Empty);
            Assert.That(actions.ReportsOf<GossipForged>().Single().Violation, Is.False, "the line is the forged report's, rate-limited");
            Assert.That(actions.Closes(), Is.Empty, "the sender may have been told a wrong id: the seed's link stays");
        }
    }

    // ---- at the sender: the recipient's id ----

    [Test]
    public void A_sender_seals_on_the_recipients_own_link_to_the_id_that_link_proved()
    {
        var probe = new MachineProbe<PeerMachine>(new PeerMachine(PeerAt(1), Seeds(1), QuietShortIntervals(), new Random(1), signing: MessageSigning.Verify(KeyOf(1))), T0);
        probe.Start();
        probe.Machine.SendPrivate(PeerAt(2), "hello two", probe.Now);
        probe.Take();
        probe.Connections[PeerAt(2)] = new ConnectionId(401);
        probe.Machine.OnConnected(new ConnectionInfo(new ConnectionId(401), PeerAt(2), NodeRole.Peer, Inbound: false, PeerAt(2).ToString(), LinkPurpose.Direct, KeyOf(2).Id), probe.Now);

        var sent = (GossipMessage)probe.Take().SendsOf<GossipMessage>().Single().Message;

        Assert.That(OpenAs(2, sent), Is.EqualTo("hello two"));
    }

    [Test]
    public void A_sender_that_knows_no_id_for_a_recipient_a_seed_must_relay_to_asks_that_seed_and_seals_to_its_answer()
    {
        var bench = new PrivateMessengerTests.Bench(seeds: Seeds(2), registered: 2, knowsIds: false);
        var id = bench.Send(PeerAt(2), "relayed");
        bench.Take();
        bench.Messenger.OnDialFailed(PeerAt(2), "connection refused", bench.Now);
        bench.Take();
        var seed = bench.Connect(SeedAt(1), NodeRole.Seed);

        var asked = bench.Take();
        var answered = bench.Receive(seed, new IdAnswer(PeerAt(2), PrivateMessengerTests.Bench.KnownId));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(asked.Sends().Select(s => s.Message), Is.EqualTo(new Message[] { new IdRequest(PeerAt(2)) }), "the question first, no message without its capsule");
            Assert.That(answered.Sends().Select(s => (s.Connection, ((GossipMessage)s.Message).Id)), Is.EqualTo(new[] { (seed, id) }), "then the message");
        }
    }

    [Test]
    public void A_seed_that_knows_no_such_peer_passes_the_message_on_to_the_next_seed()
    {
        var bench = new PrivateMessengerTests.Bench(seeds: Seeds(2), registered: 2, knowsIds: false);
        bench.Send(PeerAt(2));
        bench.Messenger.OnDialFailed(PeerAt(2), "connection refused", bench.Now);
        var first = bench.Connect(SeedAt(1), NodeRole.Seed);
        bench.Take();

        var next = bench.Receive(first, new IdAnswer(PeerAt(2), null));

        Assert.That(next.DialTargets(), Is.EqualTo(new[] { SeedAt(2) }));
        Assert.That(next.ReportsOf<PrivateRelaying>().Single().Seed, Is.EqualTo(SeedAt(2)));
    }

    [Test]
    public void Two_messages_for_one_recipient_ask_once_and_the_id_learned_serves_the_next_message_at_once()
    {
        var bench = new PrivateMessengerTests.Bench(seeds: Seeds(1), registered: 1, knowsIds: false);
        bench.Send(PeerAt(2), "one");
        bench.Send(PeerAt(2), "two");
        bench.Messenger.OnDialFailed(PeerAt(2), "connection refused", bench.Now);
        var seed = bench.Connect(SeedAt(1), NodeRole.Seed);
        var asked = bench.Take();
        var both = bench.Receive(seed, new IdAnswer(PeerAt(2), PrivateMessengerTests.Bench.KnownId));

        bench.Send(PeerAt(2), "three");
        var third = bench.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(asked.SendsOf<IdRequest>(), Has.Exactly(1).Items);
            Assert.That(both.SendsOf<GossipMessage>(), Has.Exactly(2).Items);
            Assert.That(third.SendsOf<IdRequest>(), Is.Empty);
            Assert.That(third.SendsOf<GossipMessage>(), Has.Exactly(1).Items);
        }
    }

    [Test]
    public void An_id_answer_nobody_asked_for_is_refused_and_one_from_a_peer_is_a_violation()
    {
        var bench = new PrivateMessengerTests.Bench(seeds: Seeds(1), knowsIds: false);
        var seed = bench.Connect(SeedAt(1), NodeRole.Seed);
        var peer = bench.Connect(PeerAt(3), inbound: true);

        var fromSeed = bench.Receive(seed, new IdAnswer(PeerAt(2), new NodeId(9, 9, 9, 9)));
        var fromPeer = bench.Receive(peer, new IdAnswer(PeerAt(2), new NodeId(9, 9, 9, 9)));
        bench.Send(PeerAt(2));
        bench.Messenger.OnDialFailed(PeerAt(2), "connection refused", bench.Now);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(fromSeed.ReportsOf<PrivateInputRefused>().Single().Reason, Does.Contain("which this peer did not ask it for"));
            Assert.That(fromSeed.Closes(), Is.Empty);
            Assert.That(fromPeer.ReportsOf<ProtocolViolation>().Single().Reason, Does.Contain("an IdAnswer from a peer"));
            Assert.That(bench.Take().SendsOf<IdRequest>(), Has.Exactly(1).Items, "the unasked answer taught nothing: the seed is asked");
        }
    }

    [Test]
    public void A_seed_answers_the_id_a_peer_registered_with_and_none_for_a_peer_it_does_not_list()
    {
        var seed = new MachineProbe<SeedMachine>(new SeedMachine(SeedAt(1), new Random(1)) { Signing = MessageSigning.Verify(KeyOf(0)) }, T0);
        var registration = new ConnectionId(700);
        seed.Machine.OnConnected(new ConnectionInfo(registration, PeerAt(2), NodeRole.Peer, Inbound: true, "127.0.0.1:40002", RemoteId: KeyOf(2).Id), seed.Now);
        seed.Receive(registration, Register.Instance);
        var asker = new ConnectionId(701);
        seed.Machine.OnConnected(new ConnectionInfo(asker, PeerAt(3), NodeRole.Peer, Inbound: true, "127.0.0.1:41003", LinkPurpose.Direct, KeyOf(3).Id), seed.Now);
        seed.Take();

        seed.Receive(asker, new IdRequest(PeerAt(2)));
        seed.Receive(asker, new IdRequest(PeerAt(5)));
        var answers = seed.Take().Sends().Select(s => s.Message).ToArray();

        Assert.That(answers, Is.EqualTo(new Message[] { new IdAnswer(PeerAt(2), KeyOf(2).Id), new IdAnswer(PeerAt(5), null) }));
    }

    // ---- on the simulated network, with real keys ----

    [Test]
    public void On_the_simulated_network_private_messages_are_encrypted_end_to_end_directly_and_through_a_seed_the_same_on_every_run()
    {
        var runs = Enumerable.Range(0, 2).Select(_ => RunEncrypted()).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(runs[0].Delivered, Is.EqualTo(new[] { (6, "hello six", false), (4, "hello four, hidden", true) }), "both read by their recipients");
            Assert.That(runs[0].Ids, Has.Length.EqualTo(2));
            Assert.That(runs[1].Ids, Is.EqualTo(runs[0].Ids), "the same ids (which cover the ciphertext) on every run");
            Assert.That(runs[1].Delivered, Is.EqualTo(runs[0].Delivered));
        }

        static (MessageId[] Ids, (int Peer, string Text, bool Relayed)[] Delivered) RunEncrypted()
        {
            var sim = new PrivateSimulation(seeds: 3, peers: 8, notDialable: [4], cryptography: true);
            Assert.That(sim.JoinAll(TimeSpan.FromSeconds(10)), Is.Zero, "every peer should join");
            sim.RunFor(TimeSpan.FromSeconds(1));
            var direct = sim.Send(1, 6, "hello six");
            Assert.That(sim.RunUntil(() => sim.EventsOf<PrivateAcknowledged>(1).Any(), TimeSpan.FromSeconds(10)), Is.True);
            var relayed = sim.Send(2, 4, "hello four, hidden");
            Assert.That(sim.RunUntil(() => sim.EventsOf<PrivateAcknowledged>(2).Any(), TimeSpan.FromSeconds(10)), Is.True);
            Assert.That(sim.Events.Select(e => e.Event).OfType<ProtocolViolation>(), Is.Empty);
            Assert.That(sim.Events.Select(e => e.Event).OfType<GossipForged>(), Is.Empty);
            return ([direct, relayed], [.. sim.Deliveries.Select(d => (d.Peer, d.Delivery.Text, d.Delivery.RelayedBy is not null))]);
        }
    }

    private static bool Contains(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
