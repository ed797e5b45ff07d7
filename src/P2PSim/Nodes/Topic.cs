using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Groups;
using P2PSim.Liveness;
using P2PSim.Overlay;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Nodes;

/// <summary>
/// One overlay and what travels on it, as iroh-gossip's <c>topic.rs</c> composes <c>hyparview.rs</c> and
/// <c>plumtree.rs</c> for one topic: a <see cref="NeighbourTable"/> (who the neighbours are), a
/// <see cref="LivenessMonitor"/> (whether they are alive) and a <see cref="Dissemination"/> (how a message spreads), wired
/// to each other through the table's small events. A peer runs one for the whole network's overlay and may run more (one
/// per group it is a member of); they share the node's seeded <see cref="Random"/> and its outbox, and know nothing of
/// each other. What a topic needs from the rest of the peer comes in as delegates: where its known peers come from, how
/// to ask the seeds for more, and what to do with a neighbour it declared dead.
/// Pure: actions go to the node's <see cref="Outbox"/>.
/// </summary>
internal sealed class Topic
{
    private readonly NeighbourTable _table;
    private readonly LivenessMonitor _liveness;
    private readonly Dissemination _dissemination;
    private readonly bool _tree;
    private readonly GroupKeyring? _keyring;

    /// <param name="known">The peers its neighbours are chosen from.</param>
    /// <param name="requestPeerLists">A repair that wants fresh lists asks for them; returns the seeds asked.</param>
    /// <param name="neighbourDied">A neighbour was declared dead (after it left the table).</param>
    /// <param name="reportDuplicates">See <see cref="Dissemination"/>.</param>
    /// <param name="gossip">The routing and its timings; null: flooding with the defaults.</param>
    /// <param name="group">
    /// The group whose overlay this is (its outbox is the group's view, <see cref="Outbox.ForGroup"/>); null: the whole
    /// network's overlay.
    /// </param>
    /// <param name="signing">How this peer signs its messages and checks others' (see <see cref="Dissemination"/>); null: no cryptography.</param>
    /// <param name="expectedId">The id the peer knows an endpoint by, if any (<see cref="Dissemination.ExpectedId"/>).</param>
    /// <param name="scoring">The rules against Sybils (<see cref="NeighbourTable.Scoring"/>); null: none.</param>
    /// <param name="origins">The peer's seed attestations and the seeds' ids (<see cref="Dissemination.Origins"/>); null: none (unit tests).</param>
    /// <param name="keepFrames">Keep the history's messages as frames (see <see cref="Dissemination"/>).</param>
    public Topic(NodeEndpoint self, PeerOptions options, Random random, Outbox outbox, Registration known,
        Func<DateTimeOffset, IReadOnlyList<NodeEndpoint>> requestPeerLists, Action<NodeEndpoint, DateTimeOffset> neighbourDied,
        bool reportDuplicates, GossipOptions? gossip, string? group = null, MessageSigning? signing = null, Func<NodeEndpoint, NodeId?>? expectedId = null,
        bool encrypt = false, NeighbourScoring? scoring = null, OriginAttestations? origins = null, bool keepFrames = false)
    {
        Known = known;
        _table = new NeighbourTable(self, options, random, outbox, known)
        {
            NeighbourUp = OnNeighbourUp,
            LinkLost = (endpoint, now) =>
            {
                _liveness!.OnLinkLost(endpoint);
                _dissemination!.OnLinkLost(endpoint, now);
            },
            NeighbourRemoved = OnNeighbourRemoved,
            NeighbourDied = neighbourDied,
            RequestPeerLists = requestPeerLists,
            LinksChanged = () => _dissemination!.OnLinksChanged(),
            Scoring = scoring,
        };
        ByConnection = _table.ByConnection;
        _liveness = new LivenessMonitor(options, outbox, _table);
        _keyring = encrypt && group is not null ? new GroupKeyring(self, group, signing ?? MessageSigning.Skip(), outbox, _table) : null;
        _dissemination = new Dissemination(self, options, outbox, _table, reportDuplicates, gossip, random, group, signing, keepFrames) { ExpectedId = expectedId, Keyring = _keyring, Origins = origins };
        _tree = _dissemination.Routing != Routing.Flood;
    }

    /// <summary>
    /// The neighbour of each current link, for reading only: the peer looks every frame up here (see
    /// <see cref="NeighbourTable.ByConnection"/>).
    /// </summary>
    public Dictionary<ConnectionId, NodeEndpoint> ByConnection { get; }

    public Routing Routing => _dissemination.Routing;

    /// <summary>The group whose overlay this is; null: the whole network's.</summary>
    public string? Group => _dissemination.Group;

