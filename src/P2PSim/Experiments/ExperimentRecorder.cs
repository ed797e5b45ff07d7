using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Experiments;

/// <summary>
/// Turns the node events of one experiment into the numbers of an <see cref="ExperimentReport"/>.
/// It does not care what network produced the events (simulated or TCP): the driver tells it
/// when peers joined and crashed and hands it every event, in time order, from one thread.
/// Events are folded in as they come (nothing per event is kept except one latency per first
/// receipt), so a run of 100,000 peers does not hold millions of event objects.
/// <para>Order of calls: construct, <see cref="MarkVictim"/> for every peer that will crash and
/// <see cref="MarkLeaver"/> for every peer that will leave cleanly (before the first message is
/// originated), then events, <see cref="PeerJoined"/>, <see cref="PeerCrashed"/>, <see cref="PeerLeft"/>,
/// <see cref="SeedCrashed"/> and <see cref="SeedRestarted"/> as they happen, then the <c>Build...</c> methods.</para>
/// </summary>
public sealed class ExperimentRecorder
{
    private const long NotYet = long.MaxValue;

    /// <summary>The latency buffer is sized up front to at most this many entries (128 MB); beyond, it grows as needed.</summary>
    private const long MaxPreallocatedReceipts = 1L << 24;

    private readonly int _seedCount;
    private readonly long _start;
    private readonly Dictionary<NodeEndpoint, int> _peerIndex;
    private readonly long[] _joinedAt;
    private readonly bool[] _victim;
    private readonly bool[] _leaver;
    private readonly SeedListTracker _seedLists;
    private readonly Dictionary<MessageId, int> _messageIndex = new();
    private readonly List<MessageTrack> _messages = [];
    private readonly Dictionary<int, Victim> _crashed = new();
    private readonly HashSet<int> _liveReportedDead = new();
    private readonly HashSet<int> _liveRemoved = new();
    private readonly HashSet<int> _liveExpired = new();
    private int _removedByExpiry;
    private readonly HashSet<int> _leaversReportedDead = new();
    private long _expected;
    private bool _expectedStale = true;
    private long _lastDelivery = NotYet;

    /// <summary>
    /// Receipts that came in before their message's origination. On tcp the origin hands its frames to the transport
    /// before it reports the origination, so a fast receiver can be heard first; they are counted once it is.
    /// </summary>
    private readonly Dictionary<MessageId, List<(int Peer, GossipReceived Receipt)>> _beforeOrigin = new();
    private long[] _latencies;
    private int _latencyCount;
    private int _maxHops;
    private long _crashAt = NotYet;
    private int _removalsPending;

    /// <param name="peers">Every peer's listening endpoint; its position is the peer's index in the other calls.</param>
    /// <param name="seedCount">Number of seeds (seed indices are 0 to seedCount - 1).</param>
    /// <param name="start">When the run started (times in the report count from here).</param>
    /// <param name="receiptCapacityHint">Expected first receipts (messages x peers), to size the latency buffer once.</param>
    public ExperimentRecorder(IReadOnlyList<NodeEndpoint> peers, int seedCount, DateTimeOffset start, long receiptCapacityHint = 0)
        : this(peers?.Count ?? throw new ArgumentNullException(nameof(peers)), seedCount, start, receiptCapacityHint)
    {
        for (var i = 0; i < peers.Count; i++)
        {
            _peerIndex.Add(peers[i], i);
        }
    }

    /// <summary>For peers whose endpoints are known only once they listen (port 0): tell each with <see cref="SetPeerEndpoint"/>.</summary>
    public ExperimentRecorder(int peerCount, int seedCount, DateTimeOffset start, long receiptCapacityHint = 0)
    {
        _seedCount = seedCount;
        _start = start.UtcTicks;
        _peerIndex = new Dictionary<NodeEndpoint, int>(peerCount);
        _joinedAt = new long[peerCount];
        Array.Fill(_joinedAt, NotYet);
        _victim = new bool[peerCount];
        _leaver = new bool[peerCount];
        _seedLists = new SeedListTracker(seedCount);
        _latencies = new long[(int)Math.Clamp(receiptCapacityHint, 16, MaxPreallocatedReceipts)];
    }

