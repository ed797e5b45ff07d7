using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Gossip;

/// <summary>
/// Dissemination alone, for PeerAt(1) over a wired neighbour table (<see cref="DisseminationBench"/>), with liveness
/// every 10 s, a Message List TTL of 10 min and a history window of 1 min: origination, receipt, duplicates, refusals
/// and catch-up, on a scripted clock that starts at T0 (Unix ms 1740830400000).
/// </summary>
[TestFixture]
public sealed class DisseminationTests
{
    private static readonly NodeEndpoint Self = PeerAt(1);

    /// <summary>The origin of the messages this peer receives: no neighbour of it.</summary>
    private static readonly NodeEndpoint Stranger = PeerAt(7);

    private static readonly TimeSpan Interval = QuietShortIntervals().LivenessInterval;
    private static readonly TimeSpan Ttl = QuietShortIntervals().MessageListTtl;
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static DisseminationBench LinkedTo(params NodeEndpoint[] neighbours) => new(QuietShortIntervals(), reportDuplicates: true, neighbours);

    /// <summary>Message <paramref name="number"/> of <see cref="Stranger"/> (a demo text), created at <paramref name="created"/>, as a copy that crossed <paramref name="hops"/> links.</summary>
    private static GossipMessage Message(int number, DateTimeOffset created, ushort hops = 2) =>
        TestGossip.Of(GossipText.Create(created, Stranger, number), hops);

    /// <summary>The links the gossip copies among <paramref name="actions"/> went out on, in order.</summary>
    private static ConnectionId[] CopiesTo(NodeAction[] actions) => actions.SendsOf<GossipMessage>().Select(s => s.Connection).ToArray();

    // Origination

    [Test]
    public void An_originated_message_is_reported_then_sent_once_to_every_connected_neighbour_in_the_tables_order()
    {
        var bench = LinkedTo(Peers(3, 2, 4));
        bench.Now = T0 + (5 * Second);

        var id = bench.Originate();
        var actions = bench.Part.Take();

        var sent = new GossipMessage(GossipKind.Gossip, Self, Sequence: 1, TimestampUnixMs: 1_740_830_405_000, Hops: 1, "1740830405000:127.0.0.1:10001:1");
        Assert.That(actions, Is.EqualTo(new NodeAction[]
        {
            new Report(new GossipOriginated(bench.Now, sent.Text, sent.Id, SentTo: 3)),
            new Send(bench.LinkOf(PeerAt(3)), sent),
            new Send(bench.LinkOf(PeerAt(2)), sent),
            new Send(bench.LinkOf(PeerAt(4)), sent),
        }));
        Assert.That(id, Is.EqualTo(sent.Id));
        Assert.That(bench.Gossip.Originated, Is.EqualTo(1));
        Assert.That(bench.Gossip.Messages.TryGetSender(id, out var first) ? first : PeerAt(9), Is.Null, "seen, from nobody");
        Assert.That(bench.Gossip.History.TryGet(id, out var held) ? held : default, Is.EqualTo(new MessageHistory.Entry(sent, bench.Now)), "kept for catch-up");
    }

    [Test]
    public void Successive_messages_are_numbered_from_1_and_stamped_with_their_own_time()
    {
        var bench = LinkedTo(PeerAt(2));
        var ids = new List<MessageId>();
        for (var k = 0; k < 3; k++)
        {
            bench.Now = T0 + (k * Second);
            ids.Add(bench.Originate());
        }

        var sent = bench.Part.Take().SendsOf<GossipMessage>().Select(s => (GossipMessage)s.Message).ToArray();

        Assert.That(sent.Select(g => (g.Origin, g.Sequence, g.TimestampUnixMs, g.Hops, g.Text)), Is.EqualTo(new[]
        {
            (Self, 1UL, 1_740_830_400_000L, (ushort)1, "1740830400000:127.0.0.1:10001:1"),
            (Self, 2UL, 1_740_830_401_000L, (ushort)1, "1740830401000:127.0.0.1:10001:2"),
            (Self, 3UL, 1_740_830_402_000L, (ushort)1, "1740830402000:127.0.0.1:10001:3"),
        }));
        Assert.That(bench.Gossip.Originated, Is.EqualTo(3));
        Assert.That(bench.Gossip.History.RecentIds(bench.Now, 10), Is.EqualTo(ids), "oldest first");
    }

