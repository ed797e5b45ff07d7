using System.Diagnostics;
using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Hosting;

namespace P2PSim.LiveView;

/// <summary>
/// Serves the live view on 127.0.0.1 (<c>LiveView:Port</c>) with Kestrel: the page and its scripts from resources
/// embedded in the executable, <c>/api/snapshot</c> (the whole view as JSON) and <c>/api/events</c> (Server-Sent
/// Events: the whole view, then one batch of changes per <see cref="BatchInterval"/>). Its loop drains the observer's
/// lossy channel and reads the counters of <see cref="NetworkStats"/>; nothing of it runs on a node's loop.
/// It binds in <see cref="StartAsync"/> (registered before the nodes), so a port in use stops start-up with one clear
/// message before any node starts.
/// </summary>
public sealed partial class LiveViewServer(
    IOptions<LiveViewOptions> options,
    LiveViewObserver observer,
    LiveViewFeed feed,
    NetworkStats stats,
    TimeProvider time,
    ILogger<LiveViewServer> logger) : BackgroundService
{
    /// <summary>How often changes are sent to the pages.</summary>
    public static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(150);

    /// <summary>Delivery is computed at most this often (and then at most 5 % of the time: it locks the statistics).</summary>
    public static readonly TimeSpan DeliveryInterval = TimeSpan.FromSeconds(1);

    private const string ResourcePrefix = "P2PSim.LiveView.wwwroot/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8",
    };

    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private DateTimeOffset _nextDelivery = DateTimeOffset.MinValue;

    /// <summary>The page's address once started (null when the live view is off).</summary>
    public Uri? Url { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return;
        }
        var app = BuildApp(o.Port);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            var why = ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException || ex.Message.Contains("in use", StringComparison.OrdinalIgnoreCase)
                ? "the port is already in use"
                : ex.Message;
            throw new StartupException(
                $"{LiveViewOptions.Section}:Port: the live view cannot listen on 127.0.0.1:{o.Port}: {why}. Choose another port with --{LiveViewOptions.Section}:Port=<port> (0 lets the system pick a free one) or turn the page off with --{LiveViewOptions.Section}:Enabled=false.", ex);
        }
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"http://127.0.0.1:{o.Port}";
        Url = new Uri(address.EndsWith('/') ? address : address + "/");
        observer.Activate();
        LogInformationServing(logger, Url);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(BatchInterval, time);
        try
        {
            do
            {
                try
                {
                    Tick();
                }
#pragma warning disable CA1031 // the view must never end the run: a failing tick is logged and the next one tried
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogWarningTickFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        feed.CompleteAll();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        // Only when the host did not start fully (StopAsync disposes the server otherwise).
        (_app as IDisposable)?.Dispose();
        _app = null;
        _stopping.Dispose();
        base.Dispose();
    }

    /// <summary>Folds what arrived since the last tick into the view and sends the changes to the pages.</summary>
    internal void Tick()
    {
        var updates = new List<LiveViewUpdate>();
        while (updates.Count < LiveViewObserver.Capacity && observer.Reader.TryRead(out var update))
        {
            updates.Add(update);
        }
        var counters = stats.Nodes;
        Delivery? delivery = null;
        var now = time.GetUtcNow();
        if (now >= _nextDelivery)
        {
            var started = time.GetTimestamp();
            delivery = stats.ComputeDelivery();
            var took = time.GetElapsedTime(started);
            _nextDelivery = now + (took * 20 > DeliveryInterval ? took * 20 : DeliveryInterval);
        }
        var dropped = observer.Dropped;
        feed.Update(state =>
        {
            foreach (var update in updates)
            {
                state.Apply(update);
            }
            state.Observe(counters);
            if (delivery is not null)
            {
                state.SetDelivery(delivery);
            }
            state.Dropped = dropped;
        });
    }

    private WebApplication BuildApp(int port)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(LiveViewServer).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port);
        });
        builder.Services.AddRoutingCore();
        builder.Logging.ClearProviders(); // Kestrel stays quiet; the demo's console is the nodes'
        var app = builder.Build();
        foreach (var (path, body, contentType) in LoadPageFiles())
        {
            app.MapGet(path, (HttpContext context) => ServeFile(context, body, contentType));
        }
        app.MapGet("/api/snapshot", (HttpContext context) => ServeSnapshot(context));
        app.MapGet("/api/events", (HttpContext context) => StreamAsync(context));
        return app;
    }

    /// <summary>The page's files, embedded under <c>LiveView/wwwroot/</c>; <c>index.html</c> is also <c>/</c>.</summary>
    private static IEnumerable<(string Path, byte[] Body, string ContentType)> LoadPageFiles()
    {
        var assembly = typeof(LiveViewServer).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name) ?? throw new UnreachableException(name);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var path = "/" + name[ResourcePrefix.Length..];
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
            yield return (path, buffer.ToArray(), type);
            if (path == "/index.html")
            {
                yield return ("/", buffer.ToArray(), type);
            }
        }
    }

    private static Task ServeFile(HttpContext context, byte[] body, string contentType)
    {
        context.Response.ContentType = contentType;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private Task ServeSnapshot(HttpContext context)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(feed.SnapshotJson(), context.RequestAborted);
    }

    /// <summary>One page's Server-Sent Events: the whole view first, then every batch, until the page or the run ends.</summary>
    private async Task StreamAsync(HttpContext context)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var cancellationToken = linked.Token;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var subscriber = feed.Subscribe();
        try
        {
            await foreach (var sse in subscriber.Events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await context.Response.WriteAsync(sse, cancellationToken).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page went away, or the run is ending.
        }
        catch (IOException ex)
        {
            LogDebugStreamClosed(logger, ex.Message);
        }
        finally
        {
            feed.Unsubscribe(subscriber);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Live view: {Url} (open it in a browser; LiveView:Enabled=false turns it off)")]
    private static partial void LogInformationServing(ILogger logger, Uri url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live view: updating the view failed; trying again on the next tick")]
    private static partial void LogWarningTickFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Live view: a page's stream closed: {Reason}")]
    private static partial void LogDebugStreamClosed(ILogger logger, string reason);
}
