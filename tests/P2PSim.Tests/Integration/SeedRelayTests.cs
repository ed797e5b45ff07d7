using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>Seeds relaying confirmed deaths to each other over real loopback TCP (ports chosen by the OS).</summary>
[TestFixture]
[NonParallelizable]
public sealed class SeedRelayTests
{
    private static readonly TimeSpan Liveness = TimeSpan.FromMilliseconds(300);
    private const int MaxMissed = 3;

    [Test]
    [CancelAfter(60_000)]
    public async Task A_confirmed_death_is_relayed_to_the_other_seeds_which_check_it_and_accept_the_relay(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(3, 8, cancellationToken: ct);
        await network.WaitForOverlayAsync(ct);
        var victim = network.Peers[5];
        var victimEndpoint = victim.Endpoint;

        await victim.CrashAsync(ct);

        await Eventually.HoldsAsync(() => network.SeedStillListingAsync(victimEndpoint, ct), Liveness * (MaxMissed + 1) * 3, ct);
        // Every seed but the first to confirm hears of the death from another seed (the seeds' ports were known only
        // once each bound, so this also shows the seeds learned each other's real endpoints).
        await Eventually.HoldsAsync(() =>
        {
            var logs = network.Seeds.Select(s => network.ReadLog(s.Endpoint.Port)).ToArray();
            var relayed = logs.Count(log => log.Contains("relayed by seed 127.1.0.", StringComparison.Ordinal));
            return relayed >= 1 && logs.Any(log => log.Contains("Relaying the confirmed", StringComparison.Ordinal))
                ? null
                : $"{relayed} seed logs show a relayed report";
        }, TimeSpan.FromSeconds(5), ct);

        var death = network.Stats.ComputeDeaths().Single();
        Assert.Multiple(() =>
        {
            Assert.That(death.SeedsRemoved, Is.EqualTo(death.SeedsHolding.Count));
            Assert.That(death.AllSeedsRemovedAfter, Is.LessThanOrEqualTo(Liveness * (MaxMissed + 1)));
            foreach (var seed in network.Seeds)
            {
                Assert.That(network.ReadLog(seed.Endpoint.Port), Does.Not.Contain("Rejected \"Dead Node"), $"seed {seed.Endpoint} took every relay");
            }
        });
    }
}
