using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Logging;
using P2PSim.Protocol;
using P2PSim.Transport;

namespace P2PSim.Hosting;

public static class P2PSimServiceCollectionExtensions
{
    /// <summary>
    /// Registers the whole network: validated options, the time provider, the process's queue budget, per-node log
    /// files, one hosted service per seed and per peer (seeds first), and the demo director.
    /// </summary>
    public static IServiceCollection AddP2PSim(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        AddValidatedOptions<NetworkOptions, NetworkOptionsValidator>(services, configuration, NetworkOptions.Section);
        services.Configure<NetworkOptions>(o => SeedListReader.Apply(configuration.GetSection(NetworkOptions.Section), o)); // Network:Seeds as a list
        services.AddSingleton<IValidateOptions<NetworkOptions>, SeedListValidator>();
        AddValidatedOptions<SliceOptions, SliceOptionsValidator>(services, configuration, SliceOptions.Section);
        services.AddSingleton<IValidateOptions<SliceOptions>, OpenFilesValidator>(); // this process's nodes only
        AddValidatedOptions<PeerOptions, PeerOptionsValidator>(services, configuration, PeerOptions.Section);
        AddValidatedOptions<TransportOptions, TransportOptionsValidator>(services, configuration, TransportOptions.Section);
        AddValidatedOptions<SeedOptions, SeedOptionsValidator>(services, configuration, SeedOptions.Section);
        AddValidatedOptions<GossipOptions, GossipOptionsValidator>(services, configuration, GossipOptions.Section);
        AddValidatedOptions<GroupOptions, GroupOptionsValidator>(services, configuration, GroupOptions.Section);
        AddValidatedOptions<PrivateOptions, PrivateOptionsValidator>(services, configuration, PrivateOptions.Section);
        AddValidatedOptions<DemoOptions, DemoOptionsValidator>(services, configuration, DemoOptions.Section);
        AddValidatedOptions<LogOptions, LogOptionsValidator>(services, configuration, LogOptions.Section);
        AddValidatedOptions<SecurityOptions, SecurityOptionsValidator>(services, configuration, SecurityOptions.Section);

        // One queue budget for the whole process: every node's transport charges its queued frames to it. Sized by the
        // nodes this process runs (its slice), not by the whole network.
        services.TryAddSingleton(sp =>
        {
            var layout = SliceLayout.From(sp.GetRequiredService<IOptions<NetworkOptions>>().Value, sp.GetRequiredService<IOptions<SliceOptions>>().Value);
            var transport = sp.GetRequiredService<IOptions<TransportOptions>>().Value;
            return new QueueBudget(QueueBudget.BytesFor(transport.ProcessQueueBytes, layout.LocalSeeds.Count + layout.PeerCount));
        });
        // The process's open files, shared by every node's transport (a test may register a smaller budget before this).
        services.TryAddSingleton(FileBudget.Process);
        services.AddSingleton<NodeDirectory>();
        services.AddSingleton<SeedBook>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SeedBook>()); // before the nodes: resolves other slices' seeds
        services.AddSingleton<INodeEventObserver>(sp => sp.GetRequiredService<SeedBook>()); // failed dials to a seed: resolve its name again
        services.AddSingleton(sp =>
        {
            var peer = sp.GetRequiredService<IOptions<PeerOptions>>().Value;
            return new NetworkStats(sp.GetRequiredService<TimeProvider>()) { Liveness = (peer.LivenessInterval, peer.MaxMissedLiveness) };
        });
        // The meter "P2PSim" (dotnet-counters): its instruments exist from the first hosted service's start on.
        services.AddMetrics();
        services.TryAddSingleton<NetworkMeter>();
        services.AddSingleton<IHostedService, NetworkMeterService>();
        services.AddSingleton<RandomSource>();
        services.AddSingleton<NodeKeys>();
        services.AddSingleton<JoinSequencer>();
        services.AddSingleton<NodeFileLoggerProvider>();
        services.AddSingleton<ILoggerProvider>(sp => sp.GetRequiredService<NodeFileLoggerProvider>());
        services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(15);
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
        });

        var nodes = PlanNodes(configuration);
        services.AddSingleton<IHostedService>(sp => new NodeKeyPreparation(sp.GetRequiredService<NodeKeys>(), nodes, sp.GetRequiredService<TimeProvider>())); // every key's work at once, before the nodes
        // AddHostedService<T> registers one instance per type, so each node is its own IHostedService registration.
        foreach (var spec in nodes)
        {
            services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<NodeService>(sp, spec));
        }
        services.AddSingleton<IHostedService, DemoDirector>();
        return services;
    }

    /// <summary>The one-line-per-event console: <c>13:21:39.123 [Peer 6003] ...</c> (or its per-second summary, <see cref="ConsoleDigest"/>).</summary>
    public static ILoggingBuilder AddP2PSimConsole(this ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.Services.TryAddSingleton<ConsoleDigest>();
        logging.AddConsole(o => o.FormatterName = NodeConsoleFormatter.Name);
        logging.AddConsoleFormatter<NodeConsoleFormatter, NodeConsoleFormatterOptions>();
        return logging;
    }

    /// <summary>
    /// The nodes to run, read from configuration when services are registered. Settings that
    /// do not bind or validate give no nodes here; start-up validation then reports them.
    /// </summary>
    public static IReadOnlyList<NodeSpec> PlanNodes(IConfiguration configuration)
    {
        NetworkOptions network;
        SliceOptions slice;
        try
        {
            var section = configuration.GetSection(NetworkOptions.Section);
            network = section.Get<NetworkOptions>() ?? new NetworkOptions();
            SeedListReader.Apply(section, network);
            slice = configuration.GetSection(SliceOptions.Section).Get<SliceOptions>() ?? new SliceOptions();
        }
        catch (InvalidOperationException)
        {
            return [];
        }
        if (new NetworkOptionsValidator().Validate(null, network).Failed || new SeedListValidator().Validate(null, network).Failed
            || new SliceOptionsValidator(Options.Create(network), Options.Create(new DemoOptions())).Validate(null, slice).Failed)
        {
            return [];
        }
        return PlanNodes(network, SliceLayout.From(network, slice));
    }

    /// <summary>
    /// The nodes of <paramref name="layout"/>'s slice: its seeds on their listed ports, its peers on PeerBasePort + their
    /// global index, all on the slice's bind address. One slice on 127.0.0.1 gives exactly the nodes of one process.
    /// </summary>
    public static IReadOnlyList<NodeSpec> PlanNodes(NetworkOptions network, SliceLayout layout)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(layout);
        var bind = layout.BindAddress;
        var announce = layout.AnnounceAddress.Equals(bind) ? null : layout.AnnounceAddress;
        var dialFrom = DialsFromBindAddress(bind);
        // Or every node on a loopback address of its own, dialing from it: a node then tells the others, and any client, apart
        // by address (Network:AddressPerNode), and holds at most Transport:MaxInboundPerAddress connections from one.
        var own = layout.AddressPerNode;
        var specs = new List<NodeSpec>();
        foreach (var j in layout.LocalSeeds)
        {
            var seed = layout.Seeds[j];
            specs.Add(new NodeSpec(NodeRole.Seed, j, new NodeEndpoint(own ? NodeAddresses.Seed(j) : bind, seed.Port), announce, dialFrom || own,
                PortSettingName: network.SeedList.Count > 0 ? $"{seed.Setting}:Port" : null) { OwnAddress = own });
        }
        for (var turn = 0; turn < layout.PeerCount; turn++)
        {
            specs.Add(PeerSpec(network, layout, layout.FirstPeer + turn, turn));
        }
        return specs;
    }

    /// <summary>
    /// Peer <paramref name="index"/> (of the whole network) as <see cref="PlanNodes(NetworkOptions, SliceLayout)"/> plans it:
    /// on <c>Network:PeerBasePort</c> + index, at its own loopback address or the slice's. Also for peers added later.
    /// </summary>
    public static NodeSpec PeerSpec(NetworkOptions network, SliceLayout layout, int index, int turn = -1)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(layout);
        var bind = layout.BindAddress;
        var announce = layout.AnnounceAddress.Equals(bind) ? null : layout.AnnounceAddress;
        var own = layout.AddressPerNode;
        var port = network.PeerBasePort == 0 ? 0 : network.PeerBasePort + index;
        return new NodeSpec(NodeRole.Peer, index, new NodeEndpoint(own ? NodeAddresses.Peer(index) : bind, port), announce, DialsFromBindAddress(bind) || own, turn) { OwnAddress = own };
    }

    /// <summary>A slice on an address of its own dials from it (127.0.0.2 would otherwise dial from 127.0.0.1 on Linux).</summary>
    private static bool DialsFromBindAddress(IPAddress bind) =>
        !bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any) && !bind.Equals(IPAddress.Loopback) && !bind.Equals(IPAddress.IPv6Loopback);

    private static void AddValidatedOptions<TOptions, TValidator>(IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }

    /// <summary>Creates the <see cref="NetworkMeter"/> with the host, so its instruments are there before the first node.</summary>
    private sealed class NetworkMeterService(NetworkMeter meter) : IHostedService
    {
        public NetworkMeter Meter { get; } = meter;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
