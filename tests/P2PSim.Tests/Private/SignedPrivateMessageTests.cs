using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Nodes;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Private;

/// <summary>
/// Signed private messages and receipts (protocol version 5), at one machine driven by hand with real keys: the recipient
/// takes only a message its origin signed, the sender only an acknowledgement its recipient signed, and a relaying seed
/// checks both before it passes them on.
/// </summary>
[TestFixture]
public sealed class SignedPrivateMessageTests
{
    private static readonly NodeKey[] Keys = [.. Enumerable.Range(0, 10).Select(n => NodeKey.Derived(43, "signed-private-tests", n))];

    [OneTimeTearDown]
    public void DisposeKeys()
    {
        foreach (var key in Keys)
        {
            key.Dispose();
        }
    }

    private static NodeKey KeyOf(int n) => Keys[n];

    /// <summary>A private message from peer <paramref name="from"/> to peer 1 at <paramref name="to"/>, sealed to peer 1's id as a sender seals it.</summary>
    private static GossipMessage Envelope(int from, NodeEndpoint to, DateTimeOffset at, NodeKey? signer = null, string text = "psst") =>
        SealedEnvelopes.Make(KeyOf(from), PeerAt(from), to, KeyOf(1).Id, at, text, signer: signer);

    /// <summary>Peer 1, checking for real, with an open direct link to (or from) <paramref name="remote"/>, which proved <paramref name="remoteId"/>.</summary>
    private static (MachineProbe<PeerMachine> Probe, ConnectionId Link) PeerWithDirectLink(int remote, bool inbound)
    {
        var probe = new MachineProbe<PeerMachine>(new PeerMachine(PeerAt(1), Seeds(1), QuietShortIntervals(), new Random(1), signing: MessageSigning.Verify(KeyOf(1))), T0);
        probe.Start();
        var link = new ConnectionId(300 + remote);
        probe.Connections[PeerAt(remote)] = link;
        probe.Machine.OnConnected(new ConnectionInfo(link, PeerAt(remote), NodeRole.Peer, inbound, PeerAt(remote).ToString(), LinkPurpose.Direct, KeyOf(remote).Id), probe.Now);
        probe.Take();
        return (probe, link);
    }

