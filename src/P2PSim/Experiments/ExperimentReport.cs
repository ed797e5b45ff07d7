using System.Text.Json.Serialization;
using P2PSim.Protocol;

namespace P2PSim.Experiments;

/// <summary>
/// The outcome of one experiment, the same shape for a simulated and a real (TCP) network so
/// the two can be read side by side. Times are milliseconds (virtual time in a simulation).
/// Everything except <see cref="Resources"/> is a function of the inputs: two simulated runs
/// with the same settings and run seed give identical values (compare with
/// <see cref="ReportWriter.ToDeterministicJson"/>). Null means "not defined for this run".
/// </summary>
/// <param name="NetworkKind">"simulated" or "tcp".</param>
/// <param name="Workload">burst, classic, crash, seedcrash, churn, partition, private, groups or attack.</param>
/// <param name="WorkloadDescription">The workload's parameters in words.</param>
/// <param name="Seeds">Seed nodes.</param>
/// <param name="Peers">Peer nodes.</param>
/// <param name="RunSeed">The seed every random choice of the run derives from.</param>
/// <param name="Protocol">The peer settings that shape the numbers.</param>
/// <param name="Links">The simulated link model (null for a real network).</param>
/// <param name="Overlay">The overlay as it stood when the first peers had joined (all of them, but for the peers churn holds back).</param>
/// <param name="Delivery">Who got what, and how fast.</param>
/// <param name="Traffic">What it cost on the wire.</param>
/// <param name="Crash">Failure detection (when peers crashed: the crash and churn workloads).</param>
/// <param name="Faults">False death reports, catch-up, and what the seedcrash, churn and partition workloads did.</param>
/// <param name="Connectivity">The overlay sampled at a fixed interval through the workload.</param>
/// <param name="DurationMs">Time the run covered, from the first node start to the end (virtual in a simulation).</param>
/// <param name="EventsProcessed">Simulation events handled (null for a real network).</param>
/// <param name="Resources">What the run cost the machine it ran on: varies between runs, never part of a determinism comparison.</param>
public sealed record ExperimentReport(
    string NetworkKind,
    string Workload,
    string WorkloadDescription,
    int Seeds,
    int Peers,
    int RunSeed,
    ProtocolSettings Protocol,
    LinkSettings? Links,
    OverlayReport Overlay,
    DeliveryReport Delivery,
    TrafficReport Traffic,
    CrashReport? Crash,
    FaultReport Faults,
    ConnectivityReport Connectivity,
    double DurationMs,
    long? EventsProcessed,
    ResourceReport? Resources)
{
    /// <summary>
    /// The overlay of <see cref="Overlay"/> itself (who is linked to whom), for the picture in the HTML report; not part
    /// of the JSON (at 100,000 peers it would be most of it), so a report read back from a file has none.
    /// </summary>
    [JsonIgnore]
    public OverlaySnapshot? OverlayGraph { get; init; }

    /// <summary>
    /// tcp: what the links were, <c>tls</c> or <c>plain</c> (<c>Security:Links</c>); null on a simulated network, which
    /// models no TLS (and then not written at all).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LinkSecurity { get; init; }

    /// <summary>Signed messages: whether signatures were made and checked for real, how many were checked, how many messages were refused as forged.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SignatureReport? Signatures { get; init; }

    /// <summary>
    /// The security counts of the demo summary, in its words (<see cref="Hosting.SecurityCounts"/>): dials refused for
    /// another id, neighbours replaced by scoring, group keys made and learned, group messages held for their key, then
    /// read or unread. Seeds' and peers' events; null only in a report written before they were counted.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Hosting.SecurityCounts? Security { get; init; }

    /// <summary>The private workload's messages (null for every other workload, and then not written at all).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PrivateReport? Private { get; init; }

    /// <summary>The groups workload's account of group messages; null (and left out of the JSON) for every other workload.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GroupReport? Groups { get; init; }

    /// <summary>The attack workload's attacks and what got through (<see cref="Attacks.AttackReport"/>); null (and left out of the JSON) for every other workload.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Attacks.AttackReport? Attacks { get; init; }
}

