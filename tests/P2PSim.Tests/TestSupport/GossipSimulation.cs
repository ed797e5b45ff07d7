using System.Globalization;
using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Simulation;

namespace P2PSim.Tests.TestSupport;

/// <summary>
/// A small simulated network (seeds, then peers joined one at a time) that records every peer's gossip: which messages
/// were originated, by whom, and how often each peer reported a first receipt of each. For property tests that crash
/// arbitrary peers at arbitrary virtual times (<see cref="Crash"/>, <see cref="RunUntil"/>) and then ask who has what.
/// Seeds are network nodes 0 to S-1, peer p is node S + p. Not thread-safe; deterministic for the same arguments.
/// </summary>
internal sealed class GossipSimulation
{
    private readonly SimulatedNetwork _network;
    private readonly PeerMachine[] _peers;
    private readonly int _seeds;
    private readonly Sink _sink;

    /// <param name="traceEvents">Keep every node event in <see cref="Events"/> and fold it (as text, with its node) into <see cref="TraceHash"/>: to compare runs or read one.</param>
    public GossipSimulation(int seeds, int peers, int runSeed, PeerOptions peer, GossipOptions gossip, SimulatedNetworkOptions links, bool traceEvents = false)
    {
        var master = new Random(runSeed);
        var nodeSeed = NodeRandom.NextSeed(master);
        _sink = new Sink(seeds, peers, traceEvents);
        _network = new SimulatedNetwork(links, master.Next(), _sink);
        _seeds = seeds;
        var seedEndpoints = Enumerable.Range(0, seeds).Select(SimulatedAddresses.Seed).ToArray();
        for (var s = 0; s < seeds; s++)
        {
            var machine = new SeedMachine(seedEndpoints[s], NodeRandom.For(nodeSeed, NodeRole.Seed, s), peerExpiry: new SeedOptions().PeerExpiry(peer));
            _network.Start(_network.Add(machine));
        }
        _peers = new PeerMachine[peers];
        for (var p = 0; p < peers; p++)
        {
            _peers[p] = new PeerMachine(SimulatedAddresses.Peer(p), seedEndpoints, peer, NodeRandom.For(nodeSeed, NodeRole.Peer, p), reportDuplicates: false, gossip: gossip);
            _network.Add(_peers[p]);
        }
    }

    public SimulatedNetwork Network => _network;

    public int PeerCount => _peers.Length;

    /// <summary>Virtual time since the network was made.</summary>
    public TimeSpan Elapsed => _network.Elapsed;

    public PeerMachine Peer(int peer) => _peers[peer];

    /// <summary>Every message originated, in order: who originated it and when.</summary>
    public IReadOnlyList<(MessageId Id, int Origin, TimeSpan At)> Originated => _sink.Originated;

    /// <summary>How many first receipts (<see cref="GossipReceived"/>) of <paramref name="id"/> the peer reported: 1 is right.</summary>
    public int Receipts(int peer, MessageId id) => _sink.Receipts[peer].GetValueOrDefault(id);

    /// <summary>Every (peer, message) the peer reported a first receipt of more than once.</summary>
    public IEnumerable<(int Peer, MessageId Id, int Count)> RepeatedReceipts() =>
        _sink.Receipts.SelectMany((r, p) => r.Where(kv => kv.Value > 1).Select(kv => (p, kv.Key, kv.Value)));

    /// <summary>Node events seen so far, folded into one number (only with <c>traceEvents</c>).</summary>
    public ulong TraceHash => _sink.Trace;

    /// <summary>Every node event so far with its network node (seeds first, then peers), in order (only with <c>traceEvents</c>).</summary>
    public IReadOnlyList<(int Node, NodeEvent Event)> Events => _sink.Events;

    /// <summary>Started and not crashed.</summary>
    public bool IsLive(int peer) => _network.IsRunning(_seeds + peer);

    public IReadOnlyList<int> LivePeers() => Enumerable.Range(0, _peers.Length).Where(IsLive).ToArray();

