using P2PSim.Gossip;
using P2PSim.Nodes;

namespace P2PSim.Experiments;

/// <summary>
/// Delivery accounting: every origination and first receipt, who was expected to get which message (the peers that
/// had joined by its origination and will neither crash nor leave, its origin excluded), latencies and hops, and the
/// delivery and traffic numbers built from them.
/// </summary>
public sealed partial class ExperimentRecorder
{
    private readonly Dictionary<MessageId, int> _messageIndex = new();
    private readonly List<MessageTrack> _messages = [];
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
    private long[] _receiptsByHop = new long[16];

    /// <summary>Messages originated so far.</summary>
    public int MessagesPublished => _messages.Count;

    /// <summary>First receipts so far (<c>GossipReceived</c> events).</summary>
    public long FirstReceipts { get; private set; }

    public long DuplicatesDropped { get; private set; }

    /// <summary>Receipts of messages whose origination has not been recorded (yet): 0 at the end of a run.</summary>
    public long UnattributedReceipts { get; private set; }

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

    /// <summary>Every expected receiver has every message originated so far (group messages included).</summary>
    public bool AllDelivered => Deliveries >= ExpectedDeliveries && AllGroupMessagesDelivered;

    /// <summary>The latest expected delivery so far; null before the first.</summary>
    public DateTimeOffset? LastDeliveryAt => _lastDelivery == NotYet ? null : new DateTimeOffset(_lastDelivery, TimeSpan.Zero);

    /// <summary>First receipts that came through catch-up (the peer asked for them with a Want).</summary>
    public long CatchUpReceipts { get; private set; }

    /// <summary>Messages and acknowledgements the nodes dropped as forged (<see cref="GossipForged"/>, also in a group or at a seed).</summary>
    public long Forged { get; private set; }

    public void RecordPeerEvent(int peer, NodeEvent nodeEvent)
    {
        CountRefusal(nodeEvent);
        switch (nodeEvent)
        {
            case GossipForged or GroupEvent { Event: GossipForged }:
                Forged++;
                break;
            case GroupEvent or GroupJoined or GroupLeft:
                RecordGroupEvent(peer, nodeEvent);
                break;
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
            default:
                RecordPrivateEvent(peer, nodeEvent);
                break;
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
        if (received.Hops >= 0)
        {
            if (received.Hops >= _receiptsByHop.Length)
            {
                Array.Resize(ref _receiptsByHop, Math.Max(received.Hops + 1, _receiptsByHop.Length * 2));
            }
            _receiptsByHop[received.Hops]++;
        }
        message.Depth = Math.Max(message.Depth, received.Hops);
        if (received.Grafted || received.CatchUp)
        {
            message.Pulled++;
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
        var depths = new List<long>(_messages.Count);
        foreach (var m in _messages)
        {
            if (m.Depth > 0)
            {
                depths.Add(m.Depth);
            }
        }
        var (depthP50, depthP99, _) = Statistics.Summarise(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(depths));
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
            LastDeliveryHop: _maxHops)
        {
            DepthP50 = (int?)depthP50,
            DepthP99 = (int?)depthP99,
            ReachAllCdf = Statistics.Cdf(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(reachAll)),
            ReceiptLatencyCdf = Statistics.Cdf(_latencies.AsSpan(0, _latencyCount)),
            ReceiptsByHop = _receiptsByHop[..(_maxHops + 1)],
        };
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

    /// <summary>
    /// The messages originated at or after <paramref name="from"/>, by origination time: when, and whether every expected
    /// receiver got it by push alone, none of its first receipts (any peer's) answering a Graft or a Want.
    /// </summary>
    public IReadOnlyList<(DateTimeOffset OriginAt, bool ByPushToAll)> MessagesSince(DateTimeOffset from)
    {
        var joinTimes = SortedJoinTimes();
        var since = new List<(DateTimeOffset OriginAt, bool ByPushToAll)>();
        foreach (var m in _messages)
        {
            if (m.OriginAt >= from.UtcTicks)
            {
                since.Add((new DateTimeOffset(m.OriginAt, TimeSpan.Zero), m.Delivered >= ExpectedReceivers(joinTimes, m) && m.Pulled == 0));
            }
        }
        return [.. since.OrderBy(m => m.OriginAt)];
    }

    /// <summary>
    /// Expected deliveries over every message: its expected receivers are the peers never marked to crash or
    /// leave that had joined by its origination, its origin excluded. Fills <paramref name="reachAll"/> (when
    /// given) with origination-to-last-expected-receipt of every message that reached all of them.
    /// </summary>
    private long CountExpected(List<long>? reachAll)
    {
        var joinTimes = SortedJoinTimes();
        long expected = 0;
        foreach (var m in _messages)
        {
            var expectedHere = ExpectedReceivers(joinTimes, m);
            expected += expectedHere;
            if (reachAll is not null && m.Delivered >= expectedHere)
            {
                reachAll.Add(expectedHere > 0 ? m.LastDelivery - m.OriginAt : 0);
            }
        }
        return expected;
    }

    /// <summary>The join times of the peers never marked to crash or leave that have joined, ascending.</summary>
    private List<long> SortedJoinTimes()
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
        return joinTimes;
    }

    /// <summary>The expected receivers of <paramref name="m"/>: the peers of <paramref name="joinTimes"/> that had joined by its origination, its origin excluded.</summary>
    private int ExpectedReceivers(List<long> joinTimes, in MessageTrack m)
    {
        var expectedHere = CountAtOrBefore(joinTimes, m.OriginAt);
        if (!Departs(m.Origin) && _joinedAt[m.Origin] <= m.OriginAt)
        {
            expectedHere--;
        }
        return expectedHere;
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

        /// <summary>The largest hop count of the message's first receipts (0: none yet).</summary>
        public int Depth;

        /// <summary>First receipts of the message that answered a Graft or a Want (it did not reach those peers by push).</summary>
        public int Pulled;
    }
}
