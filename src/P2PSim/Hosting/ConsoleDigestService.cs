using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Logging;

namespace P2PSim.Hosting;

/// <summary>
/// Turns the aggregated console on when <c>Demo:Console</c> asks for it (<c>summary</c>, or <c>auto</c> above
/// <see cref="DemoOptions.SummaryAbovePeers"/> peers) and prints its line once a second (<see cref="ConsoleDigest"/>).
/// </summary>
public sealed partial class ConsoleDigestService(
    ConsoleDigest digest,
    IOptions<DemoOptions> demo,
    IOptions<NetworkOptions> network,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly ILogger _logger = loggers.CreateLogger("P2PSim.Network");

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var peers = network.Value.Peers;
        if (demo.Value.SummarizesConsole(peers))
        {
            digest.Active = true;
            LogInformationSummaryOn(_logger, peers, Period.TotalSeconds);
        }
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!digest.Active)
        {
            return;
        }
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                WriteLine();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
        WriteLine(); // what the last second counted, before the shutdown lines
    }

    private void WriteLine()
    {
        if (digest.TakeLine() is { } line)
        {
            LogInformationLastSecond(_logger, line);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Console: with {Peers} peers, one line every {Seconds} s counts the nodes' events by kind; warnings are shown in full and the log files have every line (--Demo:Console=lines prints every line here)")]
    private static partial void LogInformationSummaryOn(ILogger logger, int peers, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogInformationLastSecond(ILogger logger, string line);
}