    // Receipt, duplicates, hops

    [Test]
    public void A_first_receipt_is_forwarded_one_hop_further_to_every_neighbour_but_the_sender_then_reported()
    {
        var bench = LinkedTo(Peers(2, 3, 4));
        var message = Message(1, T0, hops: 2);
        bench.Now = T0 + (2 * Second);

        var actions = bench.GossipFrom(PeerAt(3), message);

        Assert.That(actions, Is.EqualTo(new NodeAction[]
        {
            new Send(bench.LinkOf(PeerAt(2)), message with { Hops = 3 }),
            new Send(bench.LinkOf(PeerAt(4)), message with { Hops = 3 }),
            new Report(new GossipReceived(bench.Now, message.Text, message.Id, Stranger, From: PeerAt(3), Hops: 2, ForwardedTo: 2, CatchUp: false)),
        }));
        Assert.That(bench.Gossip.Received, Is.EqualTo(1));
        Assert.That(bench.Gossip.Messages.TryGetSender(message.Id, out var first) ? first : null, Is.EqualTo(PeerAt(3)));
        Assert.That(bench.Gossip.History.TryGet(message.Id, out var held) ? held : default, Is.EqualTo(new MessageHistory.Entry(message, bench.Now)), "kept as it arrived");
    }

    [Test]
    public void A_duplicate_from_any_neighbour_is_dropped_and_counted_and_reported_only_when_duplicates_are([Values] bool reportDuplicates)
    {
        var bench = new DisseminationBench(QuietShortIntervals(), reportDuplicates, Peers(2, 3, 4));
        var message = Message(1, T0, hops: 2);
        bench.GossipFrom(PeerAt(3), message);
        bench.Now = T0 + Second;

        var again = bench.GossipFrom(PeerAt(3), message);
        var viaAnother = bench.GossipFrom(PeerAt(2), message with { Hops = 5 });

        Assert.That(again, Is.EqualTo(reportDuplicates ? new NodeAction[] { new Report(new DuplicateDropped(bench.Now, message.Id, PeerAt(3))) } : []));
        Assert.That(viaAnother, Is.EqualTo(reportDuplicates ? new NodeAction[] { new Report(new DuplicateDropped(bench.Now, message.Id, PeerAt(2))) } : []));
        Assert.That((bench.Gossip.Received, bench.Gossip.Duplicates), Is.EqualTo((1L, 2L)));
        Assert.That(bench.Gossip.Messages.TryGetSender(message.Id, out var first) ? first : null, Is.EqualTo(PeerAt(3)), "the first receipt stays on record");
    }

    [TestCase(65_534, 65_535)]
    [TestCase(65_535, 65_535)]
    public void Hops_saturate_at_65535_when_a_message_is_forwarded_and_when_it_is_served(int arrived, int onward)
    {
        var bench = LinkedTo(Peers(2, 3));
        var message = Message(1, T0, (ushort)arrived);

        var forwarded = bench.GossipFrom(PeerAt(2), message).Sends();
        var served = bench.WantFrom(PeerAt(3), message.Id).Sends();

        var copy = new Send(bench.LinkOf(PeerAt(3)), message with { Hops = (ushort)onward });
        Assert.That(forwarded, Is.EqualTo(new[] { copy }));
        Assert.That(served, Is.EqualTo(new[] { copy }));
    }

    [Test]
    public void Copies_follow_the_table_a_lost_link_is_skipped_a_re_established_one_included_a_removed_neighbour_gone()
    {
        var bench = LinkedTo(Peers(2, 3, 4));
        var (link2, link4) = (bench.LinkOf(PeerAt(2)), bench.LinkOf(PeerAt(4)));

        bench.LoseLink(PeerAt(3));
        bench.Originate();
        var whileLost = bench.Part.Take();
        bench.Now += Second;
        var relinked = bench.Relink(PeerAt(3));
        bench.Originate();
        var afterRelink = bench.Part.Take();
        bench.Now += Second;
        bench.Table.Table.OnGoodbye(link2, PeerAt(2), bench.Now);
        bench.Originate();
        var afterGoodbye = bench.Part.Take();

        Assert.That(CopiesTo(whileLost), Is.EqualTo(new[] { link2, link4 }));
        Assert.That(whileLost.ReportsOf<GossipOriginated>().Single().SentTo, Is.EqualTo(2));
        Assert.That(CopiesTo(afterRelink), Is.EqualTo(new[] { link2, relinked, link4 }), "in the table's order, on the new link");
        Assert.That(CopiesTo(afterGoodbye), Is.EqualTo(new[] { relinked, link4 }));
        Assert.That(afterGoodbye.ReportsOf<GossipOriginated>().Single().SentTo, Is.EqualTo(2));
    }

