using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Nodes;

[TestFixture]
public sealed class PeerGossipTests
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan OneMillisecond = TimeSpan.FromMilliseconds(1);

    /// <summary>PeerAt(1), gossiping every second (3 messages), connected to PeerAt(2), PeerAt(3) and PeerAt(4).</summary>
    private static MachineProbe<PeerMachine> GossipingPeer(Action<P2PSim.Configuration.PeerOptions>? tweak = null) =>
        PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3, 4), ShortIntervals(tweak));

    private static Send GossipTo(MachineProbe<PeerMachine> peer, NodeEndpoint neighbour, string text, ushort hops) =>
        new(peer.Connections[neighbour], TestGossip.Of(text, hops));

    [Test]
    public void After_the_gossip_interval_a_message_is_originated_and_sent_to_every_connected_neighbour()
    {
        var peer = GossipingPeer();
        var due = T0 + OneSecond;

        var early = peer.TimerAt(due - OneMillisecond);
        var actions = peer.TimerAt(due);

        Assert.That(early.Sends(), Is.Empty);
        var text = $"{due.ToUnixTimeMilliseconds()}:127.0.0.1:10001:1";
        Assert.That(actions.Sends(), Is.EquivalentTo(Peers(2, 3, 4).Select(n => GossipTo(peer, n, text, hops: 1))));
        var originated = actions.ReportsOf<GossipOriginated>().Single();
        Assert.That(originated.Text, Is.EqualTo(text));
        Assert.That(originated.Id, Is.EqualTo(TestGossip.IdOf(text)));
        Assert.That(originated.SentTo, Is.EqualTo(3));
        Assert.That(peer.Machine.Originated, Is.EqualTo(1));
        Assert.That(actions.WakeRequests().Last(), Is.EqualTo(due + OneSecond));
    }

    [Test]
    public void The_envelope_names_this_peer_its_message_number_and_the_time()
    {
        var peer = GossipingPeer();
        var due = T0 + OneSecond;

        var sent = peer.TimerAt(due).SendsOf<GossipMessage>().Select(s => s.Message).Distinct().Single();

        Assert.That(sent, Is.EqualTo(new GossipMessage(
            GossipKind.Gossip, PeerAt(1), Sequence: 1, due.ToUnixTimeMilliseconds(), Hops: 1, $"{due.ToUnixTimeMilliseconds()}:127.0.0.1:10001:1")));
    }

    [Test]
    public void The_gossip_text_parses_back_to_its_origin_and_number()
    {
        var peer = GossipingPeer();

        var text = peer.TimerAt(T0 + OneSecond).ReportsOf<GossipOriginated>().Single().Text;

        Assert.That(GossipText.TryParse(text, out var timestamp, out var origin, out var number), Is.True);
        Assert.That(timestamp, Is.EqualTo(T0 + OneSecond));
        Assert.That(origin, Is.EqualTo(PeerAt(1)));
        Assert.That(number, Is.EqualTo(1));
    }

    [Test]
    public void Origination_stops_after_messages_per_peer()
    {
        var peer = GossipingPeer(o => o.MessagesPerPeer = 3);
        var originated = new List<GossipOriginated>();

        for (var second = 1; second <= 12; second++)
        {
            originated.AddRange(peer.TimerAt(T0 + (second * OneSecond)).ReportsOf<GossipOriginated>());
        }

        Assert.That(originated.Select(o => o.Text), Is.EqualTo(new[]
        {
            $"{(T0 + OneSecond).ToUnixTimeMilliseconds()}:127.0.0.1:10001:1",
            $"{(T0 + (2 * OneSecond)).ToUnixTimeMilliseconds()}:127.0.0.1:10001:2",
            $"{(T0 + (3 * OneSecond)).ToUnixTimeMilliseconds()}:127.0.0.1:10001:3",
        }));
        Assert.That(peer.Machine.Originated, Is.EqualTo(3));
    }

    [Test]
    public void With_zero_messages_per_peer_nothing_is_originated()
    {
        var peer = GossipingPeer(o => o.MessagesPerPeer = 0);

        var actions = Enumerable.Range(1, 5).SelectMany(second => peer.TimerAt(T0 + (second * OneSecond))).ToArray();

        Assert.That(actions.ReportsOf<GossipOriginated>(), Is.Empty);
        Assert.That(actions.SendsOf<GossipMessage>(), Is.Empty);
        Assert.That(peer.Machine.Originated, Is.Zero);
    }

    [Test]
    public void A_neighbour_whose_connection_is_down_gets_no_gossip_but_an_inbound_neighbour_does()
    {
        var peer = GossipingPeer();
        peer.Closed(PeerAt(3));
        var inbound = peer.ConnectPeer(PeerAt(9), inbound: true);
        peer.Take();

        var actions = peer.TimerAt(T0 + OneSecond);

        var connections = actions.SendsOf<GossipMessage>().Select(s => s.Connection);
        Assert.That(connections, Is.EquivalentTo(new[] { peer.Connections[PeerAt(2)], peer.Connections[PeerAt(4)], inbound }));
    }

    [Test]
    public void A_received_gossip_is_forwarded_once_to_every_neighbour_but_the_sender_with_one_more_hop()
    {
        var peer = GossipingPeer();
        const string text = "1740830400000:127.0.0.1:10002:1";

        peer.Receive(PeerAt(2), TestGossip.Of(text, 3));
        var actions = peer.Take();

        Assert.That(actions.Sends(), Is.EquivalentTo(new[] { GossipTo(peer, PeerAt(3), text, 4), GossipTo(peer, PeerAt(4), text, 4) }));
        var received = actions.ReportsOf<GossipReceived>().Single();
        Assert.That(received.Text, Is.EqualTo(text));
        Assert.That(received.Id, Is.EqualTo(TestGossip.IdOf(text)));
        Assert.That(received.Origin, Is.EqualTo(PeerAt(2)));
        Assert.That(received.From, Is.EqualTo(PeerAt(2)));
        Assert.That(received.Hops, Is.EqualTo(3));
        Assert.That(received.ForwardedTo, Is.EqualTo(2));
        Assert.That(peer.Machine.Received, Is.EqualTo(1));
        Assert.That(peer.Machine.Messages.TryGetSender(TestGossip.IdOf(text), out var first), Is.True);
        Assert.That(first, Is.EqualTo(PeerAt(2)));
    }

    [Test]
    public void The_same_text_arriving_again_from_any_neighbour_is_dropped_and_counted()
    {
        var peer = GossipingPeer();
        const string text = "1740830400000:127.0.0.1:10002:1";
        peer.Receive(PeerAt(2), TestGossip.Of(text, 1));
        peer.Take();

        peer.Receive(PeerAt(3), TestGossip.Of(text, 2));
        var fromOther = peer.Take();
        peer.Receive(PeerAt(2), TestGossip.Of(text, 5));
        var fromSender = peer.Take();

        Assert.That(fromOther.Sends(), Is.Empty);
        Assert.That(fromSender.Sends(), Is.Empty);
        Assert.That(fromOther.ReportsOf<DuplicateDropped>().Single(), Is.EqualTo(new DuplicateDropped(T0, TestGossip.IdOf(text), PeerAt(3))));
        Assert.That(fromSender.ReportsOf<DuplicateDropped>().Single().From, Is.EqualTo(PeerAt(2)));
        Assert.That(fromOther.ReportsOf<GossipReceived>(), Is.Empty);
        Assert.That(peer.Machine.Duplicates, Is.EqualTo(2));
        Assert.That(peer.Machine.Received, Is.EqualTo(1));
    }

    [Test]
    public void The_peers_own_message_echoed_back_is_a_duplicate()
    {
        var peer = GossipingPeer();
        var text = peer.TimerAt(T0 + OneSecond).ReportsOf<GossipOriginated>().Single().Text;

        peer.Receive(PeerAt(3), TestGossip.Of(text, 2));
        var actions = peer.Take();

        Assert.That(actions.Sends(), Is.Empty);
        Assert.That(actions.ReportsOf<DuplicateDropped>().Single().Id, Is.EqualTo(TestGossip.IdOf(text)));
        Assert.That(peer.Machine.Duplicates, Is.EqualTo(1));
        Assert.That(peer.Machine.Received, Is.Zero);
    }

    [Test]
    public void The_hop_count_does_not_overflow()
    {
        var peer = GossipingPeer();

        peer.Receive(PeerAt(2), TestGossip.Of("x", ushort.MaxValue));

        Assert.That(peer.Take().SendsOf<GossipMessage>().Select(s => ((GossipMessage)s.Message).Hops), Is.All.EqualTo(ushort.MaxValue));
    }
}
