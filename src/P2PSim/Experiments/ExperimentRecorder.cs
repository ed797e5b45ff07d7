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
/// <para>Order of calls: construct, <see cref="MarkVictim"/> for every peer that will crash (before
/// the first message is originated), then events, <see cref="PeerJoined"/> and <see cref="PeerCrashed"/>
/// as they happen, then the <c>Build...</c> methods.</para>
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
    private readonly Dictionary<MessageId, int> _messageIndex = new();
    private readonly List<MessageTrack> _messages = [];
    private readonly Dictionary<int, Victim> _crashed = new();
    private readonly HashSet<int> _liveReportedDead = new();
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
    {
        ArgumentNullException.ThrowIfNull(peers);
        _seedCount = seedCount;
        _start = start.UtcTicks;
        _peerIndex = new Dictionary<NodeEndpoint, int>(peers.Count);
        for (var i = 0; i < peers.Count; i++)
        {
            _peerIndex.Add(peers[i], i);
        }
        _joinedAt = new long[peers.Count];
        Array.Fill(_joinedAt, NotYet);
        _victim = new bool[peers.Count];
        _latencies = new long[(int)Math.Clamp(receiptCapacityHint, 16, MaxPreallocatedReceipts)];
    }

    public int PeerCount => _joinedAt.Length;

    /// <summary>Messages originated so far.</summary>
    public int MessagesPublished => _messages.Count;

    /// <summary>First receipts so far (<c>GossipReceived</c> events).</summary>
    public long FirstReceipts { get; private set; }

    public long DuplicatesDropped { get; private set; }

    /// <summary>Receipts of messages whose origination was never recorded (should stay 0).</summary>
    public long UnattributedReceipts { get; private set; }

    /// <summary>True once every crashed peer has been removed by every seed that listed it at its crash.</summary>
    public bool AllCrashesDetected => _removalsPending == 0;

    /// <summary>Declares that <paramref name="peer"/> will crash: it is not expected to receive anything.</summary>
    public void MarkVictim(int peer)
    {
        if (_messages.Count > 0)
        {
            throw new InvalidOperationException("Victims must be marked before the first message is originated.");
        }
        _victim[peer] = true;
    }

    public bool IsVictim(int peer) => _victim[peer];

    /// <summary>The peer finished joining at <paramref name="at"/>: it is expected to receive messages originated from then on.</summary>
    public void PeerJoined(int peer, DateTimeOffset at) => _joinedAt[peer] = at.UtcTicks;

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
                }
                break;
        }
    }

    public void RecordSeedEvent(int seed, NodeEvent nodeEvent)
    {
        if (nodeEvent is DeadNodeRefuted refuted && _peerIndex.TryGetValue(refuted.Report.Dead, out var alive) && !_victim[alive])
        {
            _liveReportedDead.Add(alive); // reported dead, though the seed's own check found it alive
            return;
        }
        if (nodeEvent is not DeadNodeReceived dead || !_peerIndex.TryGetValue(dead.Report.Dead, out var peer))
        {
            return;
        }
        if (!_crashed.TryGetValue(peer, out var victim))
        {
            if (!_victim[peer])
            {
                _liveReportedDead.Add(peer);
            }
            return;
        }
        if (dead.Removed && victim.Pending.Remove(seed))
        {
            _removalsPending--;
            if (victim.Pending.Count == 0)
            {
                victim.DetectedAt = dead.At.UtcTicks;
            }
        }
    }

    private void OnReceived(int peer, GossipReceived received)
    {
        FirstReceipts++;
        if (!_messageIndex.TryGetValue(received.Id, out var index))
        {
            UnattributedReceipts++;
            return;
        }
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
        if (!_victim[peer] && peer != message.Origin && _joinedAt[peer] <= message.OriginAt)
        {
            message.Delivered++;
            message.LastDelivery = Math.Max(message.LastDelivery, at);
        }
    }

    /// <summary>Delivery numbers (see <see cref="DeliveryReport"/> for the definitions).</summary>
    public DeliveryReport BuildDelivery()
    {
        // Expected receivers of a message: peers alive throughout, joined by its origination, not its origin.
        var joinTimes = new List<long>(_joinedAt.Length);
        for (var p = 0; p < _joinedAt.Length; p++)
        {
            if (!_victim[p] && _joinedAt[p] != NotYet)
            {
                joinTimes.Add(_joinedAt[p]);
            }
        }
        joinTimes.Sort();
        long expected = 0;
        long delivered = 0;
        var reachAll = new List<long>();
        foreach (var m in _messages)
        {
            var expectedHere = CountAtOrBefore(joinTimes, m.OriginAt);
            if (!_victim[m.Origin] && _joinedAt[m.Origin] <= m.OriginAt)
            {
                expectedHere--;
            }
            expected += expectedHere;
            delivered += m.Delivered;
            if (m.Delivered >= expectedHere)
            {
                reachAll.Add(expectedHere > 0 ? m.LastDelivery - m.OriginAt : 0);
            }
        }
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
    public TrafficReport BuildTraffic(long payloadTransmissions, long messagesSent, long bytesSent, long payloadBytes, long messagesLost) =>
        new(
            PayloadTransmissions: payloadTransmissions,
            FirstReceipts: FirstReceipts,
            TransmissionsPerDelivery: Statistics.TransmissionsPerDelivery(payloadTransmissions, FirstReceipts),
            Rmr: Statistics.Rmr(payloadTransmissions, FirstReceipts),
            DuplicatesDropped: DuplicatesDropped,
            MessagesSent: messagesSent,
            BytesSent: bytesSent,
            PayloadBytes: payloadBytes,
            MessagesLost: messagesLost);

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
            DetectionP50Ms: Statistics.Milliseconds(p50),
            DetectionMaxMs: Statistics.Milliseconds(max),
            LivePeersReportedDead: _liveReportedDead.Count);
    }

    /// <summary>Seeds this recorder was told about.</summary>
    public int SeedCount => _seedCount;

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
