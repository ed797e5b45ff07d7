using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.Nodes;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Private;

/// <summary>
/// A seed's relay of private messages (Nodes/SeedMachine.PrivateRelay.cs), driven by hand: reservations, relaying and the
/// acknowledgement back, refusals, bad input, and a reported death checked over the reservation.
/// </summary>
[TestFixture]
public sealed class PrivateRelayTests
{
    private static readonly NodeEndpoint SeedSelf = SeedAt(1);
    private static readonly NodeEndpoint Hidden = PeerAt(1);   // cannot be dialled; reserves here
    private static readonly NodeEndpoint Sender = PeerAt(2);
    private static readonly NodeEndpoint Stranger = PeerAt(9); // never registered

    private sealed class Bench
    {
        private long _next = 500;

        public Bench()
        {
            Probe.PeerRegisters(Hidden, "127.0.0.1:40001");
            Probe.PeerRegisters(Sender, "127.0.0.1:40002");
        }

        public MachineProbe<SeedMachine> Probe { get; } = new(NewSeed(SeedSelf), T0);

        public DateTimeOffset Now => Probe.Now;

        /// <summary>A peer dials a direct link to the seed.</summary>
        public ConnectionId Direct(NodeEndpoint peer, NodeRole role = NodeRole.Peer, string? from = null)
        {
            var id = new ConnectionId(++_next);
            Probe.Machine.OnConnected(new ConnectionInfo(id, peer, role, Inbound: true, from ?? "127.0.0.1:41000", LinkPurpose.Direct), Now);
            return id;
        }

        public NodeAction[] Receive(ConnectionId link, Message message)
        {
            Probe.Receive(link, message);
            return Probe.Take();
        }

        public ConnectionId Reserved()
        {
            var link = Direct(Hidden);
            Receive(link, Reserve.Instance);
            return link;
        }
    }

    private static GossipMessage Envelope(NodeEndpoint origin, NodeEndpoint recipient, DateTimeOffset at, string text = "psst") =>
        new GossipMessage(GossipKind.Direct, origin, 1, at.ToUnixTimeMilliseconds(), 1, text) { Recipient = recipient };

    [Test]
    public void A_registered_peer_reserves_and_a_message_for_it_is_relayed_one_hop_on_with_its_acknowledgement_passed_back()
    {
        var bench = new Bench();
        var reservation = bench.Direct(Hidden);
        var accepted = bench.Receive(reservation, Reserve.Instance);
        var sender = bench.Direct(Sender);
        var envelope = Envelope(Sender, Hidden, bench.Now);

        var relayed = bench.Receive(sender, envelope);
        var acked = bench.Receive(reservation, new DirectAck(envelope.Id));

        Assert.Multiple(() =>
        {
            Assert.That(accepted.ReportsOf<ReservationAccepted>().Single().Peer, Is.EqualTo(Hidden));
            Assert.That(bench.Probe.Machine.Reservations, Is.EquivalentTo(new[] { Hidden }));
            var forward = relayed.Sends().Single();
            Assert.That(forward.Connection, Is.EqualTo(reservation));
            Assert.That(forward.Message, Is.EqualTo(envelope with { Hops = 2 }));
            Assert.That(relayed.ReportsOf<PrivateRelayed>().Single(), Is.EqualTo(new PrivateRelayed(bench.Now, envelope.Id, Sender, Hidden)));
            Assert.That(acked.Sends().Single(), Is.EqualTo(new Send(sender, new DirectAck(envelope.Id))));
            Assert.That(bench.Probe.Machine.PrivateRelayCounts, Is.EqualTo((1L, 0L)));
        });
    }

    [Test]
    public void A_message_for_a_listed_peer_without_a_reservation_or_for_an_unknown_one_is_refused_saying_which()
    {
        var bench = new Bench();
        var sender = bench.Direct(Sender);
        var listed = Envelope(Sender, Hidden, bench.Now);
        var unknown = Envelope(Sender, Stranger, bench.Now);

        var first = bench.Receive(sender, listed);
        var second = bench.Receive(sender, unknown);
        bench.Probe.Now += TimeSpan.FromSeconds(1);
        var third = bench.Receive(sender, unknown with { Text = "again" });

        Assert.Multiple(() =>
        {
            Assert.That(first.Sends().Single(), Is.EqualTo(new Send(sender, new RelayRefused(listed.Id, RelayRefusal.NoReservation))));
            Assert.That(second.Sends().Single(), Is.EqualTo(new Send(sender, new RelayRefused(unknown.Id, RelayRefusal.UnknownRecipient))));
            Assert.That(first.ReportsOf<PrivateRelayRefusedHere>().Single().Reason, Is.EqualTo(RelayRefusal.NoReservation));
            Assert.That(second.ReportsOf<PrivateRelayRefusedHere>(), Is.Empty, "the log line is rate-limited");
            Assert.That(third.ReportsOf<PrivateRelayRefusedHere>().Single().HeldBack, Is.EqualTo(1));
            Assert.That(first.Concat(second).Concat(third).Closes(), Is.Empty, "a refused request is no violation: the link stays");
        });
    }