    // Envelope rules

    [TestCase(1, 7, TestName = "Hops 1 from its origin")]
    [TestCase(2, 3, TestName = "Hops 2 from another neighbour")]
    [TestCase(2, 7, TestName = "Hops 2 from its origin")]
    [TestCase(65_535, 3, TestName = "Hops 65535 from another neighbour")]
    public void A_copy_that_is_not_hops_1_from_another_than_its_origin_breaks_no_rule(int hops, int sender)
    {
        Assert.That(Dissemination.Violation(PeerAt(sender), Message(1, T0, (ushort)hops)), Is.Null);
    }

    [Test]
    public void A_copy_with_hops_1_from_another_than_its_origin_is_a_violation_naming_both()
    {
        Assert.That(
            Dissemination.Violation(PeerAt(3), Message(1, T0, hops: 1)),
            Is.EqualTo("a Gossip with hops 1 names 127.0.0.1:10007 as its origin but comes from 127.0.0.1:10003"));
    }

    [Test]
    public void A_message_exactly_MessageListTtl_old_is_refused_one_a_millisecond_younger_is_received()
    {
        RefusesTheFirstReceivesTheSecond(
            now: T0 + Ttl,
            refused: Message(1, T0),
            received: Message(2, T0 + Ms),
            reason: "created 600 s ago, longer than Peer:MessageListTtl (00:10:00) remembers: it may be a replay");
    }

    [Test]
    public void A_message_more_than_MaxClockSkew_ahead_is_refused_one_exactly_at_the_skew_is_received()
    {
        RefusesTheFirstReceivesTheSecond(
            now: T0,
            refused: Message(1, T0 + ProtocolLimits.MaxClockSkew + Ms),
            received: Message(2, T0 + ProtocolLimits.MaxClockSkew),
            reason: "created 60.001 s in the future (more than 60 s ahead of this peer's clock)");
    }

    /// <summary>
    /// At <paramref name="now"/>, PeerAt(2) sends <paramref name="refused"/>, then <paramref name="received"/>: the first
    /// is refused for <paramref name="reason"/> (counted, neither recorded nor forwarded), the second received and
    /// forwarded to PeerAt(3).
    /// </summary>
    private static void RefusesTheFirstReceivesTheSecond(DateTimeOffset now, GossipMessage refused, GossipMessage received, string reason)
    {
        var bench = LinkedTo(Peers(2, 3));
        bench.Now = now;

        var refusal = bench.GossipFrom(PeerAt(2), refused);
        var receipt = bench.GossipFrom(PeerAt(2), received);

        Assert.That(refusal, Is.EqualTo(new NodeAction[] { new Report(new GossipRefused(now, refused.Id, Stranger, PeerAt(2), reason)) }));
        Assert.That(bench.Gossip.Messages.Contains(refused.Id) || bench.Gossip.History.TryGet(refused.Id, out _), Is.False, "not recorded");
        Assert.That(receipt.ReportsOf<GossipReceived>().Select(r => r.Id), Is.EqualTo(new[] { received.Id }));
        Assert.That(CopiesTo(receipt), Is.EqualTo(new[] { bench.LinkOf(PeerAt(3)) }));
        Assert.That((bench.Gossip.Refused, bench.Gossip.Received), Is.EqualTo((1L, 1L)));
    }

    // Catch-up: Digest

    [Test]
    public void A_new_link_is_offered_the_ids_of_the_recent_messages_oldest_first()
    {
        var bench = LinkedTo(PeerAt(2));
        var first = bench.Originate();
        bench.Now = T0 + Second;
        var received = Message(1, T0);
        bench.GossipFrom(PeerAt(2), received);
        bench.Now = T0 + (2 * Second);
        var last = bench.Originate();
        bench.Part.Take();

        var link = bench.Table.Connect(PeerAt(3), inbound: true);

        Assert.That(bench.Part.Take().Sends(), Is.EqualTo(new[] { new Send(link, new Digest([first, received.Id, last])) }));
    }

