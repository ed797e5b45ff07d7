using System.Runtime;
using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Simulation;

namespace P2PSim.Experiments;

/// <summary>
/// Runs one experiment on a <see cref="SimulatedNetwork"/>: starts the seeds, lets the peers
/// join one at a time, measures the overlay, runs the workload, and reports. Deterministic:
/// the report (resources aside) depends only on the options.
/// <code>
/// var report = new SimulatedExperiment(new SimulatedExperimentOptions { Peers = 10_000, RunSeed = 7 })
///     .Run(progress: p => Console.WriteLine($"{p.Phase} {p.PeersJoined}/{p.Peers}"));
/// ReportWriter.WriteText(Console.Out, report);
/// File.WriteAllText("report.json", ReportWriter.ToJson(report));
/// </code>
/// </summary>
public sealed class SimulatedExperiment
{
    private const int CheckEvery = 4096;

    private readonly SimulatedExperimentOptions _options;
    private readonly PeerOptions _peerOptions;
    private SimulatedNetwork? _network;
    private ExperimentRecorder? _recorder;
    private PeerMachine[] _peers = [];
    private SeedMachine[] _seeds = [];
    private ResourceMeter? _meter;
    private Action<ExperimentProgress>? _progress;
    private CancellationToken _cancellation;
    private TimeSpan _lastProgress;
    private int _untilCheck = CheckEvery;
    private int _joined;
    private string _phase = "join";

    public SimulatedExperiment(SimulatedExperimentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _peerOptions = options.PeerOptionsForRun();
    }

    /// <summary>The network of the last run (for inspection after <see cref="Run"/>).</summary>
    public SimulatedNetwork? Network => _network;

