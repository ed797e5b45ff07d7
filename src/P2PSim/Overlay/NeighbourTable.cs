using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Overlay;

/// <summary>
/// Who a peer's neighbours are, one part of <see cref="PeerMachine"/> (the membership half of iroh-gossip's
/// <c>hyparview.rs</c>): the initial choice of neighbours from the known peers, the links to them (dialed or accepted,
/// crossed connections resolved), redials of lost links, self-healing when too few are left (<c>NeighbourTable.Repair.cs</c>)
/// and redials of suspects after a partition. It raises <see cref="NeighbourUp"/> when a link comes up and
/// <see cref="LinkLost"/> / <see cref="NeighbourRemoved"/> when one goes, so liveness and dissemination follow it; it
/// never looks at gossip. Pure: actions go to the node's <see cref="Outbox"/>.
/// </summary>
internal sealed partial class NeighbourTable
{
    private readonly NodeEndpoint _self;
    private readonly PeerOptions _options;
    private readonly Random _random;
    private readonly Outbox _out;
    private readonly Registration _known;
    private readonly Dictionary<NodeEndpoint, Neighbour> _neighbours = new();
    private readonly Dictionary<ConnectionId, NodeEndpoint> _byConnection = new();
    private readonly HashSet<NodeEndpoint> _dialing = new();
    private bool _stopping;

    /// <param name="known">The known peers (from the seed session): where neighbours are chosen from.</param>
    public NeighbourTable(NodeEndpoint self, PeerOptions options, Random random, Outbox outbox, Registration known)
    {
        _self = self;
        _options = options;
        _random = random;
        _out = outbox;
        _known = known;
    }

    /// <summary>A link to a neighbour is up (new, re-established, or replacing a crossed connection).</summary>
    public Action<NodeEndpoint, ConnectionId, DateTimeOffset>? NeighbourUp { get; init; }

    /// <summary>The link to a neighbour broke; the neighbour stays in the table and is redialed.</summary>
    public Action<NodeEndpoint, DateTimeOffset>? LinkLost { get; init; }

    /// <summary>A neighbour left the table (goodbye, dropped, declared dead, or this peer leaves).</summary>
    public Action<NodeEndpoint, DateTimeOffset>? NeighbourRemoved { get; init; }

    /// <summary>A neighbour was declared dead (after <see cref="NeighbourRemoved"/>): the peer reports it to its seeds.</summary>
    public Action<NodeEndpoint, DateTimeOffset>? NeighbourDied { get; init; }

    /// <summary>A repair that wants fresh peer lists asks the seeds; returns the seeds asked.</summary>
    public Func<DateTimeOffset, IReadOnlyList<NodeEndpoint>>? RequestPeerLists { get; init; }

    /// <summary>Bumped by every change to which neighbours have a link: a cached list of links is stale when it differs.</summary>
    public int Version { get; private set; }

    /// <summary>Which neighbours have a link changed (raised with every <see cref="Version"/> bump).</summary>
    public Action? LinksChanged { get; init; }

    private void OnLinksChanged()
    {
        Version++;
        LinksChanged?.Invoke();
    }

    /// <summary>Every neighbour (connected or being redialed), in the table's order.</summary>
    public Dictionary<NodeEndpoint, Neighbour> Entries => _neighbours;

    /// <summary>True once registration finished and neighbours were chosen.</summary>
    public bool Joined { get; private set; }

    /// <summary>Joined, and every neighbour dial it started has either connected or failed.</summary>
    public bool Settled => Joined && _dialing.Count == 0;

    /// <summary>Neighbours with a live connection.</summary>
    public IEnumerable<NodeEndpoint> ConnectedNeighbours => _neighbours.Where(n => n.Value.Connection is not null).Select(n => n.Key);

    /// <summary>The neighbour whose current link <paramref name="connection"/> is.</summary>
    public bool TryGetNeighbour(ConnectionId connection, out NodeEndpoint neighbour) => _byConnection.TryGetValue(connection, out neighbour);

    /// <summary>
    /// The neighbour of each current link, for reading only (the table alone changes it): the peer looks every frame up
    /// here, so it keeps this map at hand rather than going through the table (one object less to load per frame, on a
    /// path a simulation takes millions of times).
    /// </summary>
    public Dictionary<ConnectionId, NodeEndpoint> ByConnection => _byConnection;

