using System.Net;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
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
    private NodeAction[] Registers(NodeEndpoint peer, int ephemeralPort = 50_000) => _seed.PeerRegisters(peer, $"127.0.0.1:{ephemeralPort}");

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
    public void Beyond_the_peer_list_limit_a_registration_gets_a_random_sample_of_distinct_others_and_the_list_keeps_its_order()
    {
        var seed = new MachineProbe<SeedMachine>(new SeedMachine(SeedAt(2), new Random(7), maxPeersPerList: 10), T0);
        seed.Start();
        var registered = Enumerable.Range(1, 50).Select(PeerAt).ToArray();
        foreach (var peer in registered)
        {
            seed.PeerRegisters(peer, "127.0.0.1:50000");
        }

        var samples = new List<NodeEndpoint[]>();
        for (var i = 0; i < 20; i++)
        {
            samples.Add(((PeerList)seed.PeerRegisters(PeerAt(7), "127.0.0.1:50001").Sends().Single().Message).Peers.ToArray());
        }

        Assert.Multiple(() =>
        {
            Assert.That(samples, Has.All.Length.EqualTo(10), "at most maxPeersPerList");
            Assert.That(samples, Has.All.Matches<NodeEndpoint[]>(s => s.Distinct().Count() == s.Length), "no peer twice");
            Assert.That(samples.SelectMany(s => s), Has.None.EqualTo(PeerAt(7)), "never the registrant itself");
            Assert.That(samples.SelectMany(s => s).Distinct(), Is.SubsetOf(registered));
            Assert.That(samples.Select(s => string.Join(",", s)).Distinct().Count(), Is.GreaterThan(15), "a fresh random sample each time");
            Assert.That(samples.SelectMany(s => s).Distinct().Count(), Is.GreaterThan(40), "drawn from the whole list, not from its start");
            Assert.That(seed.Machine.PeerList, Is.EqualTo(registered), "sampling leaves the peer list in registration order");
        });
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
    public void A_dead_node_report_removes_the_peer_once_the_seeds_own_dial_fails_and_a_second_report_finds_nothing_to_remove()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        Registers(PeerAt(3));
        var report = new DeadNode(PeerAt(1), T0.ToUnixTimeMilliseconds(), PeerAt(2));

        _seed.Receive(PeerAt(2), report);
        var reported = _seed.Take();
        Assert.That(_seed.Machine.PeerList, Does.Contain(PeerAt(1)), "not removed on the reporter's word alone");
        _seed.DialFails(PeerAt(1));
        var first = _seed.Take().ReportsOf<DeadNodeReceived>().Single();
        _seed.Receive(PeerAt(3), report with { Reporter = PeerAt(3) });
        var again = _seed.Take();
        var second = again.ReportsOf<DeadNodeReceived>().Single();

        Assert.That(reported.DialTargets(), Is.EqualTo(new[] { PeerAt(1) }));
        Assert.That(reported.ReportsOf<DeadNodeChecking>().Single(), Is.EqualTo(new DeadNodeChecking(T0, report, "127.0.0.1:50000", AlreadyChecking: false)));
        Assert.That(first.Report, Is.EqualTo(report));
        Assert.That(first.Removed, Is.True);
        Assert.That(first.Confirmation, Is.EqualTo("connection refused"));
        Assert.That(first.PeersLeft, Is.EqualTo(2));
        Assert.That(second.Removed, Is.False);
        Assert.That(second.PeersLeft, Is.EqualTo(2));
        Assert.That(again.DialTargets(), Is.Empty, "a peer no longer listed is not checked");
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(2), PeerAt(3) }));
    }

    [Test]
    public void A_peer_reported_dead_is_never_handed_out_again_until_it_registers_anew()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        _seed.Receive(PeerAt(2), new DeadNode(PeerAt(1), T0.ToUnixTimeMilliseconds(), PeerAt(2)));
        _seed.DialFails(PeerAt(1));
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
        yield return new TestCaseData(NodeRole.Peer, TestGossip.Of("1:127.0.0.1:10001:1", 1)).SetName("Gossip from a peer");
        yield return new TestCaseData(NodeRole.Seed, TestGossip.Of("1:127.0.0.1:10001:1", 1)).SetName("Gossip from a seed");
        yield return new TestCaseData(NodeRole.Seed, Register.Instance).SetName("Register from a seed");
        yield return new TestCaseData(NodeRole.Peer, new PeerList([PeerAt(9)])).SetName("PeerList from a peer");
        yield return new TestCaseData(NodeRole.Peer, new Pong(1)).SetName("Pong from a peer");
        yield return new TestCaseData(NodeRole.Peer, new Hello(ProtocolLimits.Version, NodeRole.Peer, PeerAt(1))).SetName("Hello after the handshake");
        yield return new TestCaseData(NodeRole.Peer, new Digest([TestGossip.IdOf("x")])).SetName("Digest from a peer");
        yield return new TestCaseData(NodeRole.Peer, new Want([TestGossip.IdOf("x")])).SetName("Want from a peer");
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

    // ---- dead-node reports: only from registered peers, and checked by the seed itself ----

    private static DeadNode ReportOf(NodeEndpoint dead, NodeEndpoint reporter) => new(dead, T0.ToUnixTimeMilliseconds(), reporter);

    [Test]
    public void A_false_dead_node_report_about_a_live_peer_leaves_it_listed()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        var report = ReportOf(PeerAt(1), PeerAt(2));

        _seed.Receive(PeerAt(2), report);
        var checking = _seed.Take();
        var probe = _seed.Connect(PeerAt(1), NodeRole.Peer);
        var answered = _seed.Take();

        Assert.That(checking.DialTargets(), Is.EqualTo(new[] { PeerAt(1) }));
        Assert.That(checking.ReportsOf<DeadNodeReceived>(), Is.Empty, "no verdict before the check");
        Assert.That(answered.ReportsOf<DeadNodeRefuted>().Single(), Is.EqualTo(new DeadNodeRefuted(T0, report, "127.0.0.1:50000")));
        Assert.That(answered.Sends(), Is.Empty, "the check says nothing");
        Assert.That(answered.Closes(), Is.EqualTo(new[] { new Close(probe, "check done: the peer answered", AfterFlush: true) }));
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1), PeerAt(2) }));
        Assert.That(_seed.Machine.Checking, Is.Empty);
        Assert.That(Registers(PeerAt(3)).Sends().Single().Message, Is.EqualTo(new PeerList([PeerAt(1), PeerAt(2)])), "still handed out");
    }

    [Test]
    public void Reports_about_a_peer_already_being_checked_share_that_check()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        Registers(PeerAt(3));

        _seed.Receive(PeerAt(2), ReportOf(PeerAt(1), PeerAt(2)));
        var first = _seed.Take();
        _seed.Receive(PeerAt(3), ReportOf(PeerAt(1), PeerAt(3)));
        var second = _seed.Take();
        _seed.DialFails(PeerAt(1));
        var verdict = _seed.Take();

        Assert.That(first.DialTargets(), Is.EqualTo(new[] { PeerAt(1) }));
        Assert.That(second.DialTargets(), Is.Empty);
        Assert.That(second.ReportsOf<DeadNodeChecking>().Single().AlreadyChecking, Is.True);
        var removal = verdict.ReportsOf<DeadNodeReceived>().Single();
        Assert.That(removal.Removed, Is.True);
        Assert.That(removal.Report.Reporter, Is.EqualTo(PeerAt(2)), "the verdict names the first report");
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(2), PeerAt(3) }));
    }

    [Test]
    public void A_check_whose_dial_never_came_back_is_replaced_by_the_next_report_after_a_while()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        _seed.Receive(PeerAt(2), ReportOf(PeerAt(1), PeerAt(2)));
        _seed.Take();

        _seed.Now = T0 + SeedMachine.StaleCheckAfter - TimeSpan.FromSeconds(1);
        _seed.Receive(PeerAt(2), ReportOf(PeerAt(1), PeerAt(2)));
        var joined = _seed.Take();
        _seed.Now = T0 + SeedMachine.StaleCheckAfter;
        _seed.Receive(PeerAt(2), ReportOf(PeerAt(1), PeerAt(2)));
        var restarted = _seed.Take();
        _seed.DialFails(PeerAt(1));

        Assert.That(joined.DialTargets(), Is.Empty);
        Assert.That(restarted.DialTargets(), Is.EqualTo(new[] { PeerAt(1) }));
        Assert.That(_seed.Take().ReportsOf<DeadNodeReceived>().Single().Removed, Is.True);
    }

    [Test]
    public void A_report_after_a_check_ended_starts_a_new_check()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        _seed.Receive(PeerAt(2), ReportOf(PeerAt(1), PeerAt(2)));
        _seed.Connect(PeerAt(1), NodeRole.Peer);
        _seed.Take();

        _seed.Receive(PeerAt(2), ReportOf(PeerAt(1), PeerAt(2)));

        Assert.That(_seed.Take().DialTargets(), Is.EqualTo(new[] { PeerAt(1) }));
    }

    [Test]
    public void A_check_that_finds_a_seed_at_the_reported_endpoint_confirms_the_death()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        _seed.Receive(PeerAt(2), ReportOf(PeerAt(1), PeerAt(2)));
        _seed.Take();

        var probe = _seed.Connect(PeerAt(1), NodeRole.Seed);
        var actions = _seed.Take();

        Assert.That(actions.ReportsOf<DeadNodeReceived>().Single().Removed, Is.True);
        Assert.That(actions.Closes().Single().Connection, Is.EqualTo(probe));
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(2) }));
    }

    [Test]
    public void A_peer_that_said_goodbye_while_being_checked_is_not_removed_twice()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        _seed.Receive(PeerAt(2), ReportOf(PeerAt(1), PeerAt(2)));
        _seed.Receive(PeerAt(1), Goodbye.Instance);
        _seed.Take();

        _seed.DialFails(PeerAt(1));
        var verdict = _seed.Take().ReportsOf<DeadNodeReceived>().Single();

        Assert.That(verdict.Removed, Is.False);
        Assert.That(verdict.Confirmation, Is.EqualTo("connection refused"));
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(2) }));
    }

    [Test]
    public void A_dead_node_report_from_a_peer_that_is_not_registered_is_rejected()
    {
        Registers(PeerAt(1));
        var stranger = _seed.Connect(PeerAt(7), NodeRole.Peer, inbound: true, remoteAddress: "127.0.0.1:51000");
        var report = ReportOf(PeerAt(1), PeerAt(7));

        _seed.Receive(stranger, report);
        var actions = _seed.Take();

        var rejected = actions.ReportsOf<DeadNodeRejected>().Single();
        Assert.That(rejected.Report, Is.EqualTo(report));
        Assert.That(rejected.RemoteAddress, Is.EqualTo("127.0.0.1:51000"));
        Assert.That(rejected.Reason, Is.EqualTo("the sender 127.0.0.1:10007 is not a registered peer"));
        Assert.That(actions.DialTargets(), Is.Empty, "not even checked");
        Assert.That(actions.ReportsOf<DeadNodeReceived>(), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    [Test]
    public void A_dead_node_report_that_names_another_reporter_than_its_sender_is_rejected()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        var sender = _seed.Connect(PeerAt(2), NodeRole.Peer, inbound: true, remoteAddress: "127.0.0.1:51000");

        _seed.Receive(sender, ReportOf(PeerAt(1), PeerAt(3)));
        var actions = _seed.Take();

        Assert.That(actions.ReportsOf<DeadNodeRejected>().Single().Reason, Is.EqualTo("the report names 127.0.0.1:10003 as its reporter but comes from 127.0.0.1:10002"));
        Assert.That(actions.DialTargets(), Is.Empty, "not even checked");
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1), PeerAt(2) }));
    }

    [Test]
    public void A_dead_node_report_from_a_seed_is_rejected_even_if_its_endpoint_is_a_registered_peer()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        var impostor = _seed.Connect(PeerAt(2), NodeRole.Seed, inbound: true, remoteAddress: "127.0.0.1:51000");

        _seed.Receive(impostor, ReportOf(PeerAt(1), PeerAt(2)));
        var actions = _seed.Take();

        Assert.That(actions.ReportsOf<DeadNodeRejected>().Single().Reason, Is.EqualTo("the sender 127.0.0.1:10002 is a seed that is not configured"));
        Assert.That(actions.DialTargets(), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1), PeerAt(2) }));
    }

    [Test]
    public void A_dead_node_report_claiming_a_registered_peers_endpoint_from_another_address_is_rejected()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        var forged = _seed.Connect(PeerAt(2), NodeRole.Peer, inbound: true, remoteAddress: "10.9.8.7:40000");

        _seed.Receive(forged, ReportOf(PeerAt(1), PeerAt(2)));
        var actions = _seed.Take();

        Assert.That(actions.ReportsOf<DeadNodeRejected>().Single().Reason, Is.EqualTo("claims to listen on 127.0.0.1:10002 but connects from 10.9.8.7"));
        Assert.That(actions.DialTargets(), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1), PeerAt(2) }));
    }

    // ---- forged endpoints ----

    [Test]
    public void A_registration_whose_listen_address_is_not_where_the_connection_comes_from_is_rejected()
    {
        Registers(PeerAt(1));
        var forged = new NodeEndpoint(IPAddress.Parse("10.0.0.5"), 6000);
        var connection = _seed.Connect(forged, NodeRole.Peer, inbound: true, remoteAddress: "127.0.0.1:50123");

        _seed.Receive(connection, Register.Instance);
        var actions = _seed.Take();

        var rejected = actions.ReportsOf<RequestRejected>().Single();
        Assert.That(rejected, Is.EqualTo(new RequestRejected(T0, MessageType.Register, forged, "127.0.0.1:50123", "claims to listen on 10.0.0.5:6000 but connects from 127.0.0.1")));
        Assert.That(actions.Sends(), Is.Empty, "no peer list for a forger");
        Assert.That(actions.Closes().Single(), Is.EqualTo(new Close(connection, "registration refused: claims to listen on 10.0.0.5:6000 but connects from 127.0.0.1", AfterFlush: false)));
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    [TestCase("127.0.0.1:50000")]
    [TestCase("[::ffff:127.0.0.1]:50000")]
    public void A_registration_from_the_claimed_address_on_any_client_port_is_accepted(string remote)
    {
        var connection = _seed.Connect(PeerAt(1), NodeRole.Peer, inbound: true, remoteAddress: remote);

        _seed.Receive(connection, Register.Instance);

        Assert.That(_seed.Take().ReportsOf<PeerRegistered>(), Has.Length.EqualTo(1));
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    [Test]
    public void An_ipv6_registration_is_checked_against_the_ipv6_source_address()
    {
        var peer = new NodeEndpoint(IPAddress.IPv6Loopback, 6001);
        var good = _seed.Connect(peer, NodeRole.Peer, inbound: true, remoteAddress: "[::1]:50000");
        _seed.Receive(good, Register.Instance);
        var accepted = _seed.Take();
        var bad = _seed.Connect(new NodeEndpoint(IPAddress.Parse("2001:db8::1"), 6002), NodeRole.Peer, inbound: true, remoteAddress: "[::1]:50001");
        _seed.Receive(bad, Register.Instance);
        var rejected = _seed.Take();

        Assert.That(accepted.ReportsOf<PeerRegistered>(), Has.Length.EqualTo(1));
        Assert.That(rejected.ReportsOf<RequestRejected>(), Has.Length.EqualTo(1));
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { peer }));
    }

    [Test]
    public void A_registration_from_an_address_that_cannot_be_read_is_rejected()
    {
        var connection = _seed.Connect(PeerAt(1), NodeRole.Peer, inbound: true, remoteAddress: "unknown");

        _seed.Receive(connection, Register.Instance);

        Assert.That(_seed.Take().ReportsOf<RequestRejected>().Single().Reason, Is.EqualTo("cannot tell where the connection comes from ('unknown')"));
        Assert.That(_seed.Machine.PeerList, Is.Empty);
    }

    [Test]
    public void A_goodbye_on_behalf_of_another_address_is_rejected_and_the_peer_stays_listed()
    {
        Registers(PeerAt(1));
        var forged = _seed.Connect(PeerAt(1), NodeRole.Peer, inbound: true, remoteAddress: "192.0.2.1:40000");

        _seed.Receive(forged, Goodbye.Instance);
        var actions = _seed.Take();

        Assert.That(actions.ReportsOf<RequestRejected>().Single().Request, Is.EqualTo(MessageType.Goodbye));
        Assert.That(actions.ReportsOf<PeerDeregistered>(), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    // ---- on the in-memory wire, with real peers ----

    [Test]
    public void A_liars_report_about_a_live_peer_is_refuted_and_the_peer_stays_listed_everywhere()
    {
        var net = new MachineHarness(T0);
        var seed = net.Add(NewSeed(SeedAt(1)));
        var honest = net.Add(NewPeer(PeerAt(1), [SeedAt(1)], QuietShortIntervals()));
        var liar = net.Add(new ScriptedNode(PeerAt(2), NodeRole.Peer));
        net.Start(honest);
        net.Act(liar, (l, _) => { l.DialAndSend(SeedAt(1), Register.Instance); return 0; });
        Assert.That(seed.PeerList, Is.EquivalentTo(Peers(1, 2)));

        net.Act(liar, (l, now) => { l.DialAndSend(SeedAt(1), new DeadNode(PeerAt(1), now.ToUnixTimeMilliseconds(), PeerAt(2))); return 0; });
        net.AdvanceBy(TimeSpan.FromSeconds(30));

        Assert.That(net.EventsOf<DeadNodeChecking>(SeedAt(1)).Count(), Is.EqualTo(1));
        Assert.That(net.EventsOf<DeadNodeRefuted>(SeedAt(1)).Single().Report.Dead, Is.EqualTo(PeerAt(1)));
        Assert.That(net.EventsOf<DeadNodeReceived>(SeedAt(1)), Is.Empty);
        Assert.That(seed.PeerList, Does.Contain(PeerAt(1)));
        Assert.That(honest.Joined, Is.True);
        Assert.That(net.EventsOf<ProtocolViolation>(), Is.Empty, "the peer takes the seed's silent check in its stride");
        Assert.That(net.LinksBetween(SeedAt(1), PeerAt(1)), Is.Zero, "the check connection is closed");
    }

    [Test]
    public void A_report_from_a_stranger_on_the_wire_is_rejected()
    {
        var net = new MachineHarness(T0);
        var seed = net.Add(NewSeed(SeedAt(1)));
        var honest = net.Add(NewPeer(PeerAt(1), [SeedAt(1)], QuietShortIntervals()));
        var stranger = net.Add(new ScriptedNode(PeerAt(3), NodeRole.Peer));
        net.Start(honest);

        net.Act(stranger, (s, now) => { s.DialAndSend(SeedAt(1), new DeadNode(PeerAt(1), now.ToUnixTimeMilliseconds(), PeerAt(3))); return 0; });

        Assert.That(net.EventsOf<DeadNodeRejected>(SeedAt(1)), Has.Exactly(1).Items);
        Assert.That(net.EventsOf<DeadNodeChecking>(SeedAt(1)), Is.Empty);
        Assert.That(seed.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    [Test]
    public void A_crashed_peer_fails_the_seeds_check_and_is_removed_at_once()
    {
        var net = new MachineHarness(T0);
        var seed = net.Add(NewSeed(SeedAt(1)));
        var one = net.Add(NewPeer(PeerAt(1), [SeedAt(1)], QuietShortIntervals()));
        var two = net.Add(NewPeer(PeerAt(2), [SeedAt(1)], QuietShortIntervals()));
        net.Start(one);
        net.Start(two);

        net.Crash(PeerAt(2));
        net.AdvanceBy(TimeSpan.FromSeconds(60));

        var reported = net.EventsOf<NeighbourDead>(PeerAt(1)).Single();
        var checking = net.EventsOf<DeadNodeChecking>(SeedAt(1)).Single();
        var removal = net.EventsOf<DeadNodeReceived>(SeedAt(1)).Single();
        Assert.That(checking.At, Is.EqualTo(reported.At));
        Assert.That(removal.At, Is.EqualTo(reported.At), "a refused dial fails at once");
        Assert.That(removal.Removed, Is.True);
        Assert.That(removal.Confirmation, Is.EqualTo("connection refused"));
        Assert.That(seed.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }
}
