using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>Crashes and clean leaves on a real network.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CrashTests
{
    private static readonly TimeSpan Liveness = TimeSpan.FromMilliseconds(300);
    private const int MaxMissed = 3;

    [Test]
    [CancelAfter(60_000)]
    public async Task A_crashed_peer_is_reported_by_its_neighbours_and_removed_from_every_seed_in_time(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(3, 8, cancellationToken: ct);
        await network.WaitForOverlayAsync(ct);
        var victim = network.Peers[3];
        var victimEndpoint = victim.Endpoint;
        var neighbours = await TestNetwork.InspectPeerAsync(victim, m => m.ConnectedNeighbours.ToArray(), ct);
        Assert.That(neighbours, Is.Not.Empty);

        await victim.CrashAsync(ct);

        await Eventually.HoldsAsync(() => network.SeedStillListingAsync(victimEndpoint, ct), TimeSpan.FromSeconds(10), ct);

        var death = network.Stats.ComputeDeaths().Single();
        Assert.Multiple(() =>
        {
            Assert.That(death.Crashed, Is.True);
            Assert.That(death.Node, Is.EqualTo(victimEndpoint));
            Assert.That(death.SeedsHolding, Has.Count.EqualTo(2));
            Assert.That(death.SeedsRemoved, Is.EqualTo(2));
            Assert.That(death.AllSeedsRemovedAfter, Is.LessThanOrEqualTo(Liveness * (MaxMissed + 1)),
                "every seed that had the peer removed it within (MaxMissedLiveness + 1) liveness intervals");
            Assert.That(death.Reporters, Is.SubsetOf(neighbours), "only neighbours report a death");
        });
        // Every neighbour notices on its own liveness rounds, so each within its own (MaxMissed + 1) intervals.
        await Eventually.HoldsAsync(async () =>
        {
            foreach (var peer in network.Peers.Where(p => !p.IsDown))
            {
                if (await TestNetwork.InspectPeerAsync(peer, m => m.Neighbours.Contains(victimEndpoint), ct))
                {
                    return $"{peer.Endpoint} still has the dead peer as a neighbour";
                }
            }
            return null;
        }, Liveness * (MaxMissed + 2), ct);
        var log = network.ReadLog(network.Seeds.First(s => death.SeedsHolding.Contains(s.Endpoint)).Endpoint.Port);
        Assert.That(log, Does.Contain($"Dead Node:{victimEndpoint}:"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_peer_that_leaves_cleanly_is_never_reported_dead(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(3, 6, cancellationToken: ct);
        await network.WaitForOverlayAsync(ct);
        var leaver = network.Peers[2];
        var leaverEndpoint = leaver.Endpoint;
        var neighbours = await TestNetwork.InspectPeerAsync(leaver, m => m.ConnectedNeighbours.ToArray(), ct);

        await leaver.StopAsync(ct);

        // Its neighbours drop it, and the seeds forget it, at once.
        await Eventually.HoldsAsync(async () =>
        {
            foreach (var peer in network.Peers.Where(p => neighbours.Contains(p.Endpoint)))
            {
                if (await TestNetwork.InspectPeerAsync(peer, m => m.Neighbours.Contains(leaverEndpoint), ct))
                {
                    return $"{peer.Endpoint} still lists {leaverEndpoint} as a neighbour";
                }
            }
            return await network.SeedStillListingAsync(leaverEndpoint, ct);
        }, TimeSpan.FromSeconds(5), ct);

        // An absence can only be shown by waiting out the window in which a death would have been detected.
        await Task.Delay(Liveness * (MaxMissed + 2), ct);
        Assert.That(network.Stats.ComputeDeaths(), Is.Empty, "a clean leave was reported as a death");

        // The rest of the network still delivers everything.
        var published = await network.PublishFromEveryPeerAsync(ct);
        await network.WaitForDeliveryAsync(published, ct);
    }
}