    /// <summary>Peer <paramref name="peer"/> listens on <paramref name="endpoint"/> (dead-node reports name peers by endpoint).</summary>
    public void SetPeerEndpoint(int peer, NodeEndpoint endpoint) => _peerIndex[endpoint] = peer;

    public int PeerCount => _joinedAt.Length;

    /// <summary>Messages originated so far.</summary>
    public int MessagesPublished => _messages.Count;

    /// <summary>First receipts so far (<c>GossipReceived</c> events).</summary>
    public long FirstReceipts { get; private set; }

    public long DuplicatesDropped { get; private set; }

    /// <summary>Receipts of messages whose origination has not been recorded (yet): 0 at the end of a run.</summary>
    public long UnattributedReceipts { get; private set; }

    /// <summary>True once every crashed peer has been removed by every seed that listed it at its crash.</summary>
    public bool AllCrashesDetected => _removalsPending == 0;

    /// <summary>Expected deliveries that happened so far (see <see cref="DeliveryReport"/>).</summary>
    public long Deliveries { get; private set; }

    /// <summary>Expected deliveries of the messages originated so far, for the joins recorded so far.</summary>
    public long ExpectedDeliveries
    {
        get
        {
            if (_expectedStale)
            {
                _expected = CountExpected(reachAll: null);
                _expectedStale = false;
            }
            return _expected;
        }
    }

    /// <summary>Every expected receiver has every message originated so far.</summary>
    public bool AllDelivered => Deliveries >= ExpectedDeliveries;

    /// <summary>The latest expected delivery so far; null before the first.</summary>
    public DateTimeOffset? LastDeliveryAt => _lastDelivery == NotYet ? null : new DateTimeOffset(_lastDelivery, TimeSpan.Zero);

    /// <summary>First receipts that came through catch-up (the peer asked for them with a Want).</summary>
    public long CatchUpReceipts { get; private set; }

    /// <summary>Peers that left cleanly so far.</summary>
    public int PeersLeft { get; private set; }

    /// <summary>Distinct peers that never crashed nor left but reached a seed in a dead-node report.</summary>
    public int LivePeersReportedDead => _liveReportedDead.Count;

    /// <summary>Of <see cref="LivePeersReportedDead"/>, those some seed removed.</summary>
    public int LivePeersRemoved => _liveRemoved.Count;

    /// <summary>Distinct peers that never crashed nor left, removed by a seed because they stopped registering.</summary>
    public int LivePeersExpired => _liveExpired.Count;

    /// <summary>Crashed peers that some seed which listed them at the crash still lists.</summary>
    public int CrashedStillListed { get; private set; }

    /// <summary>Distinct peers that left cleanly and reached a seed in a dead-node report anyway.</summary>
    public int LeaversReportedDead => _leaversReportedDead.Count;

    /// <summary>Every seed's peer-list size now, followed from the seeds' events.</summary>
    public int[] SeedListSizes => _seedLists.Sizes;

    /// <summary>True when every restarted seed lists as many peers as at its crash (and when none restarted).</summary>
    public bool AllSeedsRelearned => _seedLists.AllRelearned;

    /// <summary>When the last restarted seed got its peer list back to its size at the crash; null while one has not.</summary>
    public DateTimeOffset? SeedsRelearnedAt => _seedLists.RelearnedAt;

    /// <summary>Declares that <paramref name="peer"/> will crash: it is not expected to receive anything.</summary>
    public void MarkVictim(int peer)
    {
        ThrowIfMessages("Victims");
        _victim[peer] = true;
        _expectedStale = true;
    }

    /// <summary>Declares that <paramref name="peer"/> will leave cleanly during the run: it is not expected to receive anything.</summary>
    public void MarkLeaver(int peer)
    {
        ThrowIfMessages("Leavers");
        _leaver[peer] = true;
        _expectedStale = true;
    }

    public bool IsVictim(int peer) => _victim[peer];