    [TestCase(60, 0, TestName = "Nothing held yet")]
    [TestCase(0, 2, TestName = "HistoryWindow 0")]
    public void A_new_link_gets_no_digest_when_nothing_is_held_for_catch_up(int historyWindowSeconds, int originated)
    {
        var bench = new DisseminationBench(QuietShortIntervals(o => o.HistoryWindow = TimeSpan.FromSeconds(historyWindowSeconds)), reportDuplicates: true);
        for (var k = 0; k < originated; k++)
        {
            bench.Originate();
        }
        bench.Part.Take();

        bench.Table.Connect(PeerAt(2));

        Assert.That(bench.Part.Take().Sends(), Is.Empty);
        Assert.That(bench.Gossip.Messages.Count, Is.EqualTo(originated), "seen all the same");
    }

    [Test]
    public void A_digest_is_answered_with_one_want_of_the_offered_ids_not_seen_yet()
    {
        var bench = LinkedTo(Peers(2, 3));
        var seen = Message(1, T0);
        bench.GossipFrom(PeerAt(2), seen);
        var own = bench.Originate();
        bench.Part.Take();
        var (unseen, alsoUnseen) = (Message(2, T0).Id, Message(3, T0).Id);

        var mixed = bench.DigestFrom(PeerAt(3), unseen, seen.Id, own, alsoUnseen);
        var allSeen = bench.DigestFrom(PeerAt(2), own, seen.Id);

        Assert.That(mixed, Is.EqualTo(new NodeAction[]
        {
            new Send(bench.LinkOf(PeerAt(3)), new Want([unseen, alsoUnseen])),
            new Report(new CatchUpRequested(T0, PeerAt(3), Offered: 4, Wanted: 2)),
        }));
        Assert.That(allSeen, Is.EqualTo(new NodeAction[] { new Report(new CatchUpRequested(T0, PeerAt(2), Offered: 2, Wanted: 0)) }));
    }

    [Test]
    public void An_id_asked_of_one_neighbour_is_asked_of_no_other_for_one_liveness_interval()
    {
        var bench = LinkedTo(Peers(2, 3, 4));
        var (x, y) = (Message(1, T0).Id, Message(2, T0).Id);

        var first = bench.DigestFrom(PeerAt(2), x);
        bench.Now = T0 + Interval - Ms;
        var second = bench.DigestFrom(PeerAt(3), x, y);
        bench.Now = T0 + Interval;
        var third = bench.DigestFrom(PeerAt(4), x, y);

        Assert.That(first.Sends(), Is.EqualTo(new[] { new Send(bench.LinkOf(PeerAt(2)), new Want([x])) }));
        Assert.That(second.Sends(), Is.EqualTo(new[] { new Send(bench.LinkOf(PeerAt(3)), new Want([y])) }));
        Assert.That(second.ReportsOf<CatchUpRequested>(), Is.EqualTo(new[] { new CatchUpRequested(T0 + Interval - Ms, PeerAt(3), Offered: 2, Wanted: 1) }));
        Assert.That(third.Sends(), Is.EqualTo(new[] { new Send(bench.LinkOf(PeerAt(4)), new Want([x])) }), "the request to PeerAt(2) lapsed; y was asked of PeerAt(3) a moment ago");
    }

    [Test]
    public void An_id_asked_of_a_neighbour_whose_link_then_broke_is_asked_again_when_it_offers_it_on_the_new_link()
    {
        var bench = LinkedTo(PeerAt(2));
        var x = Message(1, T0).Id;
        bench.DigestFrom(PeerAt(2), x);
        bench.Now = T0 + (2 * Second);
        var relinked = bench.Relink(PeerAt(2));
        bench.Part.Take();

        var again = bench.DigestFrom(PeerAt(2), x);

        Assert.That(again.Sends(), Is.EqualTo(new[] { new Send(relinked, new Want([x])) }));
    }

    // Catch-up: asking again elsewhere