/// <summary>Signed messages (protocol version 5; <c>Security:Signatures</c>).</summary>
/// <param name="Mode"><c>verify</c>: every message signed by its origin and checked on first receipt, for real; <c>skip</c> (simulated only): no cryptography, the same sizes and rules.</param>
/// <param name="Checked">
/// Signature checks by the peers: each message new to a peer, once, and each acknowledgement of a private message (a
/// simulation checks each message's signature with real Ed25519 work once, and its copies share the answer; on tcp every
/// peer checks its own copy, each a real check); null where not counted (the merged report of a sliced run).
/// </param>
/// <param name="Forged">Messages and acknowledgements dropped as forged: must be 0 on a network of honest nodes.</param>
public sealed record SignatureReport(string Mode, long? Checked, long Forged);

/// <summary>
/// Private messages (the private workload). A message is <i>expected</i> to be delivered when its recipient never
/// crashed; one for a peer that crashed may be delivered (sent before the crash) or reported undeliverable.
/// </summary>
/// <param name="Sent">Messages sent.</param>
/// <param name="Expected">Of them, to recipients that never crashed.</param>
/// <param name="Delivered">Of <paramref name="Expected"/>, delivered to their recipient.</param>
/// <param name="Reliability">Delivered / expected.</param>
/// <param name="ToCrashedRecipients">Messages to peers that crashed during the run.</param>
/// <param name="DeliveredToCrashedRecipients">Of those, delivered before the crash.</param>
/// <param name="Acknowledged">Messages whose sender got the acknowledgement.</param>
/// <param name="AcknowledgedThroughSeed">Of those, acknowledged through a seed (relayed).</param>
/// <param name="Undeliverable">Messages their sender reported undeliverable.</param>
/// <param name="UndeliverableToLiveRecipients">Of those, to recipients that never crashed (should be 0).</param>
/// <param name="Pending">Neither acknowledged nor given up at the end (should be 0).</param>
/// <param name="LatencyP50Ms">From the send to the delivery at the recipient, median.</param>
/// <param name="LatencyP99Ms">The same, 99th percentile.</param>
/// <param name="AckLatencyP50Ms">From the send to the acknowledgement at the sender, median.</param>
/// <param name="AckLatencyP99Ms">The same, 99th percentile.</param>
/// <param name="PayloadTransmissions">Envelopes sent on the wire: first sends, hand-overs to seeds, relays, retries.</param>
/// <param name="TransmissionsPerDelivery">Payload transmissions per message delivered (1 over direct links without retries).</param>
/// <param name="Acknowledgements">DirectAck frames sent (recipients' and those seeds passed back); null where not counted (tcp).</param>
/// <param name="Leakage">Deliveries to a peer that was not the recipient: must be 0.</param>
/// <param name="DuplicateDeliveries">Deliveries of a message its recipient had delivered before: must be 0.</param>
/// <param name="NotDialablePeers">Peers that could not be dialled from outside.</param>
public sealed record PrivateReport(
    int Sent,
    int Expected,
    int Delivered,
    double? Reliability,
    int ToCrashedRecipients,
    int DeliveredToCrashedRecipients,
    int Acknowledged,
    int AcknowledgedThroughSeed,
    int Undeliverable,
    int UndeliverableToLiveRecipients,
    int Pending,
    double? LatencyP50Ms,
    double? LatencyP99Ms,
    double? AckLatencyP50Ms,
    double? AckLatencyP99Ms,
    long PayloadTransmissions,
    double? TransmissionsPerDelivery,
    long? Acknowledgements,
    long Leakage,
    long DuplicateDeliveries,
    int NotDialablePeers);

