using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Liveness;
using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// A peer: registers with a majority of seeds, connects to random peers from their lists,
/// originates and forwards gossip once per message, checks its neighbours' liveness and
/// reports dead ones to its seeds. Pure: see <see cref="NodeMachine"/>.
/// </summary>
public sealed class PeerMachine : NodeMachine
{
    private readonly IReadOnlyList<NodeEndpoint> _seeds;
    private readonly PeerOptions _options;
    private readonly Random _random;
    private readonly MessageList _messages;
    private readonly Dictionary<NodeEndpoint, Neighbour> _neighbours = new();
    private readonly Dictionary<ConnectionId, NodeEndpoint> _neighbourByConnection = new();
    private readonly SeedLinks _seedLinks = new();
    private readonly Registration _registration;
    private readonly Queue<NodeEndpoint> _candidates = new();
    private readonly HashSet<NodeEndpoint> _dialing = new();
    private ulong _pingSequence;
    private int _timedOriginated;
    private DateTimeOffset? _nextGossip;
    private DateTimeOffset? _nextLiveness;
    private DateTimeOffset? _wakeRequested;
    private bool _stopping;

    public PeerMachine(NodeEndpoint self, IReadOnlyList<NodeEndpoint> seeds, PeerOptions options, Random random)
        : base(self)
    {
        _seeds = seeds;
        _options = options;
        _random = random;
        _messages = new MessageList(options.MessageListCapacity, options.MessageListTtl);
        _registration = new Registration(seeds.Count);
    }

    public override NodeRole Role => NodeRole.Peer;

    /// <summary>The seeds that answered this peer's registration.</summary>
    public IReadOnlyCollection<NodeEndpoint> RegisteredSeeds => _registration.Registered;

    /// <summary>Neighbours with a live connection.</summary>
    public IEnumerable<NodeEndpoint> ConnectedNeighbours => _neighbours.Where(n => n.Value.Connection is not null).Select(n => n.Key);

    /// <summary>Every neighbour, connected or being retried.</summary>
    public IReadOnlyCollection<NodeEndpoint> Neighbours => _neighbours.Keys;

    /// <summary>True once registration finished and neighbours were chosen.</summary>
    public bool Joined { get; private set; }

    /// <summary>Joined, and every neighbour dial it started has either connected or failed.</summary>
    public bool Settled => Joined && _dialing.Count == 0;

    public int Originated { get; private set; }

    public long Received { get; private set; }

    public long Duplicates { get; private set; }

    public MessageList Messages => _messages;

    public override bool StopComplete => _stopping && _seedLinks.IsIdle;

    public override void Start(DateTimeOffset now)
    {
        var order = _seeds.ToArray();
        _random.Shuffle(order);
        _registration.Begin(order);
        foreach (var seed in _registration.TakeNextAttempts())
        {
            RegisterWith(seed, now);
        }
        if (_seeds.Count == 0)
        {
            FinishRegistration(now);
        }
        ScheduleWake();
    }

