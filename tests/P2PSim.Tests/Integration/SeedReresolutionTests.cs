using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.Integration;

/// <summary>
/// A seed given by name whose address changes (its pod replaced): two slices of one network as two real hosts on
/// 127.0.0.2 and 127.0.0.3. Slice 1 first resolves the seed's name to an address where nothing listens (127.0.0.9), as a
/// stale DNS answer would; its peers' registrations fail, it resolves the name again, finds the seed at 127.0.0.2, says
/// so, and its peers register there and join the network. Real sockets; only the name service is the test's.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SeedReresolutionTests
{
    private static readonly IPAddress SeedAddress = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress OtherSlice = IPAddress.Parse("127.0.0.3");
    private static readonly IPAddress Stale = IPAddress.Parse("127.0.0.9");

    [Test]
    [CancelAfter(60_000)]
    public async Task Peers_that_keep_failing_to_reach_a_seed_by_name_resolve_it_again_and_register_at_its_new_address(CancellationToken ct)
    {
        var (seedPort, peerBase) = SliceProcesses.FreePorts([SeedAddress, OtherSlice, Stale], peers: 4, 40_000, 50_000);
        var resolver = new MovingResolver(Stale, SeedAddress);
        var events = new RegistrationLog();
        var logs = new CapturedLogs();
        await using var slice0 = await TestNetwork.StartAsync(1, 4, Slice(0, SeedAddress, seedPort, peerBase), cancellationToken: ct);
        await using var slice1 = await TestNetwork.StartAsync(1, 4, Slice(1, OtherSlice, seedPort, peerBase), (services, _) =>
        {
            services.AddSingleton<ISeedResolver>(resolver);
            services.AddSingleton<INodeEventObserver>(events);
            services.AddSingleton<ILoggerProvider>(logs);
        }, ct);

        var stale = new NodeEndpoint(Stale, seedPort);
        await Eventually.HoldsAsync(() => events.Registered.Count == 2 ? null
            : $"slice 1's peers registered: {events.Registered.Count} of 2 (name resolved {resolver.Calls} times);\n{string.Join("\n", logs.Lines)}",
            TimeSpan.FromSeconds(30), ct);
        var seed = slice0.Seeds.Single();
        var listed = await seed.InspectAsync(m => ((SeedMachine)m).PeerList.ToArray(), ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(resolver.Calls, Is.GreaterThanOrEqualTo(2), "resolved at start, and again after the failures");
            Assert.That(logs.Lines, Has.Some.Contains(string.Create(CultureInfo.InvariantCulture,
                $"Seed seed-a: seed-a.test now resolves to {SeedAddress}:{seedPort} (was {Stale}:{seedPort}) after")));
            Assert.That(listed, Does.Contain(new NodeEndpoint(OtherSlice, peerBase + 2)).And.Contain(new NodeEndpoint(OtherSlice, peerBase + 3)),
                "the seed lists slice 1's peers");
            Assert.That(slice1.Services.GetRequiredService<SeedBook>().DialAddress(stale), Is.EqualTo(new NodeEndpoint(SeedAddress, seedPort)));
            Assert.That(slice1.Services.GetRequiredService<SeedBook>().DialAddress(new NodeEndpoint(OtherSlice, peerBase)), Is.EqualTo(new NodeEndpoint(OtherSlice, peerBase)),
                "other endpoints are dialed as they are");
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Nothing_moves_while_every_seed_is_reached(CancellationToken ct)
    {
        var (seedPort, peerBase) = SliceProcesses.FreePorts([SeedAddress, OtherSlice, Stale], peers: 4, 40_000, 50_000);
        var resolver = new MovingResolver(SeedAddress, SeedAddress);
        var events = new RegistrationLog();
        await using var slice0 = await TestNetwork.StartAsync(1, 4, Slice(0, SeedAddress, seedPort, peerBase), cancellationToken: ct);
        await using var slice1 = await TestNetwork.StartAsync(1, 4, Slice(1, OtherSlice, seedPort, peerBase), (services, _) =>
        {
            services.AddSingleton<ISeedResolver>(resolver);
            services.AddSingleton<INodeEventObserver>(events);
        }, ct);

        await Eventually.HoldsAsync(() => events.Registered.Count == 2 ? null : $"{events.Registered.Count} of 2 registered", TimeSpan.FromSeconds(20), ct);

        Assert.That(resolver.Calls, Is.EqualTo(1), "the name is resolved once, at start");
    }

    /// <summary>Slice <paramref name="index"/> of 2 on <paramref name="address"/>; one seed, seed-a, given by name, run by slice 0.</summary>
    private static Dictionary<string, string?> Slice(int index, IPAddress address, int seedPort, int peerBase) => new()
    {
        ["Network:Seeds:0:Name"] = "seed-a",
        ["Network:Seeds:0:Host"] = "seed-a.test",
        ["Network:Seeds:0:Port"] = seedPort.ToString(CultureInfo.InvariantCulture),
        ["Network:PeerBasePort"] = peerBase.ToString(CultureInfo.InvariantCulture),
        ["Slice:Count"] = "2",
        ["Slice:Index"] = index.ToString(CultureInfo.InvariantCulture),
        ["Slice:BindAddress"] = address.ToString(),
        ["Slice:Seeds"] = index == 0 ? "seed-a" : "none",
        ["Peer:RetryInterval"] = "00:00:00.200",
        ["Peer:RegistrationTimeout"] = "00:00:01",
        ["Logs:WriteFiles"] = "false",
    };

    /// <summary>Answers <c>first</c> the first time it is asked, <c>then</c> from then on.</summary>
    private sealed class MovingResolver(IPAddress first, IPAddress then) : ISeedResolver
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
            Task.FromResult<IPAddress[]>(host == "seed-a.test" ? [Interlocked.Increment(ref _calls) == 1 ? first : then] : []);
    }

    /// <summary>The peers of this host that registered with a seed.</summary>
    private sealed class RegistrationLog : INodeEventObserver
    {
        public ConcurrentDictionary<int, bool> Registered { get; } = new();

        public void OnNodeEvent(NodeService node, NodeEvent nodeEvent)
        {
            if (nodeEvent is RegisteredWithSeed)
            {
                Registered[node.Index] = true;
            }
        }
    }

    /// <summary>Every log line of the host, as its console would show it (category and message).</summary>
    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    owner._lines.Enqueue($"{category}: {formatter(state, exception)}");
                }
            }
        }
    }
}
