using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>On a real network: a seed drops crashed peers nobody reported once they stop registering, and keeps live ones.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SeedExpiryTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Crashed_peers_that_nobody_reports_leave_the_seed_when_they_stop_registering_and_a_live_peer_stays(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(1, 3, new Dictionary<string, string?>
        {
            // Liveness rounds far apart: no neighbour reports the crashes within the test, only the expiry can remove them.
            ["Peer:LivenessInterval"] = "00:00:20",
            ["Transport:IdleTimeout"] = "00:01:00",
            ["Peer:RegistrationTimeout"] = "00:00:00.500",
            ["Peer:ReregisterInterval"] = "00:00:00.500",
            ["Seed:ExpireAfterMissedRegistrations"] = "2", // 2 x 0.5 s + 0.5 s = 1.5 s without a registration
        }, ct);
        await network.WaitForOverlayAsync(ct);
        var survivor = network.Peers[0].Endpoint;
        var crashed = new[] { network.Peers[1].Endpoint, network.Peers[2].Endpoint };

        await Task.WhenAll(network.Peers.Skip(1).Select(p => p.CrashAsync(ct)));

        await Eventually.HoldsAsync(async () =>
        {
            var listed = await TestNetwork.InspectSeedAsync(network.Seeds[0], m => m.PeerList.ToArray(), ct);
            return listed.SequenceEqual([survivor]) ? null : $"the seed lists {string.Join(", ", listed)}";
        }, TimeSpan.FromSeconds(15), ct);

        var log = network.ReadLog(network.Seeds[0].Endpoint.Port);
        Assert.Multiple(() =>
        {
            foreach (var peer in crashed)
            {
                Assert.That(log, Does.Contain($"Removed {peer} from the peer list: no registration since"));
            }
            Assert.That(log, Does.Not.Contain("Dead Node:"), "nobody reported them");
            Assert.That(log, Does.Not.Contain($"Removed {survivor}"), "the live peer registers every 0.5 s and is never expired");
            var deaths = network.Stats.ComputeDeaths();
            Assert.That(deaths.Select(d => d.Node), Is.EquivalentTo(crashed));
            Assert.That(deaths.Select(d => d.SeedsRemoved), Is.All.EqualTo(1), "the demo's summary counts an expiry as the seed's removal");
        });
    }
}
