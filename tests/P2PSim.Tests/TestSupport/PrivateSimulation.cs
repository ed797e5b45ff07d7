using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Simulation;
using P2PSim.Tests.Nodes;

namespace P2PSim.Tests.TestSupport;

/// <summary>
/// A small simulated network for private messages: seeds, then quiet peers (no gossip of their own) joined one at a
/// time, some of them not dialable; every node event kept with its node. Seeds are network nodes 0 to S-1, peer p is
/// node S + p. Deterministic for the same arguments.
/// </summary>
internal sealed class PrivateSimulation
{
    private readonly SimulatedNetwork _network;
    private readonly PeerMachine[] _peers;
    private readonly SeedMachine[] _seedMachines;
    private readonly int _seeds;
    private readonly Sink _sink = new();

    /// <param name="notDialable">Peers that refuse every dial (as behind a NAT).</param>
    /// <param name="cryptography">
    /// True: every node has its key derived from the run's seed, signs and checks for real, and private messages are
    /// encrypted end to end (as <c>Security:Signatures=verify</c> runs them); false: none of it (skip).
    /// </param>
    public PrivateSimulation(int seeds, int peers, int runSeed = 1, IReadOnlyCollection<int>? notDialable = null, PrivateOptions? options = null,
        TimeSpan? latency = null, bool cryptography = false)
    {
        var master = new Random(runSeed);
        var nodeSeed = NodeRandom.NextSeed(master);
        _network = new SimulatedNetwork(new SimulatedNetworkOptions { Latency = latency ?? TimeSpan.FromMilliseconds(5) }, master.Next(), _sink);
        _seeds = seeds;
        Options = NodeTestKit.QuietShortIntervals();
        PrivateOptions = options ?? new PrivateOptions { AckTimeout = TimeSpan.FromSeconds(1), Attempts = 3, IdleTimeout = TimeSpan.FromSeconds(20) };
        var seedEndpoints = Enumerable.Range(0, seeds).Select(SimulatedAddresses.Seed).ToArray();
        _seedMachines = new SeedMachine[seeds];
        for (var s = 0; s < seeds; s++)
        {
            _seedMachines[s] = new SeedMachine(seedEndpoints[s], NodeRandom.For(nodeSeed, NodeRole.Seed, s), seeds: seedEndpoints, peerExpiry: new SeedOptions().PeerExpiry(Options))
            {
                Id = cryptography ? NodeKey.DerivedId(nodeSeed, "seed", s) : default,
                Signing = Signing(cryptography, nodeSeed, "seed", s),
            };
            _network.Start(_network.Add(_seedMachines[s]));
        }
        _peers = new PeerMachine[peers];
        for (var p = 0; p < peers; p++)
        {
            var dialable = notDialable is null || !notDialable.Contains(p);
            _peers[p] = new PeerMachine(SimulatedAddresses.Peer(p), seedEndpoints, Options, NodeRandom.For(nodeSeed, NodeRole.Peer, p), reportDuplicates: false,
                privateMessages: PrivateOptions, dialable: dialable, signing: Signing(cryptography, nodeSeed, "peer", p));
            var node = _network.Add(_peers[p]);
            _network.SetDialable(node, dialable);
        }
    }

    public PeerOptions Options { get; }

    private static MessageSigning Signing(bool cryptography, int nodeSeed, string purpose, int index) => cryptography
        ? MessageSigning.Verify(NodeKey.DerivedId(nodeSeed, purpose, index), () => NodeKey.Derived(nodeSeed, purpose, index))
        : MessageSigning.Skip();

    public PrivateOptions PrivateOptions { get; }

    public SimulatedNetwork Network => _network;

    public PeerMachine Peer(int peer) => _peers[peer];

    public SeedMachine Seed(int seed) => _seedMachines[seed];

    /// <summary>Every node event so far with its network node (seeds first, then peers), in order.</summary>
    public IReadOnlyList<(int Node, NodeEvent Event)> Events => _sink.Events;

    /// <summary>The events of type <typeparamref name="T"/> that peer <paramref name="peer"/> reported.</summary>
    public IEnumerable<T> EventsOf<T>(int peer)
        where T : NodeEvent => _sink.Events.Where(e => e.Node == _seeds + peer).Select(e => e.Event).OfType<T>();

    /// <summary>Every delivery of a private message, by peer index.</summary>
    public IEnumerable<(int Peer, PrivateDelivered Delivery)> Deliveries =>
        _sink.Events.Where(e => e.Node >= _seeds && e.Event is PrivateDelivered).Select(e => (e.Node - _seeds, (PrivateDelivered)e.Event));

    /// <summary>Starts the peers one at a time, each until it joined and its dials settled (or <paramref name="timeout"/>); returns how many did not.</summary>
    public int JoinAll(TimeSpan timeout)
    {
        var notJoined = 0;
        for (var p = 0; p < _peers.Length; p++)
        {
            var node = _seeds + p;
            _network.Start(node);
            var peer = _peers[p];
            if (!RunUntil(() => peer.Joined && _network.PendingDials(node) == 0, timeout))
            {
                notJoined++;
            }
        }
        return notJoined;
    }

    /// <summary>Peer <paramref name="from"/> sends a private message to peer <paramref name="to"/> now.</summary>
    public MessageId Send(int from, int to, string text)
    {
        var id = default(MessageId);
        _network.Apply(_seeds + from, (machine, now) => id = ((PeerMachine)machine).SendPrivate(SimulatedAddresses.Peer(to), text, now));
        return id;
    }

    public void Crash(int peer) => _network.Crash(_seeds + peer);

    /// <summary>Handles every event due within <paramref name="span"/> from now.</summary>
    public void RunFor(TimeSpan span) => _network.AdvanceTo(_network.Now + span);

    /// <summary>Runs until <paramref name="done"/> holds, at most <paramref name="limit"/> of virtual time; true when it held.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit) => _network.RunUntil(done, limit);

    private sealed class Sink : INodeEventSink
    {
        public readonly List<(int Node, NodeEvent Event)> Events = [];

        public void OnNodeEvent(int node, NodeEvent nodeEvent) => Events.Add((node, nodeEvent));
    }
}
