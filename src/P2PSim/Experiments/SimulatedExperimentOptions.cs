using P2PSim.Configuration;
using P2PSim.Simulation;

namespace P2PSim.Experiments;

/// <summary>Everything a <see cref="SimulatedExperiment"/> needs; validated once by <see cref="Validate"/>.</summary>
public sealed record SimulatedExperimentOptions
{
    public int Seeds { get; init; } = 3;

    public int Peers { get; init; } = 200;

    /// <summary>Every random choice of the run (seed lists, neighbours, origins, victims, jitter, loss) derives from this.</summary>
    public int RunSeed { get; init; } = 1;

    public Workload Workload { get; init; } = new BurstWorkload();

    public SimulatedNetworkOptions Network { get; init; } = new();

    /// <summary>Peer behaviour. Copied at the start of a run; burst and crash workloads set <c>MessagesPerPeer</c> to 0 in the copy.</summary>
    public PeerOptions Peer { get; init; } = new();

    /// <summary>Most peers a seed puts in one peer list (it samples at random beyond that).</summary>
    public int MaxPeersPerList { get; init; } = 1000;

    /// <summary>
    /// Pause between a join finishing and the next peer starting. Default none: a peer starts as
    /// soon as the one before it has registered and every neighbour dial it made has connected or failed.
    /// </summary>
    public TimeSpan JoinSpacing { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Peers joining at the same time (the first peer always joins alone). 1 is strictly one at a time, as on tcp. More
    /// shortens the virtual time the overlay takes to build, and with it the liveness and re-registration traffic
    /// simulated meanwhile, which grows with the square of the peers (100,000 peers one by one: 400 s of virtual time,
    /// about 30 million events before the first message); each peer still registers after the peers before it have
    /// finished, so it always finds and links to an earlier peer. 0, the default, is one per started thousand peers:
    /// 1 up to 1,999 peers (every run that is compared with tcp), 100 for 100,000 (<see cref="EffectiveJoinConcurrency"/>).
    /// </summary>
    public int JoinConcurrency { get; init; }

    /// <summary>The peers that join at once: <see cref="JoinConcurrency"/>, or with 0 one per thousand peers (at least 1).</summary>
    public int EffectiveJoinConcurrency => JoinConcurrency > 0 ? JoinConcurrency : Math.Max(1, Peers / 1000);

    /// <summary>Longest a join may take before the next peer starts anyway (the late peer is counted as not joined).</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest the run waits, after the last message, for gossip still on its way.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Time between two overlay samples (connectivity over time). Zero, the default: <c>Peer.LivenessInterval</c>.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.Zero;

    /// <summary>Least wall-clock time between two progress callbacks.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A private copy of <see cref="Peer"/> for one run (every setting carried over); every workload but classic
    /// drives gossip itself, so there the peers' own timed gossip is off.
    /// </summary>
    public PeerOptions PeerOptionsForRun()
    {
        var copy = Peer.Clone();
        copy.MessagesPerPeer = Workload is ClassicWorkload ? Peer.MessagesPerPeer : 0;
        return copy;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Seeds is < 1 or > SimulatedAddresses.MaxSeeds)
        {
            throw new ArgumentException($"{nameof(Seeds)} must be between 1 and {SimulatedAddresses.MaxSeeds} (got {Seeds}).");
        }
        if (Peers is < 0 or > SimulatedAddresses.MaxPeers)
        {
            throw new ArgumentException($"{nameof(Peers)} must be between 0 and {SimulatedAddresses.MaxPeers} (got {Peers}).");
        }
        ArgumentNullException.ThrowIfNull(Workload);
        ArgumentNullException.ThrowIfNull(Network);
        ArgumentNullException.ThrowIfNull(Peer);
        Workload.Validate();
        Network.Validate();
        if (Peer.MaxNeighbours < 1 || Peer.MessagesPerPeer < 0 || Peer.MaxMissedLiveness < 1
            || Peer.GossipInterval <= TimeSpan.Zero || Peer.LivenessInterval <= TimeSpan.Zero
            || Peer.RegistrationTimeout <= TimeSpan.Zero || Peer.RetryInterval <= TimeSpan.Zero
            || Peer.MessageListCapacity < 1 || Peer.MessageListTtl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(Peer)} has a count below its minimum or an interval that is not positive.");
        }
        if (MaxPeersPerList < 1)
        {
            throw new ArgumentException($"{nameof(MaxPeersPerList)} must be at least 1 (got {MaxPeersPerList}).");
        }
        if (JoinConcurrency < 0)
        {
            throw new ArgumentException($"{nameof(JoinConcurrency)} must be 0 (automatic) or more (got {JoinConcurrency}).");
        }
        if (JoinSpacing < TimeSpan.Zero || JoinTimeout <= TimeSpan.Zero || DrainTimeout <= TimeSpan.Zero || ProgressInterval < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(JoinSpacing)} must not be negative; {nameof(JoinTimeout)} and {nameof(DrainTimeout)} must be positive.");
        }
        if (SampleInterval < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(SampleInterval)} must not be negative (got {SampleInterval}).");
        }
        if (Workload is SeedCrashWorkload { Seeds: var crashing } && crashing > Seeds)
        {
            throw new ArgumentException($"{nameof(SeedCrashWorkload)}.{nameof(SeedCrashWorkload.Seeds)} ({crashing}) must not exceed {nameof(Seeds)} ({Seeds}).");
        }
        if (Workload is PartitionWorkload { Duration: var split } && split >= Peer.HistoryWindow)
        {
            throw new ArgumentException(
                $"{nameof(PartitionWorkload)}.{nameof(PartitionWorkload.Duration)} ({split}) must be shorter than {nameof(Peer)}.{nameof(PeerOptions.HistoryWindow)} ({Peer.HistoryWindow}), "
                + "or what one side published falls out of the history before the other side can catch up on it.");
        }
    }
}