    /// <summary>The live peers' connected neighbours that are live peers too, by peer index.</summary>
    public IEnumerable<int> LiveNeighbours(int peer)
    {
        foreach (var endpoint in _peers[peer].ConnectedNeighbours)
        {
            if (_network.TryGetNode(endpoint, out var node) && node >= _seeds && IsLive(node - _seeds))
            {
                yield return node - _seeds;
            }
        }
    }

    /// <summary>Connectivity of the overlay among the live peers now.</summary>
    public OverlayAnalysis.Result Overlay()
    {
        var snapshot = OverlaySnapshot.Build(LivePeers(), _peers.Length, LiveNeighbours);
        return OverlayAnalysis.Analyse(snapshot.Neighbours);
    }

    /// <summary>
    /// Starts the peers one at a time; each has joined when it has its peer lists and every neighbour dial it made has
    /// connected or failed (as the experiments' simulated join), or after <paramref name="timeout"/>. Returns the peers
    /// that did not join in time.
    /// </summary>
    public int JoinAll(TimeSpan timeout)
    {
        var notJoined = 0;
        for (var p = 0; p < _peers.Length; p++)
        {
            _network.Start(_seeds + p);
            var peer = _peers[p];
            var node = _seeds + p;
            if (!RunWhile(() => !(peer.Joined && _network.PendingDials(node) == 0), _network.Elapsed + timeout))
            {
                notJoined++;
            }
        }
        return notJoined;
    }

    /// <summary>The peer originates one message now.</summary>
    public MessageId Publish(int peer)
    {
        var id = default(MessageId);
        _network.Apply(_seeds + peer, (machine, now) => id = ((PeerMachine)machine).Publish(now));
        return id;
    }

    /// <summary>The peers crash now, abruptly (crashing a crashed peer again does nothing).</summary>
    public void Crash(IEnumerable<int> peers)
    {
        foreach (var p in peers)
        {
            _network.Crash(_seeds + p);
        }
    }

    /// <summary>Handles every event due up to <paramref name="elapsed"/> (virtual time since the start), then stands there.</summary>
    public void RunUntil(TimeSpan elapsed) => _network.AdvanceTo(SimulatedNetwork.Epoch + elapsed);

    /// <summary>Runs while <paramref name="busy"/> holds, at most until <paramref name="deadline"/>; true when it stopped holding.</summary>
    private bool RunWhile(Func<bool> busy, TimeSpan deadline)
    {
        while (busy())
        {
            if (!_network.TryPeekNext(out var next) || next - SimulatedNetwork.Epoch > deadline)
            {
                RunUntil(deadline);
                return !busy();
            }
            _network.Step();
        }
        return true;
    }

    private sealed class Sink(int seeds, int peers, bool trace) : INodeEventSink
    {
        public readonly List<(MessageId Id, int Origin, TimeSpan At)> Originated = [];
        public readonly Dictionary<MessageId, int>[] Receipts = Enumerable.Range(0, peers).Select(_ => new Dictionary<MessageId, int>()).ToArray();
        public ulong Trace = 14695981039346656037UL;
        public readonly List<(int Node, NodeEvent Event)> Events = [];

        public void OnNodeEvent(int node, NodeEvent nodeEvent)
        {
            if (trace)
            {
                Events.Add((node, nodeEvent));
                foreach (var c in string.Create(CultureInfo.InvariantCulture, $"{node} {nodeEvent}\n"))
                {
                    Trace = (Trace ^ c) * 1099511628211UL;
                }
            }
            var peer = node - seeds;
            switch (nodeEvent)
            {
                case GossipOriginated originated:
                    Originated.Add((originated.Id, peer, originated.At - SimulatedNetwork.Epoch));
                    break;
                case GossipReceived received:
                    Receipts[peer][received.Id] = Receipts[peer].GetValueOrDefault(received.Id) + 1;
                    break;
            }
        }
    }
}
