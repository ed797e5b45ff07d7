namespace P2PSim.Experiments;

/// <summary>
/// A burst during which <see cref="Seeds"/> random seeds crash abruptly (halfway) and, when
/// <see cref="RestartAfter"/> is positive, come back that much later as new, empty seeds on the same
/// endpoints. Peers keep gossiping meanwhile; they register again every <c>Peer:ReregisterInterval</c>, so a
/// restarted seed relearns them: the run waits for that (at most two re-registration intervals).
/// </summary>
public sealed record SeedCrashWorkload : PublishingWorkload
{
    /// <summary>Seeds that crash. Default 1.</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>Time from the crash to the restart. Default 5 s; zero: the seeds stay down.</summary>
    public TimeSpan RestartAfter { get; init; } = TimeSpan.FromSeconds(5);

    public override string Name => "seedcrash";

    public override string Describe() =>
        $"{DescribeBurst()}; {Seeds} seed(s) crash after message {Messages / 2}"
        + (RestartAfter > TimeSpan.Zero ? $" and restart {RestartAfter.TotalSeconds:0.###} s later" : " and stay down");

    internal override void Validate()
    {
        base.Validate();
        if (Seeds < 1)
        {
            throw new ArgumentException($"{nameof(SeedCrashWorkload)}.{nameof(Seeds)} must be at least 1 (got {Seeds}).");
        }
        if (RestartAfter < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(SeedCrashWorkload)}.{nameof(RestartAfter)} must not be negative (got {RestartAfter}).");
        }
    }
}

/// <summary>
/// Continuous churn during a burst. <see cref="JoinShare"/> of the peers are held back when the overlay is
/// built and join one at a time during the run; <see cref="LeaveShare"/> of the peers (picked among the others)
/// leave during the run, <see cref="CrashShare"/> of those by crashing, the rest cleanly (goodbye). Leaves and
/// joins alternate, one every <see cref="Interval"/> from the first message (zero: spread evenly over the burst;
/// churn that does not fit in the burst goes on after the last message). Messages come from peers that stay.
/// Expected receivers of a message: peers that had joined when it was published and never leave.
/// </summary>
public sealed record ChurnWorkload : PublishingWorkload
{
    /// <summary>Share of all peers that leave during the run. Default 10%.</summary>
    public double LeaveShare { get; init; } = 0.1;

    /// <summary>Share of the leavers that crash instead of saying goodbye. Default 50%.</summary>
    public double CrashShare { get; init; } = 0.5;

    /// <summary>Share of all peers held back at the start that join during the run. Default 10%.</summary>
    public double JoinShare { get; init; } = 0.1;

    /// <summary>Time between two churn events (a leave or a join). Zero, the default: the burst divided evenly.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.Zero;

    public override string Name => "churn";

    public override string Describe() =>
        $"{DescribeBurst()}; {LeaveShare:P0} of peers leave ({CrashShare:P0} of them by crashing), {JoinShare:P0} join late, "
        + (Interval > TimeSpan.Zero ? $"one change every {Interval.TotalMilliseconds:0.###} ms" : "spread over the burst");

    internal override void Validate()
    {
        base.Validate();
        CheckShare($"{nameof(ChurnWorkload)}.{nameof(LeaveShare)}", LeaveShare);
        CheckShare($"{nameof(ChurnWorkload)}.{nameof(CrashShare)}", CrashShare);
        CheckShare($"{nameof(ChurnWorkload)}.{nameof(JoinShare)}", JoinShare);
        if (LeaveShare + JoinShare >= 1)
        {
            throw new ArgumentException($"{nameof(ChurnWorkload)}.{nameof(LeaveShare)} + {nameof(JoinShare)} must be below 1, so some peers stay throughout (got {LeaveShare + JoinShare}).");
        }
        if (Interval < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(ChurnWorkload)}.{nameof(Interval)} must not be negative (got {Interval}).");
        }
    }
}

/// <summary>
/// A burst during which the network splits: halfway, a random <see cref="Share"/> of the peers is cut off from
/// the rest (every link between the two groups reset, dials across refused; the seeds still reach both), and
/// after <see cref="Duration"/> the network heals. Messages are published on both sides meanwhile. The links
/// come back when the peers dial again, and catch-up (Digest / Want) hands each side what the other published,
/// so <see cref="Duration"/> must be shorter than <c>Peer:HistoryWindow</c>. Simulated network only.
/// </summary>
public sealed record PartitionWorkload : PublishingWorkload
{
    /// <summary>Share of the peers cut off from the rest, in (0, 1). Default 50%.</summary>
    public double Share { get; init; } = 0.5;

    /// <summary>How long the partition lasts. Default 20 s.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    public override string Name => "partition";

    public override string Describe() =>
        $"{DescribeBurst()}; after message {Messages / 2} {Share:P0} of peers are cut off for {Duration.TotalSeconds:0.###} s, then the network heals";

    internal override void Validate()
    {
        base.Validate();
        if (double.IsNaN(Share) || Share is <= 0 or >= 1)
        {
            throw new ArgumentException($"{nameof(PartitionWorkload)}.{nameof(Share)} must be between 0 and 1, both excluded (got {Share}).");
        }
        if (Duration <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(PartitionWorkload)}.{nameof(Duration)} must be positive (got {Duration}).");
        }
    }
}
