using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.Hosting;

namespace P2PSim.Tests.Experiments;

/// <summary>The simulated network tells the same story as the real one on the same small experiment.</summary>
[TestFixture]
[NonParallelizable]
public sealed class AgreementTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task Tcp_and_simulated_agree_on_reliability_and_overlay_shape(CancellationToken ct)
    {
        var options = new SimulatedExperimentOptions
        {
            Seeds = 3,
            Peers = 100,
            RunSeed = 7,
            Workload = new BurstWorkload { Messages = 20, Spacing = TimeSpan.FromMilliseconds(50) },
            Peer = new PeerOptions(),
        };

        var simulated = new SimulatedExperiment(options).Run(cancellationToken: ct);
        var tcp = await new TcpExperiment(options).RunAsync(cancellationToken: ct);

        Assert.Multiple(() =>
        {
            Assert.That(tcp.NetworkKind, Is.EqualTo("tcp"));
            Assert.That(simulated.NetworkKind, Is.EqualTo("simulated"));
            foreach (var report in new[] { tcp, simulated })
            {
                Assert.That(report.Delivery.MessagesPublished, Is.EqualTo(20), report.NetworkKind);
                Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0), report.NetworkKind);
                Assert.That(report.Overlay.Connected, Is.True, report.NetworkKind);
                Assert.That(report.Overlay.PeersNotJoined, Is.Zero, report.NetworkKind);
                // Every peer dials MaxNeighbours and is dialed by later peers: same minimum, mean about twice it.
                Assert.That(report.Overlay.DegreeMin, Is.EqualTo(4), report.NetworkKind);
            }
            Assert.That(tcp.Overlay.DegreeMean, Is.EqualTo(simulated.Overlay.DegreeMean).Within(0.5));
            Assert.That(tcp.Overlay.Edges, Is.EqualTo(simulated.Overlay.Edges).Within(25));
            Assert.That(tcp.Traffic.Rmr!.Value, Is.EqualTo(simulated.Traffic.Rmr!.Value).Within(1.0));
        });
    }
}
