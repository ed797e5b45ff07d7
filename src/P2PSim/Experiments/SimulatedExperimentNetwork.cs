using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Simulation;

namespace P2PSim.Experiments;

/// <summary>
/// <see cref="IExperimentNetwork"/> on a <see cref="SimulatedNetwork"/>: every seed and peer machine is created up
/// front (held-back peers are added but not started), and every call runs the event loop in virtual time and has
/// completed when it returns. Overlay samples are taken inside the event loop, between events, at exact multiples
/// of the interval. Seeds are nodes 0 to S-1 and peers S onwards; a restarted seed gets a new node at the end.
/// </summary>
internal sealed class SimulatedExperimentNetwork : IExperimentNetwork
{
    /// <summary>Longest a clean leave may take before the leaver's connections are closed anyway (the transport's default shutdown grace).</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

    private const int CheckEvery = 4096;

    private readonly ExperimentOptions _options;
    private readonly SimulatedNetworkOptions _links;
    private readonly SimulatedNetwork _network;
    private readonly ExperimentRecorder _recorder;
    private readonly SeedMachine[] _seeds;
    private readonly PeerMachine[] _peers;
    private readonly int[] _seedNode;
    private readonly List<int> _nodeOwner = []; // node index -> peer index, or -(seed + 1)
    private readonly Random _restartRandom;
    private readonly List<int> _joining = [];
    private readonly ResourceMeter _meter;
    private readonly Action<ExperimentProgress>? _progress;
    private readonly CancellationToken _cancellation;
    private ConnectivitySampler? _sampler;
    private DateTimeOffset _nextSample;
    private DateTimeOffset? _lastSample;
    private TimeSpan _lastProgress;
    private int _untilCheck = CheckEvery;
    private int _joined;
    private readonly NodeEndpoint[] _seedEndpoints;
    private readonly TimeSpan _peerExpiry;
    private string _phase = "join";

    public SimulatedExperimentNetwork(ExperimentOptions options, Workload workload, PeerOptions peer, Random master, ResourceMeter meter,
        Action<ExperimentProgress>? progress, CancellationToken cancellationToken)
    {
        _options = options;
        _links = options.LinkModel();
        _meter = meter;
        _progress = progress;
        _cancellation = cancellationToken;
        var nodeSeed = NodeRandom.NextSeed(master); // each node's Random derived as on tcp (Network:RandomSeed)
        _network = new SimulatedNetwork(_links, master.Next(), new Sink(this));
        var seedEndpoints = new NodeEndpoint[options.Seeds];
        _seedEndpoints = seedEndpoints;
        _peerExpiry = options.Seed.PeerExpiry(peer);
        _seeds = new SeedMachine[options.Seeds];
        _seedNode = new int[options.Seeds];
        for (var s = 0; s < options.Seeds; s++)
        {
            seedEndpoints[s] = SimulatedAddresses.Seed(s);
            var seedId = NodeKey.DerivedId(nodeSeed, "seed", s); // from the run's seed: the same ids on every run
            _seeds[s] = new SeedMachine(seedEndpoints[s], NodeRandom.For(nodeSeed, NodeRole.Seed, s), options.MaxPeersPerList, seedEndpoints, _peerExpiry)
            {
                Id = seedId,
                Signing = Signing(seedId, nodeSeed, "seed", s),
                AttestationLifetime = options.Seed.AttestationLifetimeFor(peer),
            };
            _seedNode[s] = _network.Add(_seeds[s]);
            _nodeOwner.Add(-(s + 1));
        }
        var peerEndpoints = new NodeEndpoint[options.Peers];
        _peers = new PeerMachine[options.Peers];
        var notDialable = options.NotDialablePeers();
        var privateOptions = options.PrivateOptionsForRun();
        for (var p = 0; p < options.Peers; p++)
        {
            peerEndpoints[p] = SimulatedAddresses.Peer(p);
            // Duplicates are counted by the machines, not reported one event each (see Facts).
            var dialable = !notDialable.Contains(p);
            _peers[p] = new PeerMachine(peerEndpoints[p], seedEndpoints, peer, NodeRandom.For(nodeSeed, NodeRole.Peer, p), reportDuplicates: false, gossip: options.Gossip,
                privateMessages: privateOptions, dialable: dialable, signing: Signing(NodeKey.DerivedId(nodeSeed, "peer", p), nodeSeed, "peer", p), keepFrames: false)
            {
                UnverifiedOrigins = options.Security.UnverifiedOrigins,
            };
            _network.SetDialable(_network.Add(_peers[p]), dialable);
            _nodeOwner.Add(p);
        }
        _restartRandom = new Random(master.Next());
        if (workload is GroupsWorkload)
        {
            _network.PayloadDelivered = CountGroupLeak; // only where groups run: every other run pays nothing for it
        }
        _recorder = new ExperimentRecorder(peerEndpoints, options.Seeds, _network.Now, ReceiptHint(workload, options.Peers, peer));
        foreach (var node in _seedNode)
        {
            _network.Start(node);
        }
    }