    [Test]
    public void An_id_asked_of_a_neighbour_whose_link_is_lost_is_asked_at_once_of_another_that_offered_it_meanwhile([Values] bool removed)
    {
        var bench = LinkedTo(Peers(2, 3, 4));
        var (x, y) = (Message(1, T0).Id, Message(2, T0).Id);
        bench.DigestFrom(PeerAt(2), x, y);
        bench.Now = T0 + Second;
        var offeredMeanwhile = bench.DigestFrom(PeerAt(3), x); // the link to PeerAt(2) still looks alive (its crash unnoticed)
        bench.Now = T0 + (2 * Second);

        if (removed)
        {
            bench.Table.Table.OnGoodbye(bench.LinkOf(PeerAt(2)), PeerAt(2), bench.Now);
        }
        else
        {
            bench.LoseLink(PeerAt(2));
        }
        var actions = bench.Part.Take();

        Assert.That(offeredMeanwhile.Sends(), Is.Empty, "x is asked of PeerAt(2) still");
        Assert.That(actions.Sends(), Is.EqualTo(new[] { new Send(bench.LinkOf(PeerAt(3)), new Want([x])) }), "y: nobody else offered it");
        Assert.That(actions.ReportsOf<CatchUpReasked>(), Is.EqualTo(new[] { new CatchUpReasked(bench.Now, PeerAt(3), Wanted: 1, LostWith: PeerAt(2)) }));
    }

    [Test]
    public void Ids_asked_again_of_one_neighbour_go_in_wants_of_at_most_MaxDigestIds()
    {
        var bench = LinkedTo(Peers(2, 3));
        var ids = Enumerable.Range(1, ProtocolLimits.MaxDigestIds + 1).Select(k => Message(k, T0).Id).ToArray();
        var (full, rest) = (ids[..ProtocolLimits.MaxDigestIds], ids[ProtocolLimits.MaxDigestIds..]);
        bench.DigestFrom(PeerAt(2), full);
        bench.DigestFrom(PeerAt(2), rest);
        bench.DigestFrom(PeerAt(3), full);
        bench.DigestFrom(PeerAt(3), rest);

        bench.LoseLink(PeerAt(2));
        var actions = bench.Part.Take();

        Assert.That(actions.SendsOf<Want>().Select(s => ((Want)s.Message).Ids.Count), Is.EqualTo(new[] { ProtocolLimits.MaxDigestIds, 1 }));
        Assert.That(actions.SendsOf<Want>().SelectMany(s => ((Want)s.Message).Ids), Is.EquivalentTo(ids));
        Assert.That(actions.ReportsOf<CatchUpReasked>().Single().Wanted, Is.EqualTo(ids.Length));
    }

    [Test]
    public void An_id_asked_of_a_neighbour_whose_link_is_lost_is_asked_of_the_next_neighbour_that_offers_it()
    {
        var bench = LinkedTo(Peers(2, 3));
        var x = Message(1, T0).Id;
        bench.DigestFrom(PeerAt(2), x);
        bench.Now = T0 + Second;
        bench.LoseLink(PeerAt(2));
        var lost = bench.Part.Take();

        var offered = bench.DigestFrom(PeerAt(3), x);

        Assert.That(lost.Sends(), Is.Empty, "nobody else offered it yet");
        Assert.That(offered.Sends(), Is.EqualTo(new[] { new Send(bench.LinkOf(PeerAt(3)), new Want([x])) }), "well within the interval the request to PeerAt(2) stood for");
    }

