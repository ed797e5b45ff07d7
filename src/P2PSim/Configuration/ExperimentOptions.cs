namespace P2PSim.Configuration;

/// <summary>Section <c>Experiment</c>: the <c>experiment</c> command (peer behaviour comes from section <c>Peer</c>).</summary>
public sealed class ExperimentOptions
{
    public const string Section = "Experiment";

    /// <summary><c>tcp</c>: real nodes on loopback TCP, as in the demo. <c>simulated</c>: the same state machines on an in-memory network in virtual time.</summary>
    public string Network { get; set; } = "tcp";

    /// <summary><c>burst</c>, <c>classic</c> or <c>crash</c>.</summary>
    public string Workload { get; set; } = "burst";

    public int Seeds { get; set; } = 3;

    public int Peers { get; set; } = 200;

    /// <summary>Seed of every random choice of the run; printed in the report.</summary>
    public int RunSeed { get; set; } = 1;

    /// <summary>burst and crash: messages published, one at a time, from random live peers.</summary>
    public int Messages { get; set; } = 100;

    /// <summary>burst and crash: time between two published messages.</summary>
    public TimeSpan Spacing { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>crash: share of the peers that crash abruptly halfway through the burst.</summary>
    public double CrashShare { get; set; } = 0.1;

    /// <summary>simulated: one-way latency of every link.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>simulated: extra random delay per message, uniform in [0, Jitter).</summary>
    public TimeSpan Jitter { get; set; } = TimeSpan.Zero;

    /// <summary>simulated: probability that a gossip message is lost on a link.</summary>
    public double Loss { get; set; }

    /// <summary>simulated: peers joining at the same time (1 = strictly one by one, as on tcp).</summary>
    public int JoinConcurrency { get; set; } = 1;

    /// <summary>Where the JSON report is written; <c>{network}</c>, <c>{workload}</c>, <c>{peers}</c> and <c>{seed}</c> are filled in.</summary>
    public string ReportPath { get; set; } = "experiments/{network}-{workload}-{peers}-seed{seed}.json";
}
