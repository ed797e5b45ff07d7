using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// Large burst runs for measuring the simulator, not for CI. Run in Release, one at a time:
/// <c>dotnet test -c Release --filter "Name=Burst_over_10000_peers" --logger "console;verbosity=detailed"</c>
/// (or <c>Burst_over_100000_peers</c>: about 30 KB of heap per peer once the machines' peer-list
/// state is bounded, over 100 KB per peer before).
/// Setting <c>DOTNET_GCgen0size=0x4000000</c> (64 MB) in the environment cuts the number of
/// collections a lot on machines where the default gen0 budget is small.
/// </summary>
[TestFixture]
[Category(LongRuns.Category)]
[Explicit("Minutes of CPU and gigabytes of memory; run by hand in Release.")]
[Category("Scale")]
public sealed class ScaleMeasurementTests
{
    [TestCase(10_000, TestName = "Burst_over_10000_peers")]
    [TestCase(100_000, TestName = "Burst_over_100000_peers")]
    public void A_burst_over_many_peers_reaches_everyone(int peers)
    {
        var report = new SimulatedExperiment(new ExperimentOptions { Peers = peers, RunSeed = 1 })
            .Run(p => TestContext.Progress.WriteLine(
                $"{p.Phase,-9} joined {p.PeersJoined,7}/{p.Peers}  messages {p.MessagesPublished,3}  receipts {p.FirstReceipts,10}  virtual {p.VirtualElapsed}  wall {p.WallElapsed:mm\\:ss}"));

        ReportWriter.WriteText(TestContext.Out, report);
        Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
        Assert.That(report.Overlay.Connected, Is.True);
    }
}
