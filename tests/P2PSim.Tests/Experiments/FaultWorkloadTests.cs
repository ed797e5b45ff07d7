using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.Nodes;
using P2PSim.Simulation;

namespace P2PSim.Tests.Experiments;

/// <summary>The fault workloads on the simulated network: mass crash, seed crash and restart, churn, partition and heal.</summary>
[TestFixture]
[Parallelizable] // the simulated network only: virtual time, no sockets, no shared state (see Parallelism.cs)
public sealed class FaultWorkloadTests
{
    /// <summary>Short intervals, so detection, re-registration and catch-up happen within a few virtual seconds.</summary>
    private static PeerOptions Quick() => new()
    {
        LivenessInterval = TimeSpan.FromSeconds(1),
        RegistrationTimeout = TimeSpan.FromMilliseconds(500),
        RetryInterval = TimeSpan.FromMilliseconds(200),
        ReregisterInterval = TimeSpan.FromSeconds(2),
        HistoryWindow = TimeSpan.FromSeconds(30),
    };

    private static ExperimentOptions Options(WorkloadKind workload, int peers = 60, int seeds = 3, int runSeed = 1) => new()
    {
        Seeds = seeds,
        Peers = peers,
        RunSeed = runSeed,
        Workload = workload,
        Peer = Quick(),
        SampleInterval = TimeSpan.FromMilliseconds(500),
    };

    private static ExperimentReport Run(ExperimentOptions options) => new SimulatedExperiment(options).Run();