    /// <summary>True when the peer was marked to crash or to leave: it is not an expected receiver.</summary>
    public bool Departs(int peer) => _victim[peer] || _leaver[peer];

    /// <summary>True once the peer's join was recorded.</summary>
    public bool HasJoined(int peer) => _joinedAt[peer] != NotYet;

    /// <summary>The peer finished joining at <paramref name="at"/>: it is expected to receive messages originated from then on.</summary>
    public void PeerJoined(int peer, DateTimeOffset at)
    {
        _joinedAt[peer] = at.UtcTicks;
        _expectedStale = true;
    }

    /// <summary>A peer marked with <see cref="MarkLeaver"/> left (said goodbye).</summary>
    public void PeerLeft(int peer, DateTimeOffset at)
    {
        if (!_leaver[peer])
        {
            throw new InvalidOperationException($"Peer {peer} left without being marked as a leaver first.");
        }
        PeersLeft++;
    }

    /// <summary>Seed <paramref name="seed"/> crashed: a restart has to get back to its peer-list size now.</summary>
    public void SeedCrashed(int seed) => _seedLists.Crashed(seed);

    /// <summary>Seed <paramref name="seed"/> came back empty. Call before the new seed handles anything.</summary>
    public void SeedRestarted(int seed, DateTimeOffset at) => _seedLists.Restarted(seed, at);

    private void ThrowIfMessages(string what)
    {
        if (_messages.Count > 0)
        {
            throw new InvalidOperationException($"{what} must be marked before the first message is originated.");
        }
    }

    /// <summary>The peer crashed; <paramref name="listingSeeds"/> are the seeds that had it in their peer list at that moment.</summary>
    public void PeerCrashed(int peer, DateTimeOffset at, IEnumerable<int> listingSeeds)
    {
        ArgumentNullException.ThrowIfNull(listingSeeds);
        if (!_victim[peer])
        {
            throw new InvalidOperationException($"Peer {peer} crashed without being marked as a victim first.");
        }
        var victim = new Victim(at.UtcTicks);
        foreach (var seed in listingSeeds)
        {
            if (victim.Pending.Add(seed))
            {
                _removalsPending++;
            }
        }
        if (victim.Pending.Count == 0)
        {
            victim.DetectedAt = at.UtcTicks; // no seed listed it: nothing to detect
        }
        else
        {
            CrashedStillListed++;
        }
        _crashed[peer] = victim;
        _crashAt = Math.Min(_crashAt, at.UtcTicks);
    }

    public void RecordPeerEvent(int peer, NodeEvent nodeEvent)
    {
        switch (nodeEvent)
        {
            case DuplicateDropped:
                DuplicatesDropped++;
                break;
            case GossipReceived received:
                OnReceived(peer, received);
                break;
            case GossipOriginated originated:
                if (!_messageIndex.ContainsKey(originated.Id))
                {
                    _messageIndex.Add(originated.Id, _messages.Count);
                    _messages.Add(new MessageTrack(peer, originated.At.UtcTicks));
                    _expectedStale = true;
                    if (_beforeOrigin.Remove(originated.Id, out var early))
                    {
                        foreach (var (receiver, receipt) in early)
                        {
                            UnattributedReceipts--;
                            Attribute(receiver, receipt, _messageIndex[originated.Id]);
                        }
                    }
                }
                break;
        }
    }

    public void RecordSeedEvent(int seed, NodeEvent nodeEvent)
    {
        _seedLists.Record(seed, nodeEvent);
        if (nodeEvent is DeadNodeRefuted refuted && _peerIndex.TryGetValue(refuted.Report.Dead, out var alive))
        {
            FalseReport(alive, removed: false); // reported dead, though the seed's own check found it alive
            return;
        }
        if (nodeEvent is PeerExpired expired && _peerIndex.TryGetValue(expired.Peer, out var silent))
        {
            if (_crashed.TryGetValue(silent, out var gone))
            {
                _removedByExpiry += RemovedAt(seed, gone, expired.At) ? 1 : 0;
            }
            else if (!_victim[silent] && !_leaver[silent])
            {
                _liveExpired.Add(silent);
            }
            return;
        }
        if (nodeEvent is not DeadNodeReceived dead || !_peerIndex.TryGetValue(dead.Report.Dead, out var peer))
        {
            return;
        }
        if (!_crashed.TryGetValue(peer, out var victim))
        {
            FalseReport(peer, dead.Removed);
            return;
        }
        if (dead.Removed)
        {
            RemovedAt(seed, victim, dead.At);
        }
    }

