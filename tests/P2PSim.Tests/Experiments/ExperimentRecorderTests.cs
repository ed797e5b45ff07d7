using P2PSim.Experiments;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Simulation;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Experiments;

[TestFixture]
public sealed class ExperimentRecorderTests
{
    private static readonly DateTimeOffset T0 = SimulatedNetwork.Epoch;
    private static readonly NodeEndpoint[] Peers = Enumerable.Range(0, 4).Select(SimulatedAddresses.Peer).ToArray();

    private static DateTimeOffset Ms(double ms) => T0 + TimeSpan.FromMilliseconds(ms);

    private static ExperimentRecorder JoinedRecorder()
    {
        var recorder = new ExperimentRecorder(Peers, seedCount: 2, T0);
        for (var p = 0; p < Peers.Length; p++)
        {
            recorder.PeerJoined(p, T0);
        }
        return recorder;
    }

    private static MessageId Originate(ExperimentRecorder recorder, int origin, DateTimeOffset at, string text)
    {
        var id = TestGossip.IdOf(text);
        recorder.RecordPeerEvent(origin, new GossipOriginated(at, text, id, SentTo: 3));
        return id;
    }

    private static void Receive(ExperimentRecorder recorder, int peer, MessageId id, DateTimeOffset at, int hops) =>
        recorder.RecordPeerEvent(peer, new GossipReceived(at, "text", id, Origin: Peers[0], From: Peers[0], hops, ForwardedTo: 2));

    private static DeadNodeReceived Dead(int peer, DateTimeOffset at, bool removed = true) =>
        new(at, new DeadNode(Peers[peer], at.ToUnixTimeMilliseconds(), Peers[0]), "reporter", removed, PeersLeft: 3);

    [Test]
    public void Delivery_numbers_follow_from_first_receipts()
    {
        var recorder = JoinedRecorder();
        var m1 = Originate(recorder, 0, Ms(10), "m1");
        Receive(recorder, 1, m1, Ms(11), hops: 1);
        Receive(recorder, 2, m1, Ms(12), hops: 2);
        Receive(recorder, 3, m1, Ms(15), hops: 3);
        recorder.RecordPeerEvent(2, new DuplicateDropped(Ms(13), m1, Peers[3]));
        var m2 = Originate(recorder, 1, Ms(20), "m2");
        Receive(recorder, 0, m2, Ms(21), hops: 1);

        var delivery = recorder.BuildDelivery();
        var traffic = recorder.BuildTraffic(payloadTransmissions: 12, messagesSent: 20, bytesSent: 1000, payloadBytes: 600, messagesLost: 0);

        Assert.That(delivery.MessagesPublished, Is.EqualTo(2));
        Assert.That(delivery.ExpectedDeliveries, Is.EqualTo(6), "3 receivers for each of 2 messages");
        Assert.That(delivery.Deliveries, Is.EqualTo(4));
        Assert.That(delivery.Reliability, Is.EqualTo(4.0 / 6));
        Assert.That(delivery.MessagesReachingAll, Is.EqualTo(1));
        Assert.That(delivery.ReachAllMaxMs, Is.EqualTo(5.0), "m1: origin at 10 ms, last receipt at 15 ms");
        Assert.That(delivery.ReceiptLatencyP50Ms, Is.EqualTo(1.0), "latencies 1, 1, 2, 5 ms");
        Assert.That(delivery.ReceiptLatencyP99Ms, Is.EqualTo(5.0));
        Assert.That(delivery.LastDeliveryHop, Is.EqualTo(3));
        Assert.That(traffic.FirstReceipts, Is.EqualTo(4));
        Assert.That(traffic.TransmissionsPerDelivery, Is.EqualTo(3.0));
        Assert.That(traffic.Rmr, Is.EqualTo(2.0));
        Assert.That(traffic.DuplicatesDropped, Is.EqualTo(1));
    }

    [Test]
    public void A_messages_depth_is_its_deepest_first_receipt_summarised_over_the_messages_received()
    {
        var recorder = JoinedRecorder();
        var depths = new[] { 2, 5, 3, 3 };
        for (var i = 0; i < depths.Length; i++)
        {
            var m = Originate(recorder, 0, Ms(10 * i), $"m{i}");
            Receive(recorder, 1, m, Ms((10 * i) + 1), hops: 1);
            Receive(recorder, 2, m, Ms((10 * i) + 2), hops: depths[i]);
        }
        Originate(recorder, 0, Ms(100), "nobody got it");

        var delivery = recorder.BuildDelivery();

        Assert.Multiple(() =>
        {
            Assert.That(delivery.DepthP50, Is.EqualTo(3), "depths 2, 3, 3, 5: the message no peer got has none");
            Assert.That(delivery.DepthP99, Is.EqualTo(5));
            Assert.That(delivery.LastDeliveryHop, Is.EqualTo(5), "the largest depth");
        });
    }

