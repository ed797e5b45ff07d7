using Microsoft.Extensions.Time.Testing;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.Hosting;

[TestFixture]
public sealed class NetworkStatsSummaryTests
{
    [Test]
    public void With_nothing_expected_the_summary_says_so_instead_of_0_of_0_at_100_percent()
    {
        var line = NetworkStats.FormatDelivery(new Delivery(0, 0, 0, 0, []));
        Assert.That(line, Does.StartWith("Delivery: no receipts expected"));
        Assert.That(line, Does.Not.Contain("0 of 0"));
    }

    [Test]
    public void Otherwise_it_counts_the_receipts()
    {
        Assert.That(NetworkStats.FormatDelivery(new Delivery(3, 10, 9, 1, [])),
            Is.EqualTo("Delivery: 9 of 10 expected receipts (90.0 %); 1 missing; 1 delivered more than once"));
    }

    [Test]
    public void A_slice_whose_seed_removed_a_peer_crashed_elsewhere_says_so_though_none_of_its_peers_neighboured_it()
    {
        var at = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        var victim = new NodeEndpoint(System.Net.IPAddress.Parse("127.0.0.2"), 25901);
        var seed = new NodeEndpoint(System.Net.IPAddress.Parse("127.0.0.3"), 21146);
        var stats = new NetworkStats(TimeProvider.System) { OneSlice = true };
        var seedCounters = stats.Register(seed, NodeRole.Seed);
        stats.Register(new NodeEndpoint(System.Net.IPAddress.Parse("127.0.0.3"), 25903), NodeRole.Peer);
        stats.Record(seedCounters, new PeerRegistered(at, victim, "127.0.0.2", false, []));
        stats.ExpectRemoteCrash(victim.Port, at.AddSeconds(4));
        stats.Record(seedCounters, new DeadNodeReceived(at.AddSeconds(5), new DeadNode(victim, at.AddSeconds(5).ToUnixTimeMilliseconds(), seed), "127.0.0.4", true, 3));

        var summary = stats.FormatSummary();
        Assert.That(summary, Does.Contain($"Crash: {victim} crashed in another slice at about"));
        Assert.That(summary, Does.Contain("not detected here; removed from all 1 seeds here that had it after 1.0 s"));
        Assert.That(summary, Does.Not.Contain("Deaths: none"));
    }

    [TestCase(12, "not detected yet: the run ended 12.0 s after the crash, and detection takes up to about 52 s")]
    [TestCase(70, "not detected within 70.0 s (expected within about 52 s)")]
    public void A_crash_nobody_reported_says_whether_the_run_was_too_short_to_see_it(int ranSeconds, string expected)
    {
        var at = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        var stats = new NetworkStats(new FakeTimeProvider(at)) { Liveness = (TimeSpan.FromSeconds(13), 3) };
        var victim = new NodeEndpoint(System.Net.IPAddress.Loopback, 25901);
        stats.Register(victim, NodeRole.Peer);
        stats.RecordCrash(victim, at);
        stats.MarkEnd(at.AddSeconds(ranSeconds));

        Assert.That(stats.FormatSummary(), Does.Contain($"Crash: {victim} crashed at").And.Contain(expected));
    }
}