    /// <summary>Runs the experiment once. Call once per instance.</summary>
    /// <param name="progress">Called on this thread at most every <see cref="SimulatedExperimentOptions.ProgressInterval"/> of wall time, and at the end of each phase.</param>
    /// <param name="cancellationToken">Checked every few thousand events.</param>
    public ExperimentReport Run(Action<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_network is not null)
        {
            throw new InvalidOperationException("This experiment has already run; create a new one.");
        }
        // A run is one long single-threaded job whose heap only grows while peers join. With
        // background collection available (the default), full collections run on another core
        // instead of stopping the simulation; without it, batch mode is the cheapest.
        var latencyMode = GCSettings.LatencyMode;
        GCSettings.LatencyMode = latencyMode == GCLatencyMode.Batch ? GCLatencyMode.Batch : GCLatencyMode.SustainedLowLatency;
        try
        {
            return RunCore(progress, cancellationToken);
        }
        finally
        {
            GCSettings.LatencyMode = latencyMode;
        }
    }

    private ExperimentReport RunCore(Action<ExperimentProgress>? progress, CancellationToken cancellationToken)
    {
        _meter = new ResourceMeter();
        _progress = progress;
        _cancellation = cancellationToken;
        var o = _options;
        var master = new Random(o.RunSeed);
        var workloadRandom = new Random(master.Next());
        var nodeSeed = NodeRandom.NextSeed(master); // each node's Random derived as on tcp (Network:RandomSeed)
        _network = new SimulatedNetwork(o.Network, master.Next(), new Sink(this));
        var network = _network;

        var seedEndpoints = new NodeEndpoint[o.Seeds];
        _seeds = new SeedMachine[o.Seeds];
        for (var s = 0; s < o.Seeds; s++)
        {
            seedEndpoints[s] = SimulatedAddresses.Seed(s);
            _seeds[s] = new SeedMachine(seedEndpoints[s], NodeRandom.For(nodeSeed, NodeRole.Seed, s), o.MaxPeersPerList, seedEndpoints);
            network.Add(_seeds[s]);
        }
        var peerEndpoints = new NodeEndpoint[o.Peers];
        _peers = new PeerMachine[o.Peers];
        for (var p = 0; p < o.Peers; p++)
        {
            peerEndpoints[p] = SimulatedAddresses.Peer(p);
            _peers[p] = new PeerMachine(peerEndpoints[p], seedEndpoints, _peerOptions, NodeRandom.For(nodeSeed, NodeRole.Peer, p));
            network.Add(_peers[p]);
        }
        _recorder = new ExperimentRecorder(peerEndpoints, o.Seeds, network.Now, ReceiptHint());
        for (var s = 0; s < o.Seeds; s++)
        {
            network.Start(s);
        }

        var overlay = Join();
        switch (o.Workload)
        {
            case BurstWorkload burst:
                Burst(burst.Messages, burst.Spacing, crashShare: 0, workloadRandom);
                break;
            case CrashWorkload crash:
                Burst(crash.Messages, crash.Spacing, crash.CrashShare, workloadRandom);
                break;
            case ClassicWorkload:
                Classic();
                break;
            default:
                throw new NotSupportedException($"Unknown workload {o.Workload.GetType().Name}.");
        }
        Report(force: true);

        var counters = network.Counters;
        var resources = _meter.Finish();
        return new ExperimentReport(
            NetworkKind: "simulated",
            Workload: o.Workload.Name,
            WorkloadDescription: o.Workload.Describe(),
            Seeds: o.Seeds,
            Peers: o.Peers,
            RunSeed: o.RunSeed,
            Protocol: new ProtocolSettings(
                _peerOptions.MaxNeighbours,
                _peerOptions.MessagesPerPeer,
                _peerOptions.GossipInterval.TotalMilliseconds,
                _peerOptions.LivenessInterval.TotalMilliseconds,
                _peerOptions.MaxMissedLiveness,
                o.MaxPeersPerList),
            Links: new LinkSettings(
                o.Network.Latency.TotalMilliseconds,
                o.Network.Jitter.TotalMilliseconds,
                o.Network.LossProbability,
                o.Network.LossScope.ToString()),
            Overlay: overlay,
            Delivery: _recorder.BuildDelivery(),
            Traffic: _recorder.BuildTraffic(counters.PayloadTransmissions, counters.MessagesSent, counters.BytesSent, counters.PayloadBytes, counters.MessagesLost),
            Crash: _recorder.BuildCrash(),
            DurationMs: network.Elapsed.TotalMilliseconds,
            EventsProcessed: network.EventsProcessed,
            Resources: resources);
    }

    // ---- phases ----

    /// <summary>
    /// Peers join, at most <see cref="SimulatedExperimentOptions.JoinConcurrency"/> at a time (the
    /// first one always alone); returns the overlay once all have. A join is finished when the
    /// peer has its peer lists and every neighbour dial it made has connected or failed.
    /// </summary>
    private OverlayReport Join()
    {
        var network = _network!;
        var seeds = _options.Seeds;
        var start = network.Now;
        var notJoined = 0;
        var joining = new List<(int Peer, DateTimeOffset Deadline)>(_options.JoinConcurrency);
        var next = 0;
        while (next < _peers.Length || joining.Count > 0)
        {
            var slots = _joined == 0 ? 1 : _options.JoinConcurrency;
            while (joining.Count < slots && next < _peers.Length)
            {
                network.Start(seeds + next);
                joining.Add((next, network.Now + _options.JoinTimeout));
                next++;
            }
            var earliestDeadline = joining.Min(j => j.Deadline);
            RunUntil(() => AnyJoinOver(joining), earliestDeadline);
            for (var i = joining.Count - 1; i >= 0; i--)
            {
                var (p, deadline) = joining[i];
                var settled = IsSettled(p);
                if (!settled && network.Now < deadline)
                {
                    continue;
                }
                notJoined += settled ? 0 : 1;
                _recorder!.PeerJoined(p, network.Now);
                _joined++;
                joining.RemoveAt(i);
            }
            if (_options.JoinSpacing > TimeSpan.Zero && next < _peers.Length)
            {
                RunTo(network.Now + _options.JoinSpacing);
            }
        }
        var buildTime = network.Now - start;
        Report(force: true);

        var neighbours = new int[_peers.Length][];
        var scratch = new List<int>();
        for (var p = 0; p < _peers.Length; p++)
        {
            scratch.Clear();
            foreach (var endpoint in _peers[p].ConnectedNeighbours)
            {
                if (network.TryGetNode(endpoint, out var node) && node >= seeds)
                {
                    scratch.Add(node - seeds);
                }
            }
            neighbours[p] = scratch.ToArray();
        }
        var shape = OverlayAnalysis.Analyse(neighbours);
        return new OverlayReport(shape.DegreeMin, shape.DegreeMean, shape.DegreeMax, shape.Edges, shape.Connected, shape.Components, notJoined, buildTime.TotalMilliseconds, shape.Fingerprint);
    }

    private bool IsSettled(int peer) => _peers[peer].Joined && _network!.PendingDials(_options.Seeds + peer) == 0;

    private bool AnyJoinOver(List<(int Peer, DateTimeOffset Deadline)> joining)
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

    /// <summary>Publishes <paramref name="messages"/> from random running peers; crashes a share of the peers halfway.</summary>
    private void Burst(int messages, TimeSpan spacing, double crashShare, Random random)
    {
        var network = _network!;
        var recorder = _recorder!;
        var seeds = _options.Seeds;
        var victims = ChooseVictims(crashShare, random);
        foreach (var v in victims)
        {
            recorder.MarkVictim(v);
        }
        _phase = "workload";
        var start = network.Now;
        DateTimeOffset? crashAt = null;
        for (var i = 0; i < messages; i++)
        {
            var due = start + (spacing * i);
            if (victims.Length > 0 && crashAt is null && i == messages / 2)
            {
                RunTo(due - (spacing / 2));
                crashAt = network.Now;
                CrashAll(victims);
            }
            RunTo(due);
            if (PickRunningPeer(random) is not { } origin)
            {
                break;
            }
            network.Apply(seeds + origin, static (machine, now) => ((PeerMachine)machine).Publish(now));
        }
        if (victims.Length > 0 && crashAt is null)
        {
            crashAt = network.Now;
            CrashAll(victims);
        }
        _phase = "drain";
        RunUntil(() => network.Counters.PayloadsInFlight == 0, network.Now + _options.DrainTimeout);
        if (crashAt is { } crashed)
        {
            _phase = "detection";
            RunUntil(() => recorder.AllCrashesDetected, crashed + DetectionWindow());
        }
    }

    /// <summary>Every peer gossips on its own timer (it started at its join); wait until all have, and the gossip has landed.</summary>
    private void Classic()
    {
        var network = _network!;
        _phase = "workload";
        var joined = 0;
        foreach (var peer in _peers)
        {
            joined += peer.Joined ? 1 : 0;
        }
        var target = (long)joined * _peerOptions.MessagesPerPeer;
        var deadline = network.Now + (_peerOptions.GossipInterval * (_peerOptions.MessagesPerPeer + 1)) + _options.DrainTimeout;
        RunUntil(() => _recorder!.MessagesPublished >= target && network.Counters.PayloadsInFlight == 0, deadline);
    }

    private int[] ChooseVictims(double share, Random random)
    {
        var count = (int)Math.Round(share * _peers.Length, MidpointRounding.AwayFromZero);
        if (count == 0)
        {
            return [];
        }
        var order = new int[_peers.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, order.Length);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var victims = order[..count];
        Array.Sort(victims);
        return victims;
    }

    private void CrashAll(int[] victims)
    {
        var network = _network!;
        var seeds = _options.Seeds;
        var listed = new HashSet<NodeEndpoint>[_seeds.Length];
        for (var s = 0; s < _seeds.Length; s++)
        {
            listed[s] = new HashSet<NodeEndpoint>(_seeds[s].PeerList);
        }
        var holders = new List<int>(_seeds.Length);
        foreach (var v in victims)
        {
            holders.Clear();
            var endpoint = network.Endpoint(seeds + v);
            for (var s = 0; s < listed.Length; s++)
            {
                if (listed[s].Contains(endpoint))
                {
                    holders.Add(s);
                }
            }
            network.Crash(seeds + v);
            _recorder!.PeerCrashed(v, network.Now, holders);
        }
    }

    private int? PickRunningPeer(Random random)
    {
        var network = _network!;
        var seeds = _options.Seeds;
        if (_peers.Length == 0)
        {
            return null;
        }
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var p = random.Next(_peers.Length);
            if (network.IsRunning(seeds + p))
            {
                return p;
            }
        }
        for (var p = 0; p < _peers.Length; p++)
        {
            if (network.IsRunning(seeds + p))
            {
                return p;
            }
        }
        return null;
    }

    /// <summary>Longest a detection can take: a connection-loss notice, MaxMissedLiveness+1 rounds, and report delivery with retries.</summary>
    private TimeSpan DetectionWindow() =>
        (_peerOptions.LivenessInterval * (_peerOptions.MaxMissedLiveness + 2))
        + _peerOptions.RegistrationTimeout
        + (_peerOptions.RetryInterval * 3);

    // ---- the event loop ----

    /// <summary>Handles events until <paramref name="done"/> holds (true) or the next event is after <paramref name="deadline"/> (false; the clock then stands at the deadline).</summary>
    private bool RunUntil(Func<bool> done, DateTimeOffset deadline)
    {
        var network = _network!;
        while (!done())
        {
            if (!network.TryPeekNext(out var next) || next > deadline)
            {
                network.AdvanceTo(deadline);
                return done();
            }
            network.Step();
            Tick();
        }
        return true;
    }

    /// <summary>Handles every event up to <paramref name="at"/> and moves the clock there.</summary>
    private void RunTo(DateTimeOffset at)
    {
        var network = _network!;
        while (network.TryPeekNext(out var next) && next <= at)
        {
            network.Step();
            Tick();
        }
        network.AdvanceTo(at);
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
        var wall = _meter!.WallElapsed;
        if (!force && wall - _lastProgress < _options.ProgressInterval)
        {
            return;
        }
        _lastProgress = wall;
        _progress(new ExperimentProgress(
            _phase,
            _joined,
            _peers.Length,
            _recorder!.MessagesPublished,
            _recorder.FirstReceipts,
            _network!.Elapsed,
            wall,
            _network.EventsProcessed));
    }

    private long ReceiptHint() => _options.Workload switch
    {
        BurstWorkload b => (long)b.Messages * _options.Peers,
        CrashWorkload c => (long)c.Messages * _options.Peers,
        _ => (long)_peerOptions.MessagesPerPeer * _options.Peers * _options.Peers,
    };

    /// <summary>Routes node events to the recorder: seeds are nodes 0..S-1, peers S.. onwards.</summary>
    private sealed class Sink(SimulatedExperiment owner) : INodeEventSink
    {
        public void OnNodeEvent(int node, NodeEvent nodeEvent)
        {
            var seeds = owner._options.Seeds;
            if (node < seeds)
            {
                owner._recorder!.RecordSeedEvent(node, nodeEvent);
            }
            else
            {
                owner._recorder!.RecordPeerEvent(node - seeds, nodeEvent);
            }
        }
    }
}