    [Test]
    public void An_id_not_delivered_within_one_liveness_interval_is_asked_on_the_liveness_round_of_the_next_neighbour_that_offered_it()
    {
        var bench = LinkedTo(Peers(2, 3, 4));
        var (x, y) = (Message(1, T0).Id, Message(2, T0).Id);
        bench.DigestFrom(PeerAt(2), x, y);
        bench.DigestFrom(PeerAt(3), x);
        bench.DigestFrom(PeerAt(4), x, y);

        bench.Now = T0 + Interval - Ms;
        bench.Gossip.RetryLapsedRequests(bench.Now);
        var early = bench.Part.Take();
        bench.Now = T0 + Interval;
        bench.Gossip.RetryLapsedRequests(bench.Now);
        var lapsed = bench.Part.Take();
        var delivered = bench.GossipFrom(PeerAt(3), Message(1, T0));
        bench.Now = T0 + (2 * Interval);
        bench.Gossip.RetryLapsedRequests(bench.Now);
        var lapsedAgain = bench.Part.Take();
        bench.Now = T0 + (3 * Interval);
        bench.Gossip.RetryLapsedRequests(bench.Now);
        var nobodyLeft = bench.Part.Take();
        var offeredAnew = bench.DigestFrom(PeerAt(3), y);

        Assert.That(early, Is.Empty);
        Assert.That(lapsed, Is.EqualTo(new NodeAction[]
        {
            new Send(bench.LinkOf(PeerAt(3)), new Want([x])),
            new Report(new CatchUpReasked(T0 + Interval, PeerAt(3), Wanted: 1, LostWith: null)),
            new Send(bench.LinkOf(PeerAt(4)), new Want([y])),
            new Report(new CatchUpReasked(T0 + Interval, PeerAt(4), Wanted: 1, LostWith: null)),
        }), "x to the first other neighbour that offered it, y to the only one");
        Assert.That(delivered.ReportsOf<GossipReceived>().Single().CatchUp, Is.True, "from the neighbour asked");
        Assert.That(lapsedAgain, Is.Empty, "y: every neighbour that offered it was asked; it waits for the next digest");
        Assert.That(nobodyLeft, Is.Empty);
        Assert.That(offeredAnew.Sends(), Is.EqualTo(new[] { new Send(bench.LinkOf(PeerAt(3)), new Want([y])) }));
    }

    [Test]
    public void An_id_is_asked_of_at_most_MaxAsks_neighbours_in_turn_until_a_new_digest_offers_it()
    {
        var neighbours = Peers(2, 3, 4, 5, 6);
        var bench = LinkedTo(neighbours);
        var x = Message(1, T0).Id;
        foreach (var neighbour in neighbours)
        {
            bench.DigestFrom(neighbour, x);
        }

        var asked = new List<NodeEndpoint>();
        for (var round = 1; round <= neighbours.Length; round++)
        {
            bench.Now = T0 + (round * Interval);
            bench.Gossip.RetryLapsedRequests(bench.Now);
            asked.AddRange(bench.Part.Take().ReportsOf<CatchUpReasked>().Select(r => r.Neighbour));
        }

        Assert.That(Dissemination.MaxAsks, Is.EqualTo(4));
        Assert.That(asked, Is.EqualTo(Peers(3, 4, 5)), "PeerAt(2) first, by its digest; then three more; PeerAt(6) never");
    }

    [Test]
    public void Nothing_is_asked_of_two_neighbours_at_once_nor_twice_of_the_same_one()
    {
        var bench = LinkedTo(Peers(2, 3, 4));
        var x = Message(1, T0).Id;

        var first = bench.DigestFrom(PeerAt(2), x, x);
        var offered = bench.DigestFrom(PeerAt(3), x, x);
        var offeredAgain = bench.DigestFrom(PeerAt(3), x); // a second digest, as on a crossed connection
        bench.Now = T0 + Second;
        var relinked = bench.Relink(PeerAt(4)); // PeerAt(4) never offered it
        bench.LoseLink(PeerAt(2));
        var lost = bench.Part.Take();
        var offeredLater = bench.DigestFrom(PeerAt(4), x);
        bench.Now = T0 + Second + Interval;
        bench.Gossip.RetryLapsedRequests(bench.Now);
        var lapsed = bench.Part.Take();

        Assert.That(first.Sends(), Is.EqualTo(new[] { new Send(bench.LinkOf(PeerAt(2)), new Want([x])) }), "once, though listed twice");
        Assert.That(offered.Sends().Concat(offeredAgain.Sends()), Is.Empty);
        Assert.That(lost.Sends(), Is.EqualTo(new[] { new Send(bench.LinkOf(PeerAt(3)), new Want([x])) }), "of PeerAt(3), once, though it offered it three times");
        Assert.That(offeredLater.Sends(), Is.Empty, "asked of PeerAt(3) now");
        Assert.That(lapsed.Sends(), Is.EqualTo(new[] { new Send(relinked, new Want([x])) }), "PeerAt(3) is not asked again: PeerAt(4) is next");
    }

    [Test]
    public void A_neighbour_whose_link_was_lost_is_not_asked_for_what_it_offered_on_that_link()
    {
        var bench = LinkedTo(Peers(2, 3));
        var x = Message(1, T0).Id;
        bench.DigestFrom(PeerAt(2), x);
        bench.DigestFrom(PeerAt(3), x);
        bench.Now = T0 + Second;
        bench.LoseLink(PeerAt(3));
        bench.Now = T0 + (2 * Second);
        bench.Table.Connect(PeerAt(3));
        bench.Part.Take();

        bench.Now = T0 + Interval;
        bench.Gossip.RetryLapsedRequests(bench.Now);

        Assert.That(bench.Part.Take(), Is.Empty, "its offer went with the link; its new link brought no digest offering x");
    }

