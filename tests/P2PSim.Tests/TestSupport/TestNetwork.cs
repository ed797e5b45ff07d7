using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.TestSupport;

/// <summary>
/// A whole P2PSim network on the real Generic Host and real loopback TCP, on OS-assigned
/// ports, with short intervals and its own log folder. Dispose stops it gracefully.
/// </summary>
public sealed class TestNetwork : IAsyncDisposable
{
    private readonly IHost _host;

    private TestNetwork(IHost host, string logDirectory)
    {
        _host = host;
        LogDirectory = logDirectory;
    }

    public string LogDirectory { get; }

    public NodeDirectory Directory => _host.Services.GetRequiredService<NodeDirectory>();

    public NetworkStats Stats => _host.Services.GetRequiredService<NetworkStats>();

    public IServiceProvider Services => _host.Services;

    public IReadOnlyList<NodeService> Seeds => Directory.Seeds;

    public IReadOnlyList<NodeService> Peers => Directory.Peers;

    /// <summary>Fast defaults for tests; <paramref name="settings"/> override them (<c>Section:Key</c> = value).</summary>
    public static Task<TestNetwork> StartAsync(int seeds, int peers, IDictionary<string, string?>? settings = null, CancellationToken cancellationToken = default) =>
        StartAsync(seeds, peers, settings, beforeNodes: null, cancellationToken);

    /// <summary>As above; <paramref name="beforeNodes"/> registers services ahead of the nodes (the demo's live view, for example).</summary>
    public static async Task<TestNetwork> StartAsync(int seeds, int peers, IDictionary<string, string?>? settings, Action<IServiceCollection, IConfiguration>? beforeNodes,
        CancellationToken cancellationToken)
    {
        var logDirectory = Path.Combine(Path.GetTempPath(), "p2psim-tests", Guid.NewGuid().ToString("N"));
        var config = new Dictionary<string, string?>
        {
            ["Network:Seeds"] = seeds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Network:Peers"] = peers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Network:SeedBasePort"] = "0",
            ["Network:PeerBasePort"] = "0",
            ["Network:PeerJoinInterval"] = "00:00:00",
            ["Network:RandomSeed"] = "12345",
            ["Peer:GossipInterval"] = "00:00:00.100",
            ["Peer:MessagesPerPeer"] = "3",
            ["Peer:LivenessInterval"] = "00:00:00.300",
            ["Peer:MaxMissedLiveness"] = "3",
            ["Peer:RegistrationTimeout"] = "00:00:02",
            ["Peer:RetryInterval"] = "00:00:00.200",
            ["Transport:HandshakeTimeout"] = "00:00:02",
            ["Transport:IdleTimeout"] = "00:00:10",
            ["Transport:ShutdownGrace"] = "00:00:01",
            ["Demo:CrashAfter"] = "00:00:00",
            ["Demo:PrivateMessages"] = "0",
            ["Logs:Directory"] = logDirectory,
            // Plain links, so the tests that speak raw frames to a node (bad input, hostile remotes) can; TLS has tests of
            // its own (Transport/TlsLinkTests.cs) that set Security:Links=tls.
            ["Security:Links"] = "plain",
            // No id work, so the tests that write their own Hellos need not search nonces; the work has tests of its own
            // (Security/IdWorkTcpTests.cs), and the demo's, the slices' and the tcp experiments' tests run the default.
            ["Security:IdDifficulty"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Path.GetTempPath() });
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        beforeNodes?.Invoke(builder.Services, builder.Configuration);
        builder.Services.AddP2PSim(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        return new TestNetwork(host, logDirectory);
    }

    public static Task<T> InspectPeerAsync<T>(NodeService peer, Func<PeerMachine, T> read, CancellationToken cancellationToken) =>
        peer.InspectAsync(m => read((PeerMachine)m), cancellationToken);

    public static Task<T> InspectSeedAsync<T>(NodeService seed, Func<SeedMachine, T> read, CancellationToken cancellationToken) =>
        seed.InspectAsync(m => read((SeedMachine)m), cancellationToken);

