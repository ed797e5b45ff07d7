namespace P2PSim.Experiments;

/// <summary>
/// What the peers do once the overlay is built, as the <see cref="WorkloadRunner"/> carries it out: one of the records
/// below or in <c>FaultWorkloads.cs</c>, built (and its settings checked) from an <see cref="ExperimentOptions"/> by
/// <see cref="ExperimentOptions.WorkloadToRun"/>, where the defaults live too.
/// </summary>
internal abstract record Workload
{
    /// <summary>Short name for reports: burst, classic, crash, seedcrash, churn, partition or private.</summary>
    public abstract string Name { get; }

    /// <summary>One line for the text report.</summary>
    public abstract string Describe();
}

/// <summary>
/// A burst of <see cref="Messages"/> gossip messages, published one at a time, every <see cref="Spacing"/>,
/// each from a peer picked at random among the running ones, with the peers' own timed gossip switched off
/// (<c>MessagesPerPeer = 0</c>). The fault workloads are bursts with something going wrong halfway:
/// their faults start just before message <c>Messages / 2</c> (at <see cref="FaultOffset"/>).
/// </summary>
internal abstract record PublishingWorkload : Workload
{
    public required int Messages { get; init; }

    public required TimeSpan Spacing { get; init; }

    /// <summary>How long the burst lasts: <c>Messages x Spacing</c>.</summary>
    public TimeSpan BurstLength => Spacing * Messages;

    /// <summary>When the faults of the workload start, from the first message: half a spacing before message Messages/2.</summary>
    public TimeSpan FaultOffset => Messages == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(0, (Spacing * (Messages / 2)).Ticks - (Spacing.Ticks / 2)));

    private protected string DescribeBurst() => $"{Messages} messages, one every {Spacing.TotalMilliseconds:0.###} ms";
}

/// <summary>A burst on a quiet overlay: measures dissemination alone.</summary>
internal sealed record BurstWorkload : PublishingWorkload
{
    public override string Name => "burst";

    public override string Describe() => $"{DescribeBurst()} from random live peers";
}

/// <summary>
/// The original behaviour: every peer originates <c>MessagesPerPeer</c> messages, one every
/// <c>GossipInterval</c>, on its own timer from the moment it joined (so early messages go
/// out while later peers are still joining; a peer is only expected to receive messages
/// originated after its join).
/// </summary>
internal sealed record ClassicWorkload : Workload
{
    public override string Name => "classic";

    public override string Describe() => "every peer gossips MessagesPerPeer messages on its own GossipInterval timer";
}

/// <summary>
/// A burst with failures: halfway through the burst a random <see cref="CrashShare"/> of the peers stops
/// abruptly, all at once, with no goodbye (0.3 is a mass crash). The run continues until every crashed peer
/// has been removed by every seed that listed it and every live peer has every message, or until detection
/// can no longer happen in time.
/// </summary>
internal sealed record CrashWorkload : PublishingWorkload
{
    /// <summary>Share of the peers that crash, in [0, 1].</summary>
    public required double CrashShare { get; init; }

    public override string Name => "crash";

    public override string Describe() => $"{DescribeBurst()}; {CrashShare:P0} of peers crash after message {Messages / 2}";
}