    /// <summary>A seed that listed a crashed peer removed it; false when that seed had already (or had not listed it).</summary>
    private bool RemovedAt(int seed, Victim victim, DateTimeOffset at)
    {
        if (!victim.Pending.Remove(seed))
        {
            return false;
        }
        _removalsPending--;
        if (victim.Pending.Count == 0)
        {
            victim.DetectedAt = at.UtcTicks;
            CrashedStillListed--;
        }
        return true;
    }

    /// <summary>A dead-node report about a peer that had not crashed: about a live peer, or about one that left cleanly.</summary>
    private void FalseReport(int peer, bool removed)
    {
        if (_victim[peer])
        {
            return; // will crash: a report before its crash is not told apart
        }
        if (_leaver[peer])
        {
            _leaversReportedDead.Add(peer);
            return;
        }
        _liveReportedDead.Add(peer);
        if (removed)
        {
            _liveRemoved.Add(peer);
        }
    }

    private void OnReceived(int peer, GossipReceived received)
    {
        FirstReceipts++;
        if (received.CatchUp)
        {
            CatchUpReceipts++;
        }
        if (!_messageIndex.TryGetValue(received.Id, out var index))
        {
            UnattributedReceipts++;
            if (!_beforeOrigin.TryGetValue(received.Id, out var early))
            {
                _beforeOrigin[received.Id] = early = [];
            }
            early.Add((peer, received));
            return;
        }
        Attribute(peer, received, index);
    }