/// <summary>
/// Group messages (the groups workload). Expected deliveries: for each message, the peers that were members of its group
/// when it was published and stayed members to the end, its publisher excluded.
/// </summary>
/// <param name="Groups">Groups of the run.</param>
/// <param name="MembersAtStartMean">Members per group at the start, on average.</param>
/// <param name="MembershipChanges">Joins and leaves during the burst.</param>
/// <param name="MessagesPublished">Group messages published.</param>
/// <param name="ExpectedDeliveries">Receipts expected at members.</param>
/// <param name="Deliveries">Of those, received.</param>
/// <param name="Reliability">Deliveries / ExpectedDeliveries.</param>
/// <param name="ReceiptLatencyP50Ms">Publication to a member's first receipt, median.</param>
/// <param name="ReceiptLatencyP99Ms">The same, 99th percentile.</param>
/// <param name="ReceiptLatencyMaxMs">The same, the longest.</param>
/// <param name="PayloadTransmissions">Payload copies sent (all of the run's payloads are group messages).</param>
/// <param name="FirstReceipts">First receipts of group messages at any peer.</param>
/// <param name="TransmissionsPerDelivery">PayloadTransmissions / FirstReceipts: 1 is a perfect tree.</param>
/// <param name="DuplicatesDropped">Group payloads that arrived a second time.</param>
/// <param name="RepeatedReceipts">First receipts reported twice by one peer (must be 0).</param>
/// <param name="ReceiptsByNonMembers">First receipts at a peer that was no member of the group then (must be 0).</param>
/// <param name="LeakedCopies">Payload copies that reached a node that was no member of the group then, on the wire (must be 0); null where the network cannot see frames (tcp).</param>
public sealed record GroupReport(
    int Groups,
    double MembersAtStartMean,
    int MembershipChanges,
    int MessagesPublished,
    long ExpectedDeliveries,
    long Deliveries,
    double? Reliability,
    double? ReceiptLatencyP50Ms,
    double? ReceiptLatencyP99Ms,
    double? ReceiptLatencyMaxMs,
    long PayloadTransmissions,
    long FirstReceipts,
    double? TransmissionsPerDelivery,
    long DuplicatesDropped,
    long RepeatedReceipts,
    long ReceiptsByNonMembers,
    long? LeakedCopies);

/// <summary>
/// A distribution as a few of its nearest-rank percentiles (<see cref="Statistics.CdfPercents"/>): <c>Ms[i]</c> is the
/// smallest time that <c>Percent[i]</c> % of the values are at or below. Enough to draw a CDF, small at any scale.
/// </summary>
public sealed record CdfReport(double[] Percent, double[] Ms);

/// <summary>Peer settings that shape the results.</summary>
public sealed record ProtocolSettings(
    int MaxNeighbours,
    int MessagesPerPeer,
    double GossipIntervalMs,
    double LivenessIntervalMs,
    int MaxMissedLiveness,
    int MaxPeersPerList);

/// <summary>The simulated link model.</summary>
public sealed record LinkSettings(
    double LatencyMs,
    double JitterMs,
    double LossProbability,
    string LossScope);

/// <summary>
/// The overlay once the first peers have joined: each peer's degree is its number of connected
/// neighbours (dialed and accepted). <paramref name="Connected"/> is a breadth-first search
/// over the undirected neighbour graph. <paramref name="Fingerprint"/> is a hash of the sorted
/// edge list (by peer index): equal fingerprints mean the same overlay.
/// <paramref name="JoinedAtOnce"/> is how many peers joined at the same time (1: one by one).
/// <see cref="DegreeHistogram"/>: element d is the number of peers with degree d.
/// </summary>
public sealed record OverlayReport(
    int DegreeMin,
    double DegreeMean,
    int DegreeMax,
    int Edges,
    bool Connected,
    int Components,
    int PeersNotJoined,
    double BuildTimeMs,
    string Fingerprint,
    int JoinedAtOnce = 1)
{
    public int[]? DegreeHistogram { get; init; }

    /// <summary>tcp: milliseconds spent making every node's key and its id's work (<c>Security:IdDifficulty</c>) before the first peer started; not part of <see cref="BuildTimeMs"/>. Absent on the simulated network.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? KeysMs { get; init; }
}