    public override void OnConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        if (_stopping && connection.Role == NodeRole.Peer)
        {
            CloseConnection(connection.Id, "shutting down", afterFlush: false);
            return;
        }
        if (connection.Role == NodeRole.Seed)
        {
            if (connection.Inbound || !_seedLinks.Attach(connection.Listen, connection.Id, out var pending))
            {
                CloseConnection(connection.Id, "unexpected connection from a seed", afterFlush: false);
                return;
            }
            foreach (var message in pending)
            {
                SendTo(connection.Id, message);
            }
            if (!_seedLinks.AwaitsReply(connection.Listen))
            {
                _seedLinks.Release(connection.Listen);
                CloseConnection(connection.Id, "report delivered");
            }
            ScheduleWake();
            return;
        }
        _dialing.Remove(connection.Listen);
        if (connection.Listen == Self)
        {
            CloseConnection(connection.Id, "connection to self", afterFlush: false);
            return;
        }
        AddNeighbourConnection(connection, now);
        ScheduleWake();
    }

    public override void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
        if (_seedLinks.IsDialing(target))
        {
            OnSeedFailed(target, reason, now);
        }
        else if (_dialing.Remove(target) && !_neighbours.ContainsKey(target))
        {
            Report(new NeighbourDialFailed(now, target, reason));
            DialNextCandidate();
        }
        ScheduleWake();
    }

    public override void OnMessage(ConnectionId connection, Message message, DateTimeOffset now)
    {
        if (_neighbourByConnection.TryGetValue(connection, out var from))
        {
            OnNeighbourMessage(connection, from, message, now);
        }
        else if (_seedLinks.SeedOf(connection) is { } seed)
        {
            if (message is PeerList list && _seedLinks.AwaitsReply(seed))
            {
                _seedLinks.Release(seed);
                if (_stopping)
                {
                    SendTo(connection, Goodbye.Instance); // the seed has just registered a peer that is leaving
                }
                CloseConnection(connection, "registration complete");
                OnRegistered(seed, list.Peers, now);
            }
            else
            {
                Violation(connection, seed.ToString(), $"unexpected {message.Type} from a seed", now);
            }
        }
        ScheduleWake();
    }

    public override void OnClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        if (_neighbourByConnection.Remove(connection, out var endpoint))
        {
            if (_neighbours.TryGetValue(endpoint, out var neighbour) && neighbour.Connection == connection)
            {
                neighbour.Connection = null;
                neighbour.Outstanding = null;
                if (!_stopping)
                {
                    Report(new NeighbourConnectionLost(now, endpoint, reason));
                }
            }
        }
        else if (_seedLinks.SeedOf(connection) is { } seed)
        {
            _seedLinks.Detach(seed);
            if (_seedLinks.AwaitsReply(seed) || _seedLinks.HasPending(seed))
            {
                OnSeedFailed(seed, reason, now);
            }
        }
        ScheduleWake();
    }

    public override void OnTimer(DateTimeOffset now)
    {
        _wakeRequested = null;
        _messages.Expire(now);
        foreach (var (seed, connection) in _seedLinks.TimedOut(now))
        {
            if (connection is { } open)
            {
                // The Register was handed over: a slow seed may still add this peer, which would then never
                // hear a goodbye or a dead-node report from it. Withdraw the registration before closing.
                SendTo(open, Goodbye.Instance);
                CloseConnection(open, "registration timed out");
            }
            OnSeedFailed(seed, "no peer list before the registration timeout", now);
        }
        foreach (var seed in _seedLinks.DueForRetry(now))
        {
            Emit(new Dial(seed));
        }
        if (!_stopping)
        {
            if (_registration.RetryDue(now))
            {
                foreach (var seed in _registration.TakeRetryAttempts())
                {
                    RegisterWith(seed, now);
                }
            }
            if (_nextGossip is { } gossipDue && now >= gossipDue)
            {
                Originate(now);
                _timedOriginated++;
                _nextGossip = _timedOriginated < _options.MessagesPerPeer ? now + _options.GossipInterval : null;
            }
            if (_nextLiveness is { } livenessDue && now >= livenessDue)
            {
                CheckLiveness(now);
                _nextLiveness = livenessDue + _options.LivenessInterval;
                if (_nextLiveness <= now)
                {
                    _nextLiveness = now + _options.LivenessInterval;
                }
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
        _nextLiveness = null;
        var connected = 0;
        foreach (var (_, neighbour) in _neighbours)
        {
            if (neighbour.Connection is { } connection)
            {
                SendTo(connection, Goodbye.Instance);
                CloseConnection(connection, "leaving");
                connected++;
            }
        }
        Report(new Leaving(now, connected, _registration.Registered.Count));
        _neighbours.Clear();
        _neighbourByConnection.Clear();
        _seedLinks.DropRetries();
        foreach (var seed in _registration.Registered)
        {
            SendToSeed(seed, Goodbye.Instance);
        }
        ScheduleWake();
    }

    // ---- registration ----

    private void RegisterWith(NodeEndpoint seed, DateTimeOffset now)
    {
        _seedLinks.ExpectReply(seed, now + _options.RegistrationTimeout);
        SendToSeed(seed, Register.Instance);
    }

    private void OnRegistered(NodeEndpoint seed, IReadOnlyList<NodeEndpoint> peers, DateTimeOffset now)
    {
        Report(new RegisteredWithSeed(now, seed, peers));
        foreach (var peer in peers)
        {
            _registration.Learn(peer);
        }
        _registration.Succeeded(seed);
        if (_registration.RoundFinished)
        {
            FinishRegistration(now);
        }
    }

    private void OnSeedFailed(NodeEndpoint seed, string reason, DateTimeOffset now)
    {
        var wasRegistering = _seedLinks.AwaitsReply(seed);
        var undelivered = _seedLinks.Fail(seed, now + _options.RetryInterval, allowRetry: !_stopping, out var retrying);
        if (undelivered.Count > 0)
        {
            Report(new SeedUnreachable(now, seed, string.Join(", ", undelivered.Select(m => m.Type)), reason, retrying));
        }
        if (!wasRegistering || _stopping)
        {
            return;
        }
        Report(new SeedRegistrationFailed(now, seed, reason));
        _registration.Failed(seed, now + _options.RetryInterval);
        foreach (var next in _registration.TakeNextAttempts())
        {
            RegisterWith(next, now);
        }
        if (_registration.RoundFinished)
        {
            FinishRegistration(now);
        }
    }

    private void FinishRegistration(DateTimeOffset now)
    {
        if (Joined || _stopping)
        {
            return;
        }
        Report(new RegistrationFinished(now, _registration.Registered.ToArray(), _registration.Wanted, _seeds.Count));
        if (_registration.Registered.Count == 0 && _seeds.Count > 0)
        {
            return; // nothing to join through yet: the retry round will call again
        }
        Joined = true;
        var known = _registration.Known.Where(p => p != Self).ToArray();
        var pool = known.Where(p => !_neighbours.ContainsKey(p)).ToArray();
        _random.Shuffle(pool);
        var wanted = Math.Max(0, _options.MaxNeighbours - DialedNeighbours);
        var chosen = pool.Take(wanted).ToArray();
        foreach (var extra in pool.Skip(wanted))
        {
            _candidates.Enqueue(extra);
        }
        Report(new NeighboursChosen(now, known, chosen));
        foreach (var peer in chosen)
        {
            DialNeighbour(peer);
        }
        _nextGossip = _options.MessagesPerPeer > 0 ? now + _options.GossipInterval : null;
        _nextLiveness = now + _options.LivenessInterval;
    }

    /// <summary>A chosen neighbour could not be reached: try another known peer, so a joining peer always links to the overlay when any of it is reachable.</summary>
    private void DialNextCandidate()
    {
        if (_stopping || DialedNeighbours >= _options.MaxNeighbours)
        {
            return;
        }
        while (_candidates.TryDequeue(out var next))
        {
            if (!_neighbours.ContainsKey(next) && !_dialing.Contains(next))
            {
                DialNeighbour(next);
                return;
            }
        }
    }

    /// <summary>
    /// Neighbours this peer dialed itself (connected, reconnecting or being dialed): what MaxNeighbours limits.
    /// Peers that dialed it come on top, and do not link a joining peer to the existing overlay.
    /// </summary>
    private int DialedNeighbours => _neighbours.Values.Count(n => !n.Inbound) + _dialing.Count(p => !_neighbours.ContainsKey(p));

    private void DialNeighbour(NodeEndpoint peer)
    {
        if (_dialing.Add(peer))
        {
            Emit(new Dial(peer));
        }
    }

    // ---- neighbours ----

    private void AddNeighbourConnection(ConnectionInfo connection, DateTimeOffset now)
    {
        if (_neighbours.TryGetValue(connection.Listen, out var existing))
        {
            if (existing.Connection is { } current)
            {
                // Crossed or repeated connections: both ends keep the one dialed by the smaller endpoint.
                var currentDialer = existing.Inbound ? connection.Listen : Self;
                var newDialer = connection.Inbound ? connection.Listen : Self;
                if (currentDialer == newDialer || NodeEndpoint.Compare(currentDialer, newDialer) < 0)
                {
                    CloseConnection(connection.Id, "duplicate connection", afterFlush: false);
                    return;
                }
                _neighbourByConnection.Remove(current);
                CloseConnection(current, "duplicate connection", afterFlush: false);
            }
            var reconnected = existing.Connection is null;
            existing.Connection = connection.Id;
            existing.Inbound = connection.Inbound;
            existing.Missed = 0;
            existing.Outstanding = null;
            _neighbourByConnection[connection.Id] = connection.Listen;
            if (reconnected)
            {
                Report(new NeighbourConnected(now, connection.Listen, connection.Inbound, Reconnected: true, _neighbours.Count));
            }
            return;
        }
        _neighbours[connection.Listen] = new Neighbour { Connection = connection.Id, Inbound = connection.Inbound };
        _neighbourByConnection[connection.Id] = connection.Listen;
        Report(new NeighbourConnected(now, connection.Listen, connection.Inbound, Reconnected: false, _neighbours.Count));
    }

    private void OnNeighbourMessage(ConnectionId connection, NodeEndpoint from, Message message, DateTimeOffset now)
    {
        switch (message)
        {
            case Protocol.Gossip gossip:
                OnGossip(from, gossip, now);
                break;
            case Ping ping:
                SendTo(connection, new Pong(ping.Sequence));
                break;
            case Pong pong:
                if (_neighbours.TryGetValue(from, out var neighbour) && neighbour.Outstanding == pong.Sequence)
                {
                    neighbour.Outstanding = null;
                    neighbour.Missed = 0;
                }
                break;
            case Goodbye:
                _neighbourByConnection.Remove(connection);
                _neighbours.Remove(from);
                CloseConnection(connection, "neighbour left");
                Report(new NeighbourLeft(now, from, _neighbours.Count));
                break;
            default:
                // A neighbour that breaks the protocol is dropped, not retried: it is misbehaving, not dead.
                _neighbourByConnection.Remove(connection);
                if (_neighbours.TryGetValue(from, out var offender) && offender.Connection == connection)
                {
                    _neighbours.Remove(from);
                }
                Violation(connection, from.ToString(), $"a peer does not accept {message.Type} from a peer", now);
                break;
        }
    }

    private void CheckLiveness(DateTimeOffset now)
    {
        List<NodeEndpoint>? dead = null;
        foreach (var (endpoint, neighbour) in _neighbours)
        {
            var verdict = neighbour.Connection is null
                ? LivenessRules.Unreachable(ref neighbour.Missed, _options.MaxMissedLiveness)
                : LivenessRules.Round(ref neighbour.Missed, neighbour.Outstanding is not null, _options.MaxMissedLiveness);
            if (verdict == LivenessVerdict.Dead)
            {
                (dead ??= []).Add(endpoint);
                continue;
            }
            if (verdict == LivenessVerdict.Missed)
            {
                Report(new LivenessMissed(now, endpoint, neighbour.Missed, _options.MaxMissedLiveness));
            }
            if (neighbour.Connection is { } connection)
            {
                neighbour.Outstanding = ++_pingSequence;
                SendTo(connection, new Ping(_pingSequence));
            }
            else
            {
                DialNeighbour(endpoint);
            }
        }
        foreach (var endpoint in dead ?? [])
        {
            DeclareDead(endpoint, now);
        }
    }

    private void DeclareDead(NodeEndpoint endpoint, DateTimeOffset now)
    {
        var neighbour = _neighbours[endpoint];
        _neighbours.Remove(endpoint);
        _dialing.Remove(endpoint);
        var reason = neighbour.Connection is null
            ? "connection lost and could not be re-established"
            : "liveness requests unanswered";
        if (neighbour.Connection is { } connection)
        {
            _neighbourByConnection.Remove(connection);
            CloseConnection(connection, "declared dead", afterFlush: false);
        }
        Report(new NeighbourDead(now, endpoint, neighbour.Missed, reason));
        var report = new DeadNode(endpoint, now.ToUnixTimeMilliseconds(), Self);
        foreach (var seed in _registration.Registered)
        {
            SendToSeed(seed, report);
            Report(new DeadNodeReportSent(now, seed, report));
        }
    }

    // ---- gossip ----

    /// <summary>Originates one gossip message now, on top of the <c>GossipInterval</c> schedule (experiments, tools).</summary>
    public MessageId Publish(DateTimeOffset now)
    {
        var id = Originate(now);
        ScheduleWake();
        return id;
    }

    private MessageId Originate(DateTimeOffset now)
    {
        Originated++;
        var text = GossipText.Create(now, Self, Originated);
        var id = MessageId.Of(text);
        _messages.TryAdd(id, now, null);
        var sent = Broadcast(new Protocol.Gossip(text, 1), except: null);
        Report(new GossipOriginated(now, text, id, sent));
        return id;
    }

    private void OnGossip(NodeEndpoint from, Protocol.Gossip gossip, DateTimeOffset now)
    {
        var id = MessageId.Of(gossip.Text);
        if (!_messages.TryAdd(id, now, from))
        {
            Duplicates++;
            Report(new DuplicateDropped(now, id, from));
            return;
        }
        Received++;
        var hops = gossip.Hops;
        var forwarded = Broadcast(gossip with { Hops = hops == ushort.MaxValue ? hops : (ushort)(hops + 1) }, except: from);
        Report(new GossipReceived(now, gossip.Text, id, from, hops, forwarded));
    }

    private int Broadcast(Message message, NodeEndpoint? except)
    {
        var count = 0;
        foreach (var (endpoint, neighbour) in _neighbours)
        {
            if (neighbour.Connection is { } connection && endpoint != except)
            {
                SendTo(connection, message);
                count++;
            }
        }
        return count;
    }

    // ---- seeds ----

    private void SendToSeed(NodeEndpoint seed, Message message)
    {
        if (_seedLinks.Connection(seed) is { } connection)
        {
            SendTo(connection, message);
            return;
        }
        _seedLinks.Enqueue(seed, message);
        if (!_seedLinks.IsConnectedOrDialing(seed))
        {
            _seedLinks.MarkDialing(seed);
            Emit(new Dial(seed));
        }
    }

    private void ScheduleWake()
    {
        DateTimeOffset? due = null;
        Earliest(ref due, _nextGossip);
        Earliest(ref due, _nextLiveness);
        Earliest(ref due, _seedLinks.NextDeadline);
        if (!_stopping)
        {
            Earliest(ref due, _registration.NextRetry); // no registration retries while leaving (OnTimer skips them)
        }
        if (due is { } at && at != _wakeRequested)
        {
            _wakeRequested = at;
            Emit(new WakeAt(at));
        }
    }

    private static void Earliest(ref DateTimeOffset? current, DateTimeOffset? candidate)
    {
        if (candidate is { } c && (current is null || c < current))
        {
            current = c;
        }
    }

    private sealed class Neighbour
    {
        public ConnectionId? Connection;
        public bool Inbound;
        public int Missed;
        public ulong? Outstanding;
    }
}
