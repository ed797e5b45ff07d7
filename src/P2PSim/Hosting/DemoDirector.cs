using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Logging;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// The script of the demo: once every peer has joined a few private messages go between random peers
/// (<c>Demo:PrivateMessages</c>, <c>DemoDirector.Private.cs</c>), after <c>Demo:CrashAfter</c> one peer crashes abruptly,
/// and after <c>Demo:Duration</c> (if set) the whole network shuts down by itself. Also marks the end
/// of the run when shutdown begins, for the summary. Says when the scripted part is over (every peer has sent its
/// messages and the crash was detected), so a quiet console does not look like a hang.
/// </summary>
public sealed partial class DemoDirector(
    IOptions<DemoOptions> demo,
    IOptions<NetworkOptions> network,
    IOptions<PeerOptions> peer,
    IOptions<GroupOptions> groups,
    IOptions<PrivateOptions> privateOptions,
    NodeDirectory directory,
    SeedBook seeds,
    JoinSequencer joins,
    NodeFileLoggerProvider files,
    NetworkStats stats,
    RandomSource random,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<DemoDirector> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() => stats.MarkEnd());
        stats.OneSlice = !seeds.Layout.IsWholeNetwork;
        var o = demo.Value;
        var g = groups.Value;
        var names = g.NameList();
        LogInformationStarting(logger, directory.Seeds.Count, network.Value.Peers, random.Seed,
            names.Count == 0 || g.PerPeer == 0 ? "no groups" : $"groups {string.Join(", ", names.Select(n => $"\"{n}\""))} ({Math.Min(g.PerPeer, names.Count)} per peer)",
            o.CrashAfter > TimeSpan.Zero ? $"one peer crashes after {o.CrashAfter.TotalSeconds:0.#} s" : "no crash",
            o.Duration > TimeSpan.Zero ? $"stops after {o.Duration.TotalSeconds:0.#} s" : "runs until Ctrl+C");
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = demo.Value;
        var started = time.GetUtcNow();
        if (files.MovedAside > 0)
        {
            var folder = Path.GetRelativePath(Directory.GetCurrentDirectory(), files.PreviousDirectory);
            LogInformationMovedAside(logger, new Plural(files.MovedAside, "log file"), folder);
        }
        try
        {
            var scriptOver = AnnounceScriptOverAsync(stoppingToken);
            var privateMessages = SendPrivateMessagesAsync(stoppingToken);
            if (o.CrashAfter > TimeSpan.Zero && network.Value.Peers > 0 && (o.Duration == TimeSpan.Zero || o.CrashAfter < o.Duration))
            {
                await Task.Delay(o.CrashAfter, time, stoppingToken).ConfigureAwait(false);
                // One victim for the whole network, the same in every slice (Demo:CrashPeer, or drawn from the run's seed);
                // the slice that runs it crashes it, the others expect its death to be reported (see SliceLayout).
                var layout = seeds.Layout;
                var index = o.CrashPeer >= 0 ? o.CrashPeer : DrawVictim(layout.TotalPeers, privateOptions.Value.IsDialable, random.For("demo", 0));
                var victim = directory.Peers.FirstOrDefault(p => p.Index == index);
                if (victim is { IsDown: false })
                {
                    await AwaitFirstNeighbourAsync(victim, stoppingToken).ConfigureAwait(false);
                    LogWarningCrash(logger, victim.Endpoint);
                    _crashed = victim.Endpoint;
                    await victim.CrashAsync(stoppingToken).ConfigureAwait(false);
                }
                else if (!layout.RunsPeer(index))
                {
                    var port = network.Value.PeerBasePort + index;
                    LogWarningRemoteCrash(logger, index, port, SliceLayout.SliceOfPeer(index, layout.TotalPeers, layout.Count));
                    stats.ExpectRemoteCrash(port, time.GetUtcNow());
                }
                _crashDone = true;
            }
            else
            {
                _crashDone = true;
            }
            if (o.Duration > TimeSpan.Zero)
            {
                var left = o.Duration - (time.GetUtcNow() - started);
                if (left > TimeSpan.Zero)
                {
                    await Task.Delay(left, time, stoppingToken).ConfigureAwait(false);
                }
                LogInformationDurationReached(logger, o.Duration.TotalSeconds);
                lifetime.StopApplication();
            }
            await privateMessages.ConfigureAwait(false);
            await scriptOver.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown came first.
        }
    }

    /// <summary>
    /// The demo's random victim: one of the <paramref name="peers"/> that can be dialled (a peer of
    /// <c>Private:NotDialablePeers</c> is never listed by a seed, whose dial-back cannot reach it, so its crash would show
    /// no seed removing it); any peer when none can. The same in every slice, since every slice has the same settings.
    /// </summary>
    internal static int DrawVictim(int peers, Func<int, bool> dialable, Random draw)
    {
        var candidates = Enumerable.Range(0, peers).Where(dialable).ToArray();
        return candidates.Length > 0 ? candidates[draw.Next(candidates.Length)] : draw.Next(peers);
    }

    /// <summary>
    /// A peer crashed before any neighbour linked to it is watched by no one, so its death is never reported (the seeds
    /// drop it only when its registration expires): on a slow machine the demo's crash waits for the victim's first link.
    /// </summary>
    private async Task AwaitFirstNeighbourAsync(NodeService victim, CancellationToken stoppingToken)
    {
        var said = false;
        while (!victim.IsDown)
        {
            bool alone;
            try
            {
                alone = await victim.InspectAsync(m => m is Nodes.PeerMachine { Neighbours.Count: 0 }, stoppingToken)
                    .WaitAsync(Poll * 4, time, stoppingToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return; // the node stopped meanwhile (a console command): crash it as it is
            }
            if (!alone)
            {
                return;
            }
            if (!said)
            {
                LogInformationCrashWaits(logger, victim.Endpoint);
                said = true;
            }
            await Task.Delay(Poll, time, stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo: peer {Peer} has no neighbour yet; it crashes once it has one (nobody would notice it otherwise)")]
    private static partial void LogInformationCrashWaits(ILogger logger, P2PSim.Protocol.NodeEndpoint peer);

    private volatile bool _crashDone;
    private NodeEndpoint? _crashed;

    /// <summary>How often the director looks whether the scripted part is over.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// One line once every peer of the script has joined and sent its <c>Peer:MessagesPerPeer</c> messages (and its
    /// <c>Groups:MessagesPerPeer</c> group messages), the demo's private messages were acknowledged or given up, and the scripted
    /// crash (if any) was detected and the seeds that listed the peer removed it (or its detection had all the time it
    /// takes: <c>MaxMissedLiveness</c> + 2 liveness rounds and two retries).
    /// </summary>
    private async Task AnnounceScriptOverAsync(CancellationToken stoppingToken)
    {
        var n = network.Value.Peers;
        if (n > 0)
        {
            await joins.WhenJoined(n - 1).WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        var p = peer.Value;
        var detectionAllowance = p.LivenessInterval * (p.MaxMissedLiveness + 2) + p.RetryInterval * 2;
        DateTimeOffset? crashSeen = null;
        while (true)
        {
            var counters = stats.Nodes.Where(c => c.Role == NodeRole.Peer).ToArray();
            var g = groups.Value;
            var groupMessages = g.NameList().Count > 0 && g.PerPeer > 0 ? g.MessagesPerPeer : 0; // every peer is in a group then
            var messagesDone = counters.All(c => (c.Originated >= p.MessagesPerPeer && c.GroupPublished >= groupMessages) || c.GoneHow is not null)
                && _privateDone && stats.Private.Pending == 0;
            var crashAccounted = false;
            if (_crashDone)
            {
                crashSeen ??= time.GetUtcNow();
                crashAccounted = _crashed is not { } victim
                    || stats.ComputeDeaths().Any(d => d.Node == victim && d.FirstDetection is not null && (d.SeedsHolding.Count == 0 || d.AllSeedsRemovedAfter is not null))
                    || time.GetUtcNow() - crashSeen >= detectionAllowance;
            }
            if (messagesDone && crashAccounted)
            {
                LogInformationScriptOver(logger, _crashed is null ? "no crash was scripted" : "the crash was detected");
                return;
            }
            await Task.Delay(Poll, time, stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo: the scripted part is over (every peer sent its messages; {Crash}). The network keeps running: type help for commands; Ctrl+C ends it with the summary")]
    private static partial void LogInformationScriptOver(ILogger logger, string crash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Logs: moved the earlier run's {Files} to {Folder}, so the log folder holds this run's only")]
    private static partial void LogInformationMovedAside(ILogger logger, Plural files, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "P2PSim: {Seeds} seeds, {Peers} peers joining one by one; random seed {RandomSeed}; {Groups}; {Crash}; {Stop}")]
    private static partial void LogInformationStarting(ILogger logger, int seeds, int peers, int randomSeed, string groups, string crash, string stop);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo: crashing peer {Peer} now (abrupt, no goodbye); watch its neighbours notice and report it")]
    private static partial void LogWarningCrash(ILogger logger, P2PSim.Protocol.NodeEndpoint peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo: peer {Index} (port {Port}) crashes now in slice {Slice}; watch this slice's peers that neighbour it notice and report it")]
    private static partial void LogWarningRemoteCrash(ILogger logger, int index, int port, int slice);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo: {Seconds} s are up; shutting down")]
    private static partial void LogInformationDurationReached(ILogger logger, double seconds);
}