    /// <summary>Where the neighbours are chosen from.</summary>
    public Registration Known { get; }

    /// <summary>Tree routing: links in the tree (pushed to) and links announced to only.</summary>
    public (int Eager, int Lazy) TreeLinks => _dissemination.TreeLinks;

    /// <summary>Tree routing: whether the link to <paramref name="neighbour"/> is lazy; null: no such link.</summary>
    public bool? IsLazyLink(NodeEndpoint neighbour) => _dissemination.IsLazy(neighbour);

    /// <summary>Neighbours with a live connection.</summary>
    public IEnumerable<NodeEndpoint> ConnectedNeighbours => _table.ConnectedNeighbours;

    /// <summary>Every neighbour, connected or being retried.</summary>
    public IReadOnlyCollection<NodeEndpoint> Neighbours => _table.Entries.Keys;

    /// <summary>True once the neighbours were chosen.</summary>
    public bool Joined => _table.Joined;

    /// <summary>Joined, and every neighbour dial it started has either connected or failed.</summary>
    public bool Settled => _table.Settled;

    public int Originated => _dissemination.Originated;

    public long Received => _dissemination.Received;

    public long Duplicates => _dissemination.Duplicates;

    public long Refused => _dissemination.Refused;

    /// <summary>New messages dropped over their origin's allowance.</summary>
    public long Throttled => _dissemination.Throttled;

    /// <summary>Signatures checked (first receipts and forgeries), and messages dropped as forged (<see cref="Dissemination.Forged"/>).</summary>
    public (long Checked, long Forged) Signatures => (_dissemination.SignatureChecks, _dissemination.Forged);

    /// <summary>Messages new to this overlay whose origin endpoint nobody vouched for (version 8), delivered marked or dropped.</summary>
    public long Unverified => _dissemination.Unverified;

    /// <summary>The id the neighbour at <paramref name="endpoint"/> proved on its link; null: no such neighbour.</summary>
    public NodeId? NeighbourId(NodeEndpoint endpoint) => _table.Entries.TryGetValue(endpoint, out var neighbour) ? neighbour.Id : null;

    public MessageList Messages => _dissemination.Messages;

    public MessageHistory History => _dissemination.History;

    /// <summary>When this topic next needs the clock: its liveness round, and on a tree its announcement flush and graft timers.</summary>
    public DateTimeOffset? NextDeadline => WakeScheduler.Earliest(
        _tree ? WakeScheduler.Earliest(_liveness.NextRound, _dissemination.NextDeadline) : _liveness.NextRound, _keyring?.NextDeadline);

    /// <summary>The group's keys, when the group encrypts its messages (<c>Groups:Encrypt</c>); null: it does not, or this is the whole network's overlay.</summary>
    public GroupKeyring? Keyring => _keyring;

    /// <summary>Choose the neighbours from the known peers and start checking their liveness.</summary>
    public void Join(DateTimeOffset now)
    {
        _table.Join(now);
        _liveness.Begin(now);
    }

    /// <summary>A repair: dial known peers when short of neighbours (<see cref="NeighbourTable.Repair"/>).</summary>
    public void Repair(DateTimeOffset now, string trigger, AskSeeds ask) => _table.Repair(now, trigger, ask);

    /// <summary>A link for this topic completed its handshake. False: it was refused (nothing about the timer changed).</summary>
    public bool OnConnected(ConnectionInfo connection, DateTimeOffset now) => _table.OnConnected(connection, now);

    /// <summary>Links refused because another id claimed (or answered at) a neighbour's endpoint.</summary>
    public long ImpostorsRefused => _table.ImpostorsRefused;

    /// <summary>The connection of the neighbour at <paramref name="neighbour"/>, if it has a live one.</summary>
    public ConnectionId? LinkTo(NodeEndpoint neighbour) => _table.Entries.TryGetValue(neighbour, out var entry) ? entry.Connection : null;

