using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Liveness;
using P2PSim.Overlay;
using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// A peer, composed of four parts that meet only through small events (as iroh-gossip's <c>topic.rs</c> composes
/// <c>hyparview.rs</c> and <c>plumtree.rs</c>):
/// <list type="bullet">
/// <item><see cref="SeedSession"/>: registration with a majority of seeds, re-registration, failover, dead-node reports;</item>
/// <item><see cref="NeighbourTable"/>: the links to neighbours, repair, suspects; raises neighbour up / lost / removed / died;</item>
/// <item><see cref="LivenessMonitor"/>: pings every round, misses, deaths;</item>
/// <item><see cref="Dissemination"/>: flooding with duplicate suppression, and catch-up over new links.</item>
/// </list>
/// This class routes each input to the part it belongs to, wires the parts' events to each other, runs the peer's own
/// gossip schedule and asks for one wake-up at the earliest deadline of any part (<see cref="WakeScheduler"/>).
/// Pure: see <see cref="NodeMachine"/>. All parts share the node's seeded <see cref="Random"/>, in a fixed order of
/// draws, so a run is reproducible on every network.
/// </summary>
public sealed class PeerMachine : NodeMachine
{
    /// <inheritdoc cref="SeedSession.FailoverAfterFailures"/>
    public const int FailoverAfterFailures = SeedSession.FailoverAfterFailures;

    private readonly PeerOptions _options;
    private readonly SeedSession _session;
    private readonly NeighbourTable _table;
    private readonly LivenessMonitor _liveness;
    private readonly Dissemination _dissemination;
    private readonly WakeScheduler _wake;
    private readonly Dictionary<ConnectionId, NodeEndpoint> _neighbourOf; // the table's map, at hand for every frame
    private int _timedOriginated;
    private DateTimeOffset? _nextGossip;
    private bool _stopping;
    private readonly bool _tree;

    /// <param name="reportDuplicates">See <see cref="Dissemination"/>: false counts dropped duplicates without reporting each.</param>
    /// <param name="gossip">The routing (flood or tree) and its timings; null: flooding with the defaults.</param>
    public PeerMachine(NodeEndpoint self, IReadOnlyList<NodeEndpoint> seeds, PeerOptions options, Random random, bool reportDuplicates = true, GossipOptions? gossip = null)
        : base(self)
    {
        _options = options;
        _wake = new WakeScheduler(Out);
        _session = new SeedSession(self, seeds, options, random, Out)
        {
            Joined = OnJoined,
            PeersLearned = now => _table!.Repair(now, "a fresh peer list", AskSeeds.Never),
        };
        _table = new NeighbourTable(self, options, random, Out, _session.Known)
        {
            NeighbourUp = OnNeighbourUp,
            LinkLost = (endpoint, now) =>
            {
                _liveness!.OnLinkLost(endpoint);
                _dissemination!.OnLinkLost(endpoint, now);
            },
            NeighbourRemoved = OnNeighbourRemoved,
            NeighbourDied = (endpoint, now) => _session.ReportDeath(endpoint, now),
            RequestPeerLists = now => _session.AskForPeers(now),
            LinksChanged = () => _dissemination!.OnLinksChanged(),
        };
        _neighbourOf = _table.ByConnection;
        _liveness = new LivenessMonitor(options, Out, _table);
        _dissemination = new Dissemination(self, options, Out, _table, reportDuplicates, gossip, random);
        _tree = _dissemination.Routing != Routing.Flood;
    }

    public override NodeRole Role => NodeRole.Peer;

    /// <summary>How this peer spreads messages.</summary>
    public Routing Routing => _dissemination.Routing;

    /// <summary>Tree routing: links in the tree (pushed to) and links announced to only.</summary>
    public (int Eager, int Lazy) TreeLinks => _dissemination.TreeLinks;

    /// <summary>Tree routing: whether the link to <paramref name="neighbour"/> is lazy (announcements only); null: no such link.</summary>
    public bool? IsLazyLink(NodeEndpoint neighbour) => _dissemination.IsLazy(neighbour);

    /// <summary>The seeds that answered this peer's registration.</summary>
    public IReadOnlyCollection<NodeEndpoint> RegisteredSeeds => _session.Registered;

    /// <summary>Neighbours with a live connection.</summary>
    public IEnumerable<NodeEndpoint> ConnectedNeighbours => _table.ConnectedNeighbours;

    /// <summary>Every neighbour, connected or being retried.</summary>
    public IReadOnlyCollection<NodeEndpoint> Neighbours => _table.Entries.Keys;

    /// <summary>True once registration finished and neighbours were chosen.</summary>
    public bool Joined => _table.Joined;

    /// <summary>Joined, and every neighbour dial it started has either connected or failed.</summary>
    public bool Settled => _table.Settled;

    public int Originated => _dissemination.Originated;

    public long Received => _dissemination.Received;

    public long Duplicates => _dissemination.Duplicates;

    /// <summary>Messages dropped unseen: too old to tell from a replay, or from the future.</summary>
    public long Refused => _dissemination.Refused;

    public MessageList Messages => _dissemination.Messages;

    /// <summary>The recent messages with their texts, kept for neighbours that missed them.</summary>
    public MessageHistory History => _dissemination.History;

    /// <summary>The peers this peer knows of: the union of the latest peer list from each seed.</summary>
    public IReadOnlyCollection<NodeEndpoint> KnownPeers => _session.Known.Known();

    public override bool StopComplete => _stopping && _session.IsIdle;