    /// <summary>A raw client that completed a Hello to <paramref name="target"/> as a peer listening on <paramref name="port"/>, once the target took it as a neighbour.</summary>
    public static async Task<Transport.RawPeer> RawNeighbourAsync(NodeService target, int port, CancellationToken ct)
    {
        var raw = await Transport.RawPeer.ConnectAsync(target.Endpoint, ct).ConfigureAwait(false);
        await raw.HelloAsync(NodeEndpoint.Loopback(port), ct).ConfigureAwait(false);
        await Eventually.HoldsAsync(async () => (await InspectPeerAsync(target, m => m.ConnectedNeighbours.Contains(NodeEndpoint.Loopback(port)), ct).ConfigureAwait(false))
            ? null : $"the target has not taken 127.0.0.1:{port} as a neighbour", TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        return raw;
    }

    /// <summary>A seed that still lists <paramref name="peer"/>, said as a reason for <see cref="Eventually"/>; null when none does.</summary>
    public async Task<string?> SeedStillListingAsync(NodeEndpoint peer, CancellationToken cancellationToken)
    {
        foreach (var seed in Seeds)
        {
            if ((await InspectSeedAsync(seed, m => m.PeerList.ToArray(), cancellationToken).ConfigureAwait(false)).Contains(peer))
            {
                return $"seed {seed.Endpoint} still lists {peer}";
            }
        }
        return null;
    }

    /// <summary>Waits until every peer has joined and every neighbour dial has settled.</summary>
    public Task WaitForOverlayAsync(CancellationToken cancellationToken, TimeSpan? within = null) =>
        Eventually.HoldsAsync(async () =>
        {
            foreach (var peer in Peers.Where(p => !p.IsDown))
            {
                var settled = await InspectPeerAsync(peer, m => m.Settled && (Peers.Count == 1 || m.ConnectedNeighbours.Any()), cancellationToken).ConfigureAwait(false);
                if (!settled)
                {
                    return $"peer {peer.Endpoint} has not joined the overlay yet";
                }
            }
            return null;
        }, within ?? TimeSpan.FromSeconds(20), cancellationToken);

    /// <summary>Neighbour sets of the live peers, read from the peers themselves.</summary>
    public async Task<Dictionary<NodeEndpoint, NodeEndpoint[]>> NeighbourMapAsync(CancellationToken cancellationToken)
    {
        var map = new Dictionary<NodeEndpoint, NodeEndpoint[]>();
        foreach (var peer in Peers.Where(p => !p.IsDown))
        {
            map[peer.Endpoint] = await InspectPeerAsync(peer, m => m.ConnectedNeighbours.ToArray(), cancellationToken).ConfigureAwait(false);
        }
        return map;
    }

    /// <summary>Peers not reachable from the first live peer over neighbour links (empty when connected).</summary>
    public static IReadOnlyList<NodeEndpoint> Unreachable(Dictionary<NodeEndpoint, NodeEndpoint[]> map)
    {
        if (map.Count == 0)
        {
            return [];
        }
        var seen = new HashSet<NodeEndpoint> { map.Keys.First() };
        var queue = new Queue<NodeEndpoint>(seen);
        while (queue.TryDequeue(out var node))
        {
            foreach (var next in map.GetValueOrDefault(node) ?? [])
            {
                if (map.ContainsKey(next) && seen.Add(next))
                {
                    queue.Enqueue(next);
                }
            }
        }
        return map.Keys.Where(k => !seen.Contains(k)).ToArray();
    }

    /// <summary>Waits until every live peer but the origin has <paramref name="id"/> in its Message List.</summary>
    public Task WaitForDeliveryAsync(IEnumerable<(NodeEndpoint Origin, MessageId Id)> messages, CancellationToken cancellationToken, TimeSpan? within = null)
    {
        var list = messages.ToArray();
        return Eventually.HoldsAsync(async () =>
        {
            foreach (var peer in Peers.Where(p => !p.IsDown))
            {
                var missing = await InspectPeerAsync(peer, m => list.Where(x => x.Origin != m.Self && !m.Messages.Contains(x.Id)).Select(x => x.Id.Short).ToArray(), cancellationToken).ConfigureAwait(false);
                if (missing.Length > 0)
                {
                    return $"peer {peer.Endpoint} is missing {missing.Length} message(s): {string.Join(", ", missing.Take(5))}";
                }
            }
            return null;
        }, within ?? TimeSpan.FromSeconds(20), cancellationToken);
    }

    /// <summary>Every peer publishes one message now; returns them.</summary>
    public async Task<List<(NodeEndpoint Origin, MessageId Id)>> PublishFromEveryPeerAsync(CancellationToken cancellationToken)
    {
        var published = new List<(NodeEndpoint, MessageId)>();
        foreach (var peer in Peers.Where(p => !p.IsDown))
        {
            published.Add((peer.Endpoint, await peer.PublishAsync(cancellationToken).ConfigureAwait(false)));
        }
        return published;
    }

    public string ReadLog(int port)
    {
        var path = Path.Combine(LogDirectory, $"Log_{port}.txt");
        _host.Services.GetRequiredService<P2PSim.Logging.NodeFileLoggerProvider>().Flush();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async Task StopAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _host.StopAsync(cts.Token).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
            try
            {
                System.IO.Directory.Delete(LogDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
