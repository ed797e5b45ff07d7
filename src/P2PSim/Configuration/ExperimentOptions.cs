namespace P2PSim.Configuration;

/// <summary>Section <c>Experiment</c>: the <c>experiment</c> command (peer behaviour comes from section <c>Peer</c>).</summary>
public sealed class ExperimentOptions
{
    public const string Section = "Experiment";

    /// <summary><c>tcp</c>: real nodes on loopback TCP, as in the demo. <c>simulated</c>: the same state machines on an in-memory network in virtual time.</summary>
    public string Network { get; set; } = "tcp";

    /// <summary><c>burst</c>, <c>classic</c>, <c>crash</c>, <c>seedcrash</c>, <c>churn</c> or <c>partition</c> (simulated only).</summary>
    public string Workload { get; set; } = "burst";

    public int Seeds { get; set; } = 3;

    public int Peers { get; set; } = 200;

    /// <summary>Seed of every random choice of the run; printed in the report.</summary>
    public int RunSeed { get; set; } = 1;

    /// <summary>Every workload but classic: messages published, one at a time, from random live peers.</summary>
    public int Messages { get; set; } = 100;

    /// <summary>Every workload but classic: time between two published messages.</summary>
    public TimeSpan Spacing { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Time between two samples of the overlay (connectivity over time); zero: <c>Peer:LivenessInterval</c>.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.Zero;

    /// <summary>crash: share of the peers that crash abruptly halfway through the burst (0.3: a mass crash).</summary>
    public double CrashShare { get; set; } = 0.1;

    /// <summary>seedcrash: seeds that crash halfway through the burst.</summary>
    public int SeedCrashes { get; set; } = 1;

    /// <summary>seedcrash: time from the crash until the seeds restart, empty, on their ports; zero: they stay down.</summary>
    public TimeSpan SeedRestartAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>churn: share of the peers that leave during the run.</summary>
    public double ChurnLeaveShare { get; set; } = 0.1;

    /// <summary>churn: share of the leavers that crash instead of saying goodbye.</summary>
    public double ChurnCrashShare { get; set; } = 0.5;

    /// <summary>churn: share of the peers held back at the start that join during the run.</summary>
    public double ChurnJoinShare { get; set; } = 0.1;

    /// <summary>churn: time between two churn events (a leave or a join); zero: spread evenly over the burst.</summary>
    public TimeSpan ChurnInterval { get; set; } = TimeSpan.Zero;

    /// <summary>partition: share of the peers cut off from the rest.</summary>
    public double PartitionShare { get; set; } = 0.5;

    /// <summary>partition: how long the network stays split; must be shorter than <c>Peer:HistoryWindow</c>.</summary>
    public TimeSpan PartitionDuration { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>simulated: one-way latency of every link.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>simulated: extra random delay per message, uniform in [0, Jitter).</summary>
    public TimeSpan Jitter { get; set; } = TimeSpan.Zero;

    /// <summary>simulated: probability that a gossip message is lost on a link.</summary>
    public double Loss { get; set; }

    /// <summary>simulated: peers joining at the same time (1 = strictly one by one, as on tcp; 0 = one per thousand peers, at least 1).</summary>
    public int JoinConcurrency { get; set; }

    /// <summary>Where the JSON report is written; <c>{network}</c>, <c>{workload}</c>, <c>{peers}</c> and <c>{seed}</c> are filled in.</summary>
    public string ReportPath { get; set; } = "experiments/{network}-{workload}-{peers}-seed{seed}.json";
}
