using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;

namespace P2PSim.Hosting;

/// <summary>
/// The script of the demo: after <c>Demo:CrashAfter</c> one peer crashes abruptly, and after
/// <c>Demo:Duration</c> (if set) the whole network shuts down by itself. Also marks the end
/// of the run when shutdown begins, for the summary.
/// </summary>
public sealed partial class DemoDirector(
    IOptions<DemoOptions> demo,
    IOptions<NetworkOptions> network,
    NodeDirectory directory,
    SeedBook seeds,
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
        LogInformationStarting(logger, directory.Seeds.Count, network.Value.Peers, random.Seed,
            o.CrashAfter > TimeSpan.Zero ? $"one peer crashes after {o.CrashAfter.TotalSeconds:0.#} s" : "no crash",
            o.Duration > TimeSpan.Zero ? $"stops after {o.Duration.TotalSeconds:0.#} s" : "runs until Ctrl+C");
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = demo.Value;
        var started = time.GetUtcNow();
        try
        {
            if (o.CrashAfter > TimeSpan.Zero && network.Value.Peers > 0 && (o.Duration == TimeSpan.Zero || o.CrashAfter < o.Duration))
            {
                await Task.Delay(o.CrashAfter, time, stoppingToken).ConfigureAwait(false);
                // One victim for the whole network, the same in every slice (Demo:CrashPeer, or drawn from the run's seed);
                // the slice that runs it crashes it, the others expect its death to be reported (see SliceLayout).
                var layout = seeds.Layout;
                var index = o.CrashPeer >= 0 ? o.CrashPeer : random.For("demo", 0).Next(layout.TotalPeers);
                var victim = directory.Peers.FirstOrDefault(p => p.Index == index);
                if (victim is { IsDown: false })
                {
                    LogWarningCrash(logger, victim.Endpoint);
                    await victim.CrashAsync(stoppingToken).ConfigureAwait(false);
                }
                else if (!layout.RunsPeer(index))
                {
                    var port = network.Value.PeerBasePort + index;
                    LogWarningRemoteCrash(logger, index, port, SliceLayout.SliceOfPeer(index, layout.TotalPeers, layout.Count));
                    stats.ExpectRemoteCrash(port, time.GetUtcNow());
                }
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
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown came first.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "P2PSim: {Seeds} seeds, {Peers} peers joining one by one; random seed {RandomSeed}; {Crash}; {Stop}")]
    private static partial void LogInformationStarting(ILogger logger, int seeds, int peers, int randomSeed, string crash, string stop);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo: crashing peer {Peer} now (abrupt, no goodbye); watch its neighbours notice and report it")]
    private static partial void LogWarningCrash(ILogger logger, P2PSim.Protocol.NodeEndpoint peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo: peer {Index} (port {Port}) crashes now in slice {Slice}; watch this slice's peers that neighbour it notice and report it")]
    private static partial void LogWarningRemoteCrash(ILogger logger, int index, int port, int slice);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo: {Seconds} s are up; shutting down")]
    private static partial void LogInformationDurationReached(ILogger logger, double seconds);
}