    [Test]
    public void A_reservation_from_a_peer_that_is_not_registered_is_refused_and_its_link_closed()
    {
        var bench = new Bench();
        var link = bench.Direct(Stranger);

        var actions = bench.Receive(link, Reserve.Instance);

        Assert.That(actions.ReportsOf<RequestRejected>().Single().Reason, Is.EqualTo($"the sender {Stranger} is not a registered peer"));
        Assert.That(actions.Closes().Single().Connection, Is.EqualTo(link));
        Assert.That(bench.Probe.Machine.Reservations, Is.Empty);
    }

    [Test]
    public void A_reservation_claiming_another_address_is_refused()
    {
        var bench = new Bench();
        var link = bench.Direct(Hidden, from: "10.1.2.3:40000");

        var actions = bench.Receive(link, Reserve.Instance);

        Assert.That(actions.ReportsOf<RequestRejected>().Single().Reason, Does.Contain("but connects from 10.1.2.3"));
        Assert.That(bench.Probe.Machine.Reservations, Is.Empty);
    }

    private static IEnumerable<TestCaseData> BrokenInput()
    {
        yield return new TestCaseData(Envelope(Hidden, Sender, T0), $"a private message handed over by {Sender} names {Hidden} as its origin")
            .SetName("A relay request naming another origin closes its link");
        yield return new TestCaseData(new GossipMessage(GossipKind.Gossip, Sender, 1, T0.ToUnixTimeMilliseconds(), 1, "x"), "a Gossip envelope (kind 1) on a seed's direct link: a seed relays private messages only")
            .SetName("A broadcast on a seed's direct link closes it");
        yield return new TestCaseData(new DirectAck(new MessageId(1, 2, 3, 4)), $"a DirectAck from {Sender}, which holds no reservation on this link (a seed takes acknowledgements only from the peers it relays to)")
            .SetName("An acknowledgement from a peer without a reservation closes its link");
        yield return new TestCaseData(new PeerList([]), "a seed's direct link does not carry PeerList").SetName("A frame a seed's direct link does not carry closes it");
    }

    [TestCaseSource(nameof(BrokenInput))]
    public void Broken_input_on_a_direct_link_costs_that_link_only(Message message, string reason)
    {
        var bench = new Bench();
        var reservation = bench.Reserved();
        var link = bench.Direct(Sender);

        var actions = bench.Receive(link, message);

        Assert.Multiple(() =>
        {
            Assert.That(actions.ReportsOf<ProtocolViolation>().Single().Reason, Is.EqualTo(reason));
            Assert.That(actions.Closes().Single(), Is.EqualTo(new Close(link, reason, AfterFlush: false)));
            Assert.That(actions.Sends(), Is.Empty, "nothing relayed");
            Assert.That(bench.Probe.Machine.Reservations, Is.EquivalentTo(new[] { Hidden }), "the reservation stays");
            Assert.That(bench.Probe.Machine.PeerList, Is.EquivalentTo(new[] { Hidden, Sender }));
        });
        Assert.That(bench.Receive(reservation, new DirectAck(new MessageId(5, 5, 5, 5))).Closes(), Is.Empty, "the reservation link still works");
    }

    [Test]
    public void An_acknowledgement_for_nothing_on_a_reservation_is_refused_and_the_link_stays()
    {
        var bench = new Bench();
        var reservation = bench.Reserved();

        var actions = bench.Receive(reservation, new DirectAck(new MessageId(9, 9, 9, 9)));

        Assert.That(actions.ReportsOf<PrivateInputRefused>().Single().Reason, Does.Contain("an acknowledgement for nothing"));
        Assert.That(actions.Closes(), Is.Empty);
        Assert.That(actions.Sends(), Is.Empty);
    }