    [Test]
    public void A_leaving_peer_asks_nobody_again_as_its_links_go()
    {
        var bench = LinkedTo(Peers(2, 3));
        var x = Message(1, T0).Id;
        bench.DigestFrom(PeerAt(2), x);
        bench.DigestFrom(PeerAt(3), x);

        bench.Gossip.Stop();
        bench.Table.Table.Leave(bench.Now);

        Assert.That(bench.Part.Take().SendsOf<Want>(), Is.Empty);
    }

    // Catch-up: Want

    [Test]
    public void A_want_is_answered_with_the_held_messages_once_each_own_ones_with_hops_1_others_one_hop_further_signature_kept()
    {
        var bench = LinkedTo(Peers(2, 3));
        var signed = Message(1, T0, hops: 4) with { Signature = Enumerable.Repeat((byte)0xA5, ProtocolLimits.SignatureSize).ToArray() };
        bench.GossipFrom(PeerAt(2), signed);
        var own = bench.Originate();
        bench.Part.Take();
        var unknown = Message(2, T0).Id;

        var actions = bench.WantFrom(PeerAt(3), signed.Id, unknown, own, signed.Id);

        var ownMessage = new GossipMessage(GossipKind.Gossip, Self, Sequence: 1, TimestampUnixMs: 1_740_830_400_000, Hops: 1, "1740830400000:127.0.0.1:10001:1");
        Assert.That(actions, Is.EqualTo(new NodeAction[]
        {
            new Send(bench.LinkOf(PeerAt(3)), signed with { Hops = 5 }),
            new Send(bench.LinkOf(PeerAt(3)), ownMessage),
            new Report(new CatchUpServed(T0, PeerAt(3), Requested: 4, Sent: 2)),
        }));
        Assert.That(((GossipMessage)((Send)actions[0]).Message).Signature, Is.EqualTo(signed.Signature), "the signature travels unchanged");
    }

    [Test]
    public void A_message_is_reported_as_caught_up_only_when_the_neighbour_asked_for_it_delivers_it()
    {
        var bench = LinkedTo(Peers(2, 3, 4));
        var (x, y) = (Message(1, T0), Message(2, T0));
        bench.DigestFrom(PeerAt(3), x.Id, y.Id);

        var fromAsked = bench.GossipFrom(PeerAt(3), x);
        var fromAnother = bench.GossipFrom(PeerAt(2), y);

        Assert.That(fromAsked.ReportsOf<GossipReceived>(), Is.EqualTo(new[] { new GossipReceived(T0, x.Text, x.Id, Stranger, PeerAt(3), Hops: 2, ForwardedTo: 2, CatchUp: true) }));
        Assert.That(fromAnother.ReportsOf<GossipReceived>(), Is.EqualTo(new[] { new GossipReceived(T0, y.Text, y.Id, Stranger, PeerAt(2), Hops: 2, ForwardedTo: 1, CatchUp: false) }));
        Assert.That(CopiesTo(fromAnother), Is.EqualTo(new[] { bench.LinkOf(PeerAt(4)) }), "PeerAt(3) offered it");
    }

    // Catch-up: what a digest says about forwarding