    /// <summary>
    /// How a simulated node signs and checks (<c>Security:Signatures</c>): for real, with the key derived from the run's
    /// seed (made when the node first signs: only publishers pay for a key), or not at all (skip: the same sizes and rules).
    /// </summary>
    private MessageSigning Signing(NodeId id, int nodeSeed, string purpose, int index) => _options.Security.Signatures == SignatureMode.Skip
        ? MessageSigning.Skip(id)
        : MessageSigning.Verify(id, () => NodeKey.Derived(nodeSeed, purpose, index));

    /// <summary>The simulated network itself (for inspection after the run).</summary>
    public SimulatedNetwork Network => _network;

    public string Kind => "simulated";

    public int SeedCount => _seeds.Length;

    public int PeerCount => _peers.Length;

    public DateTimeOffset Start => SimulatedNetwork.Epoch;

    public DateTimeOffset Now => _network.Now;

    public bool CanPartition => true;

    public string Phase
    {
        get => _phase;
        set
        {
            _phase = value;
            Report(force: true);
        }
    }

    public T Read<T>(Func<ExperimentRecorder, T> read) => read(_recorder);

    public void Write(Action<ExperimentRecorder> write) => write(_recorder);

    /// <summary>
    /// Peers join, at most <see cref="ExperimentOptions.EffectiveJoinConcurrency"/> at a time (the first one always
    /// alone). A join is finished when the peer has its peer lists and every neighbour dial it made has connected or failed.
    /// </summary>
    public ValueTask<JoinOutcome> JoinAsync(int peers, CancellationToken cancellationToken)
    {
        var start = _network.Now;
        var notJoined = 0;
        var concurrency = _options.EffectiveJoinConcurrency;
        var joining = new List<(int Peer, DateTimeOffset Deadline)>(concurrency);
        var next = 0;
        while (next < peers || joining.Count > 0)
        {
            var slots = _joined == 0 ? 1 : concurrency;
            while (joining.Count < slots && next < peers)
            {
                _network.Start(PeerNode(next));
                joining.Add((next, _network.Now + _options.JoinTimeout));
                next++;
            }
            var earliestDeadline = joining.Min(j => j.Deadline);
            Run(() => AnySettled(joining), earliestDeadline);
            for (var i = joining.Count - 1; i >= 0; i--)
            {
                var (p, deadline) = joining[i];
                var settled = IsSettled(p);
                if (!settled && _network.Now < deadline)
                {
                    continue;
                }
                notJoined += settled ? 0 : 1;
                _recorder.PeerJoined(p, _network.Now);
                _joined++;
                joining.RemoveAt(i);
            }
            if (_options.JoinSpacing > TimeSpan.Zero && next < peers)
            {
                Run(null, _network.Now + _options.JoinSpacing);
            }
        }
        var gossiping = 0;
        for (var p = 0; p < peers; p++)
        {
            gossiping += _peers[p].Joined ? 1 : 0;
        }
        return ValueTask.FromResult(new JoinOutcome(_network.Now - start, notJoined, gossiping, concurrency));
    }

