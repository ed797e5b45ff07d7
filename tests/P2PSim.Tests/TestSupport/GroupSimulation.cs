using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Simulation;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.TestSupport;

/// <summary>
/// A small simulated network of seeds and peers in groups, recording every group message: who published it, to which
/// group, and every peer's first receipts of it and every payload copy that reached it (<see cref="GroupEvent"/>s from
/// the peers' group overlays). Seeds are network nodes 0 to S-1, peer p is node S + p. Not thread-safe; deterministic
/// for the same arguments.
/// </summary>
internal sealed class GroupSimulation
{
    private readonly SimulatedNetwork _network;
    private readonly PeerMachine[] _peers;
    private readonly SeedMachine[] _seedMachines;
    private readonly int _seeds;
    private readonly Sink _sink;

    /// <param name="groupsOf">The groups each peer joins when it starts.</param>
    public GroupSimulation(int seeds, int peers, Func<int, IReadOnlyList<string>> groupsOf, PeerOptions? peer = null, GossipOptions? gossip = null,
        GroupOptions? groups = null, SimulatedNetworkOptions? links = null, int runSeed = 1)
    {
        peer ??= Quick();
        var master = new Random(runSeed);
        var nodeSeed = NodeRandom.NextSeed(master);
        _sink = new Sink(seeds);
        _network = new SimulatedNetwork(links ?? new SimulatedNetworkOptions { Latency = TimeSpan.FromMilliseconds(5) }, master.Next(), _sink);
        _network.PayloadDelivered = OnPayloadDelivered;
        _seeds = seeds;
        var seedEndpoints = Enumerable.Range(0, seeds).Select(SimulatedAddresses.Seed).ToArray();
        _seedMachines = new SeedMachine[seeds];
        for (var s = 0; s < seeds; s++)
        {
            _seedMachines[s] = new SeedMachine(seedEndpoints[s], NodeRandom.For(nodeSeed, NodeRole.Seed, s), seeds: seedEndpoints, peerExpiry: new SeedOptions().PeerExpiry(peer));
            _network.Start(_network.Add(_seedMachines[s]));
        }
        _peers = new PeerMachine[peers];
        for (var p = 0; p < peers; p++)
        {
            _peers[p] = new PeerMachine(SimulatedAddresses.Peer(p), seedEndpoints, peer, NodeRandom.For(nodeSeed, NodeRole.Peer, p),
                gossip: gossip, groups: groups ?? new GroupOptions { MessagesPerPeer = 0 }, startGroups: groupsOf(p));
            _network.Add(_peers[p]);
        }
    }

    /// <summary>Short intervals, so deaths and repairs happen within seconds of virtual time.</summary>
    public static PeerOptions Quick() => new()
    {
        MessagesPerPeer = 0,
        LivenessInterval = TimeSpan.FromSeconds(1),
        RegistrationTimeout = TimeSpan.FromMilliseconds(500),
        RetryInterval = TimeSpan.FromMilliseconds(200),
        ReregisterInterval = TimeSpan.FromSeconds(5),
        HistoryWindow = TimeSpan.FromSeconds(30),
    };

    public SimulatedNetwork Network => _network;

    public int PeerCount => _peers.Length;

    public PeerMachine Peer(int peer) => _peers[peer];

    public SeedMachine Seed(int seed) => _seedMachines[seed];

    public IEnumerable<PeerMachine> Peers => _peers;

    public NodeEndpoint Endpoint(int peer) => _peers[peer].Self;

    /// <summary>Every group message published: its id, group, publisher and when.</summary>
    public IReadOnlyList<(MessageId Id, string Group, int Origin, TimeSpan At)> Published => _sink.Published;

    /// <summary>First receipts of <paramref name="id"/> each peer reported (1 is right for a member, 0 for anyone else).</summary>
    public int Receipts(int peer, MessageId id) => _sink.Receipts.GetValueOrDefault((peer, id));

    /// <summary>Every (peer, message id, group) a first receipt was reported for, with how many times.</summary>
    public IEnumerable<(int Peer, MessageId Id, string Group, int Count)> AllReceipts() =>
        _sink.Receipts.Select(r => (r.Key.Peer, r.Key.Id, _sink.GroupOf[r.Key.Id], r.Value));

