using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.Nodes;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Private;

/// <summary>How a <see cref="PeerMachine"/> hands private messages and direct links to its private part, and keeps them off the overlay.</summary>
[TestFixture]
public sealed class PeerPrivateTests
{
    private static readonly NodeEndpoint Self = PeerAt(1);
    private static readonly NodeEndpoint Neighbour = PeerAt(2);
    private static readonly NodeEndpoint Other = PeerAt(3);

    [Test]
    public void A_private_message_on_an_overlay_link_is_a_violation_and_never_forwarded()
    {
        var probe = PeerScenarios.JoinedPeerWith(Self, [Neighbour, Other]);
        var envelope = new GossipMessage(GossipKind.Direct, Neighbour, 1, probe.Now.ToUnixTimeMilliseconds(), 1, "psst") { Recipient = Self };

        probe.Receive(Neighbour, envelope);
        var actions = probe.Take();

        Assert.That(actions.ReportsOf<ProtocolViolation>().Single().Reason, Is.EqualTo("a Direct envelope (kind 3) on an overlay link, which carries broadcasts only"));
        Assert.That(actions.SendsOf<GossipMessage>(), Is.Empty, "nothing forwarded");
        Assert.That(actions.ReportsOf<PrivateDelivered>(), Is.Empty);
    }

    [Test]
    public void A_direct_link_is_no_neighbour_and_carries_the_private_message_and_its_acknowledgement()
    {
        var probe = PeerScenarios.JoinedPeerWith(Self, [Neighbour]);
        var id = probe.Machine.SendPrivate(Other, "hello", probe.Now);
        Assert.That(probe.Take().OfType<Dial>().Single(), Is.EqualTo(new Dial(Other, LinkPurpose.Direct)));

        var link = new ConnectionId(555);
        probe.Machine.OnConnected(new ConnectionInfo(link, Other, NodeRole.Peer, Inbound: false, Other.ToString(), LinkPurpose.Direct), probe.Now);
        var sent = probe.Take().Sends();
        probe.Machine.OnMessage(link, new DirectAck(id), probe.Now);
        var acked = probe.Take();

        Assert.Multiple(() =>
        {
            Assert.That(sent.Single().Connection, Is.EqualTo(link));
            Assert.That(acked.ReportsOf<PrivateAcknowledged>().Single().Id, Is.EqualTo(id));
            Assert.That(probe.Machine.Neighbours, Is.EquivalentTo(new[] { Neighbour }), "the direct link is not a neighbour");
            Assert.That(probe.Machine.PrivateCounts.Acknowledged, Is.EqualTo(1));
        });
    }

    [Test]
    public void A_failed_direct_dial_goes_to_the_private_part_not_the_overlay()
    {
        var probe = PeerScenarios.JoinedPeerWith(Self, [Neighbour]);
        probe.Machine.SendPrivate(Other, "hello", probe.Now);
        probe.Take();

        probe.Machine.OnDialFailed(Other, LinkPurpose.Direct, "connection refused", probe.Now);
        var actions = probe.Take();

        Assert.That(actions.ReportsOf<NeighbourDialFailed>(), Is.Empty);
        Assert.That(probe.Machine.PrivateCounts.Pending, Is.EqualTo(1), "it waits for its next attempt");
    }
}
