using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Liveness;
using P2PSim.Overlay;
using P2PSim.Private;
using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// A peer, composed of four parts that meet only through small events (as iroh-gossip's <c>topic.rs</c> composes
/// <c>hyparview.rs</c> and <c>plumtree.rs</c>):
/// <list type="bullet">
/// <item><see cref="SeedSession"/>: registration with a majority of seeds, re-registration, failover, dead-node reports;</item>
/// <item><see cref="NeighbourTable"/>: the links to neighbours, repair, suspects; raises neighbour up / lost / removed / died;</item>
/// <item><see cref="LivenessMonitor"/>: pings every round, misses, deaths;</item>
/// <item><see cref="Dissemination"/>: flooding with duplicate suppression, and catch-up over new links;</item>
/// <item><see cref="PrivateMessenger"/>: private messages over direct links of their own (never neighbours).</item>
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
    private readonly PrivateMessenger _private;
    private readonly Dictionary<ConnectionId, NodeEndpoint> _neighbourOf; // the table's map, at hand for every frame
    private int _timedOriginated;
    private DateTimeOffset? _nextGossip;
    private bool _stopping;
    private readonly bool _tree;
    private readonly Dictionary<NodeEndpoint, bool>? _treeLinksReported; // reportTreeLinks: the state last reported per link

    /// <param name="reportDuplicates">See <see cref="Dissemination"/>: false counts dropped duplicates without reporting each.</param>
    /// <param name="gossip">The routing (flood or tree) and its timings; null: flooding with the defaults.</param>
    /// <param name="reportTreeLinks">
    /// Tree and spanning routing: report each link's tree state as it changes (<see cref="TreeLinkChanged"/>), for the
    /// live view. Off by default: a simulation of many peers would pay a look at every link after every input.
    /// </param>
    /// <param name="privateMessages">Timeouts and attempts of private messages; null: the defaults.</param>
    /// <param name="dialable">False: this peer cannot be dialled from outside (as behind a NAT; the driver refuses its connections) and holds a reservation with its seeds.</param>
    public PeerMachine(NodeEndpoint self, IReadOnlyList<NodeEndpoint> seeds, PeerOptions options, Random random, bool reportDuplicates = true, GossipOptions? gossip = null,
        bool reportTreeLinks = false, PrivateOptions? privateMessages = null, bool dialable = true)
        : base(self)
    {
        _options = options;
        _wake = new WakeScheduler(Out);
        _session = new SeedSession(self, seeds, options, random, Out)
        {
            Joined = OnJoined,
            PeersLearned = now =>
            {
                _table!.Repair(now, "a fresh peer list", AskSeeds.Never);
                _private!.OnSeedsLearned(now); // a peer that cannot be dialled reserves with every seed it registered with
            },
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
        _treeLinksReported = _tree && reportTreeLinks ? new() : null;
        _private = new PrivateMessenger(self, options, privateMessages ?? new PrivateOptions(), Out, seeds, () => _session.Registered, dialable);
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

    /// <summary>This peer's private messages: sent, acknowledged, undeliverable, pending; delivered here.</summary>
    public PrivateCounts PrivateCounts => _private.Counts;

    /// <summary>False: this peer cannot be dialled from outside and holds reservations with its seeds.</summary>
    public bool Dialable => _private.Dialable;

    /// <summary>The seeds holding this peer's reservation (one that cannot be dialled), now.</summary>
    public IEnumerable<NodeEndpoint> ReservedWith => _private.ReservedWith;

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
        if (PrivateMessenger.Takes(connection))
        {
            _private.OnConnected(connection, now);
            ScheduleWake();
            return;
        }
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
        ReportTreeLinks(now);
        if (changed)
        {
            ScheduleWake();
        }
    }

    public override void OnDialFailed(NodeEndpoint target, LinkPurpose purpose, string reason, DateTimeOffset now)
    {
        if (purpose.Kind == LinkKind.Direct)
        {
            _private.OnDialFailed(target, reason, now);
            ScheduleWake();
            return;
        }
        OnDialFailed(target, reason, now);
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
        if (_private.Owns(connection))
        {
            _private.OnMessage(connection, message, now);
            ScheduleWake();
            return;
        }
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
        ReportTreeLinks(now);
        ScheduleWake();
    }

    public override void OnClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        if (_private.OnClosed(connection, reason, now))
        {
            ScheduleWake();
            return;
        }
        if (!_table.OnClosed(connection, reason, now) && _session.Owns(connection))
        {
            _session.OnClosed(connection, reason, now);
        }
        ReportTreeLinks(now);
        ScheduleWake();
    }

    public override void OnTimer(DateTimeOffset now)
    {
        _wake.Fired();
        _dissemination.Expire(now);
        _dissemination.OnTimer(now);
        _session.OnTimer(now);
        _private.OnTimer(now);
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
        ReportTreeLinks(now);
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
        _private.Stop(now);
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

    /// <summary>
    /// Sends a private message with <paramref name="text"/> to <paramref name="recipient"/> over a direct link (see
    /// <see cref="PrivateMessenger"/>); returns its id. Its delivery is reported: acknowledged, or undeliverable.
    /// </summary>
    /// <exception cref="ArgumentException">To this peer itself, or a text too long or not valid Unicode.</exception>
    /// <exception cref="InvalidOperationException">The peer is leaving, or too many messages await their acknowledgement.</exception>
    public MessageId SendPrivate(NodeEndpoint recipient, string text, DateTimeOffset now)
    {
        var id = _private.Send(recipient, text, now);
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

    /// <summary>
    /// With <c>reportTreeLinks</c>: reports every link whose tree state differs from the one last reported (a new link
    /// included); a link that is gone is forgotten, so it is reported afresh if it comes back.
    /// </summary>
    private void ReportTreeLinks(DateTimeOffset now)
    {
        if (_treeLinksReported is not { } reported)
        {
            return;
        }
        foreach (var neighbour in _table.Entries.Keys)
        {
            if (_dissemination.IsLazy(neighbour) is not { } lazy)
            {
                reported.Remove(neighbour);
            }
            else if (!reported.TryGetValue(neighbour, out var wasEager) || wasEager == lazy)
            {
                reported[neighbour] = !lazy;
                Report(new TreeLinkChanged(now, neighbour, Eager: !lazy));
            }
        }
        List<NodeEndpoint>? gone = null;
        foreach (var neighbour in reported.Keys)
        {
            if (!_table.Entries.ContainsKey(neighbour))
            {
                (gone ??= []).Add(neighbour);
            }
        }
        gone?.ForEach(n => reported.Remove(n));
    }

    private void ScheduleWake()
    {
        var due = WakeScheduler.Earliest(WakeScheduler.Earliest(_nextGossip, _liveness.NextRound), _session.NextDeadline);
        due = WakeScheduler.Earliest(due, _private.NextDeadline);
        _wake.Request(_tree ? WakeScheduler.Earliest(due, _dissemination.NextDeadline) : due);
    }
}