    private void Attribute(int peer, GossipReceived received, int index)
    {
        var at = received.At.UtcTicks;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_messages);
        ref var message = ref span[index];
        if (received.Hops > _maxHops)
        {
            _maxHops = received.Hops;
        }
        if (_latencyCount == _latencies.Length)
        {
            Array.Resize(ref _latencies, (int)Math.Min(Array.MaxLength, _latencies.Length * 2L));
        }
        _latencies[_latencyCount++] = at - message.OriginAt;
        if (!Departs(peer) && peer != message.Origin && _joinedAt[peer] <= message.OriginAt)
        {
            message.Delivered++;
            message.LastDelivery = Math.Max(message.LastDelivery, at);
            Deliveries++;
            _lastDelivery = _lastDelivery == NotYet ? at : Math.Max(_lastDelivery, at);
        }
    }

    /// <summary>Delivery numbers (see <see cref="DeliveryReport"/> for the definitions).</summary>
    public DeliveryReport BuildDelivery()
    {
        var reachAll = new List<long>();
        var expected = CountExpected(reachAll);
        var delivered = Deliveries;
        var (allP50, allP99, allMax) = Statistics.Summarise(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(reachAll));
        var (receiptP50, receiptP99, _) = Statistics.Summarise(_latencies.AsSpan(0, _latencyCount));
        return new DeliveryReport(
            MessagesPublished: _messages.Count,
            ExpectedDeliveries: expected,
            Deliveries: delivered,
            Reliability: Statistics.Reliability(delivered, expected),
            MessagesReachingAll: reachAll.Count,
            ReachAllP50Ms: Statistics.Milliseconds(allP50),
            ReachAllP99Ms: Statistics.Milliseconds(allP99),
            ReachAllMaxMs: Statistics.Milliseconds(allMax),
            ReceiptLatencyP50Ms: Statistics.Milliseconds(receiptP50),
            ReceiptLatencyP99Ms: Statistics.Milliseconds(receiptP99),
            LastDeliveryHop: _maxHops);
    }

    /// <summary>Wire-cost numbers, from the network's own counts.</summary>
    /// <param name="duplicatesDropped">The network's own count (machines that count duplicates without reporting them); null: the events'.</param>
    /// <param name="sendQueueDrops">Frames the transports dropped at full send queues (tcp); null where there are none.</param>
    public TrafficReport BuildTraffic(long payloadTransmissions, long messagesSent, long bytesSent, long payloadBytes, long messagesLost,
        long? duplicatesDropped = null, FrameDropsReport? sendQueueDrops = null) =>
        new(
            PayloadTransmissions: payloadTransmissions,
            FirstReceipts: FirstReceipts,
            TransmissionsPerDelivery: Statistics.TransmissionsPerDelivery(payloadTransmissions, FirstReceipts),
            Rmr: Statistics.Rmr(payloadTransmissions, FirstReceipts),
            DuplicatesDropped: duplicatesDropped ?? DuplicatesDropped,
            MessagesSent: messagesSent,
            BytesSent: bytesSent,
            PayloadBytes: payloadBytes,
            MessagesLost: messagesLost,
            SendQueueDrops: sendQueueDrops);

    /// <summary>Failure-detection numbers; null when no peer crashed.</summary>
    public CrashReport? BuildCrash()
    {
        if (_crashed.Count == 0)
        {
            return null;
        }
        var times = new List<long>(_crashed.Count);
        var missing = 0;
        foreach (var (_, victim) in _crashed)
        {
            if (victim.Pending.Count == 0)
            {
                times.Add(victim.DetectedAt - victim.CrashedAt);
            }
            missing += victim.Pending.Count;
        }
        var (p50, _, max) = Statistics.Summarise(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(times));
        return new CrashReport(
            CrashedPeers: _crashed.Count,
            CrashAtMs: (_crashAt - _start) / (double)TimeSpan.TicksPerMillisecond,
            DetectedEverywhere: times.Count,
            SeedRemovalsMissing: missing,
            SeedRemovalsByExpiry: _removedByExpiry,
            DetectionP50Ms: Statistics.Milliseconds(p50),
            DetectionMaxMs: Statistics.Milliseconds(max),
            LivePeersReportedDead: _liveReportedDead.Count);
    }

    /// <summary>Seeds this recorder was told about.</summary>
    public int SeedCount => _seedCount;

    /// <summary>
    /// Expected deliveries over every message: its expected receivers are the peers never marked to crash or
    /// leave that had joined by its origination, its origin excluded. Fills <paramref name="reachAll"/> (when
    /// given) with origination-to-last-expected-receipt of every message that reached all of them.
    /// </summary>
    private long CountExpected(List<long>? reachAll)
    {
        var joinTimes = new List<long>(_joinedAt.Length);
        for (var p = 0; p < _joinedAt.Length; p++)
        {
            if (!Departs(p) && _joinedAt[p] != NotYet)
            {
                joinTimes.Add(_joinedAt[p]);
            }
        }
        joinTimes.Sort();
        long expected = 0;
        foreach (var m in _messages)
        {
            var expectedHere = CountAtOrBefore(joinTimes, m.OriginAt);
            if (!Departs(m.Origin) && _joinedAt[m.Origin] <= m.OriginAt)
            {
                expectedHere--;
            }
            expected += expectedHere;
            if (reachAll is not null && m.Delivered >= expectedHere)
            {
                reachAll.Add(expectedHere > 0 ? m.LastDelivery - m.OriginAt : 0);
            }
        }
        return expected;
    }

    private static int CountAtOrBefore(List<long> sorted, long value)
    {
        // Upper bound: the first index whose element is greater than value.
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private struct MessageTrack(int origin, long originAt)
    {
        public readonly int Origin = origin;
        public readonly long OriginAt = originAt;
        public int Delivered;
        public long LastDelivery = originAt;
    }

    private sealed class Victim(long crashedAt)
    {
        public long CrashedAt { get; } = crashedAt;

        public long DetectedAt { get; set; } = NotYet;

        public HashSet<int> Pending { get; } = [];
    }
}