    /// <summary>Whether <paramref name="connection"/> is the current link of <paramref name="neighbour"/>.</summary>
    public bool IsCurrent(NodeEndpoint neighbour, ConnectionId connection) =>
        _neighbours.TryGetValue(neighbour, out var entry) && entry.Connection == connection;

    /// <summary>
    /// Neighbours this peer dialed itself that it can reach (connected, or being dialed for the first time): what
    /// MaxNeighbours limits. Peers that dialed it come on top, and do not link a joining peer to the existing overlay.
    /// A neighbour whose link is down and being redialed does not count: a peer cut off from all its neighbours (a
    /// partition) must be free to link to the peers it can still reach.
    /// </summary>
    private int DialedNeighbours => _neighbours.Values.Count(n => !n.Inbound && n.Connection is not null) + NewDials;

    /// <summary>Dials under way to peers that are not neighbours yet.</summary>
    private int NewDials => _dialing.Count(p => !_neighbours.ContainsKey(p));

    /// <summary>Neighbours with a live link.</summary>
    private int Connected => _neighbours.Values.Count(n => n.Connection is not null);

    /// <summary>Known peers kept in reserve to replace failed neighbour dials.</summary>
    private int SpareCandidates => 4 * _options.MaxNeighbours;

    /// <summary>Dials <paramref name="peer"/> unless a dial to it is under way.</summary>
    public void DialNeighbour(NodeEndpoint peer)
    {
        if (_dialing.Add(peer))
        {
            _out.Dial(peer);
        }
    }

    /// <summary>
    /// The registration round is over: choose up to MaxNeighbours random known peers and dial them; a few more are kept
    /// to replace dials that fail.
    /// </summary>
    public void Join(DateTimeOffset now)
    {
        Joined = true;
        var known = _known.Known(exclude: _self);
        var pool = _neighbours.Count == 0 ? known.ToArray() : known.Where(p => !_neighbours.ContainsKey(p)).ToArray();
        var wanted = Math.Max(0, _options.MaxNeighbours - DialedNeighbours);
        // At least Peer:TenuredNeighbours from the seeds' tenured shares first (NeighbourTable.Tenure.cs; off: no draw).
        var tenured = DialTenured(wanted);
        if (tenured.Count > 0)
        {
            pool = pool.Where(p => !_dialing.Contains(p)).ToArray();
            wanted -= tenured.Count;
        }
        // Only the neighbours and the spare candidates are drawn (spares replace failed dials; a few suffice, repair asks
        // the seeds for more): a partial shuffle of the first ones, not of the whole union (up to 1000 per seed).
        // Within the caps per address and /24 (Network:AddressPerNode; NeighbourTable.Scoring.cs): where no cap bites, the
        // plain draw's choice, with no draw more.
        var chosen = DrawNeighbours(pool, wanted, out var spare);
        foreach (var extra in spare)
        {
            _candidates.Enqueue(extra);
        }
        _scores?.Begin(now);
        _out.Report(new NeighboursChosen(now, known, tenured.Count == 0 ? chosen : [.. tenured, .. chosen]));
        foreach (var peer in chosen)
        {
            DialNeighbour(peer);
        }
    }

    /// <summary>
    /// The first <paramref name="count"/> positions of a Fisher-Yates shuffle of <paramref name="items"/> (shuffled in
    /// place): each is a uniform random choice among the items not drawn before, as <see cref="Random.Shuffle{T}(T[])"/>
    /// would draw them, without drawing the rest.
    /// </summary>
    private NodeEndpoint[] PartialShuffle(NodeEndpoint[] items, int count, int from = 0)
    {
        var n = Math.Min(count, items.Length);
        for (var i = from; i < n; i++)
        {
            var j = _random.Next(i, items.Length);
            (items[i], items[j]) = (items[j], items[i]);
        }
        return items[..n];
    }

    /// <summary>Connections refused because another id than the neighbour's claimed (or answered at) its endpoint.</summary>
    public long ImpostorsRefused { get; private set; }

