using P2PSim.Configuration;
using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>The fault workloads on real nodes over loopback: a seed restarted on its old port, and churn.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TcpFaultWorkloadTests
{
    private static PeerOptions Quick()
    {
        var options = TcpTestOptions.FastLiveness();
        options.HistoryWindow = TimeSpan.FromSeconds(30);
        return options;
    }

    private static ExperimentOptions Options(WorkloadKind workload, int peers) => new()
    {
        Seeds = 3,
        Peers = peers,
        RunSeed = 3,
        Workload = workload,
        Peer = Quick(),
        SampleInterval = TimeSpan.FromMilliseconds(250),
        DrainTimeout = TimeSpan.FromSeconds(20),
        Security = new SecurityOptions { Links = LinkSecurity.Plain }, // timed for plain joins; TLS: Integration/TlsNetworkTests.cs
    };

    [Test]
    [CancelAfter(60_000)]
    public async Task A_seed_restarted_on_its_port_relearns_every_peer_while_gossip_goes_on(CancellationToken ct)
    {
        var options = Options(WorkloadKind.SeedCrash, peers: 20) with
        {
            Messages = 20,
            Spacing = TimeSpan.FromMilliseconds(50),
            SeedRestartAfter = TimeSpan.FromMilliseconds(500),
        };

        var report = await new TcpExperiment(options).RunAsync(cancellationToken: ct);

        var seedCrash = report.Faults.SeedCrash!;
        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(seedCrash.RestartAtMs, Is.Not.Null);
            Assert.That(seedCrash.RelearnedAfterMs, Is.Not.Null, "the new seed on the old port heard every peer again");
            foreach (var seed in seedCrash.SeedsCrashed)
            {
                Assert.That(seedCrash.PeerListsAtEnd[seed], Is.EqualTo(seedCrash.PeerListsBeforeCrash[seed]), $"seed {seed} lists every peer again");
            }
            // A peer whose two re-registrations in a row fell while the seed was down also registered with another seed
            // (failover), so the others may list more; none lists fewer.
            Assert.That(seedCrash.PeerListsAtEnd.Zip(seedCrash.PeerListsBeforeCrash, (end, before) => end >= before), Has.All.True);
            Assert.That(report.Faults.LivePeersReportedDead, Is.Zero);
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Under_churn_on_tcp_every_peer_that_stays_gets_every_message(CancellationToken ct)
    {
        var options = Options(WorkloadKind.Churn, peers: 30) with
        {
            Messages = 30,
            Spacing = TimeSpan.FromMilliseconds(50),
            ChurnLeaveShare = 0.2,
            ChurnJoinShare = 0.2,
        };

        var report = await new TcpExperiment(options).RunAsync(cancellationToken: ct);

        var churn = report.Faults.Churn!;
        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That((churn.PeersLeftCleanly, churn.PeersCrashed), Is.EqualTo((3, 3)));
            Assert.That(churn.PeersJoinedLate, Is.EqualTo(6));
            Assert.That(report.Crash!.DetectedEverywhere + report.Crash.SeedRemovalsMissing, Is.GreaterThan(0));
            Assert.That(report.Faults.LivePeersReportedDead, Is.Zero);
            Assert.That(report.Faults.LeaversReportedDead, Is.Zero);
            Assert.That(report.Connectivity.Samples, Is.Not.Empty);
            Assert.That(report.Connectivity.Samples[^1].LivePeers, Is.EqualTo(30 - 6));
        });
    }

    [Test]
    public void A_partition_on_tcp_is_refused()
    {
        Assert.That(() => new TcpExperiment(Options(WorkloadKind.Partition, peers: 10)),
            Throws.ArgumentException.With.Message.Contains("Experiment:Workload partition runs on the simulated network only"));
    }
}