/// <summary>
/// Delivery. A message's expected receivers are the peers that had joined when it was originated
/// and were still running at the end of the run (never crashed, never left), its origin excluded.
/// A delivery is a first receipt (<c>GossipReceived</c>, by gossip or by catch-up) by an expected receiver.
/// </summary>
/// <param name="MessagesPublished">Messages originated (<c>GossipOriginated</c>).</param>
/// <param name="ExpectedDeliveries">Sum over messages of the expected receivers.</param>
/// <param name="Deliveries">Expected deliveries that happened.</param>
/// <param name="Reliability">Deliveries / ExpectedDeliveries.</param>
/// <param name="MessagesReachingAll">Messages every expected receiver got.</param>
/// <param name="ReachAllP50Ms">Over messages reaching all: origination to the last expected receipt, p50.</param>
/// <param name="ReachAllP99Ms">Same, p99.</param>
/// <param name="ReachAllMaxMs">Same, maximum.</param>
/// <param name="ReceiptLatencyP50Ms">Over every first receipt: origination to receipt, p50.</param>
/// <param name="ReceiptLatencyP99Ms">Same, p99.</param>
/// <param name="LastDeliveryHop">The largest hop count of any first receipt (1 = a direct neighbour of the origin): the largest depth.</param>
/// <param name="DepthP50">
/// Over messages some peer received: a message's depth is the largest hop count of its first receipts, the depth of the
/// tree it spread on (flooding: the origin's shortest-path tree; a broadcast tree: the tree, longer where grafts
/// repaired it). p50; the maximum is <paramref name="LastDeliveryHop"/>.
/// </param>
/// <param name="DepthP99">Same, p99.</param>
/// <remarks>
/// For charts: <see cref="ReachAllCdf"/> and <see cref="ReceiptLatencyCdf"/> are the distributions behind the p50/p99
/// above; <see cref="ReceiptsByHop"/> element h counts the first receipts h hops from the origin (element 0 is 0).
/// </remarks>
public sealed record DeliveryReport(
    int MessagesPublished,
    long ExpectedDeliveries,
    long Deliveries,
    double? Reliability,
    int MessagesReachingAll,
    double? ReachAllP50Ms,
    double? ReachAllP99Ms,
    double? ReachAllMaxMs,
    double? ReceiptLatencyP50Ms,
    double? ReceiptLatencyP99Ms,
    [property: JsonPropertyOrder(1)] int LastDeliveryHop) // last, as before the depths were added
{
    public int? DepthP50 { get; init; }

    public int? DepthP99 { get; init; }

    public CdfReport? ReachAllCdf { get; init; }

    public CdfReport? ReceiptLatencyCdf { get; init; }

    public long[]? ReceiptsByHop { get; init; }
}

/// <summary>
/// Wire cost. <paramref name="FirstReceipts"/> counts every <c>GossipReceived</c> (every
/// peer's first receipt of every message, by any peer, expected or not; the origin never
/// receives its own message): it is the "receivers" of RMR.
/// </summary>
/// <param name="PayloadTransmissions">Gossip frames sent: originals, forwards, and answers to Wants (catch-up) and Grafts (trees).</param>
/// <param name="FirstReceipts">First receipts of gossip messages.</param>
/// <param name="TransmissionsPerDelivery">PayloadTransmissions / FirstReceipts.</param>
/// <param name="Rmr">Relative message redundancy: PayloadTransmissions / FirstReceipts - 1.</param>
/// <param name="DuplicatesDropped">Gossip copies that arrived at a peer that had seen them.</param>
/// <param name="MessagesSent">Frames of every type sent (tcp: written by the transports, Hello and Goodbye included; simulated: the Hello exchange is not modelled).</param>
/// <param name="BytesSent">Wire bytes of those frames, length prefixes included.</param>
/// <param name="PayloadBytes">Wire bytes of the gossip frames.</param>
/// <param name="MessagesLost">Frames the (simulated) network lost.</param>
/// <param name="SendQueueDrops">tcp: frames dropped (at full send queues, or for the process queue budget), per class, the most frames one connection ever had queued, and the budget; null on a simulated network.</param>
/// <param name="Routing"><c>flood</c> or <c>tree</c> (<c>Gossip:Routing</c>).</param>
/// <param name="TreeControlFrames">Frames of the broadcast tree's control: announcements (IHave), grafts and prunes; null where not counted.</param>
/// <param name="TreeControlBytes">Wire bytes of those frames.</param>
/// <param name="TreeControl">The same per kind: announcements (IHave), grafts and prunes, frames and bytes each; null where not counted.</param>
/// <param name="RmrAfterFirstMessage">RMR of every message but the first (payloads sent and first receipts from the second publish step on): a tree's cost once it has formed.</param>
public sealed record TrafficReport(
    long PayloadTransmissions,
    long FirstReceipts,
    double? TransmissionsPerDelivery,
    double? Rmr,
    long DuplicatesDropped,
    long MessagesSent,
    long BytesSent,
    long PayloadBytes,
    long MessagesLost,
    FrameDropsReport? SendQueueDrops = null)
{
    public string Routing { get; init; } = "flood";

    public long? TreeControlFrames { get; init; }

    public long? TreeControlBytes { get; init; }

    public TreeControlReport? TreeControl { get; init; }

    [JsonPropertyOrder(1)] // last, as before the fields above it were added
    public double? RmrAfterFirstMessage { get; init; }
}