    public ValueTask StartPeerAsync(int peer, CancellationToken cancellationToken)
    {
        _network.Start(PeerNode(peer));
        _joining.Add(peer);
        return ValueTask.CompletedTask;
    }

    public bool IsLive(int peer) => _network.IsRunning(PeerNode(peer)) && !_network.IsStopping(PeerNode(peer));

    public ValueTask JoinGroupAsync(int peer, string group, CancellationToken cancellationToken)
    {
        _network.Apply(PeerNode(peer), (machine, now) => ((PeerMachine)machine).JoinGroup(group, now));
        return ValueTask.CompletedTask;
    }

    public ValueTask LeaveGroupAsync(int peer, string group, CancellationToken cancellationToken)
    {
        _network.Apply(PeerNode(peer), (machine, now) => ((PeerMachine)machine).LeaveGroup(group, now));
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> PublishToGroupAsync(int peer, string group, CancellationToken cancellationToken)
    {
        var sent = false;
        _network.Apply(PeerNode(peer), (machine, now) => sent = ((PeerMachine)machine).Publish(group, now) is not null);
        return ValueTask.FromResult(sent);
    }

    public long? GroupPayloadLeaks => _network.PayloadDelivered is null ? null : _groupLeaks;

    private long _groupLeaks;

    /// <summary>A payload reached a node: a group's, at a node that is not a member of that group now, is a leak.</summary>
    private void CountGroupLeak(int node, Protocol.Gossip payload)
    {
        if (payload.Kind == GossipKind.Group && (_nodeOwner[node] is var owner && (owner < 0 || !_peers[owner].IsMember(payload.Group!))))
        {
            _groupLeaks++;
        }
    }

    public ValueTask PublishAsync(int peer, CancellationToken cancellationToken)
    {
        _network.Apply(PeerNode(peer), static (machine, now) => ((PeerMachine)machine).Publish(now));
        return ValueTask.CompletedTask;
    }

    public ValueTask SendPrivateAsync(int from, int to, CancellationToken cancellationToken)
    {
        var recipient = _peers[to].Self;
        _network.Apply(PeerNode(from), (machine, now) => ((PeerMachine)machine).SendPrivate(recipient, $"private message from peer {from} to peer {to}", now));
        return ValueTask.CompletedTask;
    }

    public ValueTask CrashPeersAsync(IReadOnlyList<int> peers, CancellationToken cancellationToken)
    {
        var listed = new HashSet<NodeEndpoint>?[_seeds.Length];
        for (var s = 0; s < _seeds.Length; s++)
        {
            listed[s] = _network.IsRunning(_seedNode[s]) ? new HashSet<NodeEndpoint>(_seeds[s].PeerList) : null;
        }
        var holders = new List<int>(_seeds.Length);
        foreach (var p in peers)
        {
            holders.Clear();
            for (var s = 0; s < listed.Length; s++)
            {
                if (listed[s]?.Contains(_peers[p].Self) == true)
                {
                    holders.Add(s);
                }
            }
            _network.Crash(PeerNode(p));
            _recorder.PeerCrashed(p, _network.Now, holders);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask StopPeerAsync(int peer, CancellationToken cancellationToken)
    {
        _network.Stop(PeerNode(peer), StopGrace);
        _recorder.PeerLeft(peer, _network.Now);
        return ValueTask.CompletedTask;
    }

    public ValueTask CrashSeedsAsync(IReadOnlyList<int> seeds, CancellationToken cancellationToken)
    {
        foreach (var s in seeds)
        {
            _network.Crash(_seedNode[s]);
            _recorder.SeedCrashed(s);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask RestartSeedsAsync(IReadOnlyList<int> seeds, CancellationToken cancellationToken)
    {
        foreach (var s in seeds)
        {
            _seeds[s] = new SeedMachine(SimulatedAddresses.Seed(s), new Random(_restartRandom.Next()), _options.MaxPeersPerList, _seedEndpoints, _peerExpiry)
            {
                Id = _seeds[s].Id, // a restarted seed keeps its key, as with Security:KeyFolder
                Signing = _seeds[s].Signing,
                AttestationLifetime = _seeds[s].AttestationLifetime,
            };
            _seedNode[s] = _network.Restart(_seedNode[s], _seeds[s]);
            _nodeOwner.Add(-(s + 1));
            _recorder.SeedRestarted(s, _network.Now);
            _network.Start(_seedNode[s]);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask PartitionAsync(IReadOnlyList<int> sideA, IReadOnlyList<int> sideB, CancellationToken cancellationToken)
    {
        _network.Partition(sideA.Select(PeerNode), sideB.Select(PeerNode));
        return ValueTask.CompletedTask;
    }

    public ValueTask HealAsync(CancellationToken cancellationToken)
    {
        _network.Heal();
        return ValueTask.CompletedTask;
    }

    public ValueTask DelayUntilAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        Run(null, at);
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> WaitUntilAsync(Func<bool> done, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Run(done, deadline));

    public ValueTask WaitForGossipAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var counters = _network.Counters;
        Run(() => counters.PayloadsInFlight == 0, deadline);
        if (_options.Gossip.Routing != Routing.Flood)
        {
            // A tree may still be at work with no payload in flight: announcements wait for their flush, a peer that heard
            // of a message only by announcement grafts it after a timeout, and the answer is a payload again. Go on while
            // any payload or tree control frame was sent within one such round.
            var quiet = _options.Gossip.EffectiveAnnounceInterval + _options.Gossip.EffectiveGraftTimeout + _options.Gossip.GraftRetry + (4 * _links.Latency) + _links.Jitter;
            while (_network.Now < deadline)
            {
                var before = (counters.PayloadTransmissions, counters.TreeControlFrames);
                var until = _network.Now + quiet < deadline ? _network.Now + quiet : deadline;
                Run(null, until);
                Run(() => counters.PayloadsInFlight == 0, deadline);
                if ((counters.PayloadTransmissions, counters.TreeControlFrames) == before)
                {
                    break;
                }
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<OverlaySnapshot> SnapshotAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Snapshot());

    public void StartSampling(ConnectivitySampler sampler)
    {
        _sampler = sampler;
        _nextSample = _network.Now;
        TakeSamplesBefore(_network.Now + TimeSpan.FromTicks(1));
    }

    public ValueTask StopSamplingAsync(CancellationToken cancellationToken)
    {
        if (_sampler is { } sampler && _lastSample != _network.Now)
        {
            sampler.Add(_network.Now, Snapshot(), Read(static r => r.CrashedStillListed), Load());
        }
        _sampler = null;
        return ValueTask.CompletedTask;
    }

    public long PayloadTransmissions => _network.Counters.PayloadTransmissions;

    /// <summary>Receipts still owed and frames on the links now, for a sample.</summary>
    private SampleLoad Load() => new(Read(static r => r.ExpectedDeliveries - r.Deliveries), null, _network.Counters.MessagesInFlight);

    public NetworkFacts Facts()
    {
        var c = _network.Counters;
        var o = _links;
        return new NetworkFacts(
            new LinkSettings(o.Latency.TotalMilliseconds, o.Jitter.TotalMilliseconds, o.LossProbability, o.LossScope.ToString()),
            c.PayloadTransmissions, c.MessagesSent, c.BytesSent, c.PayloadBytes, c.MessagesLost, _network.EventsProcessed,
            DuplicatesDropped: _peers.Sum(p => p.Duplicates), TreeControl: c.TreeControl, DirectAcks: c.DirectAcks,
            SignatureChecks: _peers.Sum(p => p.SignatureCounts.Checked));
    }

    // ---- the event loop ----

    /// <summary>
    /// Handles events until <paramref name="done"/> holds (true; checked before every event) or the next event is after
    /// <paramref name="deadline"/> (false; the clock then stands at the deadline). Null <paramref name="done"/>: run to the deadline.
    /// </summary>
    private bool Run(Func<bool>? done, DateTimeOffset deadline)
    {
        while (done is null || !done())
        {
            if (!_network.TryPeekNext(out var next) || next > deadline)
            {
                TakeSamplesBefore(deadline + TimeSpan.FromTicks(1));
                _network.AdvanceTo(deadline);
                return done?.Invoke() ?? true;
            }
            TakeSamplesBefore(next);
            _network.Step();
            if (_joining.Count > 0)
            {
                RecordFinishedJoins();
            }
            Tick();
        }
        return true;
    }

    /// <summary>Takes every sample due before <paramref name="time"/> (no event is due before it, so the clock can move there).</summary>
    private void TakeSamplesBefore(DateTimeOffset time)
    {
        while (_sampler is { } sampler && _nextSample < time)
        {
            _network.AdvanceTo(_nextSample);
            sampler.Add(_nextSample, Snapshot(), Read(static r => r.CrashedStillListed), Load());
            _lastSample = _nextSample;
            _nextSample += sampler.Interval;
        }
    }

    private OverlaySnapshot Snapshot()
    {
        var live = new List<int>(_peers.Length);
        for (var p = 0; p < _peers.Length; p++)
        {
            if (IsLive(p))
            {
                live.Add(p);
            }
        }
        return OverlaySnapshot.Build(live, _peers.Length, p => NeighbourPeers(_peers[p]));
    }

    private IEnumerable<int> NeighbourPeers(PeerMachine peer)
    {
        foreach (var endpoint in peer.ConnectedNeighbours)
        {
            if (_network.TryGetNode(endpoint, out var node) && _nodeOwner[node] >= 0)
            {
                yield return _nodeOwner[node];
            }
        }
    }

    private void RecordFinishedJoins()
    {
        for (var i = _joining.Count - 1; i >= 0; i--)
        {
            if (IsSettled(_joining[i]))
            {
                _recorder.PeerJoined(_joining[i], _network.Now);
                _joined++;
                _joining.RemoveAt(i);
            }
        }
    }

    private int PeerNode(int peer) => _seeds.Length + peer;

    private bool IsSettled(int peer) => _peers[peer].Joined && _network.PendingDials(PeerNode(peer)) == 0;

    private bool AnySettled(List<(int Peer, DateTimeOffset Deadline)> joining)
    {
        foreach (var (peer, _) in joining)
        {
            if (IsSettled(peer))
            {
                return true;
            }
        }
        return false;
    }

    private void Tick()
    {
        if (--_untilCheck > 0)
        {
            return;
        }
        _untilCheck = CheckEvery;
        _cancellation.ThrowIfCancellationRequested();
        Report(force: false);
    }

    private void Report(bool force)
    {
        if (_progress is null)
        {
            return;
        }
        var wall = _meter.WallElapsed;
        if (!force && wall - _lastProgress < _options.ProgressInterval)
        {
            return;
        }
        _lastProgress = wall;
        _progress(new ExperimentProgress(_phase, _joined, _peers.Length, _recorder.MessagesPublished, _recorder.FirstReceipts,
            _network.Elapsed, wall, _network.EventsProcessed));
    }

    internal static long ReceiptHint(Workload workload, int peers, PeerOptions peer) => workload switch
    {
        PublishingWorkload b => (long)b.Messages * peers,
        _ => (long)peer.MessagesPerPeer * peers * peers,
    };

    /// <summary>Routes node events to the recorder by who owns the node.</summary>
    private sealed class Sink(SimulatedExperimentNetwork owner) : INodeEventSink
    {
        public void OnNodeEvent(int node, NodeEvent nodeEvent)
        {
            var who = owner._nodeOwner[node];
            if (who < 0)
            {
                owner._recorder.RecordSeedEvent(-who - 1, nodeEvent);
            }
            else
            {
                owner._recorder.RecordPeerEvent(who, nodeEvent);
            }
        }
    }
}
