using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// Broadcast trees on the simulated network, held to the gates iroh-gossip's simulator asserts for its Plumtree
/// (100 peers, 50 ms links, 30 rounds): one sender RMR under 0.2 and last hop under 15, a random sender each round RMR
/// under 1, every peer sending at once RMR under 3, no message missed.
/// </summary>
[TestFixture]
[Parallelizable] // the simulated network only: virtual time, no sockets, no shared state (see Parallelism.cs)
public sealed class TreeRoutingTests
{
    private static ExperimentOptions Gate(PublisherKind publishers, int runSeed = 1) => new()
    {
        Peers = 100,
        RunSeed = runSeed,
        Workload = WorkloadKind.Burst,
        Messages = 30,
        Spacing = TimeSpan.FromSeconds(1),
        Latency = TimeSpan.FromMilliseconds(50),
        Publishers = publishers,
        Gossip = new GossipOptions { Routing = Routing.Tree },
    };

    private static ExperimentReport Run(ExperimentOptions options) => new SimulatedExperiment(options).Run();

    /// <summary>The value column of the text table's row <paramref name="label"/>.</summary>
    internal static string TableRow(ExperimentReport report, string label)
    {
        var text = new StringWriter();
        ReportWriter.WriteText(text, report);
        var line = text.ToString().Split(Environment.NewLine).Single(l => l.TrimStart().StartsWith(label + "  ", StringComparison.Ordinal));
        return line.TrimStart()[label.Length..].Trim();
    }

