using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>A clean stop of the whole network (Ctrl+C) is quiet: goodbyes, and no node trying to repair anything.</summary>
[TestFixture]
public sealed class ShutdownTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task A_stopping_network_does_not_repair_itself(CancellationToken ct)
    {
        var network = await TestNetwork.StartAsync(2, 8, new Dictionary<string, string?>
        {
            ["Peer:MaxNeighbours"] = "2",
            ["Peer:MinNeighbours"] = "2",
            ["Peer:MessagesPerPeer"] = "1",
        }, ct);
        await using var _ = network;
        await network.WaitForOverlayAsync(ct);
        await network.StopAsync();
        foreach (var port in network.Peers.Concat(network.Seeds).Select(n => n.Endpoint.Port))
        {
            var log = network.ReadLog(port);
            var shutdown = log[Math.Max(0, log.IndexOf("Leaving:", StringComparison.Ordinal))..];
            Assert.Multiple(() =>
            {
                Assert.That(log, Does.Not.Match(@"Only \d+ neighbours? \(minimum"), $"Log_{port}.txt: a repair while the network stopped");
                Assert.That(log, Does.Not.Contain("Could not connect"), $"Log_{port}.txt");
                Assert.That(log, Does.Not.Contain("Could not deliver Goodbye"), $"Log_{port}.txt: a seed stopped before the peers");
                Assert.That(shutdown, Does.Not.Contain("WARN"), $"Log_{port}.txt: a warning while stopping:\n{shutdown}");
            });
        }
    }
}