/// <summary>Frames and their wire bytes (length prefixes included).</summary>
public sealed record FrameCount(long Frames, long Bytes);

/// <summary>
/// The broadcast tree's control frames per kind (see Protocol/PROTOCOL.md, <i>Broadcast trees</i>): simulated, every
/// frame a node handed to an open connection; tcp, every frame a node handed to its transport (Hosting/SentFrameCounter).
/// </summary>
/// <param name="Announcements">IHave frames (type 11): message ids announced over the links outside the tree, batched per link.</param>
/// <param name="Grafts">Graft frames (type 12): a peer asks for a message it heard of only by announcement, which makes the link a tree link.</param>
/// <param name="Prunes">Prune frames (type 13): a peer that got a payload twice takes the link it came on out of the tree.</param>
/// <param name="Adverts">TreeAdvert frames (type 14, spanning routing only): a peer tells its neighbours its place in the spanning tree.</param>
public sealed record TreeControlReport(FrameCount Announcements, FrameCount Grafts, FrameCount Prunes, FrameCount? Adverts = null)
{
    internal static TreeControlReport From(TreeControlCounts counts) => new(
        new FrameCount(counts.IHaveFrames, counts.IHaveBytes),
        new FrameCount(counts.GraftFrames, counts.GraftBytes),
        new FrameCount(counts.PruneFrames, counts.PruneBytes),
        counts.AdvertFrames > 0 ? new FrameCount(counts.AdvertFrames, counts.AdvertBytes) : null);
}

/// <summary>
/// Frames the nodes' transports dropped (tcp only: the simulator has no queues), per class: because that connection's
/// send queue of the frame's class was full, or because the process queue budget (Transport:ProcessQueueBytes) refused
/// them, to send or just received. Control frames are never dropped: a connection whose control queue is full is
/// closed instead, and counted here. See Transport/TRANSPORT.md.
/// </summary>
/// <param name="PeakQueuedFrames">The most frames one connection ever had in its send queues.</param>
/// <param name="BudgetOwnGossip">The part of <paramref name="OwnGossip"/> the process queue budget refused.</param>
/// <param name="BudgetForwardedGossip">The part of <paramref name="ForwardedGossip"/> the process queue budget refused.</param>
/// <param name="BudgetBytes">The process queue budget of the run (wire bytes).</param>
/// <param name="PeakQueuedBytes">The most wire bytes ever queued at once in every send and receive queue of the process.</param>
/// <param name="BudgetAnnouncements">The part of <paramref name="BudgetForwardedGossip"/> that were a broadcast tree's announcements (IHave), refused before any payload.</param>
public sealed record FrameDropsReport(long Control, long OwnGossip, long ForwardedGossip, int PeakQueuedFrames,
    long BudgetOwnGossip = 0, long BudgetForwardedGossip = 0, long BudgetBytes = 0, long PeakQueuedBytes = 0, long BudgetAnnouncements = 0)
{
    public long Total => Control + OwnGossip + ForwardedGossip;
}

