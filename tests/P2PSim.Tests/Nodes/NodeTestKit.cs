using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.Nodes;

/// <summary>Short names for building machines and reading their actions in tests.</summary>
internal static class NodeTestKit
{
    /// <summary>The fake clock's starting point.</summary>
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static NodeEndpoint SeedAt(int number) => NodeEndpoint.Loopback(9000 + number);

    public static NodeEndpoint PeerAt(int number) => NodeEndpoint.Loopback(10_000 + number);

    public static NodeEndpoint[] Seeds(int count) => Enumerable.Range(1, count).Select(SeedAt).ToArray();

    public static NodeEndpoint[] Peers(params int[] numbers) => numbers.Select(PeerAt).ToArray();

    /// <summary>
    /// Options with short, distinct intervals so timers never coincide by accident:
    /// gossip every 1 s (3 messages), liveness every 10 s (3 misses), registration timeout 3 s, retry after 2 s.
    /// </summary>
    public static PeerOptions ShortIntervals(Action<PeerOptions>? tweak = null)
    {
        var options = new PeerOptions
        {
            MaxNeighbours = 4,
            GossipInterval = TimeSpan.FromSeconds(1),
            MessagesPerPeer = 3,
            LivenessInterval = TimeSpan.FromSeconds(10),
            MaxMissedLiveness = 3,
            MessageListCapacity = 10_000,
            MessageListTtl = TimeSpan.FromMinutes(10),
            RegistrationTimeout = TimeSpan.FromSeconds(3),
            RetryInterval = TimeSpan.FromSeconds(2),
        };
        tweak?.Invoke(options);
        return options;
    }

    /// <summary>Options where no gossip is originated, for tests about other things.</summary>
    public static PeerOptions QuietShortIntervals(Action<PeerOptions>? tweak = null) =>
        ShortIntervals(o =>
        {
            o.MessagesPerPeer = 0;
            tweak?.Invoke(o);
        });

    public static PeerMachine NewPeer(NodeEndpoint self, IReadOnlyList<NodeEndpoint> seeds, PeerOptions? options = null, int randomSeed = 1) =>
        new(self, seeds, options ?? ShortIntervals(), new Random(randomSeed));

    /// <summary>A seed; with <paramref name="seeds"/> (the configured seeds) it relays confirmed deaths to the others and takes their relays.</summary>
    public static SeedMachine NewSeed(NodeEndpoint self, int randomSeed = 1, IReadOnlyList<NodeEndpoint>? seeds = null) =>
        new(self, new Random(randomSeed), seeds: seeds);

    /// <summary>
    /// A random seed with which a peer at <paramref name="self"/>, configured with <paramref name="seedCount"/> seeds,
    /// registers with exactly the seeds <paramref name="wanted"/> (its first choice: a seed's Random decides it at start).
    /// </summary>
    public static int RandomSeedRegisteringWith(NodeEndpoint self, int seedCount, params NodeEndpoint[] wanted)
    {
        for (var randomSeed = 1; randomSeed < 10_000; randomSeed++)
        {
            var peer = NewPeer(self, Seeds(seedCount), QuietShortIntervals(), randomSeed);
            peer.Start(T0);
            if (peer.DrainOutbox().DialTargets().ToHashSet().SetEquals(wanted))
            {
                return randomSeed;
            }
        }
        throw new InvalidOperationException($"no random seed makes {self} pick {string.Join(", ", wanted)}");
    }

    public static NodeEndpoint[] DialTargets(this IEnumerable<NodeAction> actions) =>
        actions.OfType<Dial>().Select(d => d.Target).ToArray();

    public static Send[] Sends(this IEnumerable<NodeAction> actions) => actions.OfType<Send>().ToArray();

    public static Send[] SendsOf<TMessage>(this IEnumerable<NodeAction> actions)
        where TMessage : Message =>
        actions.OfType<Send>().Where(s => s.Message is TMessage).ToArray();

    public static Close[] Closes(this IEnumerable<NodeAction> actions) => actions.OfType<Close>().ToArray();

    public static TEvent[] ReportsOf<TEvent>(this IEnumerable<NodeAction> actions)
        where TEvent : NodeEvent =>
        actions.OfType<Report>().Select(r => r.Event).OfType<TEvent>().ToArray();

    public static DateTimeOffset[] WakeRequests(this IEnumerable<NodeAction> actions) =>
        actions.OfType<WakeAt>().Select(w => w.Due).ToArray();
}

