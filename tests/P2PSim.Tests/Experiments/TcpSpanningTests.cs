using P2PSim.Configuration;
using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// The spanning routing on real nodes over loopback: TreeAdvert frames cross the real codec and transport, the tree
/// forms without a flood, and every live peer gets every message, also after a crash.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class TcpSpanningTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Every_peer_gets_every_message_about_once_over_a_computed_tree(CancellationToken ct)
    {
        var report = await new TcpExperiment(new ExperimentOptions
        {
            Seeds = 2,
            Peers = 30,
            RunSeed = 7,
            Messages = 30,
            Spacing = TimeSpan.FromMilliseconds(50),
            Gossip = new GossipOptions { Routing = Routing.Spanning },
        }).RunAsync(cancellationToken: ct);

        var control = report.Traffic.TreeControl;
        Assert.Multiple(() =>
        {
            Assert.That(report.Traffic.Routing, Is.EqualTo("spanning"));
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0), "every peer got every message");
            Assert.That(control?.Adverts?.Frames, Is.GreaterThan(0), "the peers told each other where they stand");
            Assert.That(report.Traffic.Rmr, Is.LessThan(0.5), "no flood: a flood here costs about the mean degree - 1");
        });
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task After_a_fifth_of_the_peers_crash_every_live_peer_still_gets_every_message(CancellationToken ct)
    {
        var report = await new TcpExperiment(new ExperimentOptions
        {
            Seeds = 2,
            Peers = 25,
            RunSeed = 8,
            Workload = WorkloadKind.Crash,
            CrashShare = 0.2,
            Messages = 20,
            Spacing = TimeSpan.FromMilliseconds(50),
            Peer = TcpTestOptions.FastLiveness(),
            Gossip = new GossipOptions { Routing = Routing.Spanning },
            DrainTimeout = TimeSpan.FromSeconds(15),
        }).RunAsync(cancellationToken: ct);

        Assert.Multiple(() =>
        {
            Assert.That(report.Crash!.CrashedPeers, Is.EqualTo(5));
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0), "grafts carry what was in flight; the tree is computed again around the crash");
        });
    }
}
