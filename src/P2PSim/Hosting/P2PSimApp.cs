using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using P2PSim.Hosting.Commands;
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
        IHost host;
        try
        {
            host = Build(args);
        }
        catch (Exception ex) when (IsSettingsMistake(ex))
        {
            await ReportBadSettingsAsync(errors, ex).ConfigureAwait(false);
            return ExitBadSettings;
        }
        using (host)
        {
            try
            {
                await host.StartAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsSettingsMistake(ex))
            {
                // Disposing the host releases whatever did start (listening sockets included).
                await ReportBadSettingsAsync(errors, ex).ConfigureAwait(false);
                return ExitBadSettings;
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

    public static IHost Build(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Logging.AddP2PSimConsole();
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

    private static bool IsSettingsMistake(Exception ex) => ex switch
    {
        OptionsValidationException or StartupException => true,
        InvalidOperationException when ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase) => true,
        InvalidDataException => true, // appsettings.json that is not valid JSON
        AggregateException agg => agg.InnerExceptions.All(IsSettingsMistake),
        _ => false,
    };

    private static async Task ReportBadSettingsAsync(TextWriter errors, Exception ex)
    {
        await errors.WriteLineAsync("P2PSim cannot start: invalid settings.").ConfigureAwait(false);
        foreach (var line in Describe(ex))
        {
            await errors.WriteLineAsync($"  - {line}").ConfigureAwait(false);
        }
        await errors.WriteLineAsync("Fix appsettings.json or the --Section:Key=value arguments; README.md lists every setting.").ConfigureAwait(false);
        await errors.FlushAsync().ConfigureAwait(false);
    }

    private static IEnumerable<string> Describe(Exception ex) => ex switch
    {
        OptionsValidationException o => o.Failures,
        AggregateException a => a.InnerExceptions.SelectMany(Describe),
        InvalidDataException d when d.InnerException is { } inner => [$"{d.Message} {inner.Message}"],
        _ => [ex.Message],
    };
}