/// <summary>
/// Failure detection. A crashed peer is detected at a seed when that seed removes it: on a
/// dead-node report, or because it stopped registering. Its detection time runs from the crash to the moment the last of the
/// seeds that listed it at the crash removed it; peers some listing seed never removed are
/// left out of the times and counted in <paramref name="SeedRemovalsMissing"/>.
/// </summary>
/// <param name="CrashedPeers">Peers that crashed.</param>
/// <param name="CrashAtMs">When the first of them crashed (the crash workload crashes them all at once), from the start of the run.</param>
/// <param name="DetectedEverywhere">Crashed peers removed by every seed that listed them.</param>
/// <param name="SeedRemovalsMissing">(crashed peer, listing seed) pairs with no removal by the end.</param>
/// <param name="SeedRemovalsByExpiry">(crashed peer, listing seed) pairs removed because the peer stopped registering, not on a report (<c>Seed:ExpireAfterMissedRegistrations</c>).</param>
/// <param name="DetectionP50Ms">Detection time p50 over the peers detected everywhere.</param>
/// <param name="DetectionMaxMs">Detection time maximum.</param>
/// <param name="LivePeersReportedDead">Distinct peers that never crashed nor left but reached a seed in a dead-node report (as in <see cref="FaultReport"/>).</param>
/// <param name="TreeRepairedAfterMs">
/// Broadcast trees only (null otherwise): from the (first) crash to the first publish step from which on every message
/// reached every expected receiver by push alone, no first receipt answering a Graft (or a Want): the tree the crash
/// cut was whole again. Null on a tree when the last step still needed a graft or missed a receiver.
/// </param>
/// <param name="RmrAfterRepair">RMR from that step on: payloads sent and first receipts from just before it to the end of the run. A payload in flight at that moment counts as sent before it and received after it, so the value can be a little below zero.</param>
/// <param name="MessagesAfterCrash">Broadcast trees only: messages originated after the crash.</param>
/// <param name="MessagesAfterRepair">Of those, the messages from the repair on (the ones <paramref name="RmrAfterRepair"/> covers).</param>
/// <remarks><see cref="DetectionCdf"/>: the distribution of the detection times (over the peers detected everywhere).</remarks>
public sealed record CrashReport(
    int CrashedPeers,
    double CrashAtMs,
    int DetectedEverywhere,
    int SeedRemovalsMissing,
    int SeedRemovalsByExpiry,
    double? DetectionP50Ms,
    double? DetectionMaxMs,
    [property: JsonPropertyOrder(1)] int LivePeersReportedDead) // last, as before the tree repair was added
{
    public double? TreeRepairedAfterMs { get; init; }

    public double? RmrAfterRepair { get; init; }

    public int? MessagesAfterCrash { get; init; }

    public int? MessagesAfterRepair { get; init; }

    public CdfReport? DetectionCdf { get; init; }
}

/// <summary>
/// What the run cost the process: wall-clock time, processor time, the process's peak
/// working set (since the process started, so it includes anything run before in the same
/// process), and the live managed heap at the end of the run with the whole network still
/// in memory (after a full collection). <paramref name="RecorderBytes"/> is the part of that heap the experiment's own
/// receipt log holds (one latency per expected receipt: 76 MiB for 10,000 messages at 1,000 peers), which no node
/// needs: what the nodes hold is the heap less it.
/// </summary>
public sealed record ResourceReport(
    double WallSeconds,
    double CpuSeconds,
    long PeakWorkingSetBytes,
    long ManagedHeapBytes,
    int? OpenFileDescriptors = null,
    GcReport? Collections = null,
    long RecorderBytes = 0)
{
    /// <summary>
    /// The largest managed heap a full collection left during the run or at its end (<see cref="FullCollectionWatch"/>:
    /// an upper bound of the live heap, since a background collection counts what was allocated while it ran),
    /// the receipt log included; at least <see cref="ManagedHeapBytes"/> (null in reports written before it was measured).
    /// Under overload it is the figure that counts: the end's <see cref="ManagedHeapBytes"/> is measured after the network
    /// drained, when the nodes may have let go of much of what they held.
    /// </summary>
    public long? PeakLiveHeapBytes { get; init; }

    /// <summary>
    /// When the run's heap was seen at <see cref="PeakLiveHeapBytes"/>: seconds since the run started (null in reports
    /// written before it was measured, and in a merge of slices, whose peaks came at different times).
    /// </summary>
    public double? PeakLiveHeapSeconds { get; init; }
}

/// <summary>
/// The garbage collector during the run: collections of each generation (a gen 2 collection counts in gen 0 and 1
/// too), the time the program stood still for them, and the bytes allocated in the process since it started (GiB).
/// </summary>
public sealed record GcReport(int Gen0, int Gen1, int Gen2, double PauseSeconds, double AllocatedGiB);
