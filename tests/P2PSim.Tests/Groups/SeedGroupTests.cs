using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.Nodes;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Groups;

/// <summary>A seed's side of groups: members per group, answered joins, leaves, and a peer's groups gone with the peer.</summary>
[TestFixture]
public sealed class SeedGroupTests
{
    private MachineProbe<SeedMachine> _seed = null!;

    [SetUp]
    public void CreateSeed()
    {
        _seed = new MachineProbe<SeedMachine>(NewSeed(SeedAt(1)), T0);
        _seed.Start();
    }

    /// <summary>A peer registers and joins <paramref name="groups"/> on the same connection, as a peer does; returns what the seed did on the joins.</summary>
    private NodeAction[] RegistersAndJoins(NodeEndpoint peer, params string[] groups)
    {
        _seed.PeerRegisters(peer, "127.0.0.1:50000");
        foreach (var group in groups)
        {
            _seed.Receive(peer, new GroupJoin(group));
        }
        return _seed.Take();
    }

    [Test]
    public void A_join_is_answered_on_its_connection_with_the_groups_other_members_in_the_order_they_joined()
    {
        RegistersAndJoins(PeerAt(1), "blue");
        RegistersAndJoins(PeerAt(2), "green");
        RegistersAndJoins(PeerAt(3), "blue");
        var actions = RegistersAndJoins(PeerAt(4), "blue", "green");

        var answers = actions.Sends();
        Assert.That(answers.Select(a => a.Connection), Is.All.EqualTo(_seed.Connections[PeerAt(4)]));
        Assert.That(answers.Select(a => a.Message), Is.EqualTo(new Message[]
        {
            new GroupMembers("blue", [PeerAt(1), PeerAt(3)]),
            new GroupMembers("green", [PeerAt(2)]),
        }));
        Assert.That(_seed.Machine.MembersOf("blue"), Is.EqualTo(new[] { PeerAt(1), PeerAt(3), PeerAt(4) }));
        var joined = actions.ReportsOf<GroupMemberJoined>().First();
        Assert.That((joined.Peer, joined.Group, joined.Again, joined.Members), Is.EqualTo((PeerAt(4), "blue", false, 3)));
        Assert.That(actions.Closes(), Is.Empty, "the peer closes the connection, not the seed");
    }

    [Test]
    public void Joining_again_is_idempotent_and_answered_again()
    {
        RegistersAndJoins(PeerAt(1), "blue");
        RegistersAndJoins(PeerAt(2), "blue");
        var again = RegistersAndJoins(PeerAt(1), "blue");

        Assert.That(_seed.Machine.MembersOf("blue"), Is.EqualTo(new[] { PeerAt(1), PeerAt(2) }));
        Assert.That(again.SendsOf<GroupMembers>().Single().Message, Is.EqualTo(new GroupMembers("blue", [PeerAt(2)])));
        Assert.That(again.ReportsOf<GroupMemberJoined>().Single().Again, Is.True);
    }

    [Test]
    public void A_join_from_a_peer_that_is_not_registered_here_is_refused_and_its_connection_closed()
    {
        var connection = _seed.Connect(PeerAt(5), NodeRole.Peer, inbound: true, "127.0.0.1:50000");
        _seed.Receive(connection, new GroupJoin("blue"));
        var actions = _seed.Take();

        Assert.That(actions.Sends(), Is.Empty);
        Assert.That(actions.Closes().Single().Connection, Is.EqualTo(connection));
        Assert.That(actions.ReportsOf<RequestRejected>().Single().Reason, Does.Contain("not a registered peer"));
        Assert.That(_seed.Machine.GroupNames, Is.Empty);
    }

    [Test]
    public void A_join_or_leave_from_another_address_than_the_peers_is_refused()
    {
        RegistersAndJoins(PeerAt(1), "blue");
        var forged = _seed.Connect(PeerAt(1), NodeRole.Peer, inbound: true, "10.1.2.3:50000");
        _seed.Receive(forged, new GroupLeave("blue"));
        _seed.Receive(forged, new GroupJoin("green"));
        var actions = _seed.Take();

        Assert.That(actions.ReportsOf<RequestRejected>().Select(r => r.Request), Is.EqualTo(new[] { MessageType.GroupLeave, MessageType.GroupJoin }));
        Assert.That(_seed.Machine.MembersOf("blue"), Is.EqualTo(new[] { PeerAt(1) }));
        Assert.That(_seed.Machine.MembersOf("green"), Is.Empty);
    }

    [Test]
    public void A_leave_takes_the_peer_out_of_that_group_only()
    {
        RegistersAndJoins(PeerAt(1), "blue", "green");
        RegistersAndJoins(PeerAt(2), "blue");
        _seed.Receive(PeerAt(1), new GroupLeave("blue"));
        var actions = _seed.Take();

        Assert.That(_seed.Machine.MembersOf("blue"), Is.EqualTo(new[] { PeerAt(2) }));
        Assert.That(_seed.Machine.MembersOf("green"), Is.EqualTo(new[] { PeerAt(1) }));
        Assert.That(actions.ReportsOf<GroupMemberLeft>().Single(), Has.Property("Members").EqualTo(1));
        Assert.That(actions.Sends(), Is.Empty, "a leave needs no answer");
    }

    [Test]
    public void A_peer_dropped_from_the_peer_list_leaves_every_group()
    {
        RegistersAndJoins(PeerAt(1), "blue", "green");
        RegistersAndJoins(PeerAt(2), "blue");
        _seed.Receive(PeerAt(1), Goodbye.Instance);
        _seed.Take();

        Assert.That(_seed.Machine.MembersOf("blue"), Is.EqualTo(new[] { PeerAt(2) }));
        Assert.That(_seed.Machine.GroupNames.Single(), Is.EqualTo("blue"), "a group with no member left is forgotten");

        // A confirmed death does the same.
        _seed.Receive(PeerAt(1), new DeadNode(PeerAt(2), T0.ToUnixTimeMilliseconds(), PeerAt(1))); // from a peer that left: rejected
        RegistersAndJoins(PeerAt(3), "blue");
        _seed.Receive(PeerAt(3), new DeadNode(PeerAt(2), T0.ToUnixTimeMilliseconds(), PeerAt(3)));
        _seed.Take();
        _seed.DialFails(PeerAt(2));
        _seed.Take();
        Assert.That(_seed.Machine.MembersOf("blue"), Is.EqualTo(new[] { PeerAt(3) }));
    }

    [Test]
    public void A_peer_joins_at_most_the_protocols_number_of_groups_here()
    {
        var groups = Enumerable.Range(0, ProtocolLimits.MaxGroupsPerPeer).Select(i => $"g{i}").ToArray();
        var actions = RegistersAndJoins(PeerAt(1), groups);
        Assert.That(actions.SendsOf<GroupMembers>(), Has.Length.EqualTo(ProtocolLimits.MaxGroupsPerPeer));

        _seed.Receive(PeerAt(1), new GroupJoin("one too many"));
        var refused = _seed.Take();
        Assert.That(refused.ReportsOf<RequestRejected>().Single().Reason, Does.Contain($"in {ProtocolLimits.MaxGroupsPerPeer} groups already"));
        Assert.That(_seed.Machine.MembersOf("one too many"), Is.Empty);
    }
}