    [Test]
    public void A_recipient_delivers_a_signed_message_and_acknowledges_it_with_its_own_signature()
    {
        var (peer, link) = PeerWithDirectLink(2, inbound: true);
        var envelope = Envelope(2, PeerAt(1), peer.Now);

        peer.Receive(link, envelope);
        var actions = peer.Take();

        var ack = (DirectAck)actions.SendsOf<DirectAck>().Single().Message;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<PrivateDelivered>().Single().Id, Is.EqualTo(envelope.Id));
            Assert.That(MessageSignature.Verifies(ack, KeyOf(1).Id), Is.True, "signed by the recipient");
            Assert.That(MessageSignature.Verifies(ack, KeyOf(2).Id), Is.False);
        }
    }

    [Test]
    public void A_private_message_whose_signature_is_not_its_origins_is_neither_delivered_nor_acknowledged_and_closes_the_link()
    {
        var (peer, link) = PeerWithDirectLink(2, inbound: true);
        var forged = Envelope(2, PeerAt(1), peer.Now, signer: KeyOf(9));

        peer.Receive(link, forged);
        var actions = peer.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<PrivateDelivered>(), Is.Empty);
            Assert.That(actions.SendsOf<DirectAck>(), Is.Empty, "no receipt for a forgery");
            Assert.That(actions.ReportsOf<ProtocolViolation>().Single().Reason, Does.Contain("whose signature does not verify"));
            Assert.That(actions.Closes().Single().Connection, Is.EqualTo(link));
            Assert.That(peer.Machine.SignatureCounts.Forged, Is.EqualTo(1));
        }
    }

    [Test]
    public void A_retry_of_a_delivered_message_is_acknowledged_again_without_signature_work()
    {
        var (peer, link) = PeerWithDirectLink(2, inbound: true);
        var envelope = Envelope(2, PeerAt(1), peer.Now);
        peer.Receive(link, envelope);
        peer.Take();

        peer.Receive(link, envelope with { Hops = 1 });
        var actions = peer.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actions.ReportsOf<PrivateDuplicate>(), Has.Exactly(1).Items);
            Assert.That(actions.SendsOf<DirectAck>(), Has.Exactly(1).Items);
            Assert.That(peer.Machine.SignatureCounts.Checked, Is.EqualTo(1), "the first copy's check only");
        }
    }

    [Test]
    public void A_sender_takes_only_the_acknowledgement_its_recipient_signed()
    {
        var probe = new MachineProbe<PeerMachine>(new PeerMachine(PeerAt(1), Seeds(1), QuietShortIntervals(), new Random(1), signing: MessageSigning.Verify(KeyOf(1))), T0);
        probe.Start();
        var id = probe.Machine.SendPrivate(PeerAt(2), "hello", probe.Now);
        probe.Take();
        var first = new ConnectionId(401);
        probe.Machine.OnConnected(new ConnectionInfo(first, PeerAt(2), NodeRole.Peer, Inbound: false, PeerAt(2).ToString(), LinkPurpose.Direct, KeyOf(2).Id), probe.Now);
        var sent = (GossipMessage)probe.Take().SendsOf<GossipMessage>().Single().Message;

        probe.Receive(first, MessageSignature.Acknowledge(KeyOf(9), id)); // a receipt someone else signed
        var forged = probe.Take();
        var acknowledgedAfterForgery = probe.Machine.PrivateCounts.Acknowledged;
        var second = new ConnectionId(402);
        probe.Machine.OnConnected(new ConnectionInfo(second, PeerAt(2), NodeRole.Peer, Inbound: false, PeerAt(2).ToString(), LinkPurpose.Direct, KeyOf(2).Id), probe.Now);
        probe.Take();
        probe.Receive(second, MessageSignature.Acknowledge(KeyOf(2), id));
        var genuine = probe.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(MessageSignature.Verifies(sent), Is.True, "the sender signs its private message");
            Assert.That(acknowledgedAfterForgery, Is.Zero, "a forged receipt is not a delivery");
            Assert.That(forged.ReportsOf<PrivateAcknowledged>(), Is.Empty);
            Assert.That(forged.ReportsOf<ProtocolViolation>().Single().Reason, Does.Contain("did not sign (a forged receipt)"));
            Assert.That(forged.Closes().Single().Connection, Is.EqualTo(first));
            Assert.That(genuine.ReportsOf<PrivateAcknowledged>().Single().Id, Is.EqualTo(id));
            Assert.That(probe.Machine.PrivateCounts.Acknowledged, Is.EqualTo(1));
        }
    }

    [Test]
    public void Through_a_seed_a_sender_that_knows_the_recipients_id_takes_only_the_receipt_that_id_signed()
    {
        // Peer 1 knows peer 2's id (an overlay neighbour that proved it); peer 2 cannot be dialled, so a seed relays.
        var probe = SignedPeerWithNeighbour();
        var id = probe.Machine.SendPrivate(PeerAt(2), "hello", probe.Now);
        probe.Take();
        probe.Machine.OnDialFailed(PeerAt(2), LinkPurpose.Direct, "connection refused", probe.Now);
        Assert.That(probe.Take().DialTargets(), Is.EqualTo(new[] { SeedAt(1) }), "handed to the seed");
        var seedLink = new ConnectionId(501);
        probe.Machine.OnConnected(new ConnectionInfo(seedLink, SeedAt(1), NodeRole.Seed, Inbound: false, SeedAt(1).ToString(), LinkPurpose.Direct, KeyOf(0).Id), probe.Now);
        probe.Take();

        probe.Receive(seedLink, MessageSignature.Acknowledge(KeyOf(9), id));
        var forged = probe.Take();
        var acknowledgedAfterForgery = probe.Machine.PrivateCounts.Acknowledged;
        probe.Receive(seedLink, MessageSignature.Acknowledge(KeyOf(2), id));
        var genuine = probe.Take();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(acknowledgedAfterForgery, Is.Zero);
            Assert.That(forged.ReportsOf<GossipForged>().Single().Violation, Is.False, "the seed may know the recipient by another id: its link stays");
            Assert.That(forged.Closes(), Is.Empty);
            Assert.That(genuine.ReportsOf<PrivateAcknowledged>().Single().RelayedBy, Is.EqualTo(SeedAt(1)));
        }
    }

    /// <summary>Peer 1 (checking for real), registered with seed 1 and linked to its overlay neighbour peer 2, which proved its id.</summary>
    private static MachineProbe<PeerMachine> SignedPeerWithNeighbour()
    {
        var probe = new MachineProbe<PeerMachine>(new PeerMachine(PeerAt(1), Seeds(1), QuietShortIntervals(), new Random(1), signing: MessageSigning.Verify(KeyOf(1))), T0);
        foreach (var seed in probe.Start().DialTargets())
        {
            probe.ConnectSeed(seed);
            probe.Receive(seed, new PeerList([PeerAt(2)]));
        }
        probe.Take();
        probe.Connections[PeerAt(2)] = new ConnectionId(450);
        probe.Machine.OnConnected(new ConnectionInfo(new ConnectionId(450), PeerAt(2), NodeRole.Peer, Inbound: false, PeerAt(2).ToString(), RemoteId: KeyOf(2).Id), probe.Now);
        probe.Take();
        return probe;
    }

    // ---- a seed relaying ----

    private sealed class Relay
    {
        private long _next = 600;

        public Relay()
        {
            Register(1, "127.0.0.1:40001");
            Register(2, "127.0.0.1:40002");
            Reservation = Link(1);
            Probe.Receive(Reservation, Reserve.Instance);
            Probe.Take();
        }

        public MachineProbe<SeedMachine> Probe { get; } = new(new SeedMachine(SeedAt(1), new Random(1)) { Signing = MessageSigning.Verify(KeyOf(0)) }, T0);

        /// <summary>Peer 1's reservation link (it cannot be dialled).</summary>
        public ConnectionId Reservation { get; }

        /// <summary>Peer <paramref name="n"/> dials a direct link to the seed and proves its id.</summary>
        public ConnectionId Link(int n)
        {
            var id = new ConnectionId(++_next);
            Probe.Machine.OnConnected(new ConnectionInfo(id, PeerAt(n), NodeRole.Peer, Inbound: true, $"127.0.0.1:4100{n}", LinkPurpose.Direct, KeyOf(n).Id), Probe.Now);
            return id;
        }

        private void Register(int n, string from)
        {
            var id = new ConnectionId(++_next);
            Probe.Machine.OnConnected(new ConnectionInfo(id, PeerAt(n), NodeRole.Peer, Inbound: true, from, RemoteId: KeyOf(n).Id), Probe.Now);
            Probe.Receive(id, P2PSim.Protocol.Register.Instance);
            Probe.Take();
        }

        public NodeAction[] Receive(ConnectionId link, Message message)
        {
            Probe.Receive(link, message);
            return Probe.Take();
        }
    }

    [Test]
    public void A_seed_relays_a_signed_message_and_passes_back_the_receipt_its_recipient_signed()
    {
        var relay = new Relay();
        var sender = relay.Link(2);
        var envelope = Envelope(2, PeerAt(1), relay.Probe.Now);

        var relayed = relay.Receive(sender, envelope);
        var passedBack = relay.Receive(relay.Reservation, MessageSignature.Acknowledge(KeyOf(1), envelope.Id));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(relayed.Sends().Single().Connection, Is.EqualTo(relay.Reservation));
            Assert.That(passedBack.Sends().Single().Connection, Is.EqualTo(sender));
            Assert.That(relay.Probe.Machine.ForgedRelays, Is.Zero);
        }
    }

    [Test]
    public void A_seed_relays_no_forged_message_and_passes_back_no_forged_receipt()
    {
        var relay = new Relay();
        var sender = relay.Link(2);
        var forged = Envelope(2, PeerAt(1), relay.Probe.Now, signer: KeyOf(9));
        var impostor = Envelope(9, PeerAt(1), relay.Probe.Now) with { Origin = PeerAt(2) }; // peer 2's endpoint, node 9's id
        var genuine = Envelope(2, PeerAt(1), relay.Probe.Now, text: "real");

        // A second apart each: a seed writes one violation line a second on direct links.
        var first = relay.Receive(sender, forged);
        relay.Probe.Now += TimeSpan.FromSeconds(1);
        var second = relay.Receive(relay.Link(2), impostor);
        relay.Probe.Now += TimeSpan.FromSeconds(1);
        var third = relay.Link(2);
        relay.Receive(third, genuine);
        var receipt = relay.Receive(relay.Reservation, MessageSignature.Acknowledge(KeyOf(9), genuine.Id));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Sends(), Is.Empty, "not relayed");
            Assert.That(first.ReportsOf<ProtocolViolation>().Single().Reason, Does.Contain("whose signature does not verify"));
            Assert.That(second.Sends(), Is.Empty);
            Assert.That(second.ReportsOf<ProtocolViolation>().Single().Reason, Does.Contain("as its origin's, but the sender proved id"));
            Assert.That(receipt.Sends(), Is.Empty, "a receipt its recipient did not sign is not passed back");
            Assert.That(receipt.ReportsOf<ProtocolViolation>().Single().Reason, Does.Contain("did not sign (a forged receipt)"));
            Assert.That(relay.Probe.Machine.ForgedRelays, Is.EqualTo(3));
        }
    }
}
