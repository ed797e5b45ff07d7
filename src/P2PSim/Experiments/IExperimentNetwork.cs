using P2PSim.Protocol;

namespace P2PSim.Experiments;

/// <summary>
/// A network under experiment, as the workloads (<see cref="WorkloadRunner"/>) see it. Two implementations:
/// <see cref="SimulatedExperimentNetwork"/> (virtual time; every call has completed when it returns, so a run
/// stays single-threaded and deterministic) and <see cref="TcpExperimentNetwork"/> (real nodes on loopback,
/// wall-clock time). Peers are numbered 0 to <see cref="PeerCount"/> - 1, seeds 0 to <see cref="SeedCount"/> - 1.
/// <para>
/// The network owns the <see cref="ExperimentRecorder"/> and feeds it every node event; it also records in it
/// what it does itself (joins, crashes, leaves, seed crashes and restarts). Workloads read and mark the recorder
/// only through <see cref="Read"/> and <see cref="Write"/> (on tcp, node events arrive on many threads).
/// </para>
/// </summary>
public interface IExperimentNetwork
{
    /// <summary>"simulated" or "tcp", for the report.</summary>
    string Kind { get; }

    int SeedCount { get; }

    /// <summary>Every peer of the run, those held back to join later included.</summary>
    int PeerCount { get; }

    /// <summary>When the run started: times in the report count from here.</summary>
    DateTimeOffset Start { get; }

    DateTimeOffset Now { get; }

    /// <summary>Whether <see cref="PartitionAsync"/> is supported.</summary>
    bool CanPartition { get; }

    /// <summary>The phase shown in progress lines (join, workload, drain, recovery).</summary>
    string Phase { get; set; }

    T Read<T>(Func<ExperimentRecorder, T> read);

    void Write(Action<ExperimentRecorder> write);

    /// <summary>
    /// Starts peers 0 to <paramref name="peers"/> - 1, which join one at a time (the others are held back), and
    /// returns once all have joined (or given up), recording each join in the recorder as it finishes.
    /// </summary>
    ValueTask<JoinOutcome> JoinAsync(int peers, CancellationToken cancellationToken);

    /// <summary>Starts a held-back peer; it joins in the background and its join is recorded when it finishes.</summary>
    ValueTask StartPeerAsync(int peer, CancellationToken cancellationToken);

    /// <summary>Started, not crashed, not stopped or stopping: may publish, counts in overlay samples.</summary>
    bool IsLive(int peer);

    /// <summary>Has the peer originate one gossip message now.</summary>
    ValueTask PublishAsync(int peer, CancellationToken cancellationToken);

    /// <summary>Has peer <paramref name="from"/> send a private message to peer <paramref name="to"/> now (crashed or not).</summary>
    ValueTask SendPrivateAsync(int from, int to, CancellationToken cancellationToken);

    /// <summary>groups: the peer joins <paramref name="group"/> now (the recorder learns it from the peer's event).</summary>
    ValueTask JoinGroupAsync(int peer, string group, CancellationToken cancellationToken);

    /// <summary>groups: the peer leaves <paramref name="group"/> now.</summary>
    ValueTask LeaveGroupAsync(int peer, string group, CancellationToken cancellationToken);

    /// <summary>groups: the peer publishes one message to <paramref name="group"/>; false when it is not a member (nothing is sent).</summary>
    ValueTask<bool> PublishToGroupAsync(int peer, string group, CancellationToken cancellationToken);

    /// <summary>
    /// groups: payload copies of a group's message that reached a node that was not a member of the group at that moment;
    /// null where the network cannot see frames on their way (tcp: the recorder's receipts tell it there).
    /// </summary>
    long? GroupPayloadLeaks { get; }

    /// <summary>Crashes the peers at once (no goodbye) and records each, with the running seeds that listed it.</summary>
    ValueTask CrashPeersAsync(IReadOnlyList<int> peers, CancellationToken cancellationToken);

    /// <summary>Starts a clean leave (goodbyes to neighbours and seeds) and records it; returns without waiting for the goodbyes.</summary>
    ValueTask StopPeerAsync(int peer, CancellationToken cancellationToken);

    /// <summary>Crashes the seeds at once and records each crash.</summary>
    ValueTask CrashSeedsAsync(IReadOnlyList<int> seeds, CancellationToken cancellationToken);

    /// <summary>Starts a new, empty seed on each crashed seed's endpoint, recording each restart before the new seed runs.</summary>
    ValueTask RestartSeedsAsync(IReadOnlyList<int> seeds, CancellationToken cancellationToken);

    /// <summary>Cuts every link between the two groups of peers until <see cref="HealAsync"/>; the seeds reach both.</summary>
    ValueTask PartitionAsync(IReadOnlyList<int> sideA, IReadOnlyList<int> sideB, CancellationToken cancellationToken);

    ValueTask HealAsync(CancellationToken cancellationToken);

    /// <summary>Lets the network run until <paramref name="at"/> (returns at once when that has passed).</summary>
    ValueTask DelayUntilAsync(DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Lets the network run until <paramref name="done"/> holds (true) or <paramref name="deadline"/> passes (false).
    /// <paramref name="done"/> is checked after every event (simulated) or every 50 ms (tcp), so it must be cheap.
    /// </summary>
    ValueTask<bool> WaitUntilAsync(Func<bool> done, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>
    /// Lets the network run until the gossip sent so far has landed, or <paramref name="deadline"/>: simulated, no gossip
    /// frame in flight; tcp, which cannot see in-flight frames, every expected receipt arrived.
    /// </summary>
    ValueTask WaitForGossipAsync(DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>The live peers and their connected neighbours now.</summary>
    ValueTask<OverlaySnapshot> SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>From now on, hands <paramref name="sampler"/> a snapshot every <see cref="ConnectivitySampler.Interval"/>, the first one now.</summary>
    void StartSampling(ConnectivitySampler sampler);

    /// <summary>Takes a last sample now (unless one was just taken) and stops sampling.</summary>
    ValueTask StopSamplingAsync(CancellationToken cancellationToken);

    /// <summary>What only the network knows for the report: its link model, its traffic counts, its events.</summary>
    NetworkFacts Facts();

    /// <summary>Payload transmissions so far, as <see cref="Facts"/> counts them; cheap enough for every publish step.</summary>
    long PayloadTransmissions { get; }
}

/// <summary>How the initial join went.</summary>
/// <param name="BuildTime">From the first peer start until the last join finished.</param>
/// <param name="NotJoined">Peers whose join did not finish in time (they run on, counted as joined late).</param>
/// <param name="Gossiping">Peers that finished registering, so gossip on their own timer in the classic workload.</param>
public sealed record JoinOutcome(TimeSpan BuildTime, int NotJoined, int Gossiping, int JoinedAtOnce = 1)
{
    /// <summary>tcp: how long making (or loading) every node's key and its id's work took, before the first peer started; not in <see cref="BuildTime"/>.</summary>
    public TimeSpan? KeysTime { get; init; }
}

/// <summary>The network-specific parts of a report. -1 means "not counted on this network".</summary>
public sealed record NetworkFacts(
    LinkSettings? Links,
    long PayloadTransmissions,
    long MessagesSent,
    long BytesSent,
    long PayloadBytes,
    long MessagesLost,
    long? EventsProcessed,
    long? DuplicatesDropped = null,
    FrameDropsReport? SendQueueDrops = null,
    TreeControlCounts? TreeControl = null,
    long? DirectAcks = null,
    long? SignatureChecks = null);