    [Test]
    public void The_seed_forgets_a_relayed_message_after_a_minute()
    {
        var bench = new Bench();
        var reservation = bench.Reserved();
        var sender = bench.Direct(Sender);
        var envelope = Envelope(Sender, Hidden, bench.Now);
        bench.Receive(sender, envelope);

        bench.Probe.TimerAt(bench.Now + SeedMachine.RelayMemory);
        var late = bench.Receive(reservation, new DirectAck(envelope.Id));

        Assert.That(late.Sends(), Is.Empty);
        Assert.That(late.ReportsOf<PrivateInputRefused>(), Has.Length.EqualTo(1));
    }

    [Test]
    public void A_reservation_ends_with_its_link_and_messages_for_the_peer_are_refused_from_then_on()
    {
        var bench = new Bench();
        var reservation = bench.Reserved();

        bench.Probe.Machine.OnClosed(reservation, "connection reset", bench.Now);
        var ended = bench.Probe.Take();
        var refused = bench.Receive(bench.Direct(Sender), Envelope(Sender, Hidden, bench.Now));

        Assert.That(ended.ReportsOf<ReservationEnded>().Single().Peer, Is.EqualTo(Hidden));
        Assert.That(refused.Sends().Single().Message, Is.TypeOf<RelayRefused>());
    }

    [Test]
    public void A_seed_dialling_a_direct_link_to_a_seed_is_turned_away()
    {
        var bench = new Bench();

        var link = bench.Direct(SeedAt(2), NodeRole.Seed);

        Assert.That(bench.Probe.Take().Closes().Single().Connection, Is.EqualTo(link));
    }

    // ---- a reported death of a peer that cannot be dialled ----

    private static NodeAction[] Report(Bench bench, NodeEndpoint dead) =>
        bench.Receive(bench.Probe.Connect(Sender, NodeRole.Peer, inbound: true, "127.0.0.1:42000"), new DeadNode(dead, 1, Sender));

    [Test]
    public void A_reported_peer_holding_a_reservation_is_checked_over_it_and_stays_when_it_answers()
    {
        var bench = new Bench();
        var reservation = bench.Reserved();

        var checking = Report(bench, Hidden);
        var ping = (Ping)checking.Sends().Single(s => s.Connection == reservation).Message;
        var answered = bench.Receive(reservation, new Pong(ping.Sequence));

        Assert.Multiple(() =>
        {
            Assert.That(checking.DialTargets(), Is.Empty, "not dialled: it accepts no connection");
            Assert.That(answered.ReportsOf<DeadNodeRefuted>(), Has.Length.EqualTo(1));
            Assert.That(bench.Probe.Machine.PeerList, Does.Contain(Hidden));
        });
    }

    [Test]
    public void A_reported_peer_that_does_not_answer_over_its_reservation_is_removed()
    {
        var bench = new Bench();
        var reservation = bench.Reserved();
        Report(bench, Hidden);

        var quiet = bench.Probe.TimerAt(bench.Now + SeedMachine.ReservationCheckTimeout);

        Assert.Multiple(() =>
        {
            var confirmed = quiet.ReportsOf<DeadNodeReceived>().Single();
            Assert.That(confirmed.Removed, Is.True);
            Assert.That(confirmed.Confirmation, Is.EqualTo("no answer over its reservation within 5 s"));
            Assert.That(quiet.Closes().Single().Connection, Is.EqualTo(reservation));
            Assert.That(bench.Probe.Machine.PeerList, Does.Not.Contain(Hidden));
            Assert.That(bench.Probe.Machine.Reservations, Is.Empty);
        });
    }

    [Test]
    public void A_reported_peer_whose_reservation_link_closes_during_the_check_is_removed()
    {
        var bench = new Bench();
        var reservation = bench.Reserved();
        Report(bench, Hidden);

        bench.Probe.Machine.OnClosed(reservation, "connection reset by the remote", bench.Now);
        var closed = bench.Probe.Take();

        Assert.That(closed.ReportsOf<DeadNodeReceived>().Single().Confirmation, Is.EqualTo("its reservation link closed (connection reset by the remote)"));
        Assert.That(bench.Probe.Machine.PeerList, Does.Not.Contain(Hidden));
    }

    [Test]
    public void A_reported_peer_without_a_reservation_is_dialled_as_before()
    {
        var bench = new Bench();

        var checking = Report(bench, Hidden);

        Assert.That(checking.DialTargets(), Is.EqualTo(new[] { Hidden }));
    }
}
