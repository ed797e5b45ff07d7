using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Hosting.Commands;
using P2PSim.Cli;
using P2PSim.Configuration;
using P2PSim.LiveView;
using P2PSim.Logging;

namespace P2PSim.Hosting;

/// <summary>
/// Builds and runs the host for <c>dotnet run</c>: the network until Ctrl+C (or the configured
/// duration), then the summary. A mistake in the settings ends with one clear message and
/// exit code 2, never a stack trace.
/// </summary>
public static class P2PSimApp
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitBadSettings = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? errors = null)
    {
        output ??= Console.Out;
        errors ??= Console.Error;
        var settings = await SettingsGate.CheckAsync(P2PSimCommandLine.DemoVerb, "P2PSim cannot start", args, errors).ConfigureAwait(false);
        if (settings is null)
        {
            return ExitBadSettings;
        }
        await output.WriteLineAsync(settings.Source).ConfigureAwait(false);
        foreach (var warning in settings.Warnings)
        {
            await errors.WriteLineAsync(warning).ConfigureAwait(false);
        }
        var starting = new StartingFlag();
        IHost host;
        try
        {
            host = Build(settings.Arguments, starting);
        }
        catch (Exception ex) when (IsSettingsMistake(ex))
        {
            await ReportBadSettingsAsync(errors, ex).ConfigureAwait(false);
            return ExitBadSettings;
        }
        using (host)
        {
            var invalid = ValidateEverySection(host.Services);
            if (invalid.Count > 0)
            {
                await SettingsGate.WriteProblemsAsync(errors, "P2PSim cannot start", invalid).ConfigureAwait(false);
                return ExitBadSettings;
            }
            try
            {
                starting.IsStarting = true;
                await host.StartAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsSettingsMistake(ex))
            {
                // Disposing the host releases whatever did start (listening sockets included).
                await ReportBadSettingsAsync(errors, ex).ConfigureAwait(false);
                return ExitBadSettings;
            }
            finally
            {
                starting.IsStarting = false;
            }
            await host.WaitForShutdownAsync().ConfigureAwait(false);
            var stats = host.Services.GetRequiredService<NetworkStats>();
            var files = host.Services.GetRequiredService<NodeFileLoggerProvider>();
            files.Flush();
            await output.WriteAsync(stats.FormatSummary()).ConfigureAwait(false);
            await output.WriteLineAsync($"Log files: {Path.Combine(Shown(files.Directory), "Log_<port>.txt")}").ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
        }
        return ExitOk;
    }

    public static IHost Build(string[] args) => Build(args, new StartingFlag());

    private static IHost Build(string[] args, StartingFlag starting)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Logging.AddP2PSimConsole();
        // A failed start is reported once, cleanly, by RunAsync: not a second time by the host's own "Hosting failed to start".
        // (This rule replaces the "Microsoft": "Warning" one of appsettings.json for the host's category, so it keeps Warning.)
        builder.Logging.AddFilter(HostCategory, level => level >= LogLevel.Warning && (level < LogLevel.Error || !starting.IsStarting));
        builder.Services.AddLiveView(builder.Configuration); // first: the page's address is printed before the nodes start
        builder.Services.AddSingleton<IHostedService, ConsoleDigestService>(); // before the nodes: on before their first line
        builder.Services.AddP2PSim(builder.Configuration);
        builder.Services.AddConsoleCommands(Console.In); // after the nodes: stopped first, with the peers it started
        return builder.Build();
    }

    /// <summary>A folder as the user gave it: relative to where they ran when it lies below, else in full.</summary>
    private static string Shown(string directory)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), directory);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? directory : relative;
    }

    /// <summary>
    /// Every section's failures, all of them: the host's start-up validation stops at the first section that fails.
    /// </summary>
    private static List<string> ValidateEverySection(IServiceProvider services)
    {
        var failures = new List<string>();
        void Check<T>()
            where T : class
        {
            try
            {
                _ = services.GetRequiredService<IOptions<T>>().Value;
            }
            catch (OptionsValidationException ex)
            {
                failures.AddRange(ex.Failures.Except(failures));
            }
        }
        Check<NetworkOptions>();
        Check<PeerOptions>();
        Check<SeedOptions>();
        Check<GossipOptions>();
        Check<PrivateOptions>();
        Check<TransportOptions>();
        Check<DemoOptions>();
        Check<LiveViewOptions>();
        Check<LogOptions>();
        return failures;
    }

    private static bool IsSettingsMistake(Exception ex) => ex switch
    {
        OptionsValidationException or StartupException => true,
        InvalidOperationException when ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase) => true,
        InvalidDataException => true, // appsettings.json that is not valid JSON
        AggregateException agg => agg.InnerExceptions.All(IsSettingsMistake),
        _ => false,
    };

    /// <summary>
    /// Invalid settings are listed, every one; a failure to start for another reason (a port in use) is said as it is,
    /// not headed "invalid settings".
    /// </summary>
    private static Task ReportBadSettingsAsync(TextWriter errors, Exception ex)
    {
        var problems = Describe(ex).ToList();
        return SettingsGate.WriteProblemsAsync(errors, "P2PSim cannot start", problems, settingsHint: IsInvalidValue(ex));
    }

    private static bool IsInvalidValue(Exception ex) => ex switch
    {
        OptionsValidationException => true,
        AggregateException a => a.InnerExceptions.All(IsInvalidValue),
        _ => false,
    };

    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>Set while the host starts, read by the log filter.</summary>
    private sealed class StartingFlag
    {
        private volatile bool _isStarting;

        public bool IsStarting
        {
            get => _isStarting;
            set => _isStarting = value;
        }
    }

    private static IEnumerable<string> Describe(Exception ex) => ex switch
    {
        OptionsValidationException o => o.Failures,
        AggregateException a => a.InnerExceptions.SelectMany(Describe),
        InvalidDataException d when d.InnerException is { } inner => [$"{d.Message} {inner.Message}"],
        _ => [ex.Message],
    };
}
