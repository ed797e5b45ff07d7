namespace P2PSim.Experiments;

/// <summary>
/// What went wrong in the run and how the network took it; in every report (the workload-specific parts are
/// null when the workload does not have them). A false death report is a dead-node report, received by a seed,
/// about a peer that had not crashed: the seed refutes it when its own dial reaches the peer, and removes the
/// peer when it does not.
/// </summary>
/// <param name="LivePeersReportedDead">Distinct peers that never crashed nor left but were reported dead (0 is right).</param>
/// <param name="LivePeersRemoved">Of those, peers some seed removed from its list because of such a report.</param>
/// <param name="LivePeersExpired">Distinct peers that never crashed nor left but that a seed removed because they stopped registering (0 is right).</param>
/// <param name="LeaversReportedDead">Distinct peers that left cleanly (goodbye) and were reported dead anyway (0 is right).</param>
/// <param name="CatchUpReceipts">First receipts that came through catch-up (Digest / Want on a new or re-established link).</param>
/// <param name="Churn">The churn workload: who left, crashed and joined late.</param>
/// <param name="SeedCrash">The seedcrash workload: which seeds crashed, their peer lists, how fast a restarted seed relearned them.</param>
/// <param name="Partition">The partition workload: the two sides, and how fast catch-up closed the gap after the heal.</param>
public sealed record FaultReport(
    int LivePeersReportedDead,
    int LivePeersRemoved,
    int LivePeersExpired,
    int LeaversReportedDead,
    long CatchUpReceipts,
    ChurnReport? Churn,
    SeedCrashReport? SeedCrash,
    PartitionReport? Partition);

/// <param name="PeersHeldBack">Peers not started when the overlay was built.</param>
/// <param name="PeersJoinedLate">Of those, peers whose join finished during the run.</param>
/// <param name="PeersLeftCleanly">Peers that stopped with a goodbye.</param>
/// <param name="PeersCrashed">Peers that crashed (also counted in the crash section).</param>
/// <param name="IntervalMs">Time between two churn events.</param>
/// <param name="LastChangeMs">When the last leave or join happened, from the start of the run.</param>
public sealed record ChurnReport(
    int PeersHeldBack,
    int PeersJoinedLate,
    int PeersLeftCleanly,
    int PeersCrashed,
    double IntervalMs,
    double? LastChangeMs);

/// <summary>Peer-list sizes are per seed, in seed order (a crashed seed that stays down keeps its size at the crash).</summary>
/// <param name="SeedsCrashed">Indices (0-based) of the seeds that crashed.</param>
/// <param name="CrashAtMs">When they crashed, from the start of the run.</param>
/// <param name="RestartAtMs">When they came back (null: they stayed down).</param>
/// <param name="PeerListsBeforeCrash">Every seed's peer-list size just before the crash.</param>
/// <param name="PeerListsAtEnd">Every seed's peer-list size at the end of the run.</param>
/// <param name="RelearnedAfterMs">Restart to the moment every restarted seed listed as many peers as before its crash (null: not within the run).</param>
public sealed record SeedCrashReport(
    int[] SeedsCrashed,
    double CrashAtMs,
    double? RestartAtMs,
    int[] PeerListsBeforeCrash,
    int[] PeerListsAtEnd,
    double? RelearnedAfterMs);

/// <param name="SideA">Peers cut off.</param>
/// <param name="SideB">The other peers.</param>
/// <param name="StartMs">When the network split, from the start of the run.</param>
/// <param name="HealMs">When it healed.</param>
/// <param name="MessagesDuringPartition">Messages published while it was split.</param>
/// <param name="CaughtUpAfterHealMs">Heal to the last expected receipt, when every expected receipt arrived (null: some never did).</param>
public sealed record PartitionReport(
    int SideA,
    int SideB,
    double StartMs,
    double HealMs,
    int MessagesDuringPartition,
    double? CaughtUpAfterHealMs);

/// <summary>
/// The overlay sampled at a fixed interval from the start of the workload to the end of the run: the live
/// peers (started, joined or joining, not crashed, not leaving), the connected components of the neighbour graph
/// among them, and the share of them in the largest component (1 = connected).
/// </summary>
/// <param name="SampleIntervalMs">Time between two samples.</param>
/// <param name="MinLargestComponentShare">The lowest share of live peers in the largest component over the run.</param>
/// <param name="MinAtMs">When that lowest share was first seen, from the start of the run.</param>
/// <param name="MaxComponents">The most components seen.</param>
/// <param name="Samples">Every sample, in time order.</param>
public sealed record ConnectivityReport(
    double SampleIntervalMs,
    double? MinLargestComponentShare,
    double? MinAtMs,
    int MaxComponents,
    ConnectivitySample[] Samples);

/// <param name="AtMs">When, from the start of the run.</param>
/// <param name="LivePeers">Live peers then.</param>
/// <param name="Components">Connected components among them.</param>
/// <param name="LargestComponent">Peers in the largest component.</param>
/// <param name="LargestComponentShare">LargestComponent / LivePeers (1 when there are no live peers).</param>
/// <param name="CrashedStillListed">Crashed peers that some seed which listed them at the crash still lists (0 once every seed removed them).</param>
/// <remarks>
/// The load then: <see cref="Backlog"/>, expected deliveries of the messages originated so far that had not happened
/// yet (receipts still owed); <see cref="QueuedBytes"/> (tcp), wire bytes queued in every send and receive queue of
/// the process (what the process queue budget counts); <see cref="FramesInFlight"/> (simulated, which has no queues),
/// frames sent and not yet delivered on the links.
/// </remarks>
public sealed record ConnectivitySample(
    double AtMs,
    int LivePeers,
    int Components,
    int LargestComponent,
    double LargestComponentShare,
    int CrashedStillListed = 0)
{
    public long? Backlog { get; init; }

    public long? QueuedBytes { get; init; }

    public long? FramesInFlight { get; init; }
}
