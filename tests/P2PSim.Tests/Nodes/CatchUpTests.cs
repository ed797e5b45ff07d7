using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>Catch-up (anti-entropy): Digest and Want on every new or re-established neighbour link.</summary>
[TestFixture]
public sealed class CatchUpTests
{
    private const string TextA = "1740830400000:127.0.0.1:10002:1";
    private const string TextB = "1740830400000:127.0.0.1:10003:1";
    private const string TextC = "1740830400000:127.0.0.1:10004:1";

    private static MessageId Id(string text) => TestGossip.IdOf(text);

    /// <summary>PeerAt(1), quiet, connected to PeerAt(2) and PeerAt(3).</summary>
    private static MachineProbe<PeerMachine> Peer(Action<PeerOptions>? tweak = null) =>
        PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3), QuietShortIntervals(o =>
        {
            o.ReregisterInterval = TimeSpan.Zero;
            tweak?.Invoke(o);
        }));

    [Test]
    public void A_new_link_carries_a_digest_of_the_recent_messages_oldest_first()
    {
        var peer = Peer();
        peer.Receive(PeerAt(2), TestGossip.Of(TextA, 1));
        peer.Now += TimeSpan.FromSeconds(1);
        peer.Receive(PeerAt(3), TestGossip.Of(TextB, 2));
        peer.Take();

        var inbound = peer.ConnectPeer(PeerAt(4), inbound: true);
        var actions = peer.Take();

        Assert.That(actions.Sends(), Is.EqualTo(new[] { new Send(inbound, new Digest([Id(TextA), Id(TextB)])) }));
    }

    [Test]
    public void A_re_established_link_carries_a_digest_too()
    {
        var peer = Peer();
        peer.Receive(PeerAt(2), TestGossip.Of(TextA, 1));
        peer.Closed(PeerAt(3));
        peer.Take();

        var again = peer.ConnectPeer(PeerAt(3));
        var actions = peer.Take();

        Assert.That(actions.ReportsOf<NeighbourConnected>().Single().Reconnected, Is.True);
        Assert.That(actions.Sends(), Is.EqualTo(new[] { new Send(again, new Digest([Id(TextA)])) }));
    }

    [Test]
    public void With_nothing_recent_no_digest_is_sent()
    {
        var peer = Peer();

        peer.ConnectPeer(PeerAt(4), inbound: true);

        Assert.That(peer.Take().Sends(), Is.Empty);
    }

    [Test]
    public void A_digest_is_answered_with_a_want_for_the_unseen_ids_only()
    {
        var peer = Peer();
        peer.Receive(PeerAt(3), TestGossip.Of(TextA, 2));
        peer.Take();

        peer.Receive(PeerAt(2), new Digest([Id(TextA), Id(TextB), Id(TextC)]));
        var actions = peer.Take();

        Assert.That(actions.Sends(), Is.EqualTo(new[] { new Send(peer.Connections[PeerAt(2)], new Want([Id(TextB), Id(TextC)])) }));
        Assert.That(actions.ReportsOf<CatchUpRequested>().Single(), Is.EqualTo(new CatchUpRequested(T0, PeerAt(2), 3, 2)));
    }

    [Test]
    public void A_digest_of_messages_all_seen_asks_for_nothing()
    {
        var peer = Peer();
        peer.Receive(PeerAt(3), TestGossip.Of(TextA, 2));
        peer.Take();

        peer.Receive(PeerAt(2), new Digest([Id(TextA)]));
        var actions = peer.Take();

        Assert.That(actions.Sends(), Is.Empty);
        Assert.That(actions.ReportsOf<CatchUpRequested>().Single().Wanted, Is.Zero);
    }

    [Test]
    public void A_want_is_answered_with_the_messages_still_held_one_hop_further_on()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3), ShortIntervals(o => o.ReregisterInterval = TimeSpan.Zero));
        var own = peer.TimerAt(T0 + TimeSpan.FromSeconds(1)).ReportsOf<GossipOriginated>().Single().Text;
        peer.Receive(PeerAt(2), TestGossip.Of(TextA, 3));
        peer.Take();

        peer.Receive(PeerAt(3), new Want([Id(own), Id(TextA), Id(TextC), Id(own)]));
        var actions = peer.Take();

        var to3 = peer.Connections[PeerAt(3)];
        Assert.That(actions.Sends(), Is.EqualTo(new[]
        {
            new Send(to3, TestGossip.Of(own, 1)),
            new Send(to3, TestGossip.Of(TextA, 4)),
        }), "each held message once; the unknown one is skipped");
        Assert.That(actions.ReportsOf<CatchUpServed>().Single(), Is.EqualTo(new CatchUpServed(T0 + TimeSpan.FromSeconds(1), PeerAt(3), 4, 2)));
    }

    [Test]
    public void A_signed_message_is_forwarded_and_served_whole_signature_included()
    {
        var peer = Peer();
        var signed = TestGossip.Of(TextA, 2) with { Signature = [.. Enumerable.Range(0, 64).Select(i => (byte)i)] };
        var to3 = peer.Connections[PeerAt(3)];

        peer.Receive(PeerAt(2), signed);
        var forwarded = peer.Take();
        peer.Receive(PeerAt(3), new Want([Id(TextA)]));
        var served = peer.Take();

        Assert.That(forwarded.Sends(), Is.EqualTo(new[] { new Send(to3, signed with { Hops = 3 }) }));
        Assert.That(served.Sends(), Is.EqualTo(new[] { new Send(to3, signed with { Hops = 3 }) }));
    }

    [Test]
    public void A_message_obtained_by_catch_up_is_a_first_receipt_recorded_and_forwarded_to_the_other_neighbours()
    {
        var peer = Peer();
        peer.Receive(PeerAt(2), new Digest([Id(TextA)]));
        peer.Take();

        peer.Receive(PeerAt(2), TestGossip.Of(TextA, 2));
        var actions = peer.Take();

        var received = actions.ReportsOf<GossipReceived>().Single();
        Assert.That(received, Is.EqualTo(new GossipReceived(T0, TextA, Id(TextA), Origin: PeerAt(2), From: PeerAt(2), 2, 1, CatchUp: true)));
        Assert.That(actions.Sends(), Is.EqualTo(new[] { new Send(peer.Connections[PeerAt(3)], TestGossip.Of(TextA, 3)) }));
        Assert.That(peer.Machine.Received, Is.EqualTo(1));
        Assert.That(peer.Machine.History.TryGet(Id(TextA), out _), Is.True, "and offered on in later digests");
    }

    [Test]
    public void A_message_is_not_forwarded_to_a_neighbour_whose_fresh_digest_offered_it()
    {
        var peer = Peer();
        peer.Receive(PeerAt(2), new Digest([Id(TextA), Id(TextB)]));
        peer.Receive(PeerAt(3), new Digest([Id(TextA), Id(TextB)]));
        peer.Take();

        peer.Receive(PeerAt(2), TestGossip.Of(TextA, 2));
        var caughtUp = peer.Take();
        peer.Now += QuietShortIntervals().LivenessInterval;
        peer.Receive(PeerAt(2), TestGossip.Of(TextB, 2));
        var later = peer.Take();

        Assert.That(caughtUp.Sends(), Is.Empty, "PeerAt(3) said it holds it");
        Assert.That(caughtUp.ReportsOf<GossipReceived>().Single().ForwardedTo, Is.Zero);
        Assert.That(later.Sends(), Is.EqualTo(new[] { new Send(peer.Connections[PeerAt(3)], TestGossip.Of(TextB, 3)) }), "a digest is trusted for one liveness interval only");
    }

    [Test]
    public void An_id_asked_of_one_neighbour_is_not_asked_of_another_until_that_request_lapses()
    {
        var peer = Peer();
        var lapse = QuietShortIntervals().LivenessInterval;

        peer.Receive(PeerAt(2), new Digest([Id(TextA)]));
        var first = peer.Take();
        peer.Receive(PeerAt(3), new Digest([Id(TextA), Id(TextB)]));
        var second = peer.Take();
        peer.Now += lapse;
        peer.Receive(PeerAt(3), new Digest([Id(TextA)]));
        var third = peer.Take();

        Assert.That(first.SendsOf<Want>().Single().Message, Is.EqualTo(new Want([Id(TextA)])));
        Assert.That(second.SendsOf<Want>().Single().Message, Is.EqualTo(new Want([Id(TextB)])));
        Assert.That(third.SendsOf<Want>().Single(), Is.EqualTo(new Send(peer.Connections[PeerAt(3)], new Want([Id(TextA)]))), "PeerAt(2) never delivered");
    }

    [Test]
    public void Messages_older_than_the_history_window_are_neither_offered_nor_sent()
    {
        var window = TimeSpan.FromSeconds(5);
        var peer = Peer(o => o.HistoryWindow = window);
        peer.Receive(PeerAt(2), TestGossip.Of(TextA, 1));
        peer.Now += TimeSpan.FromSeconds(2);
        peer.Receive(PeerAt(2), TestGossip.Of(TextB, 2));
        peer.Take();

        peer.Now = T0 + window;
        var fresh = peer.ConnectPeer(PeerAt(4), inbound: true);
        var offered = peer.Take();
        peer.Receive(fresh, new Want([Id(TextA), Id(TextB)]));
        var served = peer.Take();

        Assert.That(offered.Sends(), Is.EqualTo(new[] { new Send(fresh, new Digest([Id(TextB)])) }));
        Assert.That(served.Sends(), Is.EqualTo(new[] { new Send(fresh, TestGossip.Of(TextB, 3)) }));
    }

    [Test]
    public void A_quiet_peer_serves_nothing_older_than_the_history_window_and_lets_it_go()
    {
        var window = TimeSpan.FromSeconds(5);
        var peer = Peer(o => o.HistoryWindow = window);
        var fresh = peer.ConnectPeer(PeerAt(4), inbound: true);
        peer.Receive(PeerAt(2), TestGossip.Of(TextA, 1));
        peer.Take();

        // Nothing new arrives and no digest is built: only the node's timer and the Want itself see the time.
        peer.Now = T0 + window;
        peer.Receive(fresh, new Want([Id(TextA)]));
        var served = peer.Take();

        Assert.That(served.Sends(), Is.Empty, "a message older than the window is not served");
        Assert.That(peer.Machine.History.Count, Is.Zero, "nor held");
    }

    [Test]
    public void With_a_zero_history_window_no_digest_is_offered_and_nothing_is_served()
    {
        var peer = Peer(o => o.HistoryWindow = TimeSpan.Zero);
        peer.Receive(PeerAt(2), TestGossip.Of(TextA, 1));
        peer.Take();

        var fresh = peer.ConnectPeer(PeerAt(4), inbound: true);
        var offered = peer.Take();
        peer.Receive(fresh, new Want([Id(TextA)]));
        var served = peer.Take();

        Assert.That(offered.Sends(), Is.Empty);
        Assert.That(served.Sends(), Is.Empty);
    }

    [Test]
    public void A_digest_or_want_from_a_seed_connection_is_a_violation()
    {
        var peer = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), [SeedAt(1)], QuietShortIntervals()), T0);
        peer.Start();
        peer.ConnectSeed(SeedAt(1));
        peer.Take();

        peer.Receive(SeedAt(1), new Digest([Id(TextA)]));

        Assert.That(peer.Take().ReportsOf<ProtocolViolation>().Single().Reason, Does.Contain("Digest"));
    }

    // ---- on the in-memory wire ----

    private static PeerOptions WireOptions(Action<PeerOptions>? tweak = null) => ShortIntervals(o =>
    {
        o.MaxNeighbours = 2;
        o.MinNeighbours = 2;
        o.MessagesPerPeer = 3;
        o.GossipInterval = TimeSpan.FromSeconds(1);
        tweak?.Invoke(o);
    });

    private static (MachineHarness Net, PeerMachine[] Peers) Network(int peerCount, PeerOptions options, int randomSeed = 11)
    {
        var net = new MachineHarness(T0);
        foreach (var (seed, i) in Seeds(2).Select((s, i) => (s, i)))
        {
            net.Add(NewSeed(seed, randomSeed + i));
        }
        var peers = new List<PeerMachine>();
        for (var i = 1; i <= peerCount; i++)
        {
            var peer = net.Add(NewPeer(PeerAt(i), Seeds(2), options, (randomSeed * 100) + i));
            net.Start(peer);
            peers.Add(peer);
            net.AdvanceBy(TimeSpan.FromMilliseconds(20));
        }
        return (net, peers.ToArray());
    }

    /// <summary>Every peer got every message it did not originate exactly once (first receipts; duplicates are dropped).</summary>
    private static void AssertEveryoneHasEverythingOnce(MachineHarness net, IEnumerable<PeerMachine> peers, MessageId[] messages)
    {
        foreach (var peer in peers)
        {
            var own = net.EventsOf<GossipOriginated>(peer.Self).Select(o => o.Id).ToHashSet();
            var received = net.EventsOf<GossipReceived>(peer.Self).Select(r => r.Id).ToArray();
            Assert.That(received, Is.Unique, $"{peer.Self} logged a message twice");
            Assert.That(received.Concat(own), Is.EquivalentTo(messages), $"{peer.Self} has every message");
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void A_late_joiner_catches_up_on_every_message_of_the_window_exactly_once(int randomSeed)
    {
        var (net, peers) = Network(6, WireOptions(), randomSeed);
        net.AdvanceBy(TimeSpan.FromSeconds(10));
        var sent = net.EventsOf<GossipOriginated>().Select(o => o.Event.Id).ToArray();
        Assert.That(sent, Has.Length.EqualTo(18));

        var late = net.Add(NewPeer(PeerAt(50), Seeds(2), WireOptions(o => o.MessagesPerPeer = 0), randomSeed));
        net.Start(late);
        net.AdvanceBy(TimeSpan.FromSeconds(5));

        var caughtUp = net.EventsOf<GossipReceived>(late.Self).ToArray();
        Assert.That(caughtUp.Select(r => r.Id), Is.EquivalentTo(sent), "everything, exactly once");
        Assert.That(caughtUp.Select(r => r.CatchUp), Is.All.True);
        Assert.That(caughtUp.Select(r => r.At), Is.All.EqualTo(net.EventsOf<NeighbourConnected>(late.Self).First().At), "at once, on connecting");
        AssertEveryoneHasEverythingOnce(net, [.. peers, late], sent);
    }

    [Test]
    public void A_late_joiner_gets_only_the_messages_still_inside_the_history_window()
    {
        var window = TimeSpan.FromSeconds(20);
        var (net, peers) = Network(5, WireOptions(o => o.HistoryWindow = window));
        net.AdvanceBy(TimeSpan.FromSeconds(10));
        var old = net.EventsOf<GossipOriginated>().Select(o => o.Event.Id).ToArray();
        net.AdvanceBy(TimeSpan.FromSeconds(15));
        var recent = peers.Take(2).Select(p => net.Act(p, (m, now) => m.Publish(now))).ToArray();
        net.AdvanceBy(window - TimeSpan.FromSeconds(5));

        var late = net.Add(NewPeer(PeerAt(50), Seeds(2), WireOptions(o => o.MessagesPerPeer = 0)));
        net.Start(late);
        net.AdvanceBy(TimeSpan.FromSeconds(5));

        Assert.That(old, Has.Length.EqualTo(15));
        Assert.That(net.EventsOf<GossipReceived>(late.Self).Select(r => r.Id), Is.EquivalentTo(recent));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void After_a_partition_heals_everyone_ends_with_every_message_exactly_once(int randomSeed)
    {
        var options = WireOptions(o => o.MessagesPerPeer = 0);
        var (net, peers) = Network(8, options, randomSeed);
        net.AdvanceBy(TimeSpan.FromSeconds(2));
        var sideA = peers.Take(4).ToArray();
        var sideB = peers.Skip(4).ToArray();

        // Split the overlay (the seeds stay reachable from both halves), publish on both sides, heal before anyone is declared dead.
        net.Partition(sideA.Select(p => p.Self), sideB.Select(p => p.Self));
        Assert.That(peers.SelectMany(p => p.ConnectedNeighbours.Select(n => (p, n))).Where(x => sideA.Contains(x.p) != sideA.Any(a => a.Self == x.n)), Is.Empty, "no link crosses the cut");
        var published = new List<MessageId>();
        foreach (var peer in peers)
        {
            published.Add(net.Act(peer, (m, now) => m.Publish(now)));
            net.AdvanceBy(TimeSpan.FromMilliseconds(100));
        }
        foreach (var peer in sideA)
        {
            var seen = net.EventsOf<GossipReceived>(peer.Self).Select(r => r.Id).ToHashSet();
            Assert.That(sideB.Select(b => published[Array.IndexOf(peers, b)]).Where(seen.Contains), Is.Empty, $"{peer.Self} cannot have the other side's messages yet");
        }
        net.AdvanceBy(options.LivenessInterval);
        net.Heal();
        net.AdvanceBy(3 * options.LivenessInterval);

        AssertEveryoneHasEverythingOnce(net, peers, [.. published]);
        Assert.That(net.EventsOf<GossipReceived>().Count(r => r.Event.CatchUp), Is.GreaterThan(0), "the links that came back carried the missed messages");
        Assert.That(net.EventsOf<NeighbourDead>(), Is.Empty);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void After_a_partition_long_enough_for_deaths_the_halves_join_up_again_and_catch_up(int randomSeed)
    {
        var options = WireOptions(o => o.MessagesPerPeer = 0);
        var (net, peers) = Network(8, options, randomSeed);
        net.AdvanceBy(TimeSpan.FromSeconds(2));
        var sideA = peers.Take(4).ToArray();
        var sideB = peers.Skip(4).ToArray();
        var crossing = peers.Sum(p => p.ConnectedNeighbours.Count(n => sideA.Contains(p) != sideA.Any(a => a.Self == n)));
        Assert.That(crossing, Is.GreaterThan(0), "the overlay spans the cut");

        net.Partition(sideA.Select(p => p.Self), sideB.Select(p => p.Self));
        net.AdvanceBy(5 * options.LivenessInterval);
        Assert.That(net.EventsOf<NeighbourDead>(), Is.Not.Empty, "the cross links were declared dead");
        var published = peers.Select(p => net.Act(p, (m, now) => m.Publish(now))).ToArray();
        net.AdvanceBy(options.LivenessInterval);
        net.Heal();
        net.AdvanceBy(8 * options.LivenessInterval);

        Assert.That(net.EventsOf<DeadNodeReceived>().Where(r => r.Event.Removed), Is.Empty, "the seeds reached everyone, so nobody was removed");
        Assert.That(ReachableFrom(peers[0], peers), Has.Count.EqualTo(peers.Length), "one overlay again");
        AssertEveryoneHasEverythingOnce(net, peers, published);
    }

    private static HashSet<NodeEndpoint> ReachableFrom(PeerMachine start, PeerMachine[] peers)
    {
        var bySelf = peers.ToDictionary(p => p.Self);
        var seen = new HashSet<NodeEndpoint> { start.Self };
        var queue = new Queue<NodeEndpoint>(seen);
        while (queue.TryDequeue(out var current))
        {
            foreach (var next in bySelf[current].ConnectedNeighbours.Where(seen.Add))
            {
                queue.Enqueue(next);
            }
        }
        return seen;
    }

    [Test]
    public void A_peer_whose_links_all_broke_for_a_while_gets_what_it_missed_when_they_come_back()
    {
        var options = WireOptions(o => o.MessagesPerPeer = 0);
        var (net, peers) = Network(6, options);
        net.AdvanceBy(TimeSpan.FromSeconds(2));
        var cutOff = peers[2];
        var others = peers.Where(p => p != cutOff).ToArray();

        net.Partition([cutOff.Self], others.Select(p => p.Self));
        var published = others.Select(p => net.Act(p, (m, now) => m.Publish(now))).ToArray();
        net.AdvanceBy(options.LivenessInterval);
        Assert.That(net.EventsOf<GossipReceived>(cutOff.Self), Is.Empty);
        net.Heal();
        net.AdvanceBy(2 * options.LivenessInterval);

        Assert.That(net.EventsOf<GossipReceived>(cutOff.Self).Select(r => r.Id), Is.EquivalentTo(published));
        AssertEveryoneHasEverythingOnce(net, peers, published);
    }
}
