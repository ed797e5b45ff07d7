namespace P2PSim.Experiments;

/// <summary>
/// A burst during which <see cref="Seeds"/> random seeds crash abruptly (halfway) and, when
/// <see cref="RestartAfter"/> is positive, come back that much later as new, empty seeds on the same
/// endpoints. Peers keep gossiping meanwhile; they register again every <c>Peer:ReregisterInterval</c>, so a
/// restarted seed relearns them: the run waits for that (at most two re-registration intervals).
/// </summary>
internal sealed record SeedCrashWorkload : PublishingWorkload
{
    /// <summary>Seeds that crash.</summary>
    public required int Seeds { get; init; }

    /// <summary>Time from the crash to the restart; zero: the seeds stay down.</summary>
    public required TimeSpan RestartAfter { get; init; }

    public override string Name => "seedcrash";

    public override string Describe() =>
        $"{DescribeBurst()}; {Seeds} seed(s) crash after message {Messages / 2}"
        + (RestartAfter > TimeSpan.Zero ? $" and restart {RestartAfter.TotalSeconds:0.###} s later" : " and stay down");
}

/// <summary>
/// Continuous churn during a burst. <see cref="JoinShare"/> of the peers are held back when the overlay is
/// built and join one at a time during the run; <see cref="LeaveShare"/> of the peers (picked among the others)
/// leave during the run, <see cref="CrashShare"/> of those by crashing, the rest cleanly (goodbye). Leaves and
/// joins alternate, one every <see cref="Interval"/> from the first message (zero: spread evenly over the burst;
/// churn that does not fit in the burst goes on after the last message). Messages come from peers that stay.
/// Expected receivers of a message: peers that had joined when it was published and never leave.
/// </summary>
internal sealed record ChurnWorkload : PublishingWorkload
{
    /// <summary>Share of all peers that leave during the run.</summary>
    public required double LeaveShare { get; init; }

    /// <summary>Share of the leavers that crash instead of saying goodbye.</summary>
    public required double CrashShare { get; init; }

    /// <summary>Share of all peers held back at the start that join during the run.</summary>
    public required double JoinShare { get; init; }

    /// <summary>Time between two churn events (a leave or a join). Zero: the burst divided evenly.</summary>
    public required TimeSpan Interval { get; init; }

    public override string Name => "churn";

    public override string Describe() =>
        $"{DescribeBurst()}; {LeaveShare:P0} of peers leave ({CrashShare:P0} of them by crashing), {JoinShare:P0} join late, "
        + (Interval > TimeSpan.Zero ? $"one change every {Interval.TotalMilliseconds:0.###} ms" : "spread over the burst");
}

/// <summary>
/// A burst during which the network splits: halfway, a random <see cref="Share"/> of the peers is cut off from
/// the rest (every link between the two groups reset, dials across refused; the seeds still reach both), and
/// after <see cref="Duration"/> the network heals. Messages are published on both sides meanwhile. The links
/// come back when the peers dial again, and catch-up (Digest / Want) hands each side what the other published,
/// so <see cref="Duration"/> must be shorter than <c>Peer:HistoryWindow</c>. Simulated network only.
/// </summary>
internal sealed record PartitionWorkload : PublishingWorkload
{
    /// <summary>Share of the peers cut off from the rest, in (0, 1).</summary>
    public required double Share { get; init; }

    /// <summary>How long the partition lasts.</summary>
    public required TimeSpan Duration { get; init; }

    public override string Name => "partition";

    public override string Describe() =>
        $"{DescribeBurst()}; after message {Messages / 2} {Share:P0} of peers are cut off for {Duration.TotalSeconds:0.###} s, then the network heals";
}

/// <summary>
/// <see cref="PublishingWorkload.Messages"/> private messages, one every <see cref="PublishingWorkload.Spacing"/>, each
/// from a random peer that stays to a random other peer (drawn before the run). <see cref="NotDialableShare"/> of the
/// peers cannot be dialled (as behind a NAT), so messages to them go through a seed; halfway, <see cref="CrashShare"/>
/// of the peers crash, so messages to them from then on are undeliverable (reported so after the retries). No gossip is
/// published. The run waits until every message is acknowledged or reported undeliverable.
/// </summary>
internal sealed record PrivateWorkload : PublishingWorkload
{
    /// <summary>Share of the peers that cannot be dialled from outside.</summary>
    public required double NotDialableShare { get; init; }

    /// <summary>Share of the peers that crash halfway (never senders).</summary>
    public required double CrashShare { get; init; }

    public override string Name => "private";

    public override string Describe() =>
        $"{Messages} private messages, one every {Spacing.TotalMilliseconds:0.###} ms, between random peers; {NotDialableShare:P0} of peers cannot be dialled; "
        + $"{CrashShare:P0} of peers crash after message {Messages / 2}";
}