    [Test]
    public void One_sender_a_tree_forms_on_the_first_message_and_carries_every_later_one_once()
    {
        var report = Run(Gate(PublisherKind.One));

        Assert.Multiple(() =>
        {
            Assert.That(report.Traffic.Routing, Is.EqualTo("tree"));
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0), "no message missed");
            Assert.That(report.Traffic.Rmr, Is.LessThan(0.2), "iroh's gate: one sender RMR under 0.2");
            Assert.That(report.Traffic.RmrAfterFirstMessage, Is.LessThan(0.05), "once formed, the tree sends each message to each peer once");
            Assert.That(report.Delivery.LastDeliveryHop, Is.LessThan(15));
            Assert.That(report.Delivery.DepthP50, Is.InRange(2, report.Delivery.LastDeliveryHop), "one tree, one root: about the same depth every message");
            Assert.That(report.Delivery.DepthP99, Is.InRange(report.Delivery.DepthP50!.Value, report.Delivery.LastDeliveryHop));
            Assert.That(TableRow(report, "depth p50 / p99 (hops)"), Is.EqualTo($"{report.Delivery.DepthP50} / {report.Delivery.DepthP99}"));
            Assert.That(report.Traffic.TreeControlFrames, Is.GreaterThan(0), "announcements on the links that left the tree");
        });
    }

    [Test]
    public void A_random_sender_each_round_uses_the_same_tree()
    {
        var report = Run(Gate(PublisherKind.Random));

        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Traffic.Rmr, Is.LessThan(1.0), "iroh's gate: a random sender each round RMR under 1");
        });
    }

    [Test]
    public void Every_peer_sending_at_once_still_reaches_everyone_below_the_flooding_cost()
    {
        var report = Run(Gate(PublisherKind.Every) with { Messages = 10 });
        var flood = Run(Gate(PublisherKind.Every) with { Messages = 10, Gossip = new GossipOptions { Routing = Routing.Flood } });

        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.MessagesPublished, Is.EqualTo(10 * 100));
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Traffic.Rmr, Is.LessThan(3.0), "iroh's gate: every peer at once RMR under 3");
            Assert.That(flood.Traffic.Rmr, Is.GreaterThan(report.Traffic.Rmr!.Value * 1.5), "the tree sends far fewer copies than a flood");
        });
    }

    [Test]
    public void The_report_splits_tree_control_into_announcements_grafts_and_prunes_that_add_up_to_the_total()
    {
        var options = Gate(PublisherKind.Random) with { Messages = 10, Peers = 60 };
        var report = Run(options);
        var flood = Run(options with { Gossip = new GossipOptions() });

        var tree = report.Traffic.TreeControl!;
        Assert.Multiple(() =>
        {
            Assert.That(tree.Announcements.Frames, Is.GreaterThan(0), "ids announced over the links outside the tree");
            Assert.That(tree.Prunes.Frames, Is.GreaterThan(0), "the first message floods; its duplicates prune");
            Assert.That(tree.Prunes.Bytes, Is.EqualTo(tree.Prunes.Frames * FrameCodec.FrameSize(Prune.Instance)));
            Assert.That(tree.Announcements.Bytes, Is.GreaterThanOrEqualTo(tree.Announcements.Frames * FrameCodec.FrameSize(new IHave([new Announcement(default, 1)]))));
            Assert.That(tree.Announcements.Frames + tree.Grafts.Frames + tree.Prunes.Frames, Is.EqualTo(report.Traffic.TreeControlFrames));
            Assert.That(tree.Announcements.Bytes + tree.Grafts.Bytes + tree.Prunes.Bytes, Is.EqualTo(report.Traffic.TreeControlBytes));
            Assert.That(flood.Traffic.TreeControl, Is.EqualTo(new TreeControlReport(new FrameCount(0, 0), new FrameCount(0, 0), new FrameCount(0, 0))));
            Assert.That(TableRow(report, "announcements (IHave)"), Does.Match(@"^[1-9][0-9,]* / [0-9.]+ (B|KiB|MiB)$"));
            Assert.That(TableRow(flood, "announcements (IHave)"), Is.EqualTo("-"), "a flood has no tree control to split");
        });
    }

    [Test]
    public void A_tree_run_is_deterministic_and_the_same_overlay_as_a_flood_of_the_same_seed()
    {
        var options = Gate(PublisherKind.Random) with { Messages = 10, Peers = 60 };

        var first = Run(options);
        var second = Run(options);
        var flood = Run(options with { Gossip = new GossipOptions() });

        Assert.That(ReportWriter.ToDeterministicJson(second), Is.EqualTo(ReportWriter.ToDeterministicJson(first)));
        Assert.That(first.Overlay.Fingerprint, Is.EqualTo(flood.Overlay.Fingerprint), "routing changes how messages spread, not who is linked");
    }

    [Test]
    public void After_30_percent_of_the_peers_crash_every_live_peer_still_gets_every_message()
    {
        var report = Run(new ExperimentOptions
        {
            Peers = 150,
            RunSeed = 4,
            Workload = WorkloadKind.Crash,
            CrashShare = 0.3,
            Messages = 30,
            Peer = new PeerOptions { LivenessInterval = TimeSpan.FromSeconds(1) },
            Gossip = new GossipOptions { Routing = Routing.Tree },
        });

        Assert.Multiple(() =>
        {
            Assert.That(report.Crash!.CrashedPeers, Is.EqualTo(45));
            Assert.That(report.Traffic.TreeControl!.Grafts.Frames, Is.GreaterThan(0), "the subtrees below the crashed peers asked for their messages");
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0), "grafts over the announcements repair what the crash cut off");
            Assert.That(report.Traffic.Rmr, Is.LessThan(1.0));
        });
    }

    [Test]
    public void After_a_crash_the_report_says_when_the_tree_was_whole_again_and_what_it_cost_from_then_on()
    {
        var options = new ExperimentOptions
        {
            Peers = 200,
            RunSeed = 1,
            Workload = WorkloadKind.Crash,
            Messages = 100,
            Gossip = new GossipOptions { Routing = Routing.Tree },
        };

        var report = Run(options);
        var flood = Run(options with { Gossip = new GossipOptions() });

        var crash = report.Crash!;
        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Traffic.TreeControl!.Grafts.Frames, Is.GreaterThan(0), "the crash cut the tree: grafts joined the pieces");
            Assert.That(crash.MessagesAfterCrash, Is.EqualTo(50));
            Assert.That(crash.TreeRepairedAfterMs, Is.GreaterThan(100), "the first messages after the crash needed grafts");
            Assert.That(crash.TreeRepairedAfterMs, Is.LessThan(50 * 100), "repaired before the last message");
            Assert.That(crash.MessagesAfterRepair, Is.InRange(1, 49));
            Assert.That(crash.RmrAfterRepair, Is.LessThan(0.1), "the issue's target: RMR back under 0.1 once repaired");
            Assert.That(crash.RmrAfterRepair, Is.GreaterThanOrEqualTo(0));
            Assert.That(TableRow(report, "tree repaired after"), Does.Match(@"^[0-9.]+ m?s \(then the last [0-9]+ of 50 messages by push alone\)$"));
            Assert.That(TableRow(report, "RMR after the repair"), Is.EqualTo(crash.RmrAfterRepair!.Value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)));

            var flooded = flood.Crash!;
            Assert.That((flooded.TreeRepairedAfterMs, flooded.RmrAfterRepair, flooded.MessagesAfterCrash, flooded.MessagesAfterRepair),
                Is.EqualTo(((double?)null, (double?)null, (int?)null, (int?)null)), "a flood has no tree to repair");
            Assert.That(TableRow(flood, "tree repaired after"), Is.EqualTo("-"));
            Assert.That(TableRow(flood, "RMR after the repair"), Is.EqualTo("-"));
        });
    }

    [Test]
    public void A_tree_that_was_still_being_repaired_at_the_last_message_says_so()
    {
        // The overlay itself is repaired for seconds after the crash (liveness rounds of 1 s, new links): with 10
        // messages over the next second, the last ones still needed grafts (the golden tree-crash run).
        var report = Run(new ExperimentOptions
        {
            Peers = 80,
            RunSeed = 12,
            Workload = WorkloadKind.Crash,
            CrashShare = 0.3,
            Messages = 20,
            Peer = new PeerOptions
            {
                LivenessInterval = TimeSpan.FromSeconds(1),
                RegistrationTimeout = TimeSpan.FromMilliseconds(500),
                RetryInterval = TimeSpan.FromMilliseconds(200),
                ReregisterInterval = TimeSpan.FromSeconds(2),
                HistoryWindow = TimeSpan.FromSeconds(30),
            },
            Gossip = new GossipOptions { Routing = Routing.Tree },
            SampleInterval = TimeSpan.FromMilliseconds(500),
        });

        Assert.Multiple(() =>
        {
            Assert.That(report.Crash!.TreeRepairedAfterMs, Is.Null);
            Assert.That((report.Crash.RmrAfterRepair, report.Crash.MessagesAfterCrash, report.Crash.MessagesAfterRepair), Is.EqualTo(((double?)null, (int?)10, (int?)0)));
            Assert.That(TableRow(report, "tree repaired after"), Is.EqualTo("NOT within the run (10 messages after the crash)"));
        });
    }
}
