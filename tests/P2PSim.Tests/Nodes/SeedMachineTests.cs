using P2PSim.Nodes;
using P2PSim.Protocol;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

[TestFixture]
public sealed class SeedMachineTests
{
    private MachineProbe<SeedMachine> _seed = null!;

    [SetUp]
    public void CreateSeed()
    {
        _seed = new MachineProbe<SeedMachine>(NewSeed(SeedAt(1)), T0);
        _seed.Start();
    }

    /// <summary>A peer connects from an ephemeral port and registers; returns what the seed did.</summary>
    private NodeAction[] Registers(NodeEndpoint peer, int ephemeralPort = 50_000)
    {
        var connection = _seed.Connect(peer, NodeRole.Peer, inbound: true, remoteAddress: $"127.0.0.1:{ephemeralPort}");
        _seed.Receive(connection, Register.Instance);
        return _seed.Take();
    }

    [Test]
    public void A_registration_adds_the_listening_endpoint_not_the_ephemeral_client_address()
    {
        var actions = Registers(PeerAt(1), ephemeralPort: 51_234);

        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
        var registered = actions.ReportsOf<PeerRegistered>().Single();
        Assert.That(registered.Peer, Is.EqualTo(PeerAt(1)));
        Assert.That(registered.RemoteAddress, Is.EqualTo("127.0.0.1:51234"));
        Assert.That(registered.Again, Is.False);
        Assert.That(registered.At, Is.EqualTo(T0));
    }

    [Test]
    public void A_registration_is_answered_with_the_other_registered_peers()
    {
        var first = Registers(PeerAt(1));
        var second = Registers(PeerAt(2));
        var third = Registers(PeerAt(3));

        Assert.That(first.Sends().Single().Message, Is.EqualTo(new PeerList([])));
        Assert.That(second.Sends().Single().Message, Is.EqualTo(new PeerList([PeerAt(1)])));
        var answer = third.Sends().Single();
        Assert.That(answer.Connection, Is.EqualTo(_seed.Connections[PeerAt(3)]));
        Assert.That(answer.Message, Is.EqualTo(new PeerList([PeerAt(1), PeerAt(2)])));
        Assert.That(third.ReportsOf<PeerRegistered>().Single().PeerListSent, Is.EqualTo(new[] { PeerAt(1), PeerAt(2) }));
        Assert.That(third.Closes(), Is.Empty, "the peer closes the registration connection, not the seed");
    }

