using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Liveness;
using P2PSim.Overlay;
using P2PSim.Private;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Nodes;

/// <summary>
/// A peer, composed of parts that meet only through small events (as iroh-gossip's <c>state.rs</c> runs one
/// <c>topic.rs</c> per topic, each composing <c>hyparview.rs</c> and <c>plumtree.rs</c>):
/// <list type="bullet">
/// <item><see cref="SeedSession"/>: registration with a majority of seeds, re-registration, failover, dead-node reports;</item>
/// <item>a <see cref="Topic"/> for the whole network's overlay: its <see cref="NeighbourTable"/> (the links to neighbours,
/// repair, suspects), its <see cref="LivenessMonitor"/> (pings every round, misses, deaths) and its
/// <see cref="Dissemination"/> (flooding or broadcast trees with duplicate suppression, and catch-up over new links);</item>
/// <item>one more <see cref="Topic"/> per group it is a member of (<c>PeerMachine.Groups.cs</c>): the same parts on the
/// group's own links, among its members;</item>
/// <item><see cref="PrivateMessenger"/>: private messages over direct links of their own (never neighbours).</item>
/// </list>
/// This class routes each input to the part it belongs to, wires the parts to each other, runs the peer's own
/// gossip schedule and asks for one wake-up at the earliest deadline of any part (<see cref="WakeScheduler"/>).
/// Pure: see <see cref="NodeMachine"/>. All parts share the node's seeded <see cref="Random"/>, in a fixed order of
/// draws, so a run is reproducible on every network.
/// </summary>
public sealed partial class PeerMachine : NodeMachine
{
    /// <inheritdoc cref="SeedSession.FailoverAfterFailures"/>
    public const int FailoverAfterFailures = SeedSession.FailoverAfterFailures;

    private readonly PeerOptions _options;
    private readonly SeedSession _session;
    private readonly Topic _overlay;
    private readonly WakeScheduler _wake;
    private readonly PrivateMessenger _private;
    private readonly Dictionary<ConnectionId, NodeEndpoint> _neighbourOf; // the overlay's map, at hand for every frame
    private int _timedOriginated;
    private DateTimeOffset? _nextGossip;
    private bool _stopping;
    private readonly Dictionary<NodeEndpoint, bool>? _treeLinksReported; // reportTreeLinks: the state last reported per link

    /// <param name="reportDuplicates">See <see cref="Dissemination"/>: false counts dropped duplicates without reporting each.</param>
    /// <param name="gossip">The routing (flood or tree) and its timings; null: flooding with the defaults.</param>
    /// <param name="reportTreeLinks">
    /// Tree and spanning routing: report each overlay link's tree state as it changes (<see cref="TreeLinkChanged"/>), for
    /// the live view. Off by default: a simulation of many peers would pay a look at every link after every input.
    /// </param>
    /// <param name="privateMessages">Timeouts and attempts of private messages; null: the defaults.</param>
    /// <param name="dialable">False: this peer cannot be dialled from outside (as behind a NAT; the driver refuses its connections) and holds a reservation with its seeds.</param>
    /// <param name="groups">How group overlays are shaped and how many group messages the peer publishes; null: the defaults, and none.</param>
    /// <param name="startGroups">The groups the peer joins when it starts.</param>
    /// <param name="signing">
    /// How the peer signs the messages it creates and checks those it receives, and its id (<see cref="NodeMachine.Id"/>
    /// becomes the signing id); null: no cryptography and id 0, which only unit tests of other rules use.
    /// </param>
    /// <param name="scoring">
    /// The rules against Sybils on the overlay (<see cref="NeighbourScoring"/>): neighbours that deliver nothing replaced,
    /// at most so many neighbours at one address. Null (the simulator's default): none.
    /// </param>
    /// <param name="keepFrames">
    /// Keep the messages of the history as frames (<see cref="Dissemination"/>): right for a peer on real sockets, which
    /// decodes its own copy of each message; the simulator passes false, its peers share one copy.
    /// </param>
    public PeerMachine(NodeEndpoint self, IReadOnlyList<NodeEndpoint> seeds, PeerOptions options, Random random, bool reportDuplicates = true, GossipOptions? gossip = null,
        bool reportTreeLinks = false, PrivateOptions? privateMessages = null, bool dialable = true, GroupOptions? groups = null, IReadOnlyList<string>? startGroups = null,
        MessageSigning? signing = null, NeighbourScoring? scoring = null, bool keepFrames = true)
        : base(self)
    {
        _signing = signing ?? MessageSigning.Skip();
        Id = _signing.Id;
        _options = options;
        _wake = new WakeScheduler(Out);
        _seeds = seeds;
        _random = random;
        _reportDuplicates = reportDuplicates;
        _keepFrames = keepFrames;
        _gossip = gossip;
        _groupOptions = groups ?? new GroupOptions { MessagesPerPeer = 0 };
        _groupOverlayOptions = _groupOptions.ForGroupOverlay(options);
        _startGroups = startGroups ?? [];
        _origins = new OriginAttestations(Id, _signing, seeds);
        _session = new SeedSession(self, seeds, options, random, Out)
        {
            Attestations = _origins,
            Joined = OnJoined,
            PeersLearned = now =>
            {
                _overlay!.Repair(now, "a fresh peer list", AskSeeds.Never);
                _private!.OnSeedsLearned(now); // a peer that cannot be dialled reserves with every seed it registered with
            },
            MembersLearned = OnMembersLearned,
            MembersAnswered = OnMembersAnswered,
        };
        _overlay = new Topic(self, options, random, Out, _session.Known,
            requestPeerLists: now => _session.AskForPeers(now),
            neighbourDied: (endpoint, now) => _session.ReportDeath(endpoint, now),
            reportDuplicates, gossip, signing: _signing, expectedId: ExpectedId, scoring: scoring, origins: _origins, keepFrames: keepFrames);
        _neighbourOf = _overlay.ByConnection;
        _treeLinksReported = _overlay.Routing != Routing.Flood && reportTreeLinks ? new() : null;
        _private = new PrivateMessenger(self, options, privateMessages ?? new PrivateOptions(), Out, seeds, () => _session.Registered, dialable, _signing, ExpectedId);
        Out.ExpectedIds = ExpectedId; // every dial expects the id this peer knows its target by, if any
    }

