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
    NetworkStats stats,
    RandomSource random,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<DemoDirector> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() => stats.MarkEnd());
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
                var peers = directory.Peers;
                var index = o.CrashPeer >= 0 ? o.CrashPeer : random.For("demo", 0).Next(peers.Count);
                if (index < peers.Count && !peers[index].IsDown)
                {
                    LogWarningCrash(logger, peers[index].Endpoint);
                    await peers[index].CrashAsync(stoppingToken).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo: {Seconds} s are up; shutting down")]
    private static partial void LogInformationDurationReached(ILogger logger, double seconds);
}
