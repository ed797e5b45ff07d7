using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>What a peer does with a version-2 envelope it cannot trust (PROTOCOL.md, "Receiving a message").</summary>
[TestFixture]
public sealed class EnvelopeRulesTests
{
    /// <summary>PeerAt(1), quiet, with neighbours PeerAt(2) and PeerAt(3); Message List TTL 10 min.</summary>
    private static MachineProbe<PeerMachine> Peer() => PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3));

    /// <summary>A message from <paramref name="origin"/>, created <paramref name="age"/> before T0.</summary>
    private static P2PSim.Protocol.Gossip From(NodeEndpoint origin, ushort hops, TimeSpan age = default, ulong sequence = 1) =>
        new(GossipKind.Gossip, origin, sequence, (T0 - age).ToUnixTimeMilliseconds(), hops, $"{(T0 - age).ToUnixTimeMilliseconds()}:{origin.Address}:{origin.Port}:{sequence}");

    [Test]
    public void A_copy_with_hops_1_from_its_origin_is_received_and_forwarded()
    {
        var peer = Peer();

        peer.Receive(PeerAt(2), From(PeerAt(2), hops: 1));
        var actions = peer.Take();

        Assert.That(actions.ReportsOf<GossipReceived>().Single().Origin, Is.EqualTo(PeerAt(2)));
        Assert.That(actions.SendsOf<P2PSim.Protocol.Gossip>().Select(s => s.Connection), Is.EqualTo(new[] { peer.Connections[PeerAt(3)] }));
    }

    [Test]
    public void A_copy_with_hops_1_that_names_another_origin_than_its_sender_drops_the_sender()
    {
        var peer = Peer();
        var liar = From(PeerAt(7), hops: 1);

        peer.Receive(PeerAt(2), liar);
        var actions = peer.Take();

        var violation = actions.ReportsOf<ProtocolViolation>().Single();
        Assert.That(violation.Reason, Is.EqualTo("a Gossip with hops 1 names 127.0.0.1:10007 as its origin but comes from 127.0.0.1:10002"));
        Assert.That(actions.Closes().Single(), Is.EqualTo(new Close(peer.Connections[PeerAt(2)], violation.Reason, AfterFlush: false)));
        Assert.That(actions.ReportsOf<GossipReceived>(), Is.Empty);
        Assert.That(actions.SendsOf<P2PSim.Protocol.Gossip>(), Is.Empty, "nothing forwarded");
        Assert.That(peer.Machine.Neighbours, Is.EqualTo(new[] { PeerAt(3) }), "the liar is no neighbour any more");
        Assert.That(peer.Machine.Messages.Contains(liar.Id), Is.False, "not recorded: the real message may still come");
    }

    [Test]
    public void A_forwarded_copy_may_come_from_any_neighbour()
    {
        var peer = Peer();

        peer.Receive(PeerAt(2), From(PeerAt(7), hops: 2));

        Assert.That(peer.Take().ReportsOf<GossipReceived>().Single().From, Is.EqualTo(PeerAt(2)));
    }

    [Test]
    public void A_message_as_old_as_the_Message_List_remembers_is_refused_one_a_moment_younger_is_received()
    {
        var peer = Peer();
        var ttl = peer.Machine.Messages.Ttl;
        var stale = From(PeerAt(7), hops: 2, age: ttl);
        var young = From(PeerAt(7), hops: 2, age: ttl - TimeSpan.FromMilliseconds(1), sequence: 2);

        peer.Receive(PeerAt(2), stale);
        var refused = peer.Take();
        peer.Receive(PeerAt(2), young);
        var received = peer.Take();

        var refusal = refused.ReportsOf<GossipRefused>().Single();
        Assert.That(refusal.Id, Is.EqualTo(stale.Id));
        Assert.That(refusal.Reason, Does.StartWith("created 600 s ago, longer than Peer:MessageListTtl (00:10:00) remembers"));
        Assert.That(refused.Sends(), Is.Empty, "neither forwarded nor answered");
        Assert.That(peer.Machine.Messages.Contains(stale.Id), Is.False);
        Assert.That(peer.Machine.Refused, Is.EqualTo(1));
        Assert.That(received.ReportsOf<GossipReceived>(), Has.Exactly(1).Items);
        Assert.That(peer.Machine.Received, Is.EqualTo(1));
    }

    [Test]
    public void A_message_from_further_ahead_than_the_clock_skew_allows_is_refused()
    {
        var peer = Peer();
        var ahead = From(PeerAt(7), hops: 2, age: -(ProtocolLimits.MaxClockSkew + TimeSpan.FromMilliseconds(1)));
        var slightlyAhead = From(PeerAt(7), hops: 2, age: -ProtocolLimits.MaxClockSkew, sequence: 2);

        peer.Receive(PeerAt(2), ahead);
        var refused = peer.Take();
        peer.Receive(PeerAt(2), slightlyAhead);

        Assert.That(refused.ReportsOf<GossipRefused>().Single().Reason, Does.Contain("in the future"));
        Assert.That(peer.Take().ReportsOf<GossipReceived>(), Has.Exactly(1).Items, "a clock a little ahead is fine");
    }
}
