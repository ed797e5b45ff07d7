using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.Nodes;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Groups;

/// <summary>A peer's side of groups, driven by hand: the joins at the seeds, the group's own links, and what it refuses.</summary>
[TestFixture]
public sealed class PeerGroupTests
{
    private static readonly LinkPurpose Blue = LinkPurpose.ForGroup("blue");
    private static readonly string[] BlueAndGreen = ["blue", "green"];

    private static MachineProbe<PeerMachine> NewGroupPeer(NodeEndpoint self, params string[] groups) =>
        new(new PeerMachine(self, Seeds(1), QuietShortIntervals(), new Random(1), groups: new GroupOptions { MessagesPerPeer = 0, Encrypt = false }, startGroups: groups), T0);

    /// <summary>A peer in blue that registered with its one seed (peer list: <paramref name="peers"/>) and got blue's <paramref name="members"/>.</summary>
    private static MachineProbe<PeerMachine> JoinedBluePeer(NodeEndpoint[] peers, NodeEndpoint[] members, out NodeAction[] afterMembers)
    {
        var probe = NewGroupPeer(PeerAt(1), "blue");
        probe.Start();
        probe.ConnectSeed(SeedAt(1));
        probe.Take();
        probe.Receive(SeedAt(1), new PeerList(peers));
        probe.Take();
        probe.Receive(SeedAt(1), new GroupMembers("blue", members));
        afterMembers = probe.Take();
        return probe;
    }

    private static GossipMessage BlueMessage(NodeEndpoint origin, string group = "blue", ushort hops = 1) =>
        new GossipMessage(GossipKind.Group, origin, 1, T0.ToUnixTimeMilliseconds(), hops, "hi") with { Group = group };

    [Test]
    public void A_registration_carries_the_joins_and_its_connection_closes_once_the_peer_list_and_the_members_are_in()
    {
        var probe = NewGroupPeer(PeerAt(1), "blue", "green");
        Assert.That(probe.Start().ReportsOf<GroupJoined>().Select(j => j.Group), Is.EqualTo(BlueAndGreen));
        var seed = probe.ConnectSeed(SeedAt(1));
        var sent = probe.Take().Sends();
        Assert.That(sent.Select(s => s.Message), Is.EqualTo(new Message[] { Register.Instance, new GroupJoin("blue"), new GroupJoin("green") }), "the joins follow the Register on its connection");
        Assert.That(sent.Select(s => s.Connection), Is.All.EqualTo(seed));

        probe.Receive(SeedAt(1), new PeerList(Peers(2, 3)));
        Assert.That(probe.Take().Closes(), Is.Empty, "the members are still owed");
        probe.Receive(SeedAt(1), new GroupMembers("blue", Peers(2)));
        Assert.That(probe.Take().Closes(), Is.Empty, "green's members are still owed");
        probe.Receive(SeedAt(1), new GroupMembers("green", []));
        var last = probe.Take();
        Assert.That(last.Closes().Single().Connection, Is.EqualTo(seed));
        Assert.That(probe.Machine.Groups, Is.EqualTo(BlueAndGreen));
    }

    [Test]
    public void Once_the_members_are_in_the_peer_dials_some_of_them_for_the_groups_links()
    {
        JoinedBluePeer(Peers(2, 3, 4, 5, 6), Peers(3, 5), out var afterMembers);

        var dials = afterMembers.OfType<Dial>().ToArray();
        Assert.That(dials.Select(d => d.Target), Is.EquivalentTo(Peers(3, 5)));
        Assert.That(dials.Select(d => d.Purpose), Is.All.EqualTo(Blue), "a group's link says so in its Hello");
        var chosen = afterMembers.ReportsOf<GroupEvent>().Select(e => e.Event).OfType<NeighboursChosen>().Single();
        Assert.That(chosen.Known, Is.EquivalentTo(Peers(3, 5)), "chosen from the group's members, not from the peer list");
    }

    [Test]
    public void Every_reregistration_carries_the_joins_again()
    {
        var probe = JoinedBluePeer(Peers(2), Peers(2), out _);
        var due = probe.TimerAfter(new PeerOptions().ReregisterInterval);
        Assert.That(due.DialTargets(), Has.Member(SeedAt(1)));
        probe.ConnectSeed(SeedAt(1));
        Assert.That(probe.Take().Sends().Select(s => s.Message), Is.EqualTo(new Message[] { Register.Instance, new GroupJoin("blue") }));
    }

