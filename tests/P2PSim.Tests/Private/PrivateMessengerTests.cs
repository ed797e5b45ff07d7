using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Private;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Private;

/// <summary>
/// The private-message part alone, for PeerAt(1), on a scripted clock: acknowledgement timeout 2 s (so attempts wait 2,
/// 4, 8 and 16 s), 4 attempts, direct links closed after 30 s idle.
/// </summary>
[TestFixture]
public sealed class PrivateMessengerTests
{
    private static readonly NodeEndpoint Self = PeerAt(1);
    private static readonly NodeEndpoint Bob = PeerAt(2);
    private static readonly NodeEndpoint Carol = PeerAt(3);
    private static readonly NodeEndpoint Seed = SeedAt(1);
    private static readonly string[] OneAndTwo = ["one", "two"];

    /// <summary>The part, with <paramref name="seeds"/> configured (the first <paramref name="registered"/> of them registered with).</summary>
    internal sealed class Bench
    {
        /// <param name="knowsIds">
        /// True: the peer knows an id for every endpoint (as from peer lists that carry ids), so a relayed message goes
        /// to the seed at once; false: it knows none, and asks the relaying seed first.
        /// </param>
        public Bench(Action<PrivateOptions>? tweak = null, NodeEndpoint[]? seeds = null, int registered = 0, bool dialable = true, bool knowsIds = true)
        {
            var options = new PrivateOptions { AckTimeout = TimeSpan.FromSeconds(2), Attempts = 4, IdleTimeout = TimeSpan.FromSeconds(30) };
            tweak?.Invoke(options);
            seeds ??= [];
            Registered = [.. seeds.Take(registered)];
            Messenger = new PrivateMessenger(Self, QuietShortIntervals(), options, Part.Outbox, seeds, () => Registered, dialable,
                expectedId: knowsIds ? _ => KnownId : _ => null);
        }

        /// <summary>The seeds the peer registered with (what its seed session says).</summary>
        public List<NodeEndpoint> Registered { get; }

        public PartBench Part { get; } = new();

        /// <summary>The id the bench's peer knows every endpoint by (with <c>knowsIds</c>); no cryptography here, so any id does.</summary>
        public static NodeId KnownId { get; } = new(1, 2, 3, 4);

        public PrivateMessenger Messenger { get; }

        public DateTimeOffset Now => Part.Now;

        public NodeAction[] Take() => Part.Take();

        public MessageId Send(NodeEndpoint to, string text = "hello") => Messenger.Send(to, text, Now);

        /// <summary>A direct link to <paramref name="remote"/> completes its handshake (dialled by this peer unless <paramref name="inbound"/>).</summary>
        public ConnectionId Connect(NodeEndpoint remote, NodeRole role = NodeRole.Peer, bool inbound = false)
        {
            var info = Part.Link(remote, role, inbound) with { Purpose = LinkPurpose.Direct };
            Assert.That(PrivateMessenger.Takes(info), Is.True);
            Messenger.OnConnected(info, Now);
            return info.Id;
        }

        public NodeAction[] Receive(ConnectionId link, Message message)
        {
            Messenger.OnMessage(link, message, Now);
            return Take();
        }

        public NodeAction[] Timer(DateTimeOffset at)
        {
            Part.Now = at;
            Messenger.OnTimer(at);
            return Take();
        }
    }

    private static GossipMessage Envelope(NodeEndpoint origin, NodeEndpoint recipient, DateTimeOffset at, ulong sequence = 1, string text = "hi", ushort hops = 1) =>
        new GossipMessage(GossipKind.Direct, origin, sequence, at.ToUnixTimeMilliseconds(), hops, PrivateSeal.Unsealed(text)) { Recipient = recipient };

    /// <summary>The text of a message sent by the bench's peer, which (no cryptography here) carries it unencrypted, in a sealed text's size.</summary>
    private static string? TextOf(Message message) => PrivateSeal.ReadUnsealed(((GossipMessage)message).Text);