    [Test]
    public void A_message_came_by_push_alone_when_every_expected_receiver_got_it_and_none_by_graft_or_catch_up()
    {
        var recorder = JoinedRecorder();
        var before = Originate(recorder, 0, Ms(5), "before");
        var pushed = Originate(recorder, 0, Ms(20), "pushed");
        var grafted = Originate(recorder, 0, Ms(10), "grafted"); // reported out of order
        var caughtUp = Originate(recorder, 0, Ms(30), "caught up");
        var missed = Originate(recorder, 0, Ms(40), "missed");
        foreach (var m in new[] { before, pushed, grafted, caughtUp, missed })
        {
            Receive(recorder, 1, m, Ms(50), hops: 1);
            Receive(recorder, 2, m, Ms(50), hops: 2);
        }
        foreach (var m in new[] { before, pushed })
        {
            Receive(recorder, 3, m, Ms(50), hops: 3);
        }
        recorder.RecordPeerEvent(3, new GossipReceived(Ms(60), "text", grafted, Peers[0], Peers[1], 2, 0, Grafted: true));
        recorder.RecordPeerEvent(3, new GossipReceived(Ms(60), "text", caughtUp, Peers[0], Peers[1], 2, 0, CatchUp: true));

        var since = recorder.MessagesSince(Ms(10));

        Assert.That(since, Is.EqualTo(new[] { (Ms(10), false), (Ms(20), true), (Ms(30), false), (Ms(40), false) }),
            "by origination time, from 10 ms on; peer 3 missed the last one");
    }

    [Test]
    public void A_recorder_without_receipts_has_no_depth()
    {
        var recorder = JoinedRecorder();
        Originate(recorder, 0, Ms(1), "m");

        Assert.That((recorder.BuildDelivery().DepthP50, recorder.BuildDelivery().DepthP99), Is.EqualTo(((int?)null, (int?)null)));
    }

    [Test]
    public void A_peer_that_joined_after_a_message_was_originated_is_not_expected_to_get_it()
    {
        var recorder = new ExperimentRecorder(Peers, seedCount: 1, T0);
        recorder.PeerJoined(0, Ms(0));
        recorder.PeerJoined(1, Ms(0));
        recorder.PeerJoined(2, Ms(0));
        var m = Originate(recorder, 0, Ms(5), "m");
        recorder.PeerJoined(3, Ms(6));
        Receive(recorder, 1, m, Ms(6), 1);
        Receive(recorder, 2, m, Ms(7), 1);
        Receive(recorder, 3, m, Ms(8), 2); // a bonus: counted as a receipt, not as an expected delivery

        var delivery = recorder.BuildDelivery();

        Assert.That(delivery.ExpectedDeliveries, Is.EqualTo(2));
        Assert.That(delivery.Deliveries, Is.EqualTo(2));
        Assert.That(delivery.Reliability, Is.EqualTo(1.0));
        Assert.That(recorder.FirstReceipts, Is.EqualTo(3));
    }

    [Test]
    public void Crashed_peers_are_not_expected_to_receive_and_detection_waits_for_every_listing_seed()
    {
        var recorder = JoinedRecorder();
        recorder.MarkVictim(2);
        recorder.MarkVictim(3);
        var m = Originate(recorder, 0, Ms(0), "m");
        Receive(recorder, 1, m, Ms(1), 1);
        Receive(recorder, 3, m, Ms(1), 1);

        recorder.PeerCrashed(2, Ms(100), listingSeeds: [0]);
        recorder.PeerCrashed(3, Ms(100), listingSeeds: [0, 1]);
        recorder.RecordSeedEvent(0, Dead(3, Ms(30_100)));
        Assert.That(recorder.AllCrashesDetected, Is.False);
        recorder.RecordSeedEvent(0, Dead(3, Ms(35_000), removed: false)); // a second report: already gone
        recorder.RecordSeedEvent(1, Dead(3, Ms(40_100)));
        recorder.RecordSeedEvent(1, Dead(1, Ms(40_200))); // peer 1 never crashed

        var delivery = recorder.BuildDelivery();
        var crash = recorder.BuildCrash()!;

        Assert.That(delivery.ExpectedDeliveries, Is.EqualTo(1), "only peer 1 is alive throughout besides the origin");
        Assert.That(delivery.Deliveries, Is.EqualTo(1));
        Assert.That(crash.CrashedPeers, Is.EqualTo(2));
        Assert.That(crash.CrashAtMs, Is.EqualTo(100.0));
        Assert.That(crash.DetectedEverywhere, Is.EqualTo(1));
        Assert.That(crash.SeedRemovalsMissing, Is.EqualTo(1), "peer 2 was never removed by seed 0");
        Assert.That(crash.DetectionP50Ms, Is.EqualTo(40_000.0));
        Assert.That(crash.DetectionMaxMs, Is.EqualTo(40_000.0));
        Assert.That(crash.LivePeersReportedDead, Is.EqualTo(1));
        Assert.That(recorder.AllCrashesDetected, Is.False);
    }