    public void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now) => _table.OnDialFailed(target, reason, now);

    /// <summary>A connection closed; true when it was one of this topic's links (current or replaced).</summary>
    public bool OnClosed(ConnectionId connection, string reason, DateTimeOffset now) => _table.OnClosed(connection, reason, now);

    /// <summary>
    /// Own gossip frames of neighbour <paramref name="from"/> that the transport dropped for its budget: charged to its
    /// allowance; true when that made it a flooder and its link closes.
    /// </summary>
    public bool OnOwnGossipShed(ConnectionId connection, NodeEndpoint from, int frames, DateTimeOffset now)
    {
        if (_dissemination.OnOwnGossipShed(from, frames, now) is not { } flooding)
        {
            return false;
        }
        _table.OnViolation(connection, from, flooding, now);
        return true;
    }

    /// <summary>
    /// A frame from neighbour <paramref name="from"/> on its link <paramref name="connection"/>. Returns whether a deadline
    /// may have moved (the peer then asks for its next wake-up): not after a ping, a pong or a flooded message, the bulk of
    /// all traffic.
    /// </summary>
    public bool OnMessage(ConnectionId connection, NodeEndpoint from, Message message, DateTimeOffset now)
    {
        switch (message)
        {
            case Protocol.Gossip gossip when _dissemination.LinkViolation(from, gossip, now) is { } violation:
                _table.OnViolation(connection, from, violation, now);
                return true;
            case Protocol.Gossip gossip:
                var received = _dissemination.Received;
                if (_dissemination.OnGossip(connection, from, gossip, now) is { } flooding)
                {
                    _table.OnViolation(connection, from, flooding, now);
                    return true;
                }
                if (_dissemination.Received != received)
                {
                    _table.OnFirstDelivery(from);
                }
                else
                {
                    _table.OnCopy(from);
                }
                return _tree; // on a tree, announcements may now wait for their flush
            case Ping ping:
                _liveness.OnPing(connection, ping);
                return false;
            case Pong pong:
                _liveness.OnPong(from, pong);
                return false;
            case Digest digest:
                _dissemination.OnDigest(connection, from, digest, now);
                return true;
            case Want want:
                _dissemination.OnWant(connection, from, want, now);
                return true;
            case IHave ihave:
                _table.OnCopy(from);
                _dissemination.OnIHave(from, ihave, now);
                return true;
            case Graft graft:
                _dissemination.OnGraft(connection, from, graft, now);
                return true;
            case Prune:
                _dissemination.OnPrune(connection, from);
                return true;
            case TreeAdvert advert:
                _dissemination.OnTreeAdvert(connection, from, advert, now);
                return true;
            case Goodbye:
                _table.OnGoodbye(connection, from, now);
                return true;
            case GroupKey key when _keyring is not null:
                if (_keyring.OnGroupKey(from, key, now) is { } refused)
                {
                    _table.OnViolation(connection, from, refused, now);
                }
                return true;
            default:
                _table.OnViolation(connection, from, $"a peer does not accept {message.Type} from a peer", now);
                return true;
        }
    }

    /// <summary>On the node's timer, before anything else: forget expired ids, flush announcements, graft what is missing.</summary>
    public void OnTimer(DateTimeOffset now)
    {
        _dissemination.Expire(now);
        _dissemination.OnTimer(now);
        _keyring?.Expire(now);
    }

    /// <summary>On the node's timer: run the liveness round if it is due (with the repairs and catch-up retries it brings).</summary>
    public void RunRoundIfDue(DateTimeOffset now)
    {
        if (!_liveness.RoundDue(now))
        {
            return;
        }
        _dissemination.ForgetStaleOffers(now);
        _dissemination.RetryLapsedRequests(now);
        _liveness.RunRound(now);
        _table.JudgeNeighbours(now);
        _table.Repair(now, "liveness round", AskSeeds.IfShort);
        _table.RetrySuspects(now);
        _liveness.ScheduleNext(now);
    }

    /// <summary>Originates one message now (<paramref name="text"/>, or the demo's text) and sends it on; returns its id.</summary>
    public MessageId Originate(DateTimeOffset now, string? text = null)
    {
        _table.OnOriginated();
        return _dissemination.Originate(now, text);
    }

    /// <summary>Neighbours replaced for delivering nothing (<see cref="NeighbourTable.JudgeNeighbours"/>).</summary>
    public long NeighboursReplaced => _table.NeighboursReplaced;

    /// <summary>Clean leave: no more rounds or requests, goodbye on every live link. Returns the neighbours told.</summary>
    public int Leave(DateTimeOffset now)
    {
        _liveness.Stop();
        _dissemination.Stop();
        return _table.Leave(now);
    }

    private void OnNeighbourUp(NodeEndpoint neighbour, ConnectionId connection, DateTimeOffset now)
    {
        _liveness.OnNeighbourUp(neighbour);
        _keyring?.OnNeighbourUp(neighbour, connection); // the keys go before the digest: a key travels ahead of its messages
        _dissemination.OnNeighbourUp(neighbour, connection, now);
    }

    private void OnNeighbourRemoved(NodeEndpoint neighbour, DateTimeOffset now)
    {
        _liveness.OnNeighbourRemoved(neighbour);
        _keyring?.OnNeighbourRemoved(neighbour);
        _dissemination.OnNeighbourRemoved(neighbour, now);
    }
}