    public override void Start(DateTimeOffset now)
    {
        _session.Start(now);
        ScheduleWake();
    }

    public override void OnConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        if (_stopping && connection.Role == NodeRole.Peer)
        {
            CloseConnection(connection.Id, "shutting down", afterFlush: false);
            return;
        }
        if (!connection.Purpose.IsOverlay)
        {
            CloseConnection(connection.Id, $"this peer takes no {connection.Purpose} link yet", afterFlush: false);
            return;
        }
        var changed = connection.Role == NodeRole.Seed ? _session.OnConnected(connection) : _table.OnConnected(connection, now);
        if (changed)
        {
            ScheduleWake();
        }
    }

    public override void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
        if (!_session.OnDialFailed(target, reason, now))
        {
            _table.OnDialFailed(target, reason, now);
        }
        ScheduleWake();
    }

    public override void OnMessage(ConnectionId connection, Message message, DateTimeOffset now)
    {
        if (_neighbourOf.TryGetValue(connection, out var from))
        {
            switch (message)
            {
                case Protocol.Gossip gossip when Dissemination.Violation(from, gossip) is { } violation:
                    _table.OnViolation(connection, from, violation, now);
                    break;
                case Protocol.Gossip gossip:
                    _dissemination.OnGossip(connection, from, gossip, now);
                    if (_tree)
                    {
                        break; // announcements may now wait for their flush
                    }
                    return; // the bulk of a flood's traffic: none of it moves a deadline, so the wake-up stays as it is
                case Ping ping:
                    _liveness.OnPing(connection, ping);
                    return;
                case Pong pong:
                    _liveness.OnPong(from, pong);
                    return;
                case Digest digest:
                    _dissemination.OnDigest(connection, from, digest, now);
                    break;
                case Want want:
                    _dissemination.OnWant(connection, from, want, now);
                    break;
                case IHave ihave:
                    _dissemination.OnIHave(from, ihave, now);
                    break;
                case Graft graft:
                    _dissemination.OnGraft(connection, from, graft);
                    break;
                case Prune:
                    _dissemination.OnPrune(connection, from);
                    break;
                case TreeAdvert advert:
                    _dissemination.OnTreeAdvert(connection, from, advert, now);
                    break;
                case Goodbye:
                    _table.OnGoodbye(connection, from, now);
                    break;
                default:
                    _table.OnViolation(connection, from, $"a peer does not accept {message.Type} from a peer", now);
                    break;
            }
        }
        else if (_session.Owns(connection))
        {
            _session.OnMessage(connection, message, now);
        }
        ScheduleWake();
    }

    public override void OnClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        if (!_table.OnClosed(connection, reason, now) && _session.Owns(connection))
        {
            _session.OnClosed(connection, reason, now);
        }
        ScheduleWake();
    }

    public override void OnTimer(DateTimeOffset now)
    {
        _wake.Fired();
        _dissemination.Expire(now);
        _dissemination.OnTimer(now);
        _session.OnTimer(now);
        if (!_stopping)
        {
            if (_nextGossip is { } gossipDue && now >= gossipDue)
            {
                _dissemination.Originate(now);
                _timedOriginated++;
                _nextGossip = _timedOriginated < _options.MessagesPerPeer ? now + _options.GossipInterval : null;
            }
            if (_liveness.RoundDue(now))
            {
                _dissemination.ForgetStaleOffers(now);
                _dissemination.RetryLapsedRequests(now);
                _liveness.RunRound(now);
                _table.Repair(now, "liveness round", AskSeeds.IfShort);
                _table.RetrySuspects(now);
                _liveness.ScheduleNext(now);
            }
        }
        ScheduleWake();
    }

    public override void Stop(DateTimeOffset now)
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        _nextGossip = null;
        _liveness.Stop();
        _dissemination.Stop();
        var connected = _table.Leave(now);
        Report(new Leaving(now, connected, _session.Registered.Count));
        _session.Leave();
        ScheduleWake();
    }

    /// <summary>Originates one gossip message now, on top of the <c>GossipInterval</c> schedule (experiments, tools).</summary>
    public MessageId Publish(DateTimeOffset now)
    {
        var id = _dissemination.Originate(now);
        ScheduleWake();
        return id;
    }

    /// <summary>The registration round is over: choose neighbours, start gossiping and checking liveness.</summary>
    private void OnJoined(DateTimeOffset now)
    {
        _table.Join(now);
        _nextGossip = _options.MessagesPerPeer > 0 ? now + _options.GossipInterval : null;
        _liveness.Begin(now);
        _session.Compact(); // the whole lists were needed for the choice above only (and it draws after it)
    }

    private void OnNeighbourUp(NodeEndpoint neighbour, ConnectionId connection, DateTimeOffset now)
    {
        _liveness.OnNeighbourUp(neighbour);
        _dissemination.OnNeighbourUp(neighbour, connection, now);
    }

    private void OnNeighbourRemoved(NodeEndpoint neighbour, DateTimeOffset now)
    {
        _liveness.OnNeighbourRemoved(neighbour);
        _dissemination.OnNeighbourRemoved(neighbour, now);
    }

    private void ScheduleWake()
    {
        var due = WakeScheduler.Earliest(WakeScheduler.Earliest(_nextGossip, _liveness.NextRound), _session.NextDeadline);
        _wake.Request(_tree ? WakeScheduler.Earliest(due, _dissemination.NextDeadline) : due);
    }
}