    public override NodeRole Role => NodeRole.Peer;

    /// <summary>How this peer spreads messages.</summary>
    public Routing Routing => _overlay.Routing;

    /// <summary>Tree routing: links in the tree (pushed to) and links announced to only.</summary>
    public (int Eager, int Lazy) TreeLinks => _overlay.TreeLinks;

    /// <summary>Tree routing: whether the link to <paramref name="neighbour"/> is lazy (announcements only); null: no such link.</summary>
    public bool? IsLazyLink(NodeEndpoint neighbour) => _overlay.IsLazyLink(neighbour);

    /// <summary>The seeds that answered this peer's registration.</summary>
    public IReadOnlyCollection<NodeEndpoint> RegisteredSeeds => _session.Registered;

    /// <summary>Neighbours with a live connection.</summary>
    public IEnumerable<NodeEndpoint> ConnectedNeighbours => _overlay.ConnectedNeighbours;

    /// <summary>Overlay links refused because another id claimed (or answered at) a neighbour's endpoint.</summary>
    public long ImpostorsRefused => _overlay.ImpostorsRefused;

    /// <summary>Neighbours replaced for delivering nothing while others delivered (<see cref="NeighbourScoring"/>).</summary>
    public long NeighboursReplaced => _overlay.NeighboursReplaced;

    /// <summary>The overlay connection to <paramref name="neighbour"/>, if it has a live one.</summary>
    public ConnectionId? LinkTo(NodeEndpoint neighbour) => _overlay.LinkTo(neighbour);

    /// <summary>Every neighbour, connected or being retried.</summary>
    public IReadOnlyCollection<NodeEndpoint> Neighbours => _overlay.Neighbours;

    /// <summary>True once registration finished and neighbours were chosen.</summary>
    public bool Joined => _overlay.Joined;

    /// <summary>Joined, and every neighbour dial it started has either connected or failed.</summary>
    public bool Settled => _overlay.Settled;

    public int Originated => _overlay.Originated;

    public long Received => _overlay.Received;

    public long Duplicates => _overlay.Duplicates;

    /// <summary>Messages dropped unseen: too old to tell from a replay, or from the future.</summary>
    public long Refused => _overlay.Refused;

    public MessageList Messages => _overlay.Messages;

    /// <summary>This peer's private messages: sent, acknowledged, undeliverable, pending; delivered here.</summary>
    public PrivateCounts PrivateCounts => _private.Counts;

    /// <summary>False: this peer cannot be dialled from outside and holds reservations with its seeds.</summary>
    public bool Dialable => _private.Dialable;

    /// <summary>The seeds holding this peer's reservation (one that cannot be dialled), now.</summary>
    public IEnumerable<NodeEndpoint> ReservedWith => _private.ReservedWith;

    /// <summary>The recent messages with their texts, kept for neighbours that missed them.</summary>
    public MessageHistory History => _overlay.History;

    /// <summary>The peers this peer knows of: the union of the latest peer list from each seed.</summary>
    public IReadOnlyCollection<NodeEndpoint> KnownPeers => _session.Known.Known();

    public override bool StopComplete => _stopping && _session.IsIdle;

    public override void Start(DateTimeOffset now)
    {
        foreach (var group in _startGroups)
        {
            JoinGroupCore(group, now);
        }
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
        if (connection.Purpose.Kind == LinkKind.Group)
        {
            OnGroupLinkConnected(connection, now);
            return;
        }
        if (!connection.Purpose.IsOverlay)
        {
            CloseConnection(connection.Id, $"this peer takes no {connection.Purpose} link yet", afterFlush: false);
            return;
        }
        var changed = connection.Role == NodeRole.Seed ? _session.OnConnected(connection) : _overlay.OnConnected(connection, now);
        ReportTreeLinks(now);
        if (changed)
        {
            ScheduleWake();
        }
    }