    /// <summary>Group events reported by peer <paramref name="peer"/> so far.</summary>
    public IEnumerable<GroupEvent> GroupEvents(int peer) => _sink.Events.Where(e => e.Node == _seeds + peer).Select(e => e.Event);

    public bool IsLive(int peer) => _network.IsRunning(_seeds + peer);

    /// <summary>
    /// Group payloads that reached a node that was not a member of the group at that moment (a seed, a non-member, a
    /// member of another group), or that came on a link of another kind: must stay empty.
    /// </summary>
    public IReadOnlyList<string> Leaks => _leaks;

    /// <summary>Group payloads delivered to members (copies, duplicates included): the transmissions that count.</summary>
    public long GroupPayloadsDelivered { get; private set; }

    private readonly List<string> _leaks = [];

    private void OnPayloadDelivered(int node, GossipMessage payload)
    {
        if (payload.Kind != GossipKind.Group)
        {
            return;
        }
        if (node < _seeds || !_peers[node - _seeds].IsMember(payload.Group!))
        {
            _leaks.Add($"{_network.Endpoint(node)} got a copy of [{payload.Id.Short}] for group \"{payload.Group}\" at {_network.Elapsed} without being a member");
            return;
        }
        GroupPayloadsDelivered++;
    }

    /// <summary>Starts every peer at once (the seeds run already).</summary>
    public void StartAll()
    {
        for (var p = 0; p < _peers.Length; p++)
        {
            _network.Start(_seeds + p);
        }
    }

    public void Start(int peer) => _network.Start(_seeds + peer);

    /// <summary>Handles every event due within <paramref name="time"/> from now.</summary>
    public void RunFor(TimeSpan time) => _network.AdvanceTo(_network.Now + time);

    /// <summary>Runs until <paramref name="done"/> holds, at most <paramref name="within"/> more virtual time; true when it holds.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan within) => _network.RunUntil(done, within);

    /// <summary>Peer <paramref name="peer"/> publishes to <paramref name="group"/> now; null: it is not a member.</summary>
    public MessageId? Publish(int peer, string group, string? text = null)
    {
        MessageId? id = null;
        _network.Apply(_seeds + peer, (machine, now) => id = ((PeerMachine)machine).Publish(group, now, text));
        return id;
    }

    public void Join(int peer, string group) => _network.Apply(_seeds + peer, (machine, now) => ((PeerMachine)machine).JoinGroup(group, now));

    public void Leave(int peer, string group) => _network.Apply(_seeds + peer, (machine, now) => ((PeerMachine)machine).LeaveGroup(group, now));

    public void Crash(int peer) => _network.Crash(_seeds + peer);

    /// <summary>Every live member of <paramref name="group"/> has joined its overlay and links to at least one other member (or is alone).</summary>
    public bool GroupFormed(string group)
    {
        var members = Enumerable.Range(0, _peers.Length).Where(p => IsLive(p) && _peers[p].IsMember(group)).ToArray();
        return members.All(p => _peers[p].GroupSettled(group) && (members.Length == 1 || _peers[p].GroupNeighbours(group).Count > 0));
    }

    private sealed class Sink(int seeds) : INodeEventSink
    {
        public readonly List<(MessageId Id, string Group, int Origin, TimeSpan At)> Published = [];
        public readonly Dictionary<(int Peer, MessageId Id), int> Receipts = new();
        public readonly Dictionary<MessageId, string> GroupOf = new();
        public readonly List<(int Node, GroupEvent Event)> Events = [];

        public void OnNodeEvent(int node, NodeEvent nodeEvent)
        {
            if (nodeEvent is not GroupEvent group)
            {
                return;
            }
            Events.Add((node, group));
            var peer = node - seeds;
            switch (group.Event)
            {
                case GossipOriginated originated:
                    Published.Add((originated.Id, group.Group, peer, originated.At - SimulatedNetwork.Epoch));
                    GroupOf[originated.Id] = group.Group;
                    break;
                case GossipReceived received:
                    Receipts[(peer, received.Id)] = Receipts.GetValueOrDefault((peer, received.Id)) + 1;
                    GroupOf.TryAdd(received.Id, group.Group);
                    break;
            }
        }
    }
}
