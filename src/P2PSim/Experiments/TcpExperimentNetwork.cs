using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Transport;

namespace P2PSim.Experiments;

/// <summary>
/// <see cref="IExperimentNetwork"/> on real nodes: one Generic Host runs the seeds and the first peers, exactly as
/// in the demo (every node a hosted service on its own loopback port, port 0); peers that join later and seeds
/// that restart are started as further <see cref="NodeService"/>s of the same services (a restarted seed binds its
/// old port again). Time is wall-clock time from the <see cref="TimeProvider"/>; waits poll every 50 ms. A
/// partition is not supported: the transport has no way to cut links between groups of nodes.
/// </summary>
internal sealed partial class TcpExperimentNetwork : IExperimentNetwork, IAsyncDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    private readonly ExperimentOptions _options;
    private readonly PeerOptions _peer;
    private readonly TimeProvider _time;
    private readonly int _hostSeed;
    private readonly ResourceMeter _meter;
    private readonly Action<ExperimentProgress>? _progress;
    private readonly ExperimentObserver _observer;
    private readonly NodeService?[] _peers;
    private readonly int[] _leaving;
    private readonly List<NodeService> _started = []; // outside the host: late joiners, restarted seeds
    private readonly List<Task> _leaves = [];        // clean stops under way
    private NodeService[] _seeds = [];
    private NodeService[] _hostNodes = []; // every node the host started, kept for their transport counts after a restart replaced one
    private IHost? _host;
    private JoinSequencer? _joins;
    private ITimer? _ticker;
    private CancellationTokenSource? _stopSampling;
    private Task? _sampling;
    private DateTimeOffset? _lastSample;
    private int _joined;
    private string _phase = "join";

    public TcpExperimentNetwork(ExperimentOptions options, Workload workload, PeerOptions peer, TimeProvider time, int hostSeed, ResourceMeter meter,
        Action<ExperimentProgress>? progress)
    {
        _options = options;
        _peer = peer;
        _time = time;
        _hostSeed = hostSeed;
        _meter = meter;
        _progress = progress;
        _peers = new NodeService?[options.Peers];
        _leaving = new int[options.Peers];
        Start = time.GetUtcNow();
        _observer = new ExperimentObserver(new ExperimentRecorder(options.Peers, options.Seeds, Start, SimulatedExperimentNetwork.ReceiptHint(workload, options.Peers, peer)));
    }

    public string Kind => "tcp";

    public int SeedCount => _options.Seeds;

    public int PeerCount => _peers.Length;

    public DateTimeOffset Start { get; }

    public DateTimeOffset Now => _time.GetUtcNow();

    public bool CanPartition => false;

    public string Phase
    {
        get => Volatile.Read(ref _phase);
        set
        {
            Volatile.Write(ref _phase, value);
            Report();
        }
    }

    public T Read<T>(Func<ExperimentRecorder, T> read) => _observer.Read(read);

    public void Write(Action<ExperimentRecorder> write) => _observer.Write(write);

    public async ValueTask<JoinOutcome> JoinAsync(int peers, CancellationToken cancellationToken)
    {
        _host = BuildHost(peers);
        await _host.StartAsync(cancellationToken).ConfigureAwait(false);
        var directory = _host.Services.GetRequiredService<NodeDirectory>();
        _joins = _host.Services.GetRequiredService<JoinSequencer>();
        _seeds = [.. directory.Seeds];
        var started = directory.Peers;
        _hostNodes = [.. _seeds, .. started];
        for (var s = 0; s < _seeds.Length; s++)
        {
            _observer.Map(_seeds[s], s);
        }
        for (var p = 0; p < started.Count; p++)
        {
            _peers[p] = started[p];
            _observer.Map(started[p], p);
        }
        Write(r =>
        {
            for (var p = 0; p < started.Count; p++)
            {
                r.SetPeerEndpoint(p, started[p].Endpoint);
            }
        });
        _ticker = _time.CreateTimer(_ => Report(), null, _options.ProgressInterval, _options.ProgressInterval);
        var joins = Enumerable.Range(0, started.Count).Select(RecordJoinWhenDone).ToArray();
        await Task.WhenAll(joins).WaitAsync(_options.JoinTimeout * Math.Max(1, peers), _time, cancellationToken).ConfigureAwait(false);
        var keys = _host.Services.GetRequiredService<NodeKeys>().PreparedIn;
        var buildTime = Now - Start - keys;
        var notJoined = 0;
        foreach (var node in started)
        {
            notJoined += await node.InspectAsync(m => ((PeerMachine)m).Settled, cancellationToken).ConfigureAwait(false) ? 0 : 1;
        }
        await UntilLinksAreTwoSidedAsync(cancellationToken).ConfigureAwait(false);
        return new JoinOutcome(buildTime, notJoined, started.Count, _joins.Window) { KeysTime = keys };
    }

    /// <summary>
    /// A link is up at its dialer a moment before its acceptor's node has handled it (the acceptor's transport answers the
    /// Hello first): the overlay is measured once both ends list every link, as on the simulated network, or after 5 s.
    /// </summary>
    private async Task UntilLinksAreTwoSidedAsync(CancellationToken cancellationToken)
    {
        var deadline = Now + TimeSpan.FromSeconds(5);
        while (Now < deadline)
        {
            var snapshot = await SnapshotAsync(cancellationToken).ConfigureAwait(false);
            var listed = new HashSet<(int, int)>();
            for (var i = 0; i < snapshot.Peers.Length; i++)
            {
                foreach (var j in snapshot.Neighbours[i])
                {
                    listed.Add((i, j)); // positions in snapshot.Peers
                }
            }
            if (listed.All(link => listed.Contains((link.Item2, link.Item1))))
            {
                return;
            }
            await Task.Delay(Poll, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask StartPeerAsync(int peer, CancellationToken cancellationToken)
    {
        // Where the host's own peers are: on an address of its own each (Network:AddressPerNode), or all on loopback.
        var spec = P2PSimServiceCollectionExtensions.PeerSpec(Services.GetRequiredService<IOptions<NetworkOptions>>().Value, Services.GetRequiredService<SeedBook>().Layout, peer);
        var node = ActivatorUtilities.CreateInstance<NodeService>(Services, spec);
        _observer.Map(node, peer);
        _started.Add(node);
        await node.StartAsync(cancellationToken).ConfigureAwait(false);
        Write(r => r.SetPeerEndpoint(peer, node.Endpoint));
        Volatile.Write(ref _peers[peer], node);
        _ = RecordJoinWhenDone(peer); // a continuation that only writes to the recorder; nothing waits for it
    }

    public bool IsLive(int peer) => Volatile.Read(ref _peers[peer]) is { IsDown: false } && Volatile.Read(ref _leaving[peer]) == 0;

    public async ValueTask PublishAsync(int peer, CancellationToken cancellationToken) =>
        await Peer(peer).PublishAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask SendPrivateAsync(int from, int to, CancellationToken cancellationToken) =>
        await Peer(from).SendPrivateAsync(Peer(to).Endpoint, $"private message from peer {from} to peer {to}", cancellationToken).ConfigureAwait(false);

    public async ValueTask JoinGroupAsync(int peer, string group, CancellationToken cancellationToken) =>
        await Peer(peer).ApplyToPeerAsync((m, now) => m.JoinGroup(group, now), cancellationToken).ConfigureAwait(false);

    public async ValueTask LeaveGroupAsync(int peer, string group, CancellationToken cancellationToken) =>
        await Peer(peer).ApplyToPeerAsync((m, now) => m.LeaveGroup(group, now), cancellationToken).ConfigureAwait(false);

    public async ValueTask<bool> PublishToGroupAsync(int peer, string group, CancellationToken cancellationToken) =>
        await Peer(peer).ApplyToPeerAsync((m, now) => m.Publish(group, now) is not null, cancellationToken).ConfigureAwait(false);

    /// <summary>Frames on their way are not seen here: the recorder's receipts at non-members stand for leakage.</summary>
    public long? GroupPayloadLeaks => null;

    public async ValueTask CrashPeersAsync(IReadOnlyList<int> peers, CancellationToken cancellationToken)
    {
        var lists = new HashSet<NodeEndpoint>?[_seeds.Length];
        for (var s = 0; s < _seeds.Length; s++)
        {
            lists[s] = _seeds[s].IsDown ? null
                : (await _seeds[s].InspectAsync(m => ((SeedMachine)m).PeerList.ToArray(), cancellationToken).ConfigureAwait(false)).ToHashSet();
        }
        var at = Now;
        await Task.WhenAll(peers.Select(p => Peer(p).CrashAsync(cancellationToken))).ConfigureAwait(false);
        Write(r =>
        {
            foreach (var p in peers)
            {
                r.PeerCrashed(p, at, Enumerable.Range(0, lists.Length).Where(s => lists[s]?.Contains(Peer(p).Endpoint) == true).ToArray());
            }
        });
    }

    public ValueTask StopPeerAsync(int peer, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _leaving[peer], 1);
        var at = Now;
        _leaves.Add(Peer(peer).StopAsync(CancellationToken.None)); // the node bounds its goodbyes by Transport:ShutdownGrace
        Write(r => r.PeerLeft(peer, at));
        return ValueTask.CompletedTask;
    }

    public async ValueTask CrashSeedsAsync(IReadOnlyList<int> seeds, CancellationToken cancellationToken)
    {
        await Task.WhenAll(seeds.Select(s => _seeds[s].CrashAsync(cancellationToken))).ConfigureAwait(false);
        Write(r =>
        {
            foreach (var s in seeds)
            {
                r.SeedCrashed(s);
            }
        });
    }

    public async ValueTask RestartSeedsAsync(IReadOnlyList<int> seeds, CancellationToken cancellationToken)
    {
        foreach (var s in seeds)
        {
            var node = ActivatorUtilities.CreateInstance<NodeService>(Services, _seeds[s].Spec with { BindTo = _seeds[s].Endpoint });
            var at = Now;
            Write(r => r.SeedRestarted(s, at));
            _observer.Map(node, s);
            _started.Add(node);
            await node.StartAsync(cancellationToken).ConfigureAwait(false);
            _seeds[s] = node;
        }
    }

    public ValueTask PartitionAsync(IReadOnlyList<int> sideA, IReadOnlyList<int> sideB, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The tcp network cannot be partitioned: the transport has no way to cut links between groups of nodes.");

    public ValueTask HealAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask DelayUntilAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var wait = at - Now;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<bool> WaitUntilAsync(Func<bool> done, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (!done())
        {
            if (Now >= deadline)
            {
                return false;
            }
            await Task.Delay(Poll, _time, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    public async ValueTask WaitForGossipAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        // Until every first copy is in, or the network has gone quiet short of that: every copy handed to a transport is
        // accounted for (received, dropped as a duplicate, or dropped by a queue or the process queue budget) and nothing
        // arrived for a while, long enough for a tree's announcements and grafts; or nothing arrived for much longer
        // (copies lost with a crashed peer are never accounted for). Gossip dropped under overload is not sent again, so
        // the wait would otherwise last the whole DrainTimeout.
        var quiet = GiveUpQuiet();
        var seen = -1L;
        var lastChange = Now;
        if (!await WaitUntilAsync(() =>
        {
            if (Read(static r => r.AllDelivered))
            {
                return true;
            }
            var copies = Read(static r => r.FirstReceipts + r.DuplicatesDropped + r.GroupFirstReceipts + r.GroupDuplicatesDropped);
            if (copies != seen)
            {
                (seen, lastChange) = (copies, Now);
            }
            var still = Now - lastChange;
            return (still >= quiet && copies >= PayloadTransmissions - DroppedGossip()) || still >= quiet * 10;
        }, deadline, cancellationToken).ConfigureAwait(false) || !Read(static r => r.AllDelivered))
        {
            return;
        }
        // Every first copy is in; duplicate copies may still be on their way, and the report counts them. Each copy a
        // node handed to its transport ends as a first receipt or a dropped duplicate at its receiver, unless a send
        // queue dropped it or its connection closed under it: wait until all are accounted for, or until none has
        // arrived for a moment (copies lost with a crashed peer never arrive).
        var arrived = -1L;
        var lastArrival = Now;
        await WaitUntilAsync(() =>
        {
            var now = Read(static r => r.FirstReceipts + r.DuplicatesDropped);
            if (now >= PayloadTransmissions - DroppedGossip())
            {
                return true;
            }
            if (now != arrived)
            {
                (arrived, lastArrival) = (now, Now);
            }
            return Now - lastArrival >= DuplicateSettle;
        }, deadline, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// How long a drain waits with nothing arriving and nothing in flight before it gives up on the missing receipts: 2 s,
    /// plus on a tree the longest a repair takes (an announcement's batch, a graft's wait with its spread, and a retry).
    /// </summary>
    private TimeSpan GiveUpQuiet() => GiveUpQuiet(_options.Gossip);

    /// <summary>See <see cref="GiveUpQuiet()"/>, for these gossip settings (also the slices' drain).</summary>
    internal static TimeSpan GiveUpQuiet(GossipOptions gossip)
    {
        var tree = gossip.Routing != Routing.Flood ? gossip.EffectiveAnnounceInterval + (gossip.EffectiveGraftTimeout * 1.5) + gossip.GraftRetry : TimeSpan.Zero;
        return TimeSpan.FromSeconds(2) + tree;
    }

    /// <summary>How long the wait for the last duplicate copies goes on once none arrives.</summary>
    private static readonly TimeSpan DuplicateSettle = TimeSpan.FromMilliseconds(500);

    /// <summary>Gossip frames every node handed to its transport (see <see cref="SentFrameCounter"/>).</summary>
    public long PayloadTransmissions
    {
        get
        {
            long sent = 0;
            foreach (var node in _hostNodes.Concat(_started))
            {
                sent += node.Sent.PayloadFrames;
            }
            return sent;
        }
    }

    /// <summary>Gossip frames every node's transport dropped, sending or receiving (they never reach a node).</summary>
    private long DroppedGossip()
    {
        long dropped = 0;
        foreach (var node in _hostNodes.Concat(_started))
        {
            if (node.TransportStats is { } stats)
            {
                dropped += stats.Dropped.OwnGossip + stats.Dropped.ForwardedGossip;
            }
        }
        return dropped;
    }

    public async ValueTask<OverlaySnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var index = new Dictionary<NodeEndpoint, int>();
        for (var p = 0; p < _peers.Length; p++)
        {
            if (Volatile.Read(ref _peers[p]) is { } node)
            {
                index[node.Endpoint] = p;
            }
        }
        var answers = await Task.WhenAll(Enumerable.Range(0, _peers.Length).Where(IsLive).Select(async p =>
        {
            try
            {
                var neighbours = await Peer(p).InspectAsync(m => ((PeerMachine)m).ConnectedNeighbours.ToArray(), cancellationToken).ConfigureAwait(false);
                return (Peer: p, Neighbours: neighbours.Where(index.ContainsKey).Select(e => index[e]).ToArray());
            }
            catch (ChannelClosedException)
            {
                return (Peer: -1, Neighbours: Array.Empty<int>()); // went down meanwhile
            }
        })).ConfigureAwait(false);
        var live = answers.Where(a => a.Peer >= 0 && IsLive(a.Peer)).ToDictionary(a => a.Peer, a => a.Neighbours);
        return OverlaySnapshot.Build([.. live.Keys.Order()], _peers.Length, p => live[p]);
    }

    public void StartSampling(ConnectivitySampler sampler)
    {
        _stopSampling = new CancellationTokenSource();
        _sampling = SampleAsync(sampler, _stopSampling.Token);
    }

    public async ValueTask StopSamplingAsync(CancellationToken cancellationToken)
    {
        if (_stopSampling is null || _sampling is null)
        {
            return;
        }
        await _stopSampling.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        _stopSampling.Dispose();
        _stopSampling = null;
    }

    /// <summary>
    /// Frames and bytes as every node's transport wrote them (Hello to Goodbye, of nodes that crashed or stopped too);
    /// payloads and tree control frames as the nodes handed them to their transports (what the simulator counts).
    /// </summary>
    /// <summary>Receipts still owed and bytes queued in the process now, for a sample.</summary>
    private SampleLoad Load() => new(Read(static r => r.ExpectedDeliveries - r.Deliveries), Services.GetRequiredService<QueueBudget>().QueuedBytes, null);

    public NetworkFacts Facts()
    {
        var sent = default(WireCounts);
        var tree = default(TreeControlCounts);
        long payloads = 0, payloadBytes = 0, signatureChecks = 0;
        foreach (var node in _hostNodes.Concat(_started))
        {
            signatureChecks += node.Role == NodeRole.Peer ? node.SignatureChecks : 0;
            payloads += node.Sent.PayloadFrames;
            payloadBytes += node.Sent.PayloadBytes;
            tree += node.Sent.TreeControl;
        }
        long control = 0, own = 0, forwarded = 0, budgetOwn = 0, budgetForwarded = 0;
        var peak = 0;
        foreach (var stats in TransportStats())
        {
            sent += stats.Sent;
            control += stats.Dropped.Control;
            own += stats.Dropped.OwnGossip;
            forwarded += stats.Dropped.ForwardedGossip;
            budgetOwn += stats.BudgetDrops.OwnGossip;
            budgetForwarded += stats.BudgetDrops.ForwardedGossip;
            peak = Math.Max(peak, stats.PeakQueuedFrames);
        }
        var budget = Services.GetRequiredService<QueueBudget>(); // one for the whole run: every node's transport shares it
        return new(null, payloads, sent.Frames, sent.Bytes, payloadBytes, 0, null,
            SendQueueDrops: new FrameDropsReport(control, own, forwarded, peak, budgetOwn, budgetForwarded, budget.LimitBytes, budget.PeakQueuedBytes,
                budget.DroppedAnnouncements),
            TreeControl: tree, SignatureChecks: signatureChecks);
    }

    /// <summary>The counters of every node's transport: the host's nodes (those a restart replaced too), late joiners, restarted seeds.</summary>
    public IReadOnlyList<TransportStats> TransportStats() => [.. _hostNodes.Concat(_started).Select(n => n.TransportStats).OfType<TransportStats>()];

    public async ValueTask DisposeAsync()
    {
        _ticker?.Dispose();
        await StopSamplingAsync(CancellationToken.None).ConfigureAwait(false);
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Task.WhenAll(_leaves).WaitAsync(stopping.Token).ConfigureAwait(false);
        await Task.WhenAll(_started.Select(n => n.StopAsync(stopping.Token))).ConfigureAwait(false);
        if (_host is not null)
        {
            await _host.StopAsync(stopping.Token).ConfigureAwait(false);
            _host.Dispose();
        }
        foreach (var node in _started)
        {
            node.Dispose();
        }
    }

    private IServiceProvider Services => _host?.Services ?? throw new InvalidOperationException("The network has not been started (JoinAsync).");

    private NodeService Peer(int peer) => Volatile.Read(ref _peers[peer]) ?? throw new InvalidOperationException($"Peer {peer} has not been started.");

    /// <summary>Records the peer's join once the join sequencer says it joined (unless it went down instead).</summary>
    private Task RecordJoinWhenDone(int peer) => _joins!.WhenJoined(peer).ContinueWith(_ =>
    {
        if (!Peer(peer).IsDown)
        {
            var at = Now;
            Write(r => r.PeerJoined(peer, at));
        }
        Interlocked.Increment(ref _joined);
    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async Task SampleAsync(ConnectivitySampler sampler, CancellationToken stop)
    {
        var next = Now;
        try
        {
            while (true)
            {
                var at = Now;
                sampler.Add(at, await SnapshotAsync(stop).ConfigureAwait(false), Read(static r => r.CrashedStillListed), Load());
                _lastSample = at;
                next += sampler.Interval;
                var wait = next - Now;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped: one last sample of the overlay as the run ends.
        }
        if (_lastSample is not { } last || Now - last > Poll)
        {
            sampler.Add(Now, await SnapshotAsync(CancellationToken.None).ConfigureAwait(false), Read(static r => r.CrashedStillListed), Load());
        }
    }

    private void Report() => _progress?.Invoke(new ExperimentProgress(Phase, Volatile.Read(ref _joined), _peers.Length,
        Read(static r => r.MessagesPublished), Read(static r => r.FirstReceipts), Now - Start, _meter.WallElapsed, 0));

    /// <summary>
    /// The demo's host, for this run: the seeds and the first <paramref name="peers"/> peers on ports the system picks,
    /// no demo crash or private messages, no log files. The nodes get the run's <c>Peer</c> and <c>Transport</c> settings as the objects
    /// they are (<see cref="GivenOptionsFactory{TOptions}"/>): every setting reaches them, one added later too.
    /// </summary>
    private IHost BuildHost(int peers)
    {
        var inv = CultureInfo.InvariantCulture;
        var config = new Dictionary<string, string?>
        {
            ["Network:Seeds"] = _options.Seeds.ToString(inv),
            ["Network:Peers"] = peers.ToString(inv),
            ["Network:SeedBasePort"] = "0",
            ["Network:PeerBasePort"] = "0",
            ["Network:PeerJoinInterval"] = _options.JoinSpacing.ToString("c", inv),
            ["Network:PeersJoiningAtOnce"] = _options.EffectiveJoinConcurrency.ToString(inv),
            ["Network:RandomSeed"] = _hostSeed.ToString(inv),
            ["Demo:CrashAfter"] = "00:00:00",
            ["Demo:PrivateMessages"] = "0", // the workload is all the traffic there is
            ["Logs:WriteFiles"] = "false",
        };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        AddAttackLogging(builder.Logging);
        builder.Services.AddSingleton(_time);
        builder.Services.AddSingleton<INodeEventObserver>(_observer);
        builder.Services.AddP2PSim(builder.Configuration);
        builder.Services.AddGivenOptions(_peer);
        builder.Services.AddGivenOptions(TransportForRun(_options.Transport, _options.Peers, _options.Seeds));
        builder.Services.AddGivenOptions(_options.SeedOptionsForRun()); // no tenured share unless the run has the rule
        builder.Services.AddGivenOptions(_options.Gossip);
        builder.Services.AddGivenOptions(_options.Security); // tls or plain links
        builder.Services.AddGivenOptions(_options.PrivateOptionsForRun()); // the run's peers that cannot be dialled, by index
        builder.Services.AddGivenOptions(new GroupOptions { Names = "", PerPeer = 0, MessagesPerPeer = 0 }); // no groups unless a workload joins them
        var host = builder.Build();
        host.Services.GetRequiredService<NetworkStats>().TrackDelivery = false; // the recorder keeps the delivery account
        return host;
    }

    /// <summary>
    /// The run's <c>Transport</c> settings as its nodes get them, with two changes: <c>MaxInboundConnections</c> is raised
    /// to at least <c>Peers + 16</c> (never lowered), because every peer dials every seed it registers with, and joins,
    /// re-registrations and dead-node reports come in waves: a seed must be able to take a connection from every peer at
    /// once, and from the other seeds. And a default <c>ProcessQueueBytes</c> (0) becomes the default for every node of the
    /// run, those that join late included (the host itself only starts the first ones).
    /// </summary>
    internal static TransportOptions TransportForRun(TransportOptions transport, int peers, int seeds)
    {
        var copy = transport.Clone();
        copy.MaxInboundConnections = Math.Max(transport.MaxInboundConnections, peers + 16);
        copy.ProcessQueueBytes = QueueBudget.BytesFor(transport.ProcessQueueBytes, seeds + peers);
        return copy;
    }
}