    [Test]
    public void A_mass_crash_of_30_percent_keeps_every_live_peer_informed_is_detected_everywhere_and_blames_nobody_alive()
    {
        // Two seeds: every peer registers with both, so every report reaches every seed that listed the dead peer.
        var report = Run(Options(WorkloadKind.Crash, peers: 80, seeds: 2) with { CrashShare = 0.3, Messages = 20 });

        var crash = report.Crash!;
        Assert.Multiple(() =>
        {
            Assert.That(crash.CrashedPeers, Is.EqualTo(24));
            Assert.That(crash.DetectedEverywhere, Is.EqualTo(24));
            Assert.That(crash.SeedRemovalsMissing, Is.Zero);
            Assert.That(report.Faults.LivePeersReportedDead, Is.Zero);
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0), "delivery among the 56 live peers");
            Assert.That(report.Delivery.ExpectedDeliveries, Is.InRange(20 * 55, 20 * 56), "every message: the 56 survivors but its origin");
            Assert.That(report.Connectivity.Samples[^1].LivePeers, Is.EqualTo(56));
            Assert.That(report.Connectivity.Samples[^1].LargestComponentShare, Is.EqualTo(1.0), "the survivors end up in one overlay");
        });
    }

    [Test]
    public void After_a_crash_of_80_percent_the_seeds_drop_even_the_crashed_peers_nobody_reported()
    {
        var report = Run(Options(WorkloadKind.Crash, peers: 150, runSeed: 4) with { CrashShare = 0.8, Messages = 20 });

        var crash = report.Crash!;
        var samples = report.Connectivity.Samples;
        Assert.Multiple(() =>
        {
            Assert.That(crash.SeedRemovalsByExpiry, Is.GreaterThan(0), "some crashed peers had only crashed neighbours: nobody reported them");
            Assert.That(crash.SeedRemovalsMissing, Is.Zero, "the seeds dropped them once they stopped registering");
            Assert.That(crash.DetectedEverywhere, Is.EqualTo(crash.CrashedPeers));
            Assert.That(samples.Max(s => s.CrashedStillListed), Is.GreaterThan(0));
            Assert.That(samples[^1].CrashedStillListed, Is.Zero, "the report shows the dead listed peers going to 0");
            Assert.That(report.Faults.LivePeersExpired, Is.Zero, "no live peer is ever expired");
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
        });
    }

    [Test]
    public void A_crashed_seed_that_restarts_relearns_every_peer_while_gossip_goes_on()
    {
        var options = Options(WorkloadKind.SeedCrash) with { Messages = 30, SeedCrashes = 1, SeedRestartAfter = TimeSpan.FromSeconds(1) };
        var experiment = new SimulatedExperiment(options);

        var report = experiment.Run();

        var seedCrash = report.Faults.SeedCrash!;
        var restarted = seedCrash.SeedsCrashed.Single();
        Assert.That(experiment.Network!.TryGetNode(SimulatedAddresses.Seed(restarted), out var node), Is.True);
        var machineList = ((SeedMachine)experiment.Network.Machine(node)).PeerList.Count;
        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(seedCrash.RestartAtMs - seedCrash.CrashAtMs, Is.EqualTo(1000).Within(0.001));
            Assert.That(seedCrash.PeerListsBeforeCrash[restarted], Is.GreaterThan(0));
            Assert.That(seedCrash.PeerListsAtEnd[restarted], Is.EqualTo(seedCrash.PeerListsBeforeCrash[restarted]), "the restarted seed lists its peers again");
            // While it was down, its peers failed over to the other seeds (Nodes/PeerMachine: seed failover): those lists only grew.
            Assert.That(seedCrash.PeerListsAtEnd.Zip(seedCrash.PeerListsBeforeCrash, (end, before) => end >= before), Is.All.True, "no seed lost a peer");
            Assert.That(machineList, Is.EqualTo(seedCrash.PeerListsAtEnd[restarted]), "the list sizes followed from events are the seed's own");
            Assert.That(seedCrash.RelearnedAfterMs, Is.Not.Null.And.LessThanOrEqualTo(2 * Quick().ReregisterInterval.TotalMilliseconds + 500));
            Assert.That(report.Faults.LivePeersReportedDead, Is.Zero);
        });
    }

    [Test]
    public void Seeds_that_stay_down_do_not_stop_the_gossip()
    {
        var report = Run(Options(WorkloadKind.SeedCrash) with { Messages = 20, SeedCrashes = 2, SeedRestartAfter = TimeSpan.Zero });

        var seedCrash = report.Faults.SeedCrash!;
        Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
        Assert.That(seedCrash.SeedsCrashed, Has.Length.EqualTo(2));
        Assert.That(seedCrash.RestartAtMs, Is.Null);
        Assert.That(seedCrash.RelearnedAfterMs, Is.Null);
    }

    [Test]
    public void Under_churn_every_peer_that_stays_gets_every_message_published_while_it_was_joined()
    {
        var churn = Options(WorkloadKind.Churn, peers: 80) with { Messages = 40, ChurnLeaveShare = 0.2, ChurnCrashShare = 0.5, ChurnJoinShare = 0.2 };

        var report = Run(churn);

        var c = report.Faults.Churn!;
        Assert.Multiple(() =>
        {
            Assert.That((c.PeersLeftCleanly, c.PeersCrashed), Is.EqualTo((8, 8)));
            Assert.That((c.PeersJoinedLate, c.PeersHeldBack), Is.EqualTo((16, 16)));
            Assert.That(c.IntervalMs, Is.EqualTo(4000.0 / 33).Within(0.001), "32 changes spread over a 4 s burst");
            Assert.That(report.Crash!.CrashedPeers, Is.EqualTo(8));
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Delivery.ExpectedDeliveries, Is.LessThan(40L * 63), "leavers and late joiners are not expected for every message");
            Assert.That(report.Faults.LivePeersReportedDead, Is.Zero);
            Assert.That(report.Faults.LeaversReportedDead, Is.Zero, "a clean leave is never reported as a death");
            Assert.That(report.Connectivity.Samples[0].LivePeers, Is.EqualTo(64), "the held-back peers are not in the overlay yet");
            Assert.That(report.Connectivity.Samples[^1].LivePeers, Is.EqualTo(64), "16 left, 16 joined");
            Assert.That(report.Connectivity.Samples[^1].Components, Is.EqualTo(1));
        });
    }

    [Test]
    public void After_a_partition_heals_catch_up_delivers_what_each_side_missed()
    {
        var partition = Options(WorkloadKind.Partition) with { Messages = 40, PartitionShare = 0.5, PartitionDuration = TimeSpan.FromMilliseconds(1500) };

        var report = Run(partition);

        var p = report.Faults.Partition!;
        var during = report.Connectivity.Samples.Where(s => s.AtMs > p.StartMs && s.AtMs < p.HealMs).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That((p.SideA, p.SideB), Is.EqualTo((30, 30)));
            Assert.That(p.MessagesDuringPartition, Is.GreaterThan(10), "both sides publish while split");
            Assert.That(during, Is.Not.Empty);
            Assert.That(during.Select(s => s.Components), Has.All.GreaterThanOrEqualTo(2), "the cut splits the overlay");
            Assert.That(report.Connectivity.MinLargestComponentShare, Is.LessThanOrEqualTo(0.5));
            Assert.That(report.Connectivity.Samples[^1].Components, Is.EqualTo(1), "one overlay again after the heal");
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0), "every live peer has every message");
            Assert.That(report.Faults.CatchUpReceipts, Is.GreaterThan(0), "the re-established links carried the missed messages");
            Assert.That(p.CaughtUpAfterHealMs, Is.Not.Null.And.LessThan(3 * Quick().LivenessInterval.TotalMilliseconds));
            Assert.That(report.Faults.LivePeersReportedDead, Is.Zero, "healed before anyone was declared dead");
        });
    }

    [Test]
    public void A_partition_long_enough_for_deaths_is_reported_honestly_and_still_heals_completely()
    {
        // 6 s: the cross links count as dead after 3 missed 1 s rounds, their reports reach the seeds, which still
        // reach both sides and refute them. Nobody is removed; after the heal the peers dial their suspects again.
        var partition = Options(WorkloadKind.Partition) with { Messages = 20, PartitionShare = 0.5, PartitionDuration = TimeSpan.FromSeconds(6) };

        var report = Run(partition);

        Assert.That(report.Faults.LivePeersReportedDead, Is.GreaterThan(0), "reports across the cut are false, and counted");
        Assert.That(report.Faults.LivePeersRemoved, Is.Zero, "the seeds checked them and removed nobody");
        Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
        Assert.That(report.Connectivity.Samples[^1].Components, Is.EqualTo(1));
    }

    private static readonly TestCaseData[] FaultRuns =
    [
        new TestCaseData(Options(WorkloadKind.Crash, peers: 40, runSeed: 5) with { CrashShare = 0.3, Messages = 10 }).SetArgDisplayNames("crash"),
        new TestCaseData(Options(WorkloadKind.SeedCrash, peers: 40, runSeed: 5) with { Messages = 10, SeedRestartAfter = TimeSpan.FromSeconds(1) }).SetArgDisplayNames("seedcrash"),
        new TestCaseData(Options(WorkloadKind.Churn, peers: 40, runSeed: 5) with { Messages = 10, ChurnLeaveShare = 0.2, ChurnJoinShare = 0.2 }).SetArgDisplayNames("churn"),
        new TestCaseData(Options(WorkloadKind.Partition, peers: 40, runSeed: 5) with { Messages = 10, PartitionDuration = TimeSpan.FromSeconds(1) }).SetArgDisplayNames("partition"),
    ];

    [TestCaseSource(nameof(FaultRuns))]
    public void Two_runs_with_one_seed_give_the_same_report(ExperimentOptions run)
    {
        var options = run with { Jitter = TimeSpan.FromMilliseconds(2) };

        var first = ReportWriter.ToDeterministicJson(Run(options));
        var second = ReportWriter.ToDeterministicJson(Run(options));

        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void Fault_settings_that_cannot_work_are_refused_with_the_setting_named()
    {
        Assert.That(() => new SimulatedExperiment(Options(WorkloadKind.Partition) with { PartitionDuration = TimeSpan.FromMinutes(1) }),
            Throws.ArgumentException.With.Message.Contains("Experiment:PartitionDuration").And.Message.Contains("Peer:HistoryWindow"));
        Assert.That(() => new SimulatedExperiment(Options(WorkloadKind.SeedCrash) with { SeedCrashes = 4 }),
            Throws.ArgumentException.With.Message.Contains("Experiment:SeedCrashes must be between 1 and 3"));
        Assert.That(() => new SimulatedExperiment(Options(WorkloadKind.Churn) with { ChurnLeaveShare = 0.5, ChurnJoinShare = 0.5 }),
            Throws.ArgumentException.With.Message.Contains("Experiment:ChurnLeaveShare + Experiment:ChurnJoinShare must be below 1"));
        Assert.That(() => new SimulatedExperiment(Options(WorkloadKind.Partition) with { PartitionShare = 1 }),
            Throws.ArgumentException.With.Message.Contains("Experiment:PartitionShare"));
    }
}
