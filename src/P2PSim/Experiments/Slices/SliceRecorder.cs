using System.Collections.Concurrent;
using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Experiments.Slices;

/// <summary>
/// Records what one slice's nodes see, for its <see cref="SlicePart"/>, and answers the slice's own questions while it
/// runs (has every peer here every message it is owed? have this slice's seeds removed every crashed peer they listed?).
/// The nodes hand their events in from their own loops without a lock (a lock-free queue); whoever reads applies them
/// first, under the one lock. Peers of other slices are known by their port: peer i listens on <c>PeerBasePort + i</c>
/// wherever it runs.
/// </summary>
internal sealed class SliceRecorder : INodeEventObserver
{
    private readonly object _gate = new();
    private readonly ConcurrentQueue<(NodeRole Role, int Index, NodeEvent Event)> _pending = new();
    private readonly int _peers;
    private readonly int _peerBasePort;
    private readonly int _firstPeer;
    private readonly long _startAt;
    private readonly double?[] _joinedAt;
    private readonly int[] _received;
    private readonly int[] _originated;
    private readonly bool[] _departs;
    private readonly Dictionary<MessageId, int> _ids = new();
    private readonly List<string> _idText = [];
    private readonly List<int> _originId = [], _originPeer = [];
    private readonly List<double> _originAt = [];
    private readonly List<int> _receiptId = [], _receiptPeer = [], _receiptHops = [], _receiptFlags = [];
    private readonly List<double> _receiptAt = [];
    private readonly List<CrashRecord> _crashes = [];
    private readonly List<SeedEventRecord> _seedEvents = [];
    private readonly List<DeathRecord> _deaths = [];
    private readonly List<StepRecord> _steps = [];
    private readonly List<SampleRecord> _samples = [];
    private readonly HashSet<(int Seed, int Peer)> _removalsPending = [];
    private long _duplicates;
    private long _arrivals;
    private long _lastArrival;

    /// <param name="departs">Peers of the network the schedule crashes: owed nothing.</param>
    public SliceRecorder(int peers, int peerBasePort, int firstPeer, int peerCount, DateTimeOffset startAt, IEnumerable<int> departs, DateTimeOffset now)
    {
        _peers = peers;
        _peerBasePort = peerBasePort;
        _firstPeer = firstPeer;
        _startAt = startAt.UtcTicks;
        _joinedAt = new double?[peerCount];
        _received = new int[peerCount];
        _originated = new int[peerCount];
        _departs = new bool[peers];
        foreach (var p in departs)
        {
            _departs[p] = true;
        }
        _lastArrival = now.UtcTicks;
    }

    /// <summary>Gossip copies (first or not) this slice's peers have received so far.</summary>
    public long Arrivals => Interlocked.Read(ref _arrivals);

    /// <summary>When a copy last arrived here (or the recorder was made).</summary>
    public DateTimeOffset LastArrival => new(Interlocked.Read(ref _lastArrival), TimeSpan.Zero);

    public void OnNodeEvent(NodeService node, NodeEvent nodeEvent)
    {
        switch (nodeEvent)
        {
            case GossipReceived or DuplicateDropped:
                Interlocked.Increment(ref _arrivals);
                Interlocked.Exchange(ref _lastArrival, nodeEvent.At.UtcTicks);
                break;
            case GossipOriginated or NeighbourDead or DeadNodeReceived or DeadNodeRefuted or PeerExpired:
                break;
            default:
                return; // nothing the part keeps
        }
        _pending.Enqueue((node.Role, node.Index, nodeEvent));
    }

    /// <summary>Milliseconds from <c>StartAt</c>.</summary>
    public double Ms(DateTimeOffset at) => (at.UtcTicks - _startAt) / (double)TimeSpan.TicksPerMillisecond;

    /// <summary>The global index of the peer listening on <paramref name="endpoint"/>'s port; -1 for none.</summary>
    public int PeerOf(NodeEndpoint endpoint)
    {
        var i = endpoint.Port - _peerBasePort;
        return i >= 0 && i < _peers ? i : -1;
    }

    public void PeerJoined(int peer, DateTimeOffset at)
    {
        lock (_gate)
        {
            _joinedAt[peer - _firstPeer] = Ms(at);
        }
    }

    /// <summary>Peer <paramref name="peer"/> (of any slice) crashed; <paramref name="listingSeeds"/>: this slice's seeds that listed it.</summary>
    public void Crashed(int peer, DateTimeOffset at, int[] listingSeeds)
    {
        lock (_gate)
        {
            Drain();
            _crashes.Add(new CrashRecord(peer, Ms(at), listingSeeds));
            foreach (var seed in listingSeeds)
            {
                if (!_seedEvents.Any(e => e.Seed == seed && e.Peer == peer && e.Kind is SeedEventRecord.Removed or SeedEventRecord.Expired))
                {
                    _removalsPending.Add((seed, peer));
                }
            }
        }
    }

    public void Step(DateTimeOffset at, long payloadTransmissions)
    {
        lock (_gate)
        {
            Drain();
            _steps.Add(new StepRecord(Ms(at), payloadTransmissions, _receiptId.Count));
        }
    }