    /// <summary>A connection with a peer completed its handshake. False: it was refused (nothing about the timer changed).</summary>
    public bool OnConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        _dialing.Remove(connection.Listen);
        if (connection.Listen == _self)
        {
            _out.Close(connection.Id, "connection to self", afterFlush: false);
            return false;
        }
        if (_neighbours.TryGetValue(connection.Listen, out var existing))
        {
            if (existing.Id != connection.RemoteId)
            {
                // Whoever first proved its id at this endpoint speaks for it: another id claiming it (an impostor's Hello,
                // or a dial answered by another node) never displaces or replaces that neighbour's link.
                ImpostorsRefused++;
                var reason = $"{(connection.Inbound ? "claims" : "answers at")} {connection.Listen}, whose neighbour has id {existing.Id.Short}…, with id {connection.RemoteId.Short}…";
                _out.Violation(connection.Id, connection.RemoteAddress, reason, now); // one line, rate-limited; the connection closed
                return true;
            }
            if (existing.Connection is { } current)
            {
                // Crossed or repeated connections of the same node (the same proven id): both ends keep the one dialed by
                // the smaller endpoint.
                var currentDialer = existing.Inbound ? connection.Listen : _self;
                var newDialer = connection.Inbound ? connection.Listen : _self;
                if (currentDialer == newDialer || NodeEndpoint.Compare(currentDialer, newDialer) < 0)
                {
                    _out.Close(connection.Id, "duplicate connection", afterFlush: false);
                    return true;
                }
                _byConnection.Remove(current);
                _out.Close(current, "duplicate connection", afterFlush: false);
            }
            var reconnected = existing.Connection is null;
            existing.Connection = connection.Id;
            OnLinksChanged();
            existing.Inbound = connection.Inbound;
            _byConnection[connection.Id] = connection.Listen;
            if (reconnected)
            {
                _out.Report(new NeighbourConnected(now, connection.Listen, connection.Inbound, Reconnected: true, _neighbours.Count));
            }
            _scores?.LinkUp(connection.Listen, now);
            NeighbourUp?.Invoke(connection.Listen, connection.Id, now);
            return true;
        }
        _avoid.Remove(connection.Listen);
        _known.Remember(connection.Listen); // alive after all
        if (_suspects.Remove(connection.Listen))
        {
            _known.Unwatch(connection.Listen);
        }
        _retrying.Remove(connection.Listen);
        _neighbours[connection.Listen] = new Neighbour { Connection = connection.Id, Inbound = connection.Inbound, Id = connection.RemoteId };
        OnLinksChanged();
        _byConnection[connection.Id] = connection.Listen;
        _out.Report(new NeighbourConnected(now, connection.Listen, connection.Inbound, Reconnected: false, _neighbours.Count));
        _scores?.LinkUp(connection.Listen, now);
        NeighbourUp?.Invoke(connection.Listen, connection.Id, now);
        return true;
    }

    /// <summary>A dial to a peer failed (a seed's failed dial is the seed session's).</summary>
    public void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
        if (_retrying.Remove(target))
        {
            _dialing.Remove(target); // still unreachable: tried again later while the seeds list it
        }
        else if (_dialing.Remove(target) && !_neighbours.ContainsKey(target))
        {
            _out.Report(new NeighbourDialFailed(now, target, reason));
            var tenuredPick = _tenuredPicks.Remove(target);
            if (tenuredPick || IsTenured(target))
            {
                // Not drawn again for a while: early in a network's life every joiner is offered the same few oldest peers,
                // whose inbound caps refuse most dials; redrawn at once, the joiner would go on dialing them while they refuse.
                Avoid(target, now);
            }
            if (!tenuredPick || DialTenured(1).Count == 0)
            {
                DialNextCandidate(); // a tenured pick that failed is replaced by another tenured peer if one is left, else a plain one
            }
        }
    }

    /// <summary>A connection closed; true when it was a neighbour's (current or replaced) link.</summary>
    public bool OnClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        if (!_byConnection.Remove(connection, out var endpoint))
        {
            return false;
        }
        if (_neighbours.TryGetValue(endpoint, out var neighbour) && neighbour.Connection == connection)
        {
            neighbour.Connection = null;
            OnLinksChanged();
            LinkLost?.Invoke(endpoint, now);
            if (!_stopping)
            {
                _out.Report(new NeighbourConnectionLost(now, endpoint, reason));
                // Dial known peers at once if too few are reachable; the seeds are asked on the next liveness round if
                // that is not enough (a partition cuts off many peers at once: they should not all ask the seeds now).
                Repair(now, $"the link to {endpoint} was lost", AskSeeds.Never);
            }
        }
        return true;
    }

    /// <summary>A neighbour said goodbye: a clean leave, never reported as a death.</summary>
    public void OnGoodbye(ConnectionId connection, NodeEndpoint from, DateTimeOffset now)
    {
        _byConnection.Remove(connection);
        Remove(from, now);
        _out.Close(connection, "neighbour left");
        _out.Report(new NeighbourLeft(now, from, _neighbours.Count));
        Avoid(from, now);
        Repair(now, $"{from} left", AskSeeds.Always);
    }

    /// <summary>A neighbour broke the protocol (<paramref name="reason"/>): it is dropped, not retried (misbehaving, not dead).</summary>
    public void OnViolation(ConnectionId connection, NodeEndpoint from, string reason, DateTimeOffset now)
    {
        _byConnection.Remove(connection);
        var dropped = false;
        if (_neighbours.TryGetValue(from, out var offender) && offender.Connection == connection)
        {
            Remove(from, now);
            dropped = true;
        }
        _out.Violation(connection, from.ToString(), reason, now);
        if (dropped)
        {
            Avoid(from, now);
            Repair(now, $"{from} was dropped", AskSeeds.Always);
        }
    }

    /// <summary>
    /// Liveness gave up on <paramref name="endpoint"/> after <paramref name="missed"/> missed rounds: drop it, report the
    /// death (<see cref="NeighbourDied"/>), avoid it in repairs, follow whether the seeds still list it, and repair.
    /// </summary>
    public void DeclareDead(NodeEndpoint endpoint, int missed, DateTimeOffset now)
    {
        var neighbour = _neighbours[endpoint];
        Remove(endpoint, now);
        _dialing.Remove(endpoint);
        var reason = neighbour.Connection is null
            ? "connection lost and could not be re-established"
            : "liveness requests unanswered";
        if (neighbour.Connection is { } connection)
        {
            _byConnection.Remove(connection);
            _out.Close(connection, "declared dead", afterFlush: false);
        }
        _out.Report(new NeighbourDead(now, endpoint, missed, reason));
        NeighbourDied?.Invoke(endpoint, now);
        Avoid(endpoint, now);
        _suspects[endpoint] = now + AvoidFor;
        _known.Watch(endpoint);
        _known.Forget(endpoint); // repairs no longer draw it from the peer lists; the suspect redials follow the seeds
        Repair(now, $"{endpoint} died", AskSeeds.Always);
    }

    /// <summary>Clean leave: goodbye on every live link, then the table is empty. Returns the neighbours told.</summary>
    public int Leave(DateTimeOffset now)
    {
        _stopping = true;
        var connected = 0;
        foreach (var (_, neighbour) in _neighbours)
        {
            if (neighbour.Connection is { } connection)
            {
                _out.Send(connection, Goodbye.Instance);
                _out.Close(connection, "leaving");
                connected++;
            }
        }
        foreach (var endpoint in _neighbours.Keys)
        {
            NeighbourRemoved?.Invoke(endpoint, now);
        }
        _neighbours.Clear();
        _byConnection.Clear();
        OnLinksChanged();
        return connected;
    }

    private void Remove(NodeEndpoint endpoint, DateTimeOffset now)
    {
        _neighbours.Remove(endpoint);
        _tenuredPicks.Remove(endpoint);
        _scores?.Removed(endpoint);
        OnLinksChanged();
        NeighbourRemoved?.Invoke(endpoint, now);
    }
}

/// <summary>One neighbour in the table: its current link (null while it is redialed) and which side dialed.</summary>
internal sealed class Neighbour
{
    public ConnectionId? Connection;
    public bool Inbound;

    /// <summary>The id the neighbour proved on its first link; only that id speaks for its endpoint while it is a neighbour.</summary>
    public NodeId Id;
}