    public override void OnDialFailed(NodeEndpoint target, LinkPurpose purpose, string reason, DateTimeOffset now)
    {
        switch (purpose.Kind)
        {
            case LinkKind.Direct:
                _private.OnDialFailed(target, reason, now);
                ScheduleWake();
                break;
            case LinkKind.Group:
                OnGroupDialFailed(target, purpose.Group!, reason, now);
                break;
            default:
                OnDialFailed(target, reason, now);
                break;
        }
    }

    public override void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
        if (!_session.OnDialFailed(target, reason, now))
        {
            _overlay.OnDialFailed(target, reason, now);
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
            if (!_overlay.OnMessage(connection, from, message, now))
            {
                return; // a ping, a pong or a flooded message (the bulk of all traffic): no deadline moved, the wake-up stays as it is
            }
        }
        else if (_session.Owns(connection))
        {
            _session.OnMessage(connection, message, now);
        }
        else if (_groupTopics.Count > 0 && GroupLinkOf(connection) is var (topic, member))
        {
            if (!topic.OnMessage(connection, member, message, now))
            {
                return;
            }
        }
        ReportTreeLinks(now);
        ScheduleWake();
    }

    public override void OnOwnGossipShed(ConnectionId connection, int frames, DateTimeOffset now)
    {
        var closed = _neighbourOf.TryGetValue(connection, out var from) ? _overlay.OnOwnGossipShed(connection, from, frames, now)
            : _groupTopics.Count > 0 && GroupLinkOf(connection) is var (topic, member) && topic.OnOwnGossipShed(connection, member, frames, now);
        if (closed)
        {
            ReportTreeLinks(now);
            ScheduleWake();
        }
    }

    public override void OnClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        if (_private.OnClosed(connection, reason, now))
        {
            ScheduleWake();
            return;
        }
        if (!_overlay.OnClosed(connection, reason, now) && !GroupLinkClosed(connection, reason, now) && _session.Owns(connection))
        {
            _session.OnClosed(connection, reason, now);
        }
        ReportTreeLinks(now);
        ScheduleWake();
    }

    public override void OnTimer(DateTimeOffset now)
    {
        _wake.Fired();
        _overlay.OnTimer(now);
        _session.OnTimer(now);
        _private.OnTimer(now);
        foreach (var topic in _groupTopics)
        {
            topic.OnTimer(now);
        }
        if (!_stopping)
        {
            if (_nextGossip is { } gossipDue && now >= gossipDue)
            {
                _overlay.Originate(now);
                _timedOriginated++;
                _nextGossip = _timedOriginated < _options.MessagesPerPeer ? now + _options.GossipInterval : null;
            }
            _overlay.RunRoundIfDue(now);
            GroupsOnTimer(now);
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
        _private.Stop(now);
        var connected = _overlay.Leave(now) + LeaveAllGroups(now);
        Report(new Leaving(now, connected, _session.Registered.Count));
        _session.Leave();
        ScheduleWake();
    }

    /// <summary>Originates one gossip message now, on top of the <c>GossipInterval</c> schedule (experiments, tools).</summary>
    public MessageId Publish(DateTimeOffset now)
    {
        var id = _overlay.Originate(now);
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
        _nextGossip = _options.MessagesPerPeer > 0 ? now + _options.GossipInterval : null;
        _nextGroupMessage = _groupOptions.MessagesPerPeer > 0 ? now + _options.GossipInterval : null;
        _overlay.Join(now);
        _session.Compact(); // the whole lists were needed for the choice above only (and it draws after it)
    }

    /// <summary>
    /// With <c>reportTreeLinks</c>: reports every overlay link whose tree state differs from the one last reported (a new
    /// link included); a link that is gone is forgotten, so it is reported afresh if it comes back.
    /// </summary>
    private void ReportTreeLinks(DateTimeOffset now)
    {
        if (_treeLinksReported is not { } reported)
        {
            return;
        }
        var neighbours = _overlay.Neighbours;
        foreach (var neighbour in neighbours)
        {
            if (_overlay.IsLazyLink(neighbour) is not { } lazy)
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
            if (!neighbours.Contains(neighbour))
            {
                (gone ??= []).Add(neighbour);
            }
        }
        gone?.ForEach(n => reported.Remove(n));
    }

    private void ScheduleWake()
    {
        var due = WakeScheduler.Earliest(WakeScheduler.Earliest(_nextGossip, _session.NextDeadline), _overlay.NextDeadline);
        due = WakeScheduler.Earliest(due, _private.NextDeadline);
        if (_groupTopics.Count > 0)
        {
            due = WakeScheduler.Earliest(due, GroupsNextDeadline());
        }
        _wake.Request(due);
    }
}