    [Test]
    public void A_neighbours_fresh_digest_spares_it_the_messages_it_listed_for_one_liveness_interval([Values] bool staleOffersForgotten)
    {
        var bench = LinkedTo(Peers(2, 3, 4));
        var (listed, unlisted, listedToo) = (Message(1, T0), Message(2, T0), Message(3, T0));
        bench.DigestFrom(PeerAt(4), listed.Id, listedToo.Id);
        bench.Now = T0 + Second;
        bench.DigestFrom(PeerAt(3), Message(4, T0).Id); // a later digest: some neighbour's still holds at T0 + Interval
        var (link3, link4) = (bench.LinkOf(PeerAt(3)), bench.LinkOf(PeerAt(4)));

        bench.Now = T0 + Interval - Ms;
        var whileFresh = bench.GossipFrom(PeerAt(2), listed);
        var notListed = bench.GossipFrom(PeerAt(2), unlisted);
        bench.Now = T0 + Interval;
        if (staleOffersForgotten)
        {
            bench.Gossip.ForgetStaleOffers(bench.Now); // the liveness round; it may come later
        }
        var onceStale = bench.GossipFrom(PeerAt(2), listedToo);

        Assert.That(CopiesTo(whileFresh), Is.EqualTo(new[] { link3 }));
        Assert.That(whileFresh.ReportsOf<GossipReceived>().Single().ForwardedTo, Is.EqualTo(1));
        Assert.That(CopiesTo(notListed), Is.EqualTo(new[] { link3, link4 }));
        Assert.That(CopiesTo(onceStale), Is.EqualTo(new[] { link3, link4 }));
    }

    [Test]
    public void A_re_established_link_voids_what_the_neighbour_offered_on_the_old_one()
    {
        var bench = LinkedTo(Peers(2, 3));
        var message = Message(1, T0);
        bench.DigestFrom(PeerAt(3), message.Id);
        bench.Now = T0 + Second;
        var relinked = bench.Relink(PeerAt(3));
        bench.Part.Take();

        var actions = bench.GossipFrom(PeerAt(2), message);

        Assert.That(CopiesTo(actions), Is.EqualTo(new[] { relinked }));
    }

    [Test]
    public void A_digest_on_a_link_the_neighbour_no_longer_uses_is_answered_but_spares_it_nothing()
    {
        var bench = LinkedTo(PeerAt(2));
        var theirs = bench.Table.Connect(PeerAt(3), inbound: true);
        var own = bench.Table.Connect(PeerAt(3)); // crossed: PeerAt(1) is the smaller end, its own dial replaces the other
        bench.Part.Take();
        var message = Message(1, T0);

        bench.Gossip.OnDigest(theirs, PeerAt(3), new Digest([message.Id]), bench.Now);
        var answer = bench.Part.Take();
        var actions = bench.GossipFrom(PeerAt(2), message);

        Assert.That(answer.Sends(), Is.EqualTo(new[] { new Send(theirs, new Want([message.Id])) }));
        Assert.That(CopiesTo(actions), Is.EqualTo(new[] { own }));
    }

    // Expiry

    [Test]
    public void Expire_forgets_an_epoch_of_ids_once_its_newest_has_lived_MessageListTtl_never_earlier()
    {
        var bench = LinkedTo(PeerAt(2));
        var early = Message(1, T0);
        bench.GossipFrom(PeerAt(2), early);
        bench.Now = T0 + Second;
        var own = bench.Originate();
        bench.Now = T0 + (Ttl / MessageList.Epochs) + Second; // the next epoch
        var next = Message(2, bench.Now);
        bench.GossipFrom(PeerAt(2), next);

        bench.Gossip.Expire(T0 + Ttl - Ms);
        var justBefore = bench.Gossip.Messages.Count;
        bench.Gossip.Expire(T0 + Ttl);
        var heldWithItsEpoch = bench.Gossip.Messages.Contains(early.Id);
        bench.Gossip.Expire(T0 + Second + Ttl);

        Assert.That(justBefore, Is.EqualTo(3));
        Assert.That(heldWithItsEpoch, Is.True, "kept until the newest of its epoch has lived the time to live");
        Assert.That(bench.Gossip.Messages.Contains(early.Id) || bench.Gossip.Messages.Contains(own), Is.False);
        Assert.That(bench.Gossip.Messages.Contains(next.Id), Is.True, "seen an epoch later");
        Assert.That(bench.Gossip.Messages.Count, Is.EqualTo(1));
    }

    [Test]
    public void A_message_dated_ahead_of_this_clock_is_not_received_twice_once_its_id_has_expired()
    {
        var bench = LinkedTo(Peers(2, 3));
        var ahead = Message(1, T0 + (30 * Second));
        bench.GossipFrom(PeerAt(2), ahead);
        bench.Now = T0 + Ttl;
        bench.Gossip.Expire(bench.Now);

        var replayed = bench.GossipFrom(PeerAt(3), ahead);

        Assert.That(replayed.Sends(), Is.Empty, "forwarded once already");
        Assert.That(bench.Gossip.Received, Is.EqualTo(1));
    }
}