    public void Sample(SampleRecord sample)
    {
        lock (_gate)
        {
            _samples.Add(sample);
        }
    }

    public int SampleCount
    {
        get
        {
            lock (_gate)
            {
                return _samples.Count;
            }
        }
    }

    /// <summary>Messages this slice's peers originated so far.</summary>
    public long MessagesOriginatedHere
    {
        get
        {
            lock (_gate)
            {
                Drain();
                return _originId.Count;
            }
        }
    }

    public long FirstReceipts
    {
        get
        {
            lock (_gate)
            {
                Drain();
                return _receiptId.Count;
            }
        }
    }

    /// <summary>Distinct messages seen here (originated or received).</summary>
    public int MessagesSeen
    {
        get
        {
            lock (_gate)
            {
                Drain();
                return _ids.Count;
            }
        }
    }

    /// <summary>
    /// This slice's peers that stay (will not crash) and have joined but have not yet received every one of the network's
    /// <paramref name="messages"/> messages but their own. (A peer that joined after some were originated is owed fewer:
    /// for those the run ends on quiet instead.)
    /// </summary>
    public int PeersShort(long messages, Func<int, bool> isUp)
    {
        lock (_gate)
        {
            Drain();
            var shortOf = 0;
            for (var i = 0; i < _received.Length; i++)
            {
                var peer = _firstPeer + i;
                if (!_departs[peer] && isUp(peer) && _received[i] + _originated[i] < messages)
                {
                    shortOf++;
                }
            }
            return shortOf;
        }
    }

    /// <summary>(seed of this slice, crashed peer it listed) pairs with no removal yet.</summary>
    public int RemovalsPending
    {
        get
        {
            lock (_gate)
            {
                Drain();
                return _removalsPending.Count;
            }
        }
    }

    /// <summary>Everything recorded, as the columns and lists of a part.</summary>
    public SlicePart ToPart(SlicePart header)
    {
        lock (_gate)
        {
            Drain();
            return header with
            {
                JoinedAtMs = [.. _joinedAt],
                Ids = [.. _idText],
                Originated = new OriginatedColumns([.. _originId], [.. _originPeer], [.. _originAt]),
                Receipts = new ReceiptColumns([.. _receiptId], [.. _receiptPeer], [.. _receiptAt], [.. _receiptHops], [.. _receiptFlags]),
                DuplicatesDropped = _duplicates,
                Crashes = [.. _crashes],
                SeedEvents = [.. _seedEvents],
                Deaths = [.. _deaths],
                Steps = [.. _steps],
                Samples = [.. _samples],
            };
        }
    }

    /// <summary>Under the lock: applies what the nodes handed in.</summary>
    private void Drain()
    {
        while (_pending.TryDequeue(out var queued))
        {
            Apply(queued.Role, queued.Index, queued.Event);
        }
    }

    private void Apply(NodeRole role, int index, NodeEvent e)
    {
        if (role == NodeRole.Seed)
        {
            switch (e)
            {
                case DeadNodeReceived dead when PeerOf(dead.Report.Dead) is var peer and >= 0:
                    SeedEvent(index, peer, e.At, dead.Removed ? SeedEventRecord.Removed : SeedEventRecord.Kept);
                    break;
                case DeadNodeRefuted refuted when PeerOf(refuted.Report.Dead) is var alive and >= 0:
                    SeedEvent(index, alive, e.At, SeedEventRecord.Refuted);
                    break;
                case PeerExpired expired when PeerOf(expired.Peer) is var silent and >= 0:
                    SeedEvent(index, silent, e.At, SeedEventRecord.Expired);
                    break;
            }
            return;
        }
        var local = index - _firstPeer;
        if (local < 0 || local >= _received.Length)
        {
            return;
        }
        switch (e)
        {
            case GossipOriginated originated:
                _originId.Add(Id(originated.Id));
                _originPeer.Add(index);
                _originAt.Add(Ms(e.At));
                _originated[local]++;
                break;
            case GossipReceived received:
                _receiptId.Add(Id(received.Id));
                _receiptPeer.Add(index);
                _receiptAt.Add(Ms(e.At));
                _receiptHops.Add(received.Hops);
                _receiptFlags.Add((received.Grafted ? ReceiptColumns.Grafted : 0) | (received.CatchUp ? ReceiptColumns.CatchUp : 0));
                _received[local]++;
                break;
            case DuplicateDropped:
                _duplicates++;
                break;
            case NeighbourDead dead when PeerOf(dead.Neighbour) is var gone and >= 0:
                _deaths.Add(new DeathRecord(index, gone, Ms(e.At)));
                break;
        }
    }

    private void SeedEvent(int seed, int peer, DateTimeOffset at, string kind)
    {
        _seedEvents.Add(new SeedEventRecord(seed, peer, Ms(at), kind));
        if (kind is SeedEventRecord.Removed or SeedEventRecord.Expired)
        {
            _removalsPending.Remove((seed, peer));
        }
    }

    private int Id(MessageId id)
    {
        if (!_ids.TryGetValue(id, out var at))
        {
            at = _idText.Count;
            _ids.Add(id, at);
            _idText.Add(id.ToString());
        }
        return at;
    }
}
