namespace P2PSim.Experiments;

/// <summary>
/// What the peers do once the overlay is built, as the <see cref="WorkloadRunner"/> carries it out: one of the records
/// below or in <c>FaultWorkloads.cs</c>, built (and its settings checked) from an <see cref="ExperimentOptions"/> by
/// <see cref="ExperimentOptions.WorkloadToRun"/>, where the defaults live too.
/// </summary>
internal abstract record Workload
{
    /// <summary>Short name for reports: burst, classic, crash, seedcrash, churn, partition, private, groups or attack.</summary>
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
/// Group messages: <see cref="Groups"/> groups (<c>g0</c>, <c>g1</c>, ...), each joined at the start by a random
/// <see cref="Share"/> of the peers (drawn apart for each group, so groups overlap), then a burst of <see cref="Messages"/>
/// group messages, each published to a random group by a random live member of it, while <see cref="Changes"/>
/// membership changes (a random peer joins a random group it is not in, or leaves one it is in, in about equal numbers)
/// are spread evenly over the burst. Expected receivers of a message: the peers that were members of its group when it
/// was published and stayed members to the end, its publisher excluded. A copy of a group's payload that reaches any
/// other node is leakage (counted on the simulated network; 0 is the only right value).
/// </summary>
internal sealed record GroupsWorkload : PublishingWorkload
{
    /// <summary>Groups of the run.</summary>
    public required int Groups { get; init; }

    /// <summary>Share of the peers each group starts with (at least one member each).</summary>
    public required double Share { get; init; }

    /// <summary>Membership changes (joins and leaves) during the burst.</summary>
    public required int Changes { get; init; }

    public override string Name => "groups";

    public override string Describe() =>
        $"{DescribeBurst()} to {Groups} groups of about {Share:P0} of the peers each, from random members; {Changes} membership changes meanwhile";

    /// <summary>The name of group number <paramref name="index"/>.</summary>
    public static string GroupName(int index) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"g{index}");
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
