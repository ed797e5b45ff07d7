using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.Transport;

namespace P2PSim.Tests.Experiments;

/// <summary>The Peer and Transport settings of a tcp experiment reach every node, as in the demo.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TcpExperimentSettingsTests
{
    private static ExperimentOptions Options(TransportOptions transport) => new()
    {
        Seeds = 2,
        Peers = 8,
        RunSeed = 4,
        Messages = 20,
        Spacing = TimeSpan.FromMilliseconds(50), // a second of pings, every 300 ms on each link, while the burst runs
        Peer = new PeerOptions { LivenessInterval = TimeSpan.FromMilliseconds(300) },
        Transport = transport,
    };

    [Test]
    [CancelAfter(60_000)]
    public async Task With_EchoPings_off_no_transport_answers_a_ping_and_the_nodes_keep_each_other_alive(CancellationToken ct)
    {
        var echoing = new TcpExperiment(Options(new TransportOptions()));
        var answering = new TcpExperiment(Options(new TransportOptions { EchoPings = false }));

        await echoing.RunAsync(cancellationToken: ct);
        var report = await answering.RunAsync(cancellationToken: ct);

        Assert.Multiple(() =>
        {
            Assert.That(echoing.Transports.Sum(t => t.PingsEchoed), Is.GreaterThan(0), "by default the transports answer the pings");
            Assert.That(answering.Transports.Sum(t => t.PingsEchoed), Is.Zero, "Transport:EchoPings=false: the nodes answer them");
            Assert.That(report.Faults.LivePeersReportedDead, Is.Zero, "every ping was answered all the same");
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task With_several_peers_joining_at_once_the_overlay_is_connected_and_every_message_reaches_every_peer(CancellationToken ct)
    {
        var run = new TcpExperiment(Options(new TransportOptions()) with { Peers = 24, JoinConcurrency = 6, Peer = new PeerOptions() });

        var report = await run.RunAsync(cancellationToken: ct);

        Assert.Multiple(() =>
        {
            Assert.That(report.Overlay.JoinedAtOnce, Is.EqualTo(6), "the report says how many joined at once");
            Assert.That(report.Overlay.PeersNotJoined, Is.Zero);
            Assert.That(report.Overlay.Connected, Is.True, $"{report.Overlay.Components} components");
            Assert.That(report.Overlay.KeysMs, Is.Not.Null, "a tcp report says how long the keys took, apart from the build");
            Assert.That(report.Delivery.Deliveries, Is.EqualTo(report.Delivery.ExpectedDeliveries));
        });
    }

    [TestCase(1024, 200, 1024)]
    [TestCase(1024, 5000, 5016)]
    [TestCase(4, 20, 36)]
    [TestCase(9000, 20, 9000)]
    public void A_run_raises_the_inbound_connection_limit_to_fit_every_peer_and_keeps_every_other_transport_setting(int limit, int peers, int expected)
    {
        var given = new TransportOptions { MaxInboundConnections = limit, EchoPings = false, SendQueueCapacity = 77, ShutdownGrace = TimeSpan.FromSeconds(9) };

        var run = TcpExperimentNetwork.TransportForRun(given, peers, seeds: 3);

        Assert.That(run.MaxInboundConnections, Is.EqualTo(expected));
        Assert.That(run.ProcessQueueBytes, Is.EqualTo(QueueBudget.BytesFor(0, peers + 3)), "the default budget, for every node of the run");
        Assert.That((run.EchoPings, run.SendQueueCapacity, run.ShutdownGrace), Is.EqualTo((false, 77, TimeSpan.FromSeconds(9))));
        Assert.That(given.MaxInboundConnections, Is.EqualTo(limit), "the run's options are left as they were");
    }
}