/// <summary>
/// Drives one machine by hand: a fake clock, fresh connection ids, and the actions it produced.
/// <see cref="Take"/> returns (and forgets) what the machine asked for since the last call.
/// </summary>
internal sealed class MachineProbe<TMachine>(TMachine machine, DateTimeOffset now)
    where TMachine : NodeMachine
{
    private long _nextConnection = 100;

    public TMachine Machine { get; } = machine;

    public DateTimeOffset Now { get; set; } = now;

    /// <summary>The latest connection to each remote endpoint.</summary>
    public Dictionary<NodeEndpoint, ConnectionId> Connections { get; } = new();

    public NodeAction[] Take() => Machine.DrainOutbox();

    public NodeAction[] Start()
    {
        Machine.Start(Now);
        return Take();
    }

    /// <summary>A connection (dialed by the machine unless <paramref name="inbound"/>) to <paramref name="remote"/> completes its handshake.</summary>
    public ConnectionId Connect(NodeEndpoint remote, NodeRole role, bool inbound = false, string? remoteAddress = null, LinkPurpose purpose = default)
    {
        var id = new ConnectionId(++_nextConnection);
        Connections[remote] = id;
        Machine.OnConnected(new ConnectionInfo(id, remote, role, inbound, remoteAddress ?? remote.ToString(), purpose), Now);
        return id;
    }

    public ConnectionId ConnectSeed(NodeEndpoint seed) => Connect(seed, NodeRole.Seed);

    /// <summary>A peer connects to this (seed) machine from <paramref name="remoteAddress"/> and registers; returns what the machine did.</summary>
    public NodeAction[] PeerRegisters(NodeEndpoint peer, string remoteAddress)
    {
        Receive(Connect(peer, NodeRole.Peer, inbound: true, remoteAddress), Register.Instance);
        return Take();
    }

    public ConnectionId ConnectPeer(NodeEndpoint peer, bool inbound = false) => Connect(peer, NodeRole.Peer, inbound);

    public void Receive(NodeEndpoint from, Message message) => Machine.OnMessage(Connections[from], message, Now);

    public void Receive(ConnectionId connection, Message message) => Machine.OnMessage(connection, message, Now);

    public void DialFails(NodeEndpoint target) => Machine.OnDialFailed(target, "connection refused", Now);

    public void Closed(NodeEndpoint remote) => Machine.OnClosed(Connections[remote], "connection reset", Now);

    /// <summary>Moves the clock to <paramref name="at"/> and delivers the timer.</summary>
    public NodeAction[] TimerAt(DateTimeOffset at)
    {
        Now = at;
        Machine.OnTimer(Now);
        return Take();
    }

    public NodeAction[] TimerAfter(TimeSpan span) => TimerAt(Now + span);
}

/// <summary>Ready-made peers in a known state, driven by hand.</summary>
internal static class PeerScenarios
{
    /// <summary>
    /// A peer that registered with the seeds it chose among <paramref name="seedCount"/> (each answered with
    /// <paramref name="neighbours"/>) and has an open outbound connection to every one of <paramref name="neighbours"/>.
    /// The outbox is empty when it is returned; the clock is at <see cref="NodeTestKit.T0"/>.
    /// </summary>
    public static MachineProbe<PeerMachine> JoinedPeerWith(NodeEndpoint self, NodeEndpoint[] neighbours, PeerOptions? options = null, int seedCount = 1)
    {
        options ??= NodeTestKit.QuietShortIntervals(o => o.MaxNeighbours = Math.Max(4, neighbours.Length));
        var probe = new MachineProbe<PeerMachine>(NodeTestKit.NewPeer(self, NodeTestKit.Seeds(seedCount), options), NodeTestKit.T0);
        foreach (var seed in probe.Start().DialTargets())
        {
            probe.ConnectSeed(seed);
            probe.Receive(seed, new PeerList(neighbours));
        }
        var dialed = probe.Take().DialTargets();
        Assert.That(dialed, Is.EquivalentTo(neighbours), "the peer should dial every known peer");
        foreach (var neighbour in neighbours)
        {
            probe.ConnectPeer(neighbour);
        }
        probe.Take();
        Assert.That(probe.Machine.ConnectedNeighbours, Is.EquivalentTo(neighbours));
        return probe;
    }
}