    [Test]
    public void A_link_for_a_group_the_peer_is_not_in_gets_a_goodbye_and_is_closed()
    {
        var probe = JoinedBluePeer(Peers(2), Peers(2), out _);
        var red = probe.Connect(PeerAt(7), NodeRole.Peer, inbound: true, purpose: LinkPurpose.ForGroup("red"));
        var actions = probe.Take();

        Assert.That(actions.Sends().Single(), Is.EqualTo(new Send(red, Goodbye.Instance)), "a goodbye: the dialer drops the link as a clean leave, never as a death");
        Assert.That(actions.Closes().Single().Reason, Is.EqualTo("not a member of group \"red\""));
        Assert.That(actions.ReportsOf<GroupLinkRefused>().Single().Group, Is.EqualTo("red"));
        probe.Receive(red, BlueMessage(PeerAt(7), "red"));
        Assert.That(probe.Take(), Is.Empty, "nothing that arrives on it is taken");
    }

    [Test]
    public void A_broadcast_or_another_groups_message_on_a_group_link_costs_that_link_only()
    {
        var probe = JoinedBluePeer(Peers(2), Peers(3, 4, 5), out _);
        var links = Peers(3, 4, 5).Select(p => probe.Connect(p, NodeRole.Peer, purpose: Blue)).ToArray();
        probe.Take();

        probe.Receive(links[0], new GossipMessage(GossipKind.Gossip, PeerAt(3), 1, T0.ToUnixTimeMilliseconds(), 1, "not for a group link"));
        probe.Receive(links[1], BlueMessage(PeerAt(4), "green"));
        var actions = probe.Take();

        var violations = actions.ReportsOf<GroupEvent>().Select(e => e.Event).OfType<ProtocolViolation>().Select(v => v.Reason).ToArray();
        Assert.That(violations, Has.Length.EqualTo(2));
        Assert.That(violations[0], Is.EqualTo("a broadcast (kind 1) on a link of group \"blue\""));
        Assert.That(violations[1], Is.EqualTo("a message for group \"green\" on a link of group \"blue\""));
        Assert.That(actions.Closes().Select(c => (c.Connection, c.AfterFlush)), Is.EqualTo(new[] { (links[0], false), (links[1], false) }));
        Assert.That(probe.Machine.GroupNeighbours("blue"), Is.EqualTo(Peers(5)), "the third link is untouched");
        Assert.That(probe.Machine.GroupMessages("blue")!.Count, Is.Zero, "neither message was taken");
        Assert.That(probe.Machine.Messages.Count, Is.Zero);

        probe.Receive(links[2], BlueMessage(PeerAt(5)));
        Assert.That(probe.Take().ReportsOf<GroupEvent>().Select(e => e.Event).OfType<GossipReceived>().Count(), Is.EqualTo(1), "and the group's own messages still come in");
    }

    [Test]
    public void A_group_message_on_an_overlay_link_costs_that_link_only()
    {
        var probe = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3));
        probe.Receive(PeerAt(2), BlueMessage(PeerAt(2)));
        var actions = probe.Take();

        Assert.That(actions.ReportsOf<ProtocolViolation>().Single().Reason, Is.EqualTo("a Group envelope (kind 2) on an overlay link, which carries broadcasts only"));
        Assert.That(actions.Closes().Single().Connection, Is.EqualTo(probe.Connections[PeerAt(2)]));
        Assert.That(probe.Machine.ConnectedNeighbours, Is.EqualTo(Peers(3)));
        Assert.That(probe.Machine.Messages.Count, Is.Zero);
    }

    [Test]
    public void Leaving_says_goodbye_on_the_groups_links_and_tells_the_seeds()
    {
        var probe = JoinedBluePeer(Peers(2), Peers(3), out _);
        var link = probe.Connect(PeerAt(3), NodeRole.Peer, purpose: Blue);
        probe.Take();

        Assert.That(probe.Machine.LeaveGroup("blue", probe.Now), Is.True);
        var actions = probe.Take();
        Assert.That(actions.Sends().Where(s => s.Connection == link).Select(s => s.Message), Is.EqualTo(new Message[] { Goodbye.Instance }));
        Assert.That(actions.DialTargets(), Is.EqualTo(new[] { SeedAt(1) }), "the leave goes to the seed");
        Assert.That(actions.ReportsOf<GroupLeft>().Single().Neighbours, Is.EqualTo(1));
        probe.ConnectSeed(SeedAt(1));
        Assert.That(probe.Take().Sends().Select(s => s.Message), Is.EqualTo(new Message[] { new GroupLeave("blue") }));
        Assert.That(probe.Machine.IsMember("blue"), Is.False);
        Assert.That(probe.Machine.LeaveGroup("blue", probe.Now), Is.False);
    }

    [Test]
    public void A_group_name_that_breaks_the_rule_is_refused_at_the_join()
    {
        var probe = JoinedBluePeer(Peers(2), Peers(3), out _);
        Assert.That(() => probe.Machine.JoinGroup(" blue", probe.Now), Throws.ArgumentException.With.Message.Contains("white space"));
        Assert.That(probe.Machine.JoinGroup("blue", probe.Now), Is.False, "already a member");
    }
}
