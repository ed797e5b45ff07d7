using P2PSim.Configuration;
using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>A broadcast tree on real nodes over loopback: the report counts its control frames per kind, as the simulator does.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TcpTreeReportTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task A_tcp_tree_run_reports_its_announcements_and_prunes_apart(CancellationToken ct)
    {
        var options = new ExperimentOptions
        {
            Seeds = 2,
            Peers = 20,
            RunSeed = 5,
            Messages = 20,
            Spacing = TimeSpan.FromMilliseconds(50),
            Gossip = new GossipOptions { Routing = Routing.Tree },
        };

        var report = await new TcpExperiment(options).RunAsync(cancellationToken: ct);

        var tree = report.Traffic.TreeControl;
        Assert.That(tree, Is.Not.Null, "tcp counts the tree's control frames");
        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(tree!.Announcements.Frames, Is.GreaterThan(0), "ids announced over the links outside the tree");
            Assert.That(tree.Prunes.Frames, Is.GreaterThan(0), "the first message floods; its duplicates prune");
            Assert.That(tree.Announcements.Bytes, Is.GreaterThan(tree.Announcements.Frames * 5), "more than a frame header each");
            Assert.That(report.Traffic.TreeControlFrames, Is.EqualTo(tree.Announcements.Frames + tree.Grafts.Frames + tree.Prunes.Frames));
            Assert.That(report.Traffic.TreeControlBytes, Is.EqualTo(tree.Announcements.Bytes + tree.Grafts.Bytes + tree.Prunes.Bytes));
            Assert.That(report.Traffic.TreeControlFrames, Is.LessThan(report.Traffic.MessagesSent), "the transports wrote them among every other frame");
        });
    }
}