    [Test]
    public void A_registration_again_is_not_duplicated_and_still_lists_only_the_others()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));

        var again = Registers(PeerAt(1), ephemeralPort: 50_999);

        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1), PeerAt(2) }));
        Assert.That(again.Sends().Single().Message, Is.EqualTo(new PeerList([PeerAt(2)])));
        Assert.That(again.ReportsOf<PeerRegistered>().Single().Again, Is.True);
    }

    [Test]
    public void A_dead_node_report_removes_the_peer_and_a_second_report_finds_nothing_to_remove()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        Registers(PeerAt(3));
        var report = new DeadNode(PeerAt(1), T0.ToUnixTimeMilliseconds(), PeerAt(2));

        _seed.Receive(PeerAt(2), report);
        var first = _seed.Take().ReportsOf<DeadNodeReceived>().Single();
        _seed.Receive(PeerAt(3), report with { Reporter = PeerAt(3) });
        var second = _seed.Take().ReportsOf<DeadNodeReceived>().Single();

        Assert.That(first.Report, Is.EqualTo(report));
        Assert.That(first.Removed, Is.True);
        Assert.That(first.PeersLeft, Is.EqualTo(2));
        Assert.That(second.Removed, Is.False);
        Assert.That(second.PeersLeft, Is.EqualTo(2));
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(2), PeerAt(3) }));
    }

    [Test]
    public void A_peer_reported_dead_is_never_handed_out_again_until_it_registers_anew()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        _seed.Receive(PeerAt(2), new DeadNode(PeerAt(1), T0.ToUnixTimeMilliseconds(), PeerAt(2)));
        _seed.Take();

        var newcomer = Registers(PeerAt(3));
        var returning = Registers(PeerAt(4));

        Assert.That(newcomer.Sends().Single().Message, Is.EqualTo(new PeerList([PeerAt(2)])));
        Assert.That(returning.Sends().Single().Message, Is.EqualTo(new PeerList([PeerAt(2), PeerAt(3)])));

        var comeback = Registers(PeerAt(1));
        Assert.That(comeback.ReportsOf<PeerRegistered>().Single().Again, Is.False);
        Assert.That(Registers(PeerAt(5)).Sends().Single().Message, Is.EqualTo(new PeerList([PeerAt(2), PeerAt(3), PeerAt(4), PeerAt(1)])));
    }

    [Test]
    public void A_goodbye_removes_the_peer_and_closes_its_connection_after_flushing()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));

        _seed.Receive(PeerAt(1), Goodbye.Instance);
        var actions = _seed.Take();

        var left = actions.ReportsOf<PeerDeregistered>().Single();
        Assert.That(left.Peer, Is.EqualTo(PeerAt(1)));
        Assert.That(left.PeersLeft, Is.EqualTo(1));
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(2) }));
        var close = actions.Closes().Single();
        Assert.That(close.Connection, Is.EqualTo(_seed.Connections[PeerAt(1)]));
        Assert.That(close.AfterFlush, Is.True);
        Assert.That(Registers(PeerAt(3)).Sends().Single().Message, Is.EqualTo(new PeerList([PeerAt(2)])));
    }

    [Test]
    public void A_goodbye_from_a_peer_that_never_registered_reports_no_deregistration()
    {
        Registers(PeerAt(1));
        _seed.Connect(PeerAt(2), NodeRole.Peer, inbound: true);

        _seed.Receive(PeerAt(2), Goodbye.Instance);
        var actions = _seed.Take();

        Assert.That(actions.ReportsOf<PeerDeregistered>(), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    [Test]
    public void A_ping_is_answered_with_a_pong_carrying_the_same_sequence()
    {
        var connection = _seed.Connect(PeerAt(1), NodeRole.Peer, inbound: true);

        _seed.Receive(connection, new Ping(42));

        Assert.That(_seed.Take(), Is.EqualTo(new NodeAction[] { new Send(connection, new Pong(42)) }));
    }

    private static IEnumerable<TestCaseData> ForbiddenMessages()
    {
        yield return new TestCaseData(NodeRole.Peer, new P2PSim.Protocol.Gossip("1:127.0.0.1:10001:1", 1)).SetName("Gossip from a peer");
        yield return new TestCaseData(NodeRole.Seed, new P2PSim.Protocol.Gossip("1:127.0.0.1:10001:1", 1)).SetName("Gossip from a seed");
        yield return new TestCaseData(NodeRole.Seed, Register.Instance).SetName("Register from a seed");
        yield return new TestCaseData(NodeRole.Peer, new PeerList([PeerAt(9)])).SetName("PeerList from a peer");
        yield return new TestCaseData(NodeRole.Peer, new Pong(1)).SetName("Pong from a peer");
        yield return new TestCaseData(NodeRole.Peer, new Hello(ProtocolLimits.Version, NodeRole.Peer, PeerAt(1))).SetName("Hello after the handshake");
    }

    [TestCaseSource(nameof(ForbiddenMessages))]
    public void A_message_a_seed_does_not_accept_costs_only_that_connection(NodeRole role, Message message)
    {
        Registers(PeerAt(1));
        var offender = _seed.Connect(PeerAt(7), role, inbound: true, remoteAddress: "127.0.0.1:54321");

        _seed.Receive(offender, message);
        var actions = _seed.Take();

        var violation = actions.ReportsOf<ProtocolViolation>().Single();
        Assert.That(violation.RemoteAddress, Is.EqualTo("127.0.0.1:54321"));
        Assert.That(violation.Reason, Does.Contain(message.Type.ToString()));
        Assert.That(actions.Closes(), Is.EqualTo(new[] { new Close(offender, violation.Reason, AfterFlush: false) }));
        Assert.That(actions.Sends(), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }), "nothing was registered or removed");

        var next = Registers(PeerAt(2));
        Assert.That(next.Sends().Single().Message, Is.EqualTo(new PeerList([PeerAt(1)])), "other connections still work");
    }

    [Test]
    public void A_message_on_a_connection_that_is_already_closed_is_ignored()
    {
        var connection = _seed.Connect(PeerAt(1), NodeRole.Peer, inbound: true);
        _seed.Machine.OnClosed(connection, "gone", T0);

        _seed.Receive(connection, Register.Instance);

        Assert.That(_seed.Take(), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.Empty);
    }
}
