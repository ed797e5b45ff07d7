using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// Runs one experiment on the real network: every seed and peer a hosted service on its own
/// loopback port, exactly as in the demo, with the same workloads and the same report as a
/// <see cref="SimulatedExperiment"/>. Time here is wall-clock time.
/// </summary>
public sealed class TcpExperiment(SimulatedExperimentOptions options, TimeProvider? time = null)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Observer _observer = new();

    public async Task<ExperimentReport> RunAsync(Action<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var meter = new ResourceMeter();
        var peerOptions = options.PeerOptionsForRun();
        var master = new Random(options.RunSeed);
        var workloadRandom = new Random(master.Next());
        var host = BuildHost(peerOptions, NodeRandom.NextSeed(master)); // node Randoms derived as in SimulatedExperiment
        using (host)
        {
            var start = _time.GetUtcNow();
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            var directory = host.Services.GetRequiredService<NodeDirectory>();
            var joins = host.Services.GetRequiredService<JoinSequencer>();
            var peers = directory.Peers;
            var seeds = directory.Seeds;
            var recorder = new ExperimentRecorder(peers.Select(p => p.Endpoint).ToArray(), seeds.Count, start, ReceiptHint(peerOptions));
            _observer.Attach(recorder, peers, seeds);
            var phase = "join";
            var joined = 0;
            void Report() => progress?.Invoke(new ExperimentProgress(phase, Volatile.Read(ref joined), peers.Count,
                _observer.Read(r => r.MessagesPublished), _observer.Read(r => r.FirstReceipts), _time.GetUtcNow() - start, meter.WallElapsed, 0));
            using var ticker = _time.CreateTimer(_ => Report(), null, options.ProgressInterval, options.ProgressInterval);

            // ---- join: peers join one at a time (JoinSequencer); record each join as it completes ----
            var joinTasks = peers.Select((_, i) => joins.WhenJoined(i).ContinueWith(_ =>
            {
                _observer.Write(r => r.PeerJoined(i, _time.GetUtcNow()));
                Interlocked.Increment(ref joined);
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)).ToArray();
            await Task.WhenAll(joinTasks).WaitAsync(options.JoinTimeout * Math.Max(1, peers.Count), _time, cancellationToken).ConfigureAwait(false);
            var buildTime = _time.GetUtcNow() - start;
            var overlay = await MeasureOverlayAsync(peers, buildTime, cancellationToken).ConfigureAwait(false);
            Report();

            // ---- workload ----
            phase = "workload";
            DateTimeOffset? crashAt = null;
            switch (options.Workload)
            {
                case BurstWorkload burst:
                    crashAt = await BurstAsync(peers, seeds, recorder, burst.Messages, burst.Spacing, 0, workloadRandom, cancellationToken).ConfigureAwait(false);
                    break;
                case CrashWorkload crash:
                    crashAt = await BurstAsync(peers, seeds, recorder, crash.Messages, crash.Spacing, crash.CrashShare, workloadRandom, cancellationToken).ConfigureAwait(false);
                    break;
                case ClassicWorkload:
                    var target = peers.Count * peerOptions.MessagesPerPeer;
                    await WaitUntilAsync(() => _observer.Read(r => r.MessagesPublished) >= target,
                        peerOptions.GossipInterval * (peerOptions.MessagesPerPeer + 2), cancellationToken).ConfigureAwait(false);
                    break;
            }

            // ---- drain: until every expected receipt arrived (or the drain timeout) ----
            phase = "drain";
            await WaitUntilAsync(() => _observer.Read(r => r.BuildDelivery() is var d && d.Deliveries >= d.ExpectedDeliveries),
                options.DrainTimeout, cancellationToken).ConfigureAwait(false);
            if (crashAt is { } crashed)
            {
                phase = "detection";
                var window = (peerOptions.LivenessInterval * (peerOptions.MaxMissedLiveness + 2)) + peerOptions.RegistrationTimeout + (peerOptions.RetryInterval * 3);
                var left = crashed + window - _time.GetUtcNow();
                await WaitUntilAsync(() => _observer.Read(r => r.AllCrashesDetected), left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }
            Report();
            var duration = _time.GetUtcNow() - start;
            var openFiles = OpenFileDescriptors();
            var traffic = _observer.Read(r => r.BuildTraffic(_observer.PayloadTransmissions, -1, -1, _observer.PayloadBytes, 0));
            var delivery = _observer.Read(r => r.BuildDelivery());
            var crashReport = _observer.Read(r => r.BuildCrash());
            var resources = meter.Finish() with { OpenFileDescriptors = openFiles };
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await host.StopAsync(stopping.Token).ConfigureAwait(false);
            return new ExperimentReport(
                NetworkKind: "tcp",
                Workload: options.Workload.Name,
                WorkloadDescription: options.Workload.Describe(),
                Seeds: seeds.Count,
                Peers: peers.Count,
                RunSeed: options.RunSeed,
                Protocol: new ProtocolSettings(peerOptions.MaxNeighbours, peerOptions.MessagesPerPeer, peerOptions.GossipInterval.TotalMilliseconds,
                    peerOptions.LivenessInterval.TotalMilliseconds, peerOptions.MaxMissedLiveness, options.MaxPeersPerList),
                Links: null,
                Overlay: overlay,
                Delivery: delivery,
                Traffic: traffic,
                Crash: crashReport,
                DurationMs: duration.TotalMilliseconds,
                EventsProcessed: null,
                Resources: resources);
        }
    }

    private IHost BuildHost(PeerOptions peer, int randomSeed)
    {
        var inv = CultureInfo.InvariantCulture;
        var config = new Dictionary<string, string?>
        {
            ["Network:Seeds"] = options.Seeds.ToString(inv),
            ["Network:Peers"] = options.Peers.ToString(inv),
            ["Network:SeedBasePort"] = "0",
            ["Network:PeerBasePort"] = "0",
            ["Network:PeerJoinInterval"] = options.JoinSpacing.ToString("c", inv),
            ["Network:RandomSeed"] = randomSeed.ToString(inv),
            ["Peer:MaxNeighbours"] = peer.MaxNeighbours.ToString(inv),
            ["Peer:GossipInterval"] = peer.GossipInterval.ToString("c", inv),
            ["Peer:MessagesPerPeer"] = peer.MessagesPerPeer.ToString(inv),
            ["Peer:LivenessInterval"] = peer.LivenessInterval.ToString("c", inv),
            ["Peer:MaxMissedLiveness"] = peer.MaxMissedLiveness.ToString(inv),
            ["Peer:MessageListCapacity"] = peer.MessageListCapacity.ToString(inv),
            ["Peer:MessageListTtl"] = peer.MessageListTtl.ToString("c", inv),
            ["Peer:RegistrationTimeout"] = peer.RegistrationTimeout.ToString("c", inv),
            ["Peer:RetryInterval"] = peer.RetryInterval.ToString("c", inv),
            ["Peer:MinNeighbours"] = peer.MinNeighbours.ToString(inv),
            ["Peer:ReregisterInterval"] = peer.ReregisterInterval.ToString("c", inv),
            ["Peer:HistoryWindow"] = peer.HistoryWindow.ToString("c", inv),
            ["Transport:MaxInboundConnections"] = Math.Max(1024, options.Peers + 16).ToString(inv),
            ["Demo:CrashAfter"] = "00:00:00",
            ["Logs:WriteFiles"] = "false",
        };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_time);
        builder.Services.AddSingleton<INodeEventObserver>(_observer);
        builder.Services.AddP2PSim(builder.Configuration);
        return builder.Build();
    }

    private async Task<OverlayReport> MeasureOverlayAsync(IReadOnlyList<NodeService> peers, TimeSpan buildTime, CancellationToken cancellationToken)
    {
        var index = peers.Select((p, i) => (p.Endpoint, i)).ToDictionary(x => x.Endpoint, x => x.i);
        var neighbours = new IReadOnlyList<int>[peers.Count];
        var notJoined = 0;
        // A link is up at its dialer a moment before its acceptor has handled it (the acceptor answers the Hello first):
        // measure once both ends list every link, as on the simulated network, or after a few seconds.
        for (var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(5); ; await Task.Delay(Poll, _time, cancellationToken).ConfigureAwait(false))
        {
            notJoined = 0;
            for (var i = 0; i < peers.Count; i++)
            {
                var (settled, list) = await peers[i].InspectAsync(m => (((PeerMachine)m).Settled, ((PeerMachine)m).ConnectedNeighbours.ToArray()), cancellationToken).ConfigureAwait(false);
                notJoined += settled ? 0 : 1;
                neighbours[i] = list.Where(index.ContainsKey).Select(e => index[e]).ToArray();
            }
            if (_time.GetUtcNow() >= deadline || neighbours.Select((n, i) => n.All(j => neighbours[j].Contains(i))).All(ok => ok))
            {
                break;
            }
        }
        var shape = OverlayAnalysis.Analyse(neighbours);
        return new OverlayReport(shape.DegreeMin, shape.DegreeMean, shape.DegreeMax, shape.Edges, shape.Connected, shape.Components, notJoined, buildTime.TotalMilliseconds, shape.Fingerprint);
    }

    /// <summary>Publishes from random live peers, one every <paramref name="spacing"/>; crashes a share of the peers halfway. Returns when the crash happened.</summary>
    private async Task<DateTimeOffset?> BurstAsync(IReadOnlyList<NodeService> peers, IReadOnlyList<NodeService> seeds, ExperimentRecorder recorder,
        int messages, TimeSpan spacing, double crashShare, Random random, CancellationToken cancellationToken)
    {
        var victims = ChooseVictims(peers.Count, crashShare, random);
        _observer.Write(r =>
        {
            foreach (var v in victims)
            {
                r.MarkVictim(v);
            }
        });
        DateTimeOffset? crashAt = null;
        var start = _time.GetUtcNow();
        for (var i = 0; i < messages; i++)
        {
            if (victims.Length > 0 && crashAt is null && i == messages / 2)
            {
                crashAt = await CrashAsync(peers, seeds, victims, cancellationToken).ConfigureAwait(false);
            }
            var due = start + (spacing * i);
            var wait = due - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }
            var origin = PickLive(peers, random);
            if (origin is null)
            {
                break;
            }
            await origin.PublishAsync(cancellationToken).ConfigureAwait(false);
        }
        if (victims.Length > 0 && crashAt is null)
        {
            crashAt = await CrashAsync(peers, seeds, victims, cancellationToken).ConfigureAwait(false);
        }
        return crashAt;
    }

    private async Task<DateTimeOffset> CrashAsync(IReadOnlyList<NodeService> peers, IReadOnlyList<NodeService> seeds, int[] victims, CancellationToken cancellationToken)
    {
        var lists = new HashSet<NodeEndpoint>[seeds.Count];
        for (var s = 0; s < seeds.Count; s++)
        {
            lists[s] = (await seeds[s].InspectAsync(m => ((SeedMachine)m).PeerList.ToArray(), cancellationToken).ConfigureAwait(false)).ToHashSet();
        }
        var at = _time.GetUtcNow();
        await Task.WhenAll(victims.Select(v => peers[v].CrashAsync(cancellationToken))).ConfigureAwait(false);
        _observer.Write(r =>
        {
            foreach (var v in victims)
            {
                r.PeerCrashed(v, at, Enumerable.Range(0, seeds.Count).Where(s => lists[s].Contains(peers[v].Endpoint)).ToArray());
            }
        });
        return at;
    }

    private static int[] ChooseVictims(int peers, double share, Random random)
    {
        var count = (int)Math.Round(share * peers, MidpointRounding.AwayFromZero);
        var order = Enumerable.Range(0, peers).ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, order.Length);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var victims = order[..count];
        Array.Sort(victims);
        return victims;
    }

    private static NodeService? PickLive(IReadOnlyList<NodeService> peers, Random random)
    {
        for (var attempt = 0; attempt < 64 && peers.Count > 0; attempt++)
        {
            var p = peers[random.Next(peers.Count)];
            if (!p.IsDown)
            {
                return p;
            }
        }
        return peers.FirstOrDefault(p => !p.IsDown);
    }

    private async Task WaitUntilAsync(Func<bool> done, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + within;
        while (!done() && _time.GetUtcNow() < deadline)
        {
            await Task.Delay(Poll, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static int? OpenFileDescriptors()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private long ReceiptHint(PeerOptions peer) => options.Workload switch
    {
        BurstWorkload b => (long)b.Messages * options.Peers,
        CrashWorkload c => (long)c.Messages * options.Peers,
        _ => (long)peer.MessagesPerPeer * options.Peers * options.Peers,
    };

    /// <summary>Hands node events to the recorder under one lock (they come from every node's loop), buffering those before it exists.</summary>
    private sealed class Observer : INodeEventObserver
    {
        private readonly object _gate = new();
        private readonly List<(NodeService Node, NodeEvent Event)> _early = [];
        private ExperimentRecorder? _recorder;
        private Dictionary<NodeService, int> _peerIndex = new();
        private Dictionary<NodeService, int> _seedIndex = new();
        private long _payloadTransmissions;
        private long _payloadBytes;

        public long PayloadTransmissions => Interlocked.Read(ref _payloadTransmissions);

        public long PayloadBytes => Interlocked.Read(ref _payloadBytes);

        public void Attach(ExperimentRecorder recorder, IReadOnlyList<NodeService> peers, IReadOnlyList<NodeService> seeds)
        {
            lock (_gate)
            {
                _recorder = recorder;
                _peerIndex = peers.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
                _seedIndex = seeds.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i);
                foreach (var (node, e) in _early)
                {
                    Route(node, e);
                }
                _early.Clear();
            }
        }

        public void OnNodeEvent(NodeService node, NodeEvent nodeEvent)
        {
            switch (nodeEvent)
            {
                case GossipOriginated g:
                    Interlocked.Add(ref _payloadTransmissions, g.SentTo);
                    Interlocked.Add(ref _payloadBytes, (long)g.SentTo * FrameCodec.FrameSize(new Protocol.Gossip(g.Text, 1)));
                    break;
                case GossipReceived g:
                    Interlocked.Add(ref _payloadTransmissions, g.ForwardedTo);
                    Interlocked.Add(ref _payloadBytes, (long)g.ForwardedTo * FrameCodec.FrameSize(new Protocol.Gossip(g.Text, 1)));
                    break;
            }
            lock (_gate)
            {
                if (_recorder is null)
                {
                    _early.Add((node, nodeEvent));
                    return;
                }
                Route(node, nodeEvent);
            }
        }

        public T Read<T>(Func<ExperimentRecorder, T> read)
        {
            lock (_gate)
            {
                return read(_recorder!);
            }
        }

        public void Write(Action<ExperimentRecorder> write)
        {
            lock (_gate)
            {
                write(_recorder!);
            }
        }

        private void Route(NodeService node, NodeEvent e)
        {
            if (_peerIndex.TryGetValue(node, out var peer))
            {
                _recorder!.RecordPeerEvent(peer, e);
            }
            else if (_seedIndex.TryGetValue(node, out var seed))
            {
                _recorder!.RecordSeedEvent(seed, e);
            }
        }
    }
}