    [Test]
    public void A_message_dials_a_direct_link_goes_out_once_it_is_up_and_is_acknowledged_over_it()
    {
        var bench = new Bench();

        var id = bench.Send(Bob, "hello Bob");
        var sent = bench.Take();
        Assert.That(sent.OfType<Dial>().Single(), Is.EqualTo(new Dial(Bob, LinkPurpose.Direct)));
        Assert.That(sent.ReportsOf<PrivateSent>().Single().Recipient, Is.EqualTo(Bob));

        var link = bench.Connect(Bob);
        var envelope = (GossipMessage)bench.Take().Sends().Single().Message;
        Assert.Multiple(() =>
        {
            Assert.That(envelope.Kind, Is.EqualTo(GossipKind.Direct));
            Assert.That(envelope.Recipient, Is.EqualTo(Bob));
            Assert.That(envelope.Origin, Is.EqualTo(Self));
            Assert.That(envelope.Hops, Is.EqualTo(1));
            Assert.That(PrivateSeal.ReadUnsealed(envelope.Text), Is.EqualTo("hello Bob"));
            Assert.That(envelope.Id, Is.EqualTo(id));
        });

        bench.Part.Advance(TimeSpan.FromMilliseconds(40));
        var acked = bench.Receive(link, new DirectAck(id)).ReportsOf<PrivateAcknowledged>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(acked.Recipient, Is.EqualTo(Bob));
            Assert.That(acked.Attempts, Is.EqualTo(1));
            Assert.That(acked.RelayedBy, Is.Null);
            Assert.That(acked.Latency, Is.EqualTo(TimeSpan.FromMilliseconds(40)));
            Assert.That(bench.Messenger.Counts, Is.EqualTo(new PrivateCounts(Sent: 1, Acknowledged: 1, Undeliverable: 0, Pending: 0, Delivered: 0, Duplicates: 0)));
        });
    }

    [Test]
    public void A_second_message_to_the_same_peer_takes_the_open_link()
    {
        var bench = new Bench();
        var first = bench.Send(Bob);
        var link = bench.Connect(Bob);
        bench.Receive(link, new DirectAck(first));

        bench.Send(Bob, "again");
        var actions = bench.Take();

        Assert.That(actions.DialTargets(), Is.Empty, "no second dial");
        Assert.That(actions.Sends().Single().Connection, Is.EqualTo(link));
    }

    [Test]
    public void A_link_another_peer_dialled_carries_this_peers_messages_to_it_too()
    {
        var bench = new Bench();
        var link = bench.Connect(Bob, inbound: true);

        bench.Send(Bob);

        Assert.That(bench.Take().Sends().Single().Connection, Is.EqualTo(link));
    }

    [Test]
    public void Messages_that_wait_for_one_dial_all_go_when_it_connects()
    {
        var bench = new Bench();
        bench.Send(Bob, "one");
        bench.Send(Bob, "two");
        Assert.That(bench.Take().DialTargets(), Is.EqualTo(new[] { Bob }), "one dial for both");

        bench.Connect(Bob);

        Assert.That(bench.Take().Sends().Select(s => TextOf(s.Message)), Is.EqualTo(OneAndTwo));
    }

    [Test]
    public void A_message_is_delivered_once_and_every_copy_is_acknowledged_on_its_link()
    {
        var bench = new Bench();
        var link = bench.Connect(Bob, inbound: true);
        var envelope = Envelope(Bob, Self, bench.Now, text: "for you");

        var first = bench.Receive(link, envelope);
        var again = bench.Receive(link, envelope with { });

        Assert.Multiple(() =>
        {
            var delivered = first.ReportsOf<PrivateDelivered>().Single();
            Assert.That((delivered.Origin, delivered.Text, delivered.RelayedBy), Is.EqualTo((Bob, "for you", (NodeEndpoint?)null)));
            Assert.That(first.Sends().Single(), Is.EqualTo(new Send(link, new DirectAck(envelope.Id))));
            Assert.That(again.ReportsOf<PrivateDelivered>(), Is.Empty, "never delivered twice");
            Assert.That(again.ReportsOf<PrivateDuplicate>(), Has.Length.EqualTo(1));
            Assert.That(again.Sends().Single(), Is.EqualTo(new Send(link, new DirectAck(envelope.Id))), "the retry is acknowledged again");
            Assert.That(bench.Messenger.Counts.Delivered, Is.EqualTo(1));
            Assert.That(bench.Messenger.Counts.Duplicates, Is.EqualTo(1));
        });
    }

    [Test]
    public void A_message_relayed_by_a_seed_may_come_from_any_origin_and_is_acknowledged_to_the_seed()
    {
        var bench = new Bench();
        var link = bench.Connect(Seed, NodeRole.Seed);
        var envelope = Envelope(Carol, Self, bench.Now, hops: 2);

        var actions = bench.Receive(link, envelope);

        Assert.That(actions.ReportsOf<PrivateDelivered>().Single().RelayedBy, Is.EqualTo(Seed));
        Assert.That(actions.Sends().Single(), Is.EqualTo(new Send(link, new DirectAck(envelope.Id))));
    }

    private static IEnumerable<TestCaseData> BrokenInput()
    {
        yield return new TestCaseData(Envelope(Bob, Carol, T0), $"a private message for {Carol} reached {Self}").SetName("A private message for someone else closes the link");
        yield return new TestCaseData(Envelope(Carol, Self, T0), $"a private message from {Bob} names {Carol} as its origin").SetName("A private message whose origin is not its sender closes the link");
        yield return new TestCaseData(new GossipMessage(GossipKind.Gossip, Bob, 1, T0.ToUnixTimeMilliseconds(), 1, "x"), "a Gossip envelope (kind 1) on a direct link, which carries private messages only")
            .SetName("A broadcast on a direct link closes it");
        yield return new TestCaseData(new DirectAck(new MessageId(1, 2, 3, 4)), $"a DirectAck for [{new MessageId(1, 2, 3, 4).Short}], which this peer did not send (an acknowledgement for nothing)")
            .SetName("An acknowledgement for nothing from a peer closes the link");
        yield return new TestCaseData(new DeadNode(Carol, 1, Bob), "a direct link does not carry DeadNode").SetName("A frame a direct link does not carry closes it");
    }

    [TestCaseSource(nameof(BrokenInput))]
    public void Broken_input_on_a_direct_link_is_a_violation_that_costs_that_link_only(Message message, string reason)
    {
        var bench = new Bench();
        var link = bench.Connect(Bob, inbound: true);
        var other = bench.Connect(Carol, inbound: true);

        var actions = bench.Receive(link, message);

        Assert.Multiple(() =>
        {
            Assert.That(actions.ReportsOf<ProtocolViolation>().Single().Reason, Is.EqualTo(reason));
            Assert.That(actions.Closes().Single(), Is.EqualTo(new Close(link, reason, AfterFlush: false)));
            Assert.That(actions.ReportsOf<PrivateDelivered>(), Is.Empty);
            Assert.That(actions.SendsOf<DirectAck>(), Is.Empty, "nothing acknowledged");
            Assert.That(bench.Messenger.Owns(link), Is.False);
            Assert.That(bench.Messenger.Owns(other), Is.True, "the other link stays");
        });
    }

    [Test]
    public void Violations_are_logged_at_most_once_a_second_and_every_offending_link_is_closed()
    {
        var bench = new Bench();
        var links = Enumerable.Range(0, 3).Select(i => bench.Connect(PeerAt(20 + i), inbound: true)).ToArray();
        var stray = Envelope(PeerAt(20), Carol, bench.Now);

        var first = bench.Receive(links[0], stray);
        var second = bench.Receive(links[1], stray with { Origin = PeerAt(21) });
        bench.Part.Advance(TimeSpan.FromSeconds(1));
        var third = bench.Receive(links[2], stray with { Origin = PeerAt(22) });

        Assert.Multiple(() =>
        {
            Assert.That(first.ReportsOf<ProtocolViolation>(), Has.Length.EqualTo(1));
            Assert.That(second.ReportsOf<ProtocolViolation>(), Is.Empty, "held back");
            Assert.That(second.Closes().Single().Connection, Is.EqualTo(links[1]), "but closed all the same");
            Assert.That(third.ReportsOf<ProtocolViolation>().Single().Reason, Does.EndWith("(and 1 more direct-link violations within 1 s)"));
        });
    }

    [Test]
    public void An_acknowledgement_from_a_peer_other_than_the_recipient_closes_its_link_and_the_message_stays_pending()
    {
        var bench = new Bench();
        var id = bench.Send(Bob);
        var impostor = bench.Connect(Carol, inbound: true);
        bench.Take();

        var actions = bench.Receive(impostor, new DirectAck(id));

        Assert.That(actions.ReportsOf<ProtocolViolation>().Single().Reason, Does.StartWith($"a DirectAck from {Carol} for private message"));
        Assert.That(bench.Messenger.Counts.Pending, Is.EqualTo(1));
    }

    [Test]
    public void An_acknowledgement_for_nothing_relayed_by_a_seed_is_refused_with_a_rate_limited_line_and_the_link_stays()
    {
        var bench = new Bench();
        var seed = bench.Connect(Seed, NodeRole.Seed);

        var first = bench.Receive(seed, new DirectAck(new MessageId(1, 1, 1, 1)));
        var second = bench.Receive(seed, new DirectAck(new MessageId(2, 2, 2, 2)));
        bench.Part.Advance(TimeSpan.FromSeconds(1));
        var third = bench.Receive(seed, new DirectAck(new MessageId(3, 3, 3, 3)));

        Assert.Multiple(() =>
        {
            Assert.That(first.ReportsOf<PrivateInputRefused>().Single().Reason, Does.Contain("an acknowledgement for nothing"));
            Assert.That(second.ReportsOf<PrivateInputRefused>(), Is.Empty);
            Assert.That(third.ReportsOf<PrivateInputRefused>().Single().HeldBack, Is.EqualTo(1));
            Assert.That(first.Concat(second).Concat(third).Closes(), Is.Empty);
            Assert.That(bench.Messenger.Owns(seed), Is.True);
        });
    }

    [Test]
    public void A_late_acknowledgement_of_a_retry_is_no_violation()
    {
        var bench = new Bench();
        var id = bench.Send(Bob);
        var link = bench.Connect(Bob);
        bench.Receive(link, new DirectAck(id));

        var late = bench.Receive(link, new DirectAck(id));

        Assert.That(late, Is.Empty);
    }

    [Test]
    public void Without_an_acknowledgement_it_retries_waiting_twice_as_long_each_time_then_reports_the_message_undeliverable()
    {
        var bench = new Bench();
        var start = bench.Now;
        var id = bench.Send(Bob);
        var link = bench.Connect(Bob);
        bench.Take();
        var retries = new List<(double At, int Attempt, double Wait)>();
        var transmissions = 1;
        foreach (var at in new[] { 2, 6, 14 })
        {
            Assert.That(bench.Messenger.NextDeadline, Is.EqualTo(start + TimeSpan.FromSeconds(at)));
            var actions = bench.Timer(start + TimeSpan.FromSeconds(at));
            var retry = actions.ReportsOf<PrivateRetrying>().Single();
            retries.Add(((retry.At - start).TotalSeconds, retry.Attempt, retry.Wait.TotalSeconds));
            transmissions += actions.Sends().Count(s => s.Connection == link && s.Message is GossipMessage g && g.Id == id);
        }
        Assert.That(bench.Timer(start + TimeSpan.FromSeconds(29.9)).ReportsOf<PrivateUndeliverable>(), Is.Empty);
        var given = bench.Timer(start + TimeSpan.FromSeconds(30)).ReportsOf<PrivateUndeliverable>().Single();

        Assert.Multiple(() =>
        {
            Assert.That(retries, Is.EqualTo(new[] { (2.0, 2, 4.0), (6.0, 3, 8.0), (14.0, 4, 16.0) }));
            Assert.That(transmissions, Is.EqualTo(4), "each attempt sends the same envelope again on the open link");
            Assert.That((given.Id, given.Recipient, given.Attempts), Is.EqualTo((id, Bob, 4)));
            Assert.That(given.Reason, Is.EqualTo("no acknowledgement after 4 attempts (last: no acknowledgement within 16 s)"));
            Assert.That(bench.Messenger.Counts, Is.EqualTo(new PrivateCounts(Sent: 1, Acknowledged: 0, Undeliverable: 1, Pending: 0, Delivered: 0, Duplicates: 0)));
        });
    }

    [Test]
    public void A_failed_dial_with_no_seed_to_relay_is_said_in_the_retry_line_and_the_recipient_is_dialled_again_once_the_idle_timeout_passed()
    {
        var bench = new Bench(o => o.Attempts = 20);
        var start = bench.Now;
        bench.Send(Bob);
        bench.Take();

        bench.Messenger.OnDialFailed(Bob, "connection refused", bench.Now);
        var retry = bench.Timer(start + TimeSpan.FromSeconds(2));
        bench.Timer(start + TimeSpan.FromSeconds(6));
        bench.Timer(start + TimeSpan.FromSeconds(14));
        var soon = bench.Timer(start + TimeSpan.FromSeconds(30));
        var later = bench.Timer(start + TimeSpan.FromSeconds(62));

        Assert.Multiple(() =>
        {
            Assert.That(retry.ReportsOf<PrivateRetrying>().Single().Reason, Is.EqualTo("cannot dial it (connection refused), and no seed is configured to relay it"));
            Assert.That(retry.DialTargets(), Is.Empty, "within Private:IdleTimeout of the failed dial the recipient counts as not dialable");
            Assert.That(soon.DialTargets(), Is.EqualTo(new[] { Bob }), "30 s on, it is dialled again");
            Assert.That(later.ReportsOf<PrivateRetrying>(), Has.Length.EqualTo(1));
        });
    }

    [Test]
    public void An_acknowledged_message_is_never_retried()
    {
        var bench = new Bench();
        var id = bench.Send(Bob);
        var link = bench.Connect(Bob);
        bench.Receive(link, new DirectAck(id));

        var later = bench.Timer(bench.Now + TimeSpan.FromSeconds(29));

        Assert.That(later.ReportsOf<PrivateRetrying>().Concat<NodeEvent>(later.ReportsOf<PrivateUndeliverable>()), Is.Empty);
        Assert.That(later.Sends(), Is.Empty);
    }

    [Test]
    public void A_direct_link_closes_once_it_carried_nothing_for_the_idle_timeout()
    {
        var bench = new Bench();
        var id = bench.Send(Bob);
        var link = bench.Connect(Bob);
        bench.Part.Advance(TimeSpan.FromSeconds(1));
        bench.Receive(link, new DirectAck(id));
        var lastUsed = bench.Now;

        Assert.That(bench.Messenger.NextDeadline, Is.EqualTo(lastUsed + TimeSpan.FromSeconds(30)));
        Assert.That(bench.Timer(lastUsed + TimeSpan.FromSeconds(29)).Closes(), Is.Empty);
        var closes = bench.Timer(lastUsed + TimeSpan.FromSeconds(30)).Closes();

        Assert.That(closes.Single().Connection, Is.EqualTo(link));
        Assert.That(closes.Single().AfterFlush, Is.True);
        Assert.That(bench.Messenger.OpenLinks, Is.Zero);
        Assert.That(bench.Messenger.NextDeadline, Is.Null, "nothing left to wake for");
    }

    [Test]
    public void A_closed_link_is_forgotten_and_the_next_message_dials_again()
    {
        var bench = new Bench();
        var link = bench.Connect(Bob);
        Assert.That(bench.Messenger.OnClosed(link, "connection reset", bench.Now), Is.True);
        Assert.That(bench.Messenger.OnClosed(new ConnectionId(999), "connection reset", bench.Now), Is.False, "not this part's");

        bench.Send(Bob);

        Assert.That(bench.Take().DialTargets(), Is.EqualTo(new[] { Bob }));
    }

    [Test]
    public void A_message_too_old_to_tell_from_a_replay_is_dropped_unseen_and_not_acknowledged()
    {
        var bench = new Bench();
        var link = bench.Connect(Bob, inbound: true);

        var actions = bench.Receive(link, Envelope(Bob, Self, bench.Now - TimeSpan.FromMinutes(10)));

        Assert.That(actions.ReportsOf<PrivateInputRefused>().Single().Reason, Does.Contain("it may be a replay"));
        Assert.That(actions.ReportsOf<PrivateDelivered>(), Is.Empty);
        Assert.That(actions.Sends(), Is.Empty);
        Assert.That(bench.Messenger.Owns(link), Is.True, "not a violation: the link stays");
    }

    [Test]
    public void Leaving_reports_every_unacknowledged_message_undeliverable_and_closes_the_links()
    {
        var bench = new Bench();
        var link = bench.Connect(Carol, inbound: true);
        bench.Send(Bob);
        bench.Take();

        bench.Messenger.Stop(bench.Now);
        var actions = bench.Take();

        Assert.That(actions.ReportsOf<PrivateUndeliverable>().Single().Reason, Is.EqualTo("this peer is leaving"));
        Assert.That(actions.Closes().Single().Connection, Is.EqualTo(link));
        Assert.That(() => bench.Send(Bob), Throws.InvalidOperationException);
    }

    [Test]
    public void A_message_that_cannot_be_sent_is_refused_at_once()
    {
        var bench = new Bench();

        Assert.Multiple(() =>
        {
            Assert.That(() => bench.Send(Self), Throws.ArgumentException.With.Message.Contains("to itself"));
            Assert.That(() => bench.Send(Bob, new string('x', ProtocolLimits.MaxPayloadBytes + 1)), Throws.ArgumentException.With.Message.Contains("at most 3056"));
            Assert.That(() => bench.Send(Bob, new string('x', PrivateSeal.MaxTextBytes + 1)), Throws.ArgumentException.With.Message.Contains("at most 3056"));
            Assert.That(() => bench.Send(Bob, "\ud800"), Throws.ArgumentException.With.Message.Contains("not valid Unicode"));
            Assert.That(bench.Take(), Is.Empty);
        });
    }

    [Test]
    public void A_seed_that_dials_a_direct_link_is_turned_away()
    {
        var bench = new Bench();

        var link = bench.Connect(Seed, NodeRole.Seed, inbound: true);

        Assert.That(bench.Take().Closes().Single().Connection, Is.EqualTo(link));
        Assert.That(bench.Messenger.Owns(link), Is.False);
    }

    // ---- relay through seeds ----

    private static readonly NodeEndpoint[] ThreeSeeds = Seeds(3);

    [Test]
    public void A_recipient_that_cannot_be_dialled_is_reached_through_a_registered_seed_and_the_acknowledgement_comes_back_that_way()
    {
        var bench = new Bench(seeds: ThreeSeeds, registered: 2);
        bench.Registered.Reverse(); // the seed session's order does not matter: seeds are tried in configured order
        var id = bench.Send(Bob);
        bench.Take();

        bench.Messenger.OnDialFailed(Bob, "connection refused", bench.Now);
        var relaying = bench.Take();
        var seedLink = bench.Connect(SeedAt(1), NodeRole.Seed);
        var handed = bench.Take();
        bench.Part.Advance(TimeSpan.FromMilliseconds(30));
        var acked = bench.Receive(seedLink, new DirectAck(id));

        Assert.Multiple(() =>
        {
            Assert.That(relaying.ReportsOf<PrivateRelaying>().Single().Seed, Is.EqualTo(SeedAt(1)));
            Assert.That(relaying.ReportsOf<PrivateRelaying>().Single().Reason, Is.EqualTo("cannot dial it (connection refused)"));
            Assert.That(relaying.OfType<Dial>().Single(), Is.EqualTo(new Dial(SeedAt(1), LinkPurpose.Direct)));
            Assert.That(handed.Sends().Single().Connection, Is.EqualTo(seedLink));
            Assert.That(((GossipMessage)handed.Sends().Single().Message).Hops, Is.EqualTo(1), "handed over unchanged; the seed counts its hop");
            Assert.That(handed.SendsOf<Reserve>(), Is.Empty, "a dialable peer holds no reservation");
            var ack = acked.ReportsOf<PrivateAcknowledged>().Single();
            Assert.That((ack.RelayedBy, ack.Attempts), Is.EqualTo(((NodeEndpoint?)SeedAt(1), 1)));
        });
    }

    [Test]
    public void A_seed_that_refuses_passes_the_message_to_the_next_and_when_all_refuse_the_retry_line_says_why()
    {
        var bench = new Bench(seeds: ThreeSeeds, registered: 1);
        bench.Send(Bob);
        bench.Take();
        bench.Messenger.OnDialFailed(Bob, "connection refused", bench.Now);
        var links = new Dictionary<NodeEndpoint, ConnectionId>();
        var order = new List<NodeEndpoint>();
        var actions = bench.Take();
        for (var i = 0; i < 3; i++)
        {
            var seed = actions.OfType<Dial>().Single().Target;
            order.Add(seed);
            links[seed] = bench.Connect(seed, NodeRole.Seed);
            var envelope = (GossipMessage)bench.Take().Sends().Single().Message;
            actions = bench.Receive(links[seed], new RelayRefused(envelope.Id, i == 1 ? RelayRefusal.UnknownRecipient : RelayRefusal.NoReservation));
        }
        Assert.That(actions.DialTargets(), Is.Empty, "no seed left");
        var retry = bench.Timer(bench.Now + TimeSpan.FromSeconds(2));

        Assert.Multiple(() =>
        {
            Assert.That(order, Is.EqualTo(ThreeSeeds), "the registered seed first, then the others in configured order");
            Assert.That(retry.ReportsOf<PrivateRetrying>().Single().Reason, Is.EqualTo(
                $"cannot dial it (connection refused), and no seed relays it ({SeedAt(1)}: the recipient holds no reservation there; " +
                $"{SeedAt(2)}: the recipient is unknown there; {SeedAt(3)}: the recipient holds no reservation there)"));
            Assert.That(retry.Sends().Select(s => s.Connection), Is.EqualTo(new[] { links[SeedAt(1)] }), "the next attempt goes to the first seed again, over its open link");
        });
    }

    [Test]
    public void A_refusal_of_an_earlier_attempts_copy_does_not_move_the_attempt_under_way()
    {
        var bench = new Bench(seeds: ThreeSeeds, registered: 1);
        var id = bench.Send(Bob);
        bench.Messenger.OnDialFailed(Bob, "connection refused", bench.Now);
        bench.Take();
        bench.Connect(SeedAt(1), NodeRole.Seed);
        bench.Take();

        var stale = bench.Receive(bench.Connect(SeedAt(2), NodeRole.Seed), new RelayRefused(id, RelayRefusal.NoReservation));

        Assert.That(stale.Sends(), Is.Empty);
        Assert.That(stale.ReportsOf<PrivateInputRefused>(), Is.Empty);
    }

    [Test]
    public void A_refusal_from_a_peer_is_a_violation()
    {
        var bench = new Bench(seeds: ThreeSeeds);
        var link = bench.Connect(Bob, inbound: true);

        var actions = bench.Receive(link, new RelayRefused(new MessageId(1, 1, 1, 1), RelayRefusal.NoReservation));

        Assert.That(actions.ReportsOf<ProtocolViolation>().Single().Reason, Is.EqualTo("a RelayRefused from a peer (only a seed relays)"));
    }

    [Test]
    public void A_refusal_for_nothing_from_a_seed_is_refused_and_the_link_stays()
    {
        var bench = new Bench(seeds: ThreeSeeds);
        var link = bench.Connect(SeedAt(1), NodeRole.Seed);

        var actions = bench.Receive(link, new RelayRefused(new MessageId(1, 1, 1, 1), RelayRefusal.NoReservation));

        Assert.That(actions.ReportsOf<PrivateInputRefused>().Single().Reason, Does.Contain("which this peer did not hand it"));
        Assert.That(actions.Closes(), Is.Empty);
    }

    // ---- reservations of a peer that cannot be dialled ----

    [Test]
    public void A_peer_that_cannot_be_dialled_reserves_with_every_registered_seed_and_keeps_the_links_open()
    {
        var bench = new Bench(seeds: ThreeSeeds, registered: 2, dialable: false);

        bench.Messenger.OnSeedsLearned(bench.Now);
        var dials = bench.Take().OfType<Dial>().ToArray();
        var one = bench.Connect(SeedAt(1), NodeRole.Seed);
        var two = bench.Connect(SeedAt(2), NodeRole.Seed);
        var reserved = bench.Take();
        var pings = bench.Timer(bench.Now + QuietShortIntervals().LivenessInterval);
        var muchLater = bench.Timer(bench.Now + TimeSpan.FromMinutes(5));

        Assert.Multiple(() =>
        {
            Assert.That(dials, Is.EqualTo(new[] { new Dial(SeedAt(1), LinkPurpose.Direct), new Dial(SeedAt(2), LinkPurpose.Direct) }));
            Assert.That(reserved.SendsOf<Reserve>().Select(s => s.Connection), Is.EqualTo(new[] { one, two }));
            Assert.That(reserved.ReportsOf<ReservationHeld>().Select(h => h.Seed), Is.EqualTo(new[] { SeedAt(1), SeedAt(2) }));
            Assert.That(bench.Messenger.ReservedWith, Is.EquivalentTo(new[] { SeedAt(1), SeedAt(2) }));
            Assert.That(pings.SendsOf<Ping>().Select(s => s.Connection), Is.EquivalentTo(new[] { one, two }), "pinged every liveness interval");
            Assert.That(muchLater.Closes(), Is.Empty, "a reservation link is never closed for idleness");
        });
    }

    [Test]
    public void A_reservation_whose_link_closes_is_made_again_after_the_retry_interval()
    {
        var bench = new Bench(seeds: ThreeSeeds, registered: 1, dialable: false);
        bench.Messenger.OnSeedsLearned(bench.Now);
        var link = bench.Connect(SeedAt(1), NodeRole.Seed);
        bench.Take();

        bench.Messenger.OnClosed(link, "connection reset", bench.Now);
        var lost = bench.Take().ReportsOf<ReservationLost>().Single();
        var early = bench.Timer(bench.Now + TimeSpan.FromSeconds(1));
        var again = bench.Timer(lost.RetryAt);
        bench.Messenger.OnDialFailed(SeedAt(1), "connection refused", bench.Now);
        var backoff = bench.Take().ReportsOf<ReservationLost>().Single();

        Assert.Multiple(() =>
        {
            Assert.That(lost.RetryAt - lost.At, Is.EqualTo(QuietShortIntervals().RetryInterval));
            Assert.That(early.DialTargets(), Is.Empty);
            Assert.That(again.OfType<Dial>().Single(), Is.EqualTo(new Dial(SeedAt(1), LinkPurpose.Direct)));
            Assert.That(backoff.RetryAt - backoff.At, Is.EqualTo(QuietShortIntervals().RetryInterval * 2), "doubling");
        });
    }

    [Test]
    public void A_seed_checking_over_the_reservation_gets_its_pong()
    {
        var bench = new Bench(seeds: ThreeSeeds, registered: 1, dialable: false);
        bench.Messenger.OnSeedsLearned(bench.Now);
        var link = bench.Connect(SeedAt(1), NodeRole.Seed);
        bench.Take();

        var answer = bench.Receive(link, new Ping(77));

        Assert.That(answer.Sends().Single(), Is.EqualTo(new Send(link, new Pong(77))));
    }

    [Test]
    public void A_dialable_peer_makes_no_reservation()
    {
        var bench = new Bench(seeds: ThreeSeeds, registered: 2);

        bench.Messenger.OnSeedsLearned(bench.Now);

        Assert.That(bench.Take(), Is.Empty);
        Assert.That(bench.Messenger.NextDeadline, Is.Null);
    }
}