    [Test]
    public void Without_crashes_there_is_no_crash_section()
    {
        Assert.That(JoinedRecorder().BuildCrash(), Is.Null);
    }

    [Test]
    public void Victims_must_be_named_before_the_first_message()
    {
        var recorder = JoinedRecorder();
        Originate(recorder, 0, Ms(0), "m");

        Assert.That(() => recorder.MarkVictim(1), Throws.InvalidOperationException);
    }

    [Test]
    public void A_receipt_heard_before_its_origination_still_counts()
    {
        var recorder = JoinedRecorder();
        var id = TestGossip.IdOf("early");
        Receive(recorder, 1, id, Ms(11), hops: 1);
        Assert.That(recorder.UnattributedReceipts, Is.EqualTo(1));

        Originate(recorder, 0, Ms(10), "early");
        Receive(recorder, 2, id, Ms(12), hops: 2);
        Receive(recorder, 3, id, Ms(13), hops: 2);

        Assert.That(recorder.UnattributedReceipts, Is.Zero);
        Assert.That(recorder.BuildDelivery().Deliveries, Is.EqualTo(3));
        Assert.That(recorder.AllDelivered, Is.True);
    }

    [Test]
    public void A_leaver_is_not_expected_and_a_report_of_its_death_is_a_false_one_of_its_own_kind()
    {
        var recorder = new ExperimentRecorder(Peers, seedCount: 2, T0);
        recorder.MarkLeaver(3);
        for (var p = 0; p < Peers.Length; p++)
        {
            recorder.PeerJoined(p, T0);
        }
        Originate(recorder, 0, Ms(10), "m1");
        recorder.PeerLeft(3, Ms(20));

        recorder.RecordSeedEvent(0, Dead(3, Ms(30), removed: false));
        recorder.RecordSeedEvent(1, Dead(2, Ms(30), removed: true));

        Assert.That(recorder.ExpectedDeliveries, Is.EqualTo(2), "peers 1 and 2; not the leaver");
        Assert.That(recorder.PeersLeft, Is.EqualTo(1));
        Assert.That((recorder.LeaversReportedDead, recorder.LivePeersReportedDead, recorder.LivePeersRemoved), Is.EqualTo((1, 1, 1)));
        Assert.That(() => recorder.PeerLeft(1, Ms(40)), Throws.InvalidOperationException);
    }

    [Test]
    public void A_restarted_seed_relearns_when_it_lists_as_many_peers_as_at_its_crash()
    {
        var recorder = new ExperimentRecorder(Peers, seedCount: 2, T0);
        PeerRegistered Registered(int peer, double ms, bool again = false) => new(Ms(ms), Peers[peer], "x", again, []);
        recorder.RecordSeedEvent(0, Registered(0, 1));
        recorder.RecordSeedEvent(0, Registered(1, 2));
        recorder.RecordSeedEvent(0, Registered(1, 3, again: true));
        recorder.SeedCrashed(0);
        recorder.SeedRestarted(0, Ms(100));
        Assert.That(recorder.AllSeedsRelearned, Is.False);

        recorder.RecordSeedEvent(0, Registered(1, 150));
        recorder.RecordSeedEvent(0, Registered(0, 170));

        Assert.That(recorder.SeedListSizes[0], Is.EqualTo(2));
        Assert.That(recorder.AllSeedsRelearned, Is.True);
        Assert.That(recorder.SeedsRelearnedAt, Is.EqualTo(Ms(170)));
    }
}
