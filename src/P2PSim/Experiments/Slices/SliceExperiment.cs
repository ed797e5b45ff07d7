using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using P2PSim.Configuration;
using P2PSim.Hosting;
using P2PSim.Logging;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Transport;

namespace P2PSim.Experiments.Slices;

/// <summary>
/// One slice of an experiment run over several processes (<c>Slice:Count</c> above 1): this process runs its slice's
/// seeds and peers as the demo does (the same <c>Network:Seeds</c> list, ports and addresses, <see cref="SliceLayout"/>),
/// takes the steps of the common <see cref="SliceSchedule"/> that concern its own peers at their times from
/// <c>Experiment:StartAt</c>, records its own nodes' receipts (<see cref="SliceRecorder"/>) and returns its
/// <see cref="SlicePart"/>. There is no coordinator: the slices agree through the settings, the run seed and the clock.
/// <para>
/// The run: the nodes start and this slice's peers join one by one (the seeds, wherever they run, are the meeting point);
/// at <c>StartAt</c> the overlay is sampled (sample 0) and the steps begin; after the last one the slice waits until each
/// of its peers has every message of the network (or nothing has arrived for a while); after a crash, until its seeds
/// have removed every crashed peer they listed (or detection can no longer happen in time); then until nothing has
/// arrived for a moment, so the other slices can still take what they miss from this one; then it stops.
/// </para>
/// </summary>
internal sealed class SliceExperiment
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    private readonly ExperimentOptions _options;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;

    /// <param name="options">Checked with <see cref="Check"/>.</param>
    /// <param name="configuration">The settings as given (Network, Slice and the rest); the experiment's own override them.</param>
    public SliceExperiment(ExperimentOptions options, IConfiguration configuration, TimeProvider? time = null)
    {
        _options = options;
        _configuration = configuration;
        _time = time ?? TimeProvider.System;
        Network = NetworkOf(configuration, options);
        Slice = configuration.GetSection(SliceOptions.Section).Get<SliceOptions>() ?? new SliceOptions();
        Layout = SliceLayout.From(Network, Slice);
        StartAt = ParseStartAt(options.StartAt) ?? throw new ArgumentException($"{ExperimentOptions.Section}:StartAt is not a UTC time.");
        Schedule = SliceSchedule.For(options, Layout.Seeds.Count);
    }

    public NetworkOptions Network { get; }

    public SliceOptions Slice { get; }

    public SliceLayout Layout { get; }

    public DateTimeOffset StartAt { get; }

    public SliceSchedule Schedule { get; }

    /// <summary>Whether these settings ask for an experiment over slices.</summary>
    public static bool IsSliced(IConfiguration configuration) =>
        int.TryParse(configuration[$"{SliceOptions.Section}:{nameof(SliceOptions.Count)}"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) && count > 1;

    /// <summary>
    /// Every problem with these settings for a run over slices, one sentence each naming the setting: the experiment's
    /// own (as for one process, but the peer count and open files are this slice's), the network and slice settings as
    /// the demo checks them, and what a run over slices needs (a start time, a supported workload, one seed count).
    /// </summary>
    public static List<string> Check(IConfiguration configuration, ExperimentOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        const string E = ExperimentOptions.Section;
        var problems = new List<string>();
        // The one-process checks, but those of a tcp run in one process (at most 5,000 peers, all of their files here).
        var own = new ExperimentOptionsValidator().Validate(null, options with { Network = NetworkKind.Simulated });
        problems.AddRange(own.Failures ?? []);
        if (options.Network != NetworkKind.Tcp)
        {
            problems.Add($"{E}:Network simulated runs in one process: slices ({SliceOptions.Section}:Count) run real nodes (tcp) only.");
        }
        if (!SliceSchedule.Supports(options.Workload))
        {
            problems.Add($"{E}:Workload {options.WorkloadName} does not run over slices ({SliceOptions.Section}:Count): use burst, classic or crash, or run it in one process.");
        }
        if (ParseStartAt(options.StartAt) is null)
        {
            problems.Add(string.IsNullOrWhiteSpace(options.StartAt)
                ? $"{E}:StartAt must be set with several slices ({SliceOptions.Section}:Count): the same UTC time for every slice, e.g. {ExampleStart()} (date -u -d '+30 seconds' +%FT%TZ)."
                : $"{E}:StartAt must be a UTC time such as {ExampleStart()} (was '{options.StartAt}').");
        }
        var network = NetworkOf(configuration, options);
        var slice = configuration.GetSection(SliceOptions.Section).Get<SliceOptions>() ?? new SliceOptions();
        var networkChecks = new NetworkOptionsValidator().Validate(null, network);
        var listChecks = new SeedListValidator().Validate(null, network);
        problems.AddRange((networkChecks.Failures ?? []).Concat(listChecks.Failures ?? []).Select(f => f.Replace($"{NetworkOptions.Section}:Peers", $"{E}:Peers", StringComparison.Ordinal)));
        if (networkChecks.Failed || listChecks.Failed)
        {
            return problems;
        }
        var sliceChecks = new SliceOptionsValidator(Microsoft.Extensions.Options.Options.Create(network),
            Microsoft.Extensions.Options.Options.Create(new DemoOptions { CrashAfter = TimeSpan.Zero })).Validate(null, slice);
        problems.AddRange(sliceChecks.Failures ?? []);
        if (sliceChecks.Failed)
        {
            return problems;
        }
        var seeds = network.AllSeeds().Count;
        if (configuration[$"{E}:Seeds"] is not null && options.Seeds != seeds)
        {
            problems.Add($"{E}:Seeds ({options.Seeds}) and {NetworkOptions.Section}:Seeds ({seeds}) disagree: with slices the seeds are the ones {NetworkOptions.Section}:Seeds lists; leave {E}:Seeds out.");
        }
        var layout = SliceLayout.From(network, slice);
        var files = OpenFilesValidator.Check(layout, $"{E}:Peers", options.Peer.MaxNeighbours, options.Peer, logFiles: false, OpenFileLimit.Current());
        if (files is not null)
        {
            problems.Add(files);
        }
        return problems;
    }

    /// <summary>The UTC time <paramref name="text"/> names (ISO 8601 with a Z or an offset); null when it names none.</summary>
    public static DateTimeOffset? ParseStartAt(string? text) =>
        !string.IsNullOrWhiteSpace(text) && (text.TrimEnd().EndsWith('Z') || text.Contains('+', StringComparison.Ordinal) || text.LastIndexOf('-') > 10)
        && DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var at)
            ? at.ToUniversalTime()
            : null;

    private static string ExampleStart() =>
        DateTimeOffset.UtcNow.AddSeconds(30).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The network of the run: section Network as given, with <c>Experiment:Peers</c> peers.</summary>
    private static NetworkOptions NetworkOf(IConfiguration configuration, ExperimentOptions options)
    {
        var section = configuration.GetSection(NetworkOptions.Section);
        var network = section.Get<NetworkOptions>() ?? new NetworkOptions();
        SeedListReader.Apply(section, network);
        network.Peers = options.Peers;
        return network;
    }

    /// <summary>Runs this slice and returns its part. Throws <see cref="StartupException"/> when a node cannot listen.</summary>
    public async Task<SlicePart> RunAsync(Action<SliceProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var meter = new ResourceMeter();
        var layout = Layout;
        var recorder = new SliceRecorder(_options.Peers, Network.PeerBasePort, layout.FirstPeer, layout.PeerCount, StartAt, Schedule.Plan.Victims, _time.GetUtcNow());
        var started = _time.GetUtcNow();
        var phase = "join";
        using var host = BuildHost(recorder);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        var directory = host.Services.GetRequiredService<NodeDirectory>();
        var joins = host.Services.GetRequiredService<JoinSequencer>();
        var seeds = directory.Seeds.ToDictionary(s => s.Index);
        var peers = directory.Peers.ToDictionary(p => p.Index);
        var joined = 0;
        var joinDone = Enumerable.Range(0, layout.PeerCount).Select(turn => joins.WhenJoined(turn).ContinueWith(_ =>
        {
            var peer = layout.FirstPeer + turn;
            if (peers.TryGetValue(peer, out var node) && !node.IsDown)
            {
                recorder.PeerJoined(peer, _time.GetUtcNow());
            }
            Interlocked.Increment(ref joined);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)).ToArray();
        var peakFiles = OpenFiles.Now() ?? -1;
        void Report()
        {
            if (OpenFiles.Now() is { } files && files > Volatile.Read(ref peakFiles))
            {
                Volatile.Write(ref peakFiles, files); // only the ticker writes it (and the end, after the ticker)
            }
            Progress();
        }
        void Progress() => progress?.Invoke(new SliceProgress(phase, Volatile.Read(ref joined), layout.PeerCount, recorder.MessagesOriginatedHere,
            recorder.MessagesSeen, recorder.FirstReceipts, _time.GetUtcNow() - StartAt));
        using var ticker = _time.CreateTimer(_ => Report(), null, _options.ProgressInterval, _options.ProgressInterval);

        // Join until StartAt; a slice whose peers are not all in by then goes on, and its part says how many were not.
        double? joinedMs = null;
        var allIn = Task.WhenAll(joinDone);
        var untilStart = StartAt - _time.GetUtcNow();
        if (untilStart > TimeSpan.Zero)
        {
            await Task.WhenAny(allIn, Task.Delay(untilStart, _time, cancellationToken)).ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (allIn.IsCompleted)
        {
            joinedMs = recorder.Ms(_time.GetUtcNow());
        }
        await DelayUntilAsync(StartAt, cancellationToken).ConfigureAwait(false);
        var notJoined = 0;
        foreach (var node in peers.Values)
        {
            notJoined += !node.IsDown && await node.InspectAsync(m => ((PeerMachine)m).Settled, cancellationToken).ConfigureAwait(false) ? 0 : 1;
        }

        // The workload, from StartAt on: sample 0 (the overlay), then the steps at their times, sampling meanwhile.
        phase = "workload";
        var interval = _options.SampleInterval > TimeSpan.Zero ? _options.SampleInterval : _options.Peer.LivenessInterval;
        var budget = host.Services.GetRequiredService<QueueBudget>();
        await SampleAsync(0, peers.Values, recorder, budget, cancellationToken).ConfigureAwait(false);
        using var stopSampling = new CancellationTokenSource();
        var sampling = SampleEveryAsync(interval, peers.Values, recorder, budget, stopSampling.Token);
        DateTimeOffset? recoverBy = null;
        long Payloads() => directory.Seeds.Concat(directory.Peers).Sum(n => n.Sent.PayloadFrames);
        try
        {
            foreach (var step in Schedule.Steps)
            {
                await DelayUntilAsync(StartAt + step.At, cancellationToken).ConfigureAwait(false);
                var now = _time.GetUtcNow();
                if (step.Kind == StepKind.Publish)
                {
                    recorder.Step(now, Payloads());
                    foreach (var origin in step.Targets)
                    {
                        if (peers.TryGetValue(origin, out var node) && !node.IsDown)
                        {
                            await node.PublishAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
                else
                {
                    await CrashAsync(step.Targets, seeds.Values, peers, recorder, cancellationToken).ConfigureAwait(false);
                    var by = now + WorkloadRunner.DetectionWindowFor(_options.Peer, _options.Seed);
                    recoverBy = recoverBy is { } earlier && earlier > by ? earlier : by;
                }
            }
            var peerOptions = _options.PeerOptionsForRun();
            if (_options.Workload == WorkloadKind.Classic)
            {
                var target = (long)(layout.PeerCount - notJoined) * peerOptions.MessagesPerPeer;
                var deadline = _time.GetUtcNow() + (peerOptions.GossipInterval * (peerOptions.MessagesPerPeer + 1)) + _options.DrainTimeout;
                await WaitUntilAsync(() => recorder.MessagesOriginatedHere >= target, deadline, cancellationToken).ConfigureAwait(false);
            }

            // Drain: every peer here has every message, or nothing has arrived for a while (what is missing then will not come).
            phase = "drain";
            var quiet = TcpExperimentNetwork.GiveUpQuiet(_options.Gossip);
            bool IsUp(int peer) => peers.TryGetValue(peer, out var node) && !node.IsDown;
            bool Quiet() => _time.GetUtcNow() - recorder.LastArrival >= quiet;
            await WaitUntilAsync(() => recorder.PeersShort(Schedule.Messages, IsUp) == 0 || Quiet(), _time.GetUtcNow() + _options.DrainTimeout, cancellationToken).ConfigureAwait(false);
            if (recoverBy is { } recover)
            {
                phase = "recovery";
                await WaitUntilAsync(() => recorder.RemovalsPending == 0 && (recorder.PeersShort(Schedule.Messages, IsUp) == 0 || Quiet()), recover, cancellationToken).ConfigureAwait(false);
            }
            // Linger until nothing has arrived here for a moment: the other slices may still be taking copies from this one.
            phase = "linger";
            await WaitUntilAsync(Quiet, _time.GetUtcNow() + _options.DrainTimeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stopSampling.CancelAsync().ConfigureAwait(false);
            await sampling.ConfigureAwait(false);
        }
        Report();

        var stats = host.Services.GetRequiredService<NetworkStats>();
        var traffic = Traffic(directory, budget, stats.Forged);
        var resources = meter.Finish() with { OpenFileDescriptors = OpenFiles.Now() };
        var ended = recorder.Ms(_time.GetUtcNow());
        var part = recorder.ToPart(Header(recorder.Ms(started), joinedMs, ended, notJoined, traffic, resources, interval)) with
        {
            PeakOpenFiles = peakFiles < 0 ? null : Math.Max(peakFiles, resources.OpenFileDescriptors ?? 0),
            Security = stats.Security,
            Links = EnumSetting.Name(_options.Security.Links),
        };
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await host.StopAsync(stopping.Token).ConfigureAwait(false);
        }
        return part;
    }

    /// <summary>Crashes this slice's peers among <paramref name="targets"/>; records every target with this slice's seeds that listed it.</summary>
    private async Task CrashAsync(int[] targets, IEnumerable<NodeService> seeds, Dictionary<int, NodeService> peers, SliceRecorder recorder, CancellationToken cancellationToken)
    {
        var lists = new List<(int Seed, HashSet<int> Peers)>();
        foreach (var seed in seeds.Where(s => !s.IsDown))
        {
            var list = await seed.InspectAsync(m => ((SeedMachine)m).PeerList.ToArray(), cancellationToken).ConfigureAwait(false);
            lists.Add((seed.Index, [.. list.Select(recorder.PeerOf)]));
        }
        var at = _time.GetUtcNow();
        await Task.WhenAll(targets.Where(peers.ContainsKey).Select(p => peers[p].CrashAsync(cancellationToken))).ConfigureAwait(false);
        foreach (var target in targets)
        {
            recorder.Crashed(target, at, [.. lists.Where(l => l.Peers.Contains(target)).Select(l => l.Seed)]);
        }
    }

    private async Task SampleEveryAsync(TimeSpan interval, IReadOnlyCollection<NodeService> peers, SliceRecorder recorder, QueueBudget budget, CancellationToken stop)
    {
        try
        {
            for (var k = 1; ; k++)
            {
                await DelayUntilAsync(StartAt + (interval * k), stop).ConfigureAwait(false);
                await SampleAsync(k, peers, recorder, budget, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    /// <summary>Sample <paramref name="index"/>: this slice's live peers and their connected neighbours, by global index.</summary>
    private async Task SampleAsync(int index, IReadOnlyCollection<NodeService> peers, SliceRecorder recorder, QueueBudget budget, CancellationToken cancellationToken)
    {
        var at = _time.GetUtcNow();
        var answers = await Task.WhenAll(peers.Where(p => !p.IsDown).Select(async p =>
        {
            try
            {
                var neighbours = await p.InspectAsync(m => ((PeerMachine)m).ConnectedNeighbours.ToArray(), cancellationToken).ConfigureAwait(false);
                return (Peer: p.Index, Neighbours: neighbours.Select(recorder.PeerOf).Where(n => n >= 0).ToArray());
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                return (Peer: -1, Neighbours: Array.Empty<int>()); // went down meanwhile
            }
        })).ConfigureAwait(false);
        var live = answers.Where(a => a.Peer >= 0).OrderBy(a => a.Peer).ToArray();
        recorder.Sample(new SampleRecord(index, recorder.Ms(at), [.. live.Select(a => a.Peer)], [.. live.Select(a => a.Neighbours)], budget.QueuedBytes));
    }

    private static SliceTraffic Traffic(NodeDirectory directory, QueueBudget budget, long forged)
    {
        var nodes = directory.Seeds.Concat(directory.Peers).ToArray();
        var tree = default(TreeControlCounts);
        long payloads = 0, payloadBytes = 0;
        foreach (var node in nodes)
        {
            payloads += node.Sent.PayloadFrames;
            payloadBytes += node.Sent.PayloadBytes;
            tree += node.Sent.TreeControl;
        }
        var sent = default(WireCounts);
        long control = 0, own = 0, forwarded = 0, budgetOwn = 0, budgetForwarded = 0;
        var peak = 0;
        foreach (var stats in nodes.Select(n => n.TransportStats).OfType<TransportStats>())
        {
            sent += stats.Sent;
            control += stats.Dropped.Control;
            own += stats.Dropped.OwnGossip;
            forwarded += stats.Dropped.ForwardedGossip;
            budgetOwn += stats.BudgetDrops.OwnGossip;
            budgetForwarded += stats.BudgetDrops.ForwardedGossip;
            peak = Math.Max(peak, stats.PeakQueuedFrames);
        }
        var drops = new FrameDropsReport(control, own, forwarded, peak, budgetOwn, budgetForwarded, budget.LimitBytes, budget.PeakQueuedBytes, budget.DroppedAnnouncements);
        return new SliceTraffic(payloads, payloadBytes, sent.Frames, sent.Bytes, drops,
            [tree.IHaveFrames, tree.IHaveBytes, tree.GraftFrames, tree.GraftBytes, tree.PruneFrames, tree.PruneBytes, tree.AdvertFrames, tree.AdvertBytes],
            SignatureChecks: directory.Peers.Sum(static p => p.SignatureChecks), Forged: forged);
    }

    private SlicePart Header(double startedMs, double? joinedMs, double endedMs, int notJoined, SliceTraffic traffic, ResourceReport resources, TimeSpan interval)
    {
        var peer = _options.PeerOptionsForRun();
        var workload = _options.WorkloadToRun();
        var run = new SliceRun(
            RunSeed: _options.RunSeed,
            StartAt: StartAt.ToString("O", CultureInfo.InvariantCulture),
            Slices: Layout.Count,
            Seeds: Layout.Seeds.Count,
            Peers: _options.Peers,
            Workload: workload.Name,
            WorkloadDescription: workload.Describe(),
            Routing: _options.Gossip.Routing.ToString().ToLowerInvariant(),
            Protocol: new ProtocolSettings(peer.MaxNeighbours, peer.MessagesPerPeer, peer.GossipInterval.TotalMilliseconds,
                peer.LivenessInterval.TotalMilliseconds, peer.MaxMissedLiveness, _options.MaxPeersPerList),
            SampleIntervalMs: interval.TotalMilliseconds,
            Messages: Schedule.Messages,
            Victims: Schedule.Plan.Victims,
            Settings: Fingerprint(interval));
        return new SlicePart(SlicePart.FormatName, run, Layout.Index, Layout.FirstPeer, Layout.PeerCount, [.. Layout.LocalSeeds],
            Layout.BindAddress.ToString(), Layout.AnnounceAddress.ToString(), startedMs, joinedMs, endedMs, notJoined,
            [], [], new OriginatedColumns([], [], []), new ReceiptColumns([], [], [], [], []), 0, [], [], [], [], [], traffic, resources);
    }

    /// <summary>
    /// A hash of every setting every slice must share: the seeds, the ports, the experiment's settings (but where this
    /// slice writes its part) and the Peer, Seed, Gossip and Transport sections. Slices of one run give the same.
    /// </summary>
    private string Fingerprint(TimeSpan interval)
    {
        var text = new StringBuilder();
        foreach (var seed in Layout.Seeds)
        {
            text.Append(CultureInfo.InvariantCulture, $"{seed.Name}={seed.Host}:{seed.Port};");
        }
        text.Append(CultureInfo.InvariantCulture, $"peers {_options.Peers} from port {Network.PeerBasePort}; slices {Layout.Count}; start {StartAt:O}; sample {interval};");
        foreach (var section in new[] { ExperimentOptions.Section, PeerOptions.Section, SeedOptions.Section, GossipOptions.Section, TransportOptions.Section })
        {
            foreach (var (key, value) in _configuration.GetSection(section).AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
            {
                if (!key.EndsWith(":ReportPath", StringComparison.OrdinalIgnoreCase) && !key.EndsWith(":HtmlReport", StringComparison.OrdinalIgnoreCase))
                {
                    text.Append(key.ToUpperInvariant()).Append('=').Append(value).Append(';');
                }
            }
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    /// <summary>
    /// This slice's host: the demo's services for its nodes (<c>Network</c> and <c>Slice</c> as given, <c>Experiment:Peers</c>
    /// peers), no demo crash, no log files, the run's Peer, Transport, Seed and Gossip settings as objects; the console shows
    /// only what the slice's seed book says (which seeds it runs, names it resolves or cannot resolve yet).
    /// </summary>
    private IHost BuildHost(SliceRecorder recorder)
    {
        var inv = CultureInfo.InvariantCulture;
        var overrides = new Dictionary<string, string?>
        {
            ["Network:Peers"] = _options.Peers.ToString(inv),
            ["Network:PeerJoinInterval"] = _options.JoinSpacing.ToString("c", inv),
            ["Network:PeersJoiningAtOnce"] = _options.EffectiveJoinConcurrency.ToString(inv),
            ["Network:RandomSeed"] = Schedule.HostSeed.ToString(inv),
            ["Demo:CrashAfter"] = "00:00:00",
            ["Demo:PrivateMessages"] = "0", // the workload is all the traffic there is
            ["Logs:WriteFiles"] = "false",
        };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Configuration.AddConfiguration(_configuration);
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.AddP2PSimConsole();
        builder.Logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>((category, level) => category == typeof(SeedBook).FullName && level >= LogLevel.Information);
        builder.Services.AddSingleton(_time);
        builder.Services.AddSingleton<INodeEventObserver>(recorder);
        builder.Services.AddP2PSim(builder.Configuration);
        builder.Services.AddGivenOptions(_options.PeerOptionsForRun());
        var transport = TcpExperimentNetwork.TransportForRun(_options.Transport, _options.Peers, Layout.Seeds.Count);
        transport.ProcessQueueBytes = QueueBudget.BytesFor(_options.Transport.ProcessQueueBytes, Layout.LocalSeeds.Count + Layout.PeerCount);
        builder.Services.AddGivenOptions(transport);
        builder.Services.AddGivenOptions(_options.SeedOptionsForRun()); // no tenured share unless the run has the rule
        builder.Services.AddGivenOptions(_options.Gossip);
        builder.Services.AddGivenOptions(_options.PrivateOptionsForRun()); // every peer dialable (the demo's Private:NotDialablePeers is not the experiment's)
        var host = builder.Build();
        host.Services.GetRequiredService<NetworkStats>().TrackDelivery = false; // the recorder keeps the account
        return host;
    }

    private async Task DelayUntilAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var wait = at - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> WaitUntilAsync(Func<bool> done, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (!done())
        {
            if (_time.GetUtcNow() >= deadline)
            {
                return false;
            }
            await Task.Delay(Poll, _time, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }
}

/// <summary>Where a slice's run stands, for its progress lines.</summary>
/// <param name="SinceStart">Time from <c>Experiment:StartAt</c> (negative while the peers join).</param>
internal sealed record SliceProgress(string Phase, int PeersJoined, int Peers, long MessagesHere, int MessagesSeen, long FirstReceipts, TimeSpan SinceStart);
