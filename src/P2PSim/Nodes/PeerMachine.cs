using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Liveness;
using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// A peer: registers with a majority of seeds, connects to random peers from their lists,
/// originates and forwards gossip once per message, checks its neighbours' liveness and
/// reports dead ones to its seeds. It heals the overlay (dials new peers when fewer than
/// <c>MinNeighbours</c> are left), registers again periodically (so a restarted seed relearns
/// it), and catches up on missed messages over every new link (Digest / Want).
/// Pure: see <see cref="NodeMachine"/>.
/// </summary>
public sealed class PeerMachine : NodeMachine
{
    /// <summary>
    /// Consecutive failed re-registrations after which a registered seed counts as unreachable: the peer then registers
    /// with another configured seed (a failover) so that a majority of the seeds is reachable again where possible.
    /// Two, so that one lost connection or one slow answer does not make a peer switch.
    /// </summary>
    public const int FailoverAfterFailures = 2;

    private readonly IReadOnlyList<NodeEndpoint> _seeds;
    private readonly PeerOptions _options;
    private readonly Random _random;
    private readonly bool _reportDuplicates;
    private readonly MessageList _messages;
    private readonly MessageHistory _history;
    private readonly Dictionary<MessageId, (NodeEndpoint From, DateTimeOffset Until)> _requested = new();
    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _avoid = new();
    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _suspects = new();
    private readonly HashSet<NodeEndpoint> _retrying = new();
    private readonly Dictionary<NodeEndpoint, SeedRefresh> _refresh = new();
    private readonly Dictionary<NodeEndpoint, Neighbour> _neighbours = new();
    private readonly Dictionary<ConnectionId, NodeEndpoint> _neighbourByConnection = new();
    private readonly SeedLinks _seedLinks = new();
    private readonly Registration _registration;
    private readonly Queue<NodeEndpoint> _candidates = new();
    private readonly HashSet<NodeEndpoint> _dialing = new();
    private readonly HashSet<NodeEndpoint> _failover = new();
    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _failoverPausedUntil = new();
    private readonly Dictionary<DeadNode, ReportDelivery> _reports = new();
    private ConnectionId[] _targetConnections = [];
    private Neighbour[] _targetNeighbours = [];
    private bool _targetsStale;
    private DateTimeOffset _offersUntil; // no neighbour's digest says anything about a message after this
    private ulong _pingSequence;
    private int _timedOriginated;
    private DateTimeOffset? _nextGossip;
    private DateTimeOffset? _nextLiveness;
    private DateTimeOffset? _wakeRequested;
    private bool _stopping;

    /// <param name="reportDuplicates">
    /// False: a dropped duplicate is only counted (<see cref="Duplicates"/>), not reported as a <see cref="DuplicateDropped"/>
    /// event. Duplicates are most of all traffic in a flood; a simulation of 100,000 peers that reads the count from the
    /// machines saves an event per copy. The TCP shell logs them (at Debug) and keeps the default.
    /// </param>
    public PeerMachine(NodeEndpoint self, IReadOnlyList<NodeEndpoint> seeds, PeerOptions options, Random random, bool reportDuplicates = true)
        : base(self)
    {
        _reportDuplicates = reportDuplicates;
        _seeds = seeds;
        _options = options;
        _random = random;
        _messages = new MessageList(options.MessageListCapacity, options.MessageListTtl);
        // Never offer or keep a message longer than the Message List remembers having seen it.
        _history = new MessageHistory(ProtocolLimits.MaxDigestIds, options.HistoryWindow < options.MessageListTtl ? options.HistoryWindow : options.MessageListTtl);
        _registration = new Registration(seeds, random);
    }

    public override NodeRole Role => NodeRole.Peer;

    /// <summary>Known peers kept in reserve to replace failed neighbour dials.</summary>
    private int SpareCandidates => 4 * _options.MaxNeighbours;

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

    /// <summary>The recent messages with their texts, kept for neighbours that missed them.</summary>
    public MessageHistory History => _history;

    /// <summary>The peers this peer knows of: the union of the latest peer list from each seed.</summary>
    public IReadOnlyCollection<NodeEndpoint> KnownPeers => _registration.Known();

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
            if (connection.Inbound)
            {
                // A seed checking a dead-node report about this peer: our Hello (already queued) is the answer.
                // Close after it is flushed, so the seed sees a live peer rather than a failed dial.
                CloseConnection(connection.Id, "a seed checked that this peer is alive");
                return;
            }
            if (!_seedLinks.Attach(connection.Listen, connection.Id, out var pending))
            {
                CloseConnection(connection.Id, "unexpected connection to a seed", afterFlush: false);
                return;
            }
            foreach (var message in pending)
            {
                SendTo(connection.Id, message);
                MarkDelivered(message, connection.Listen);
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
        else if (_retrying.Remove(target))
        {
            _dialing.Remove(target); // still unreachable: tried again later while the seeds list it
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
            if (message is Protocol.Gossip or Ping or Pong)
            {
                return; // the bulk of all traffic: none of it moves a deadline, so the wake-up stays as it is
            }
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
                if (_registration.IsRegistered(seed))
                {
                    OnRefreshed(seed, list.Peers, now);
                }
                else
                {
                    OnRegistered(seed, list.Peers, now);
                }
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
                _targetsStale = true;
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
                if (!_registration.IsRegistered(seed))
                {
                    // The Register was handed over: a slow seed may still add this peer, which would then never
                    // hear a goodbye or a dead-node report from it. Withdraw the registration before closing.
                    SendTo(open, Goodbye.Instance);
                }
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
            foreach (var (seed, refresh) in _refresh)
            {
                if (refresh.Due is { } refreshDue && now >= refreshDue)
                {
                    refresh.Due = null; // the outcome schedules the next one
                    if (!_seedLinks.AwaitsReply(seed))
                    {
                        RegisterWith(seed, now);
                    }
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
                Repair(now, "liveness round", AskSeeds.IfShort);
                RetrySuspects(now);
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
        _targetsStale = true;
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
        _registration.Learn(seed, peers);
        if (_failover.Remove(seed))
        {
            _registration.Adopt(seed);
        }
        else
        {
            _registration.Succeeded(seed);
        }
        _refresh[seed] = new SeedRefresh { Due = NextRefresh(now) };
        SendOwedReports(seed, now);
        if (_registration.RoundFinished)
        {
            FinishRegistration(now);
        }
        Repair(now, "a fresh peer list", AskSeeds.Never);
    }

    /// <summary>A seed this peer had registered with answered a registration again.</summary>
    private void OnRefreshed(NodeEndpoint seed, IReadOnlyList<NodeEndpoint> peers, DateTimeOffset now)
    {
        var refresh = _refresh[seed];
        Report(new SeedRefreshed(now, seed, peers, refresh.Failures));
        if (refresh.Failures > 0)
        {
            SendOwedReports(seed, now);
        }
        refresh.Failures = 0;
        refresh.Due = NextRefresh(now);
        _registration.Learn(seed, peers);
        Repair(now, "a fresh peer list", AskSeeds.Never);
    }

    private DateTimeOffset? NextRefresh(DateTimeOffset now) =>
        _options.ReregisterInterval > TimeSpan.Zero && !_stopping ? now + _options.ReregisterInterval : null;

    /// <summary>
    /// Registering again with a seed failed: it may be down or restarting. Neighbours and gossip carry on; the seed is
    /// tried again after RetryInterval, doubling with each failure up to ReregisterInterval.
    /// </summary>
    private void OnRefreshFailed(NodeEndpoint seed, string reason, DateTimeOffset now)
    {
        var refresh = _refresh[seed];
        refresh.Failures++;
        DateTimeOffset? retryAt = null;
        if (_options.ReregisterInterval > TimeSpan.Zero)
        {
            var cap = Math.Max(_options.ReregisterInterval.Ticks, _options.RetryInterval.Ticks);
            var backoff = _options.RetryInterval.Ticks * (double)(1L << Math.Min(refresh.Failures - 1, 30));
            retryAt = now + TimeSpan.FromTicks((long)Math.Min(backoff, cap));
        }
        refresh.Due = retryAt;
        Report(new ReregistrationFailed(now, seed, reason, refresh.Failures, retryAt, _refresh.Values.Count(r => r.Failures == 0)));
        EnsureReachableSeeds(now);
    }

    private void OnSeedFailed(NodeEndpoint seed, string reason, DateTimeOffset now)
    {
        var wasRegistering = _seedLinks.AwaitsReply(seed);
        var registered = _registration.IsRegistered(seed);
        // Messages for a seed this peer is not registered with (a failover's report) are not retried there: a seed
        // takes reports only from its registered peers. They go to another seed instead (below).
        var undelivered = _seedLinks.Fail(seed, now + _options.RetryInterval, allowRetry: !_stopping && registered, out var retrying);
        if (undelivered.Count > 0)
        {
            Report(new SeedUnreachable(now, seed, string.Join(", ", undelivered.Select(m => m.Type)), reason, retrying));
        }
        var failoverFailed = wasRegistering && _failover.Remove(seed);
        if (failoverFailed)
        {
            _failoverPausedUntil[seed] = now + FailoverPause;
            if (!_stopping)
            {
                Report(new SeedRegistrationFailed(now, seed, reason));
            }
        }
        if (!_stopping)
        {
            foreach (var report in undelivered.OfType<DeadNode>())
            {
                Redirect(report, seed, now);
            }
        }
        if (!wasRegistering || _stopping)
        {
            return;
        }
        if (registered)
        {
            OnRefreshFailed(seed, reason, now);
            return;
        }
        if (failoverFailed)
        {
            EnsureReachableSeeds(now);
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
        var known = _registration.Known(exclude: Self);
        var pool = _neighbours.Count == 0 ? known.ToArray() : known.Where(p => !_neighbours.ContainsKey(p)).ToArray();
        var wanted = Math.Max(0, _options.MaxNeighbours - DialedNeighbours);
        // Only the neighbours and the spare candidates are drawn (spares replace failed dials; a few suffice, repair asks
        // the seeds for more): a partial shuffle of the first ones, not of the whole union (up to 1000 per seed).
        var drawn = PartialShuffle(pool, wanted + SpareCandidates);
        var chosen = drawn[..Math.Min(wanted, drawn.Length)];
        foreach (var extra in drawn[chosen.Length..])
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
        _registration.Compact(); // the whole lists were needed for the choice above only (and it draws after it)
    }

    /// <summary>
    /// The first <paramref name="count"/> positions of a Fisher-Yates shuffle of <paramref name="items"/> (shuffled in
    /// place): each is a uniform random choice among the items not drawn before, as <see cref="Random.Shuffle{T}(T[])"/>
    /// would draw them, without drawing the rest.
    /// </summary>
    private NodeEndpoint[] PartialShuffle(NodeEndpoint[] items, int count)
    {
        var n = Math.Min(count, items.Length);
        for (var i = 0; i < n; i++)
        {
            var j = _random.Next(i, items.Length);
            (items[i], items[j]) = (items[j], items[i]);
        }
        return items[..n];
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
            if (!_neighbours.ContainsKey(next) && !_dialing.Contains(next) && !_avoid.ContainsKey(next) && next != Self)
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

    /// <summary>When the seeds are asked for fresh peer lists during a repair.</summary>
    private enum AskSeeds
    {
        /// <summary>A neighbour was just lost: ask at once.</summary>
        Always,

        /// <summary>A periodic retry: ask only when the known peers cannot make up the shortfall.</summary>
        IfShort,

        /// <summary>A peer list just arrived: use it, do not ask again.</summary>
        Never,
    }

    /// <summary>
    /// Self-healing: with fewer than MinNeighbours neighbours (connected or reconnecting, plus new dials under way),
    /// dial random known peers that are not neighbours, not this peer and not recently dead or gone, never
    /// beyond MaxNeighbours dialed by this peer; and ask the registered seeds for fresh peer lists.
    /// </summary>
    private void Repair(DateTimeOffset now, string trigger, AskSeeds ask)
    {
        if (!Joined || _stopping || MinNeighbours <= 0)
        {
            return;
        }
        var needed = MinNeighbours - _neighbours.Count - _dialing.Count(p => !_neighbours.ContainsKey(p));
        if (needed <= 0)
        {
            return;
        }
        foreach (var expired in _avoid.Where(a => a.Value <= now).Select(a => a.Key).ToArray())
        {
            _avoid.Remove(expired);
        }
        var pool = _registration.Known()
            .Where(p => p != Self && !_neighbours.ContainsKey(p) && !_dialing.Contains(p) && !_avoid.ContainsKey(p))
            .ToArray();
        _random.Shuffle(pool);
        var chosen = pool.Take(Math.Min(needed, Math.Max(0, _options.MaxNeighbours - DialedNeighbours))).ToArray();
        _candidates.Clear();
        foreach (var extra in pool.Skip(chosen.Length).Take(SpareCandidates))
        {
            _candidates.Enqueue(extra);
        }
        foreach (var peer in chosen)
        {
            DialNeighbour(peer);
        }
        var asked = new List<NodeEndpoint>();
        if (ask == AskSeeds.Always || (ask == AskSeeds.IfShort && chosen.Length < needed))
        {
            foreach (var seed in _registration.Registered)
            {
                // A seed that is failing is already retried on its own schedule.
                if (!_seedLinks.AwaitsReply(seed) && (!_refresh.TryGetValue(seed, out var refresh) || refresh.Failures == 0))
                {
                    RegisterWith(seed, now);
                    asked.Add(seed);
                }
            }
        }
        if (chosen.Length > 0 || asked.Count > 0)
        {
            Report(new OverlayRepair(now, trigger, _neighbours.Count, MinNeighbours, chosen, asked));
        }
    }

    /// <summary>
    /// A neighbour this peer declared dead but that the seeds still list after the avoid period was not dead: the link
    /// between the two was (a partition). Dial it again, once per avoid period, until it is a neighbour again or the seeds
    /// drop it, so the overlay a partition split joins up again when the network heals (and catches up over the link).
    /// </summary>
    private void RetrySuspects(DateTimeOffset now)
    {
        if (_suspects.Count == 0 || _stopping)
        {
            return;
        }
        List<NodeEndpoint>? dialing = null;
        foreach (var (peer, due) in _suspects.ToArray())
        {
            if (_neighbours.ContainsKey(peer) || !_registration.IsListed(peer))
            {
                _suspects.Remove(peer); // back, or dropped by the seeds (truly dead)
                _registration.Unwatch(peer);
                continue;
            }
            if (now < due || _dialing.Contains(peer) || DialedNeighbours >= _options.MaxNeighbours)
            {
                continue;
            }
            _suspects[peer] = now + AvoidFor;
            _retrying.Add(peer);
            DialNeighbour(peer);
            (dialing ??= []).Add(peer);
        }
        if (dialing is not null)
        {
            Report(new OverlayRepair(now, "neighbours declared dead that the seeds still list", _neighbours.Count, MinNeighbours, dialing, []));
        }
    }

    /// <summary>The repair target: MinNeighbours, but never more than MaxNeighbours.</summary>
    private int MinNeighbours => Math.Min(_options.MinNeighbours, _options.MaxNeighbours);

    private TimeSpan AvoidFor => (_options.MaxMissedLiveness + 1) * _options.LivenessInterval;

    /// <summary>A neighbour that died, left or misbehaved is not dialed by a repair for a while (the seeds drop it meanwhile).</summary>
    private void Avoid(NodeEndpoint peer, DateTimeOffset now) => _avoid[peer] = now + AvoidFor;

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
            existing.ForgetOffered(now, always: true);
            existing.Connection = connection.Id;
            _targetsStale = true;
            existing.Inbound = connection.Inbound;
            existing.Missed = 0;
            existing.Outstanding = null;
            _neighbourByConnection[connection.Id] = connection.Listen;
            if (reconnected)
            {
                Report(new NeighbourConnected(now, connection.Listen, connection.Inbound, Reconnected: true, _neighbours.Count));
            }
            SendDigest(connection.Id, now);
            return;
        }
        _avoid.Remove(connection.Listen);
        if (_suspects.Remove(connection.Listen))
        {
            _registration.Unwatch(connection.Listen);
        }
        _retrying.Remove(connection.Listen);
        _neighbours[connection.Listen] = new Neighbour { Connection = connection.Id, Inbound = connection.Inbound };
        _targetsStale = true;
        _neighbourByConnection[connection.Id] = connection.Listen;
        Report(new NeighbourConnected(now, connection.Listen, connection.Inbound, Reconnected: false, _neighbours.Count));
        SendDigest(connection.Id, now);
    }

    private void OnNeighbourMessage(ConnectionId connection, NodeEndpoint from, Message message, DateTimeOffset now)
    {
        switch (message)
        {
            case Protocol.Gossip gossip:
                OnGossip(connection, from, gossip, now);
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
            case Digest digest:
                OnDigest(connection, from, digest, now);
                break;
            case Want want:
                OnWant(connection, from, want, now);
                break;
            case Goodbye:
                _neighbourByConnection.Remove(connection);
                _neighbours.Remove(from);
                _targetsStale = true;
                CloseConnection(connection, "neighbour left");
                Report(new NeighbourLeft(now, from, _neighbours.Count));
                Avoid(from, now);
                Repair(now, $"{from} left", AskSeeds.Always);
                break;
            default:
                // A neighbour that breaks the protocol is dropped, not retried: it is misbehaving, not dead.
                _neighbourByConnection.Remove(connection);
                var dropped = false;
                if (_neighbours.TryGetValue(from, out var offender) && offender.Connection == connection)
                {
                    _neighbours.Remove(from);
                    _targetsStale = true;
                    dropped = true;
                }
                Violation(connection, from.ToString(), $"a peer does not accept {message.Type} from a peer", now);
                if (dropped)
                {
                    Avoid(from, now);
                    Repair(now, $"{from} was dropped", AskSeeds.Always);
                }
                break;
        }
    }

    private void CheckLiveness(DateTimeOffset now)
    {
        List<NodeEndpoint>? dead = null;
        foreach (var (endpoint, neighbour) in _neighbours)
        {
            neighbour.ForgetOffered(now, always: false);
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
        _targetsStale = true;
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
        foreach (var (old, _) in _reports.Where(r => r.Value.Until <= now).ToArray())
        {
            _reports.Remove(old);
        }
        _reports[report] = new ReportDelivery(now + AvoidFor);
        foreach (var seed in _registration.Registered)
        {
            SendReport(seed, report, now);
        }
        Avoid(endpoint, now);
        _suspects[endpoint] = now + AvoidFor;
        _registration.Watch(endpoint);
        Repair(now, $"{endpoint} died", AskSeeds.Always);
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
        var gossip = new Protocol.Gossip(GossipKind.Gossip, Self, (ulong)Originated, now.ToUnixTimeMilliseconds(), Hops: 1, text);
        var id = gossip.Id; // hashed once here; every copy made from this object carries it
        _messages.TryAdd(id, now, null);
        _history.Add(gossip, now);
        // Reported before the copies go out: a driver that carries out actions in order (the TCP shell) then never lets a
        // neighbour's receipt of the message be observed before its origination.
        Report(new GossipOriginated(now, text, id, Targets().Length));
        Broadcast(gossip, except: null);
        return id;
    }

    private void OnGossip(ConnectionId arrivedOn, NodeEndpoint from, Protocol.Gossip gossip, DateTimeOffset now)
    {
        var id = gossip.Id;
        if (!_messages.TryAdd(id, now, from))
        {
            Duplicates++;
            if (_reportDuplicates)
            {
                Report(new DuplicateDropped(now, id, from));
            }
            return;
        }
        Received++;
        var hops = gossip.Hops;
        var catchUp = _requested.Remove(id, out var request) && request.From == from;
        _history.Add(gossip, now);
        var forwarded = Broadcast(gossip with { Hops = NextHop(hops) }, except: arrivedOn, id, now);
        Report(new GossipReceived(now, gossip.Text, id, gossip.Origin, from, hops, forwarded, catchUp));
    }

    private static ushort NextHop(ushort hops) => hops == ushort.MaxValue ? hops : (ushort)(hops + 1);

    // ---- catch-up ----

    /// <summary>A link came up: offer the neighbour the ids of the recent messages (nothing when there are none).</summary>
    private void SendDigest(ConnectionId connection, DateTimeOffset now)
    {
        if (!_history.Enabled)
        {
            return;
        }
        var ids = _history.RecentIds(now, ProtocolLimits.MaxDigestIds);
        if (ids.Length > 0)
        {
            SendTo(connection, new Digest(ids));
        }
    }

    /// <summary>
    /// Ask for the offered messages this peer has not seen. An id already asked of another neighbour is not asked
    /// again for one liveness interval (after that, the other neighbour is presumed not to answer).
    /// </summary>
    private void OnDigest(ConnectionId connection, NodeEndpoint from, Digest digest, DateTimeOffset now)
    {
        foreach (var stale in _requested.Where(r => r.Value.Until <= now).Select(r => r.Key).ToArray())
        {
            _requested.Remove(stale);
        }
        if (_neighbours.TryGetValue(from, out var neighbour) && neighbour.Connection == connection)
        {
            // What it holds need not be forwarded to it (the catch-up answers would all come back as duplicates).
            neighbour.Offered = [.. digest.Ids];
            neighbour.OfferedUntil = now + _options.LivenessInterval;
            if (neighbour.OfferedUntil > _offersUntil)
            {
                _offersUntil = neighbour.OfferedUntil;
            }
        }
        var wanted = new List<MessageId>();
        foreach (var id in digest.Ids)
        {
            if (!_messages.Contains(id) && _requested.TryAdd(id, (from, now + _options.LivenessInterval)))
            {
                wanted.Add(id);
            }
        }
        if (wanted.Count > 0)
        {
            SendTo(connection, new Want(wanted));
        }
        Report(new CatchUpRequested(now, from, digest.Ids.Count, wanted.Count));
    }

    /// <summary>Send the asked-for messages that are still in the history, as ordinary gossip one hop further on.</summary>
    private void OnWant(ConnectionId connection, NodeEndpoint from, Want want, DateTimeOffset now)
    {
        var sent = 0;
        var seen = new HashSet<MessageId>();
        foreach (var id in want.Ids)
        {
            if (seen.Add(id) && _history.TryGet(id, out var entry))
            {
                // Kept as it arrived (or was originated): an own message goes out as it is (hops 1), any other one hop further.
                var held = entry.Message;
                SendTo(connection, held.Origin == Self ? held : held with { Hops = NextHop(held.Hops) });
                sent++;
            }
        }
        Report(new CatchUpServed(now, from, want.Ids.Count, sent));
    }

    /// <summary>
    /// Sends to every connected neighbour but <paramref name="except"/>, and (for a received message) but the
    /// neighbours whose fresh digest says they already hold it.
    /// </summary>
    /// <remarks>
    /// The neighbour a message came from is skipped by its connection: a frame's connection maps to exactly one neighbour,
    /// whose current connection it is (every change to one is made to the other), and comparing ids touches no address.
    /// The connected neighbours are kept in two arrays, rebuilt (in the neighbours' order) only after one of them
    /// changed: a broadcast reads no neighbour object unless some neighbour's digest may still say it holds the message.
    /// </remarks>
    private int Broadcast(Message message, ConnectionId? except, MessageId? id = null, DateTimeOffset now = default)
    {
        var targets = Targets();
        var checkOffers = id is not null && now < _offersUntil;
        var count = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            var connection = targets[i];
            if (connection == except || (checkOffers && _targetNeighbours[i].Holds(id!.Value, now)))
            {
                continue;
            }
            SendTo(connection, message);
            count++;
        }
        return count;
    }

    /// <summary>The connections of the connected neighbours, in the neighbours' order (see <see cref="Broadcast"/>).</summary>
    private ConnectionId[] Targets()
    {
        if (_targetsStale)
        {
            RebuildTargets();
        }
        return _targetConnections;
    }

    private void RebuildTargets()
    {
        var connections = new List<ConnectionId>(_neighbours.Count);
        var neighbours = new List<Neighbour>(_neighbours.Count);
        foreach (var neighbour in _neighbours.Values)
        {
            if (neighbour.Connection is { } connection)
            {
                connections.Add(connection);
                neighbours.Add(neighbour);
            }
        }
        _targetConnections = [.. connections];
        _targetNeighbours = [.. neighbours];
        _targetsStale = false;
    }

    // ---- seeds ----

    private void SendToSeed(NodeEndpoint seed, Message message)
    {
        if (_seedLinks.Connection(seed) is { } connection)
        {
            SendTo(connection, message);
            MarkDelivered(message, seed);
            return;
        }
        _seedLinks.Enqueue(seed, message);
        if (!_seedLinks.IsConnectedOrDialing(seed))
        {
            _seedLinks.MarkDialing(seed);
            Emit(new Dial(seed));
        }
    }

    // ---- failover: other configured seeds when registered ones are unreachable ----

    /// <summary>How long a seed whose failover registration failed is left alone before it may be tried again.</summary>
    private TimeSpan FailoverPause => _options.ReregisterInterval > _options.RetryInterval ? _options.ReregisterInterval : _options.RetryInterval;

    /// <summary>Registered seeds whose latest <see cref="FailoverAfterFailures"/> or more re-registrations failed.</summary>
    private List<NodeEndpoint> UnreachableSeeds()
    {
        var unreachable = new List<NodeEndpoint>();
        foreach (var seed in _seeds)
        {
            if (_refresh.TryGetValue(seed, out var refresh) && refresh.Failures >= FailoverAfterFailures && !unreachable.Contains(seed))
            {
                unreachable.Add(seed);
            }
        }
        return unreachable;
    }

    /// <summary>
    /// Configured seeds this peer could register with now, in configured order (so a seeded random pick among them is the
    /// same on every network): not registered, not being registered with, not paused after a failed failover.
    /// </summary>
    private List<NodeEndpoint> FailoverCandidates(DateTimeOffset now, ReportDelivery? forReport = null)
    {
        var candidates = new List<NodeEndpoint>();
        foreach (var seed in _seeds)
        {
            if (seed != Self && !_registration.IsRegistered(seed) && !_failover.Contains(seed) && !_seedLinks.AwaitsReply(seed)
                && !(_failoverPausedUntil.TryGetValue(seed, out var until) && now < until)
                && !(forReport?.Handed.Contains(seed) ?? false) && !candidates.Contains(seed))
            {
                candidates.Add(seed);
            }
        }
        return candidates;
    }

    /// <summary>
    /// Fewer than a majority of the seeds answer (registered seeds that failed <see cref="FailoverAfterFailures"/>
    /// re-registrations in a row do not count): register with random other configured seeds until a majority is
    /// reachable again, or none is left to try. The unreachable seeds stay registered and are retried as before, so the
    /// peer is back with them as soon as they answer. Not while the first registration round is still at work (it tries
    /// every configured seed in turn by itself).
    /// </summary>
    private void EnsureReachableSeeds(DateTimeOffset now)
    {
        if (_stopping || !Joined || _registration.Busy)
        {
            return;
        }
        var unreachable = UnreachableSeeds();
        var reachable = _registration.Registered.Count - unreachable.Count;
        var needed = _registration.Wanted - reachable - _failover.Count;
        if (needed <= 0 || unreachable.Count == 0)
        {
            return;
        }
        var candidates = FailoverCandidates(now);
        while (needed-- > 0 && candidates.Count > 0)
        {
            var seed = candidates[_random.Next(candidates.Count)];
            candidates.Remove(seed);
            StartFailover(seed, $"{unreachable.Count} registered seeds failed {FailoverAfterFailures} or more re-registrations in a row", unreachable, reachable, now);
        }
    }

    private void StartFailover(NodeEndpoint seed, string reason, IReadOnlyList<NodeEndpoint> unreachable, int reachable, DateTimeOffset now)
    {
        _failover.Add(seed);
        _failoverPausedUntil.Remove(seed);
        Report(new SeedFailover(now, seed, reason, unreachable, reachable, _registration.Wanted));
        RegisterWith(seed, now);
    }

    /// <summary>Hands a dead-node report to <paramref name="seed"/> and notes that it did.</summary>
    private void SendReport(NodeEndpoint seed, DeadNode report, DateTimeOffset now)
    {
        if (_reports.TryGetValue(report, out var delivery))
        {
            delivery.Handed.Add(seed);
        }
        SendToSeed(seed, report);
        Report(new DeadNodeReportSent(now, seed, report));
    }

    private void MarkDelivered(Message message, NodeEndpoint seed)
    {
        if (message is DeadNode report && _reports.TryGetValue(report, out var delivery))
        {
            delivery.Delivered.Add(seed);
        }
    }

    /// <summary>
    /// A dead-node report could not be delivered to <paramref name="failed"/>: send it to one more configured seed that
    /// has not had it, at random; one seed that lists the dead peer is enough, it relays the confirmed death to the
    /// others. A seed this peer is not registered with is registered with first, on the same connection (a seed takes
    /// reports only from its registered peers). A seed that fails in turn is replaced the same way, each seed at most once.
    /// </summary>
    private void Redirect(DeadNode report, NodeEndpoint failed, DateTimeOffset now)
    {
        if (!_reports.TryGetValue(report, out var delivery) || now >= delivery.Until || !delivery.Failed.Add(failed))
        {
            return;
        }
        var candidates = new List<NodeEndpoint>();
        var unreachable = UnreachableSeeds();
        foreach (var seed in _seeds)
        {
            // Registered seeds that have not had it (registered since) or whose failover registration is under way.
            if ((_registration.IsRegistered(seed) || _failover.Contains(seed)) && !delivery.Handed.Contains(seed) && !unreachable.Contains(seed) && !candidates.Contains(seed))
            {
                candidates.Add(seed);
            }
        }
        if (candidates.Count == 0 && !_registration.Busy)
        {
            candidates = FailoverCandidates(now, delivery);
        }
        if (candidates.Count == 0)
        {
            if (delivery.Handed.All(delivery.Failed.Contains))
            {
                Report(new DeadNodeReportRedirected(now, report, failed, null)); // no seed at all has it (others do: quiet)
            }
            return;
        }
        var substitute = candidates[_random.Next(candidates.Count)];
        Report(new DeadNodeReportRedirected(now, report, failed, substitute));
        if (!_registration.IsRegistered(substitute) && !_failover.Contains(substitute))
        {
            StartFailover(substitute, $"a dead-node report could not be delivered to {failed}", unreachable, _registration.Registered.Count - unreachable.Count, now);
        }
        SendReport(substitute, report, now);
    }

    /// <summary>
    /// <paramref name="seed"/> answers again (a first registration, or a registered seed back after failures): hand it the
    /// recent reports that some seed failed to get and that it has not had.
    /// </summary>
    private void SendOwedReports(NodeEndpoint seed, DateTimeOffset now)
    {
        foreach (var (report, delivery) in _reports.ToArray())
        {
            if (now < delivery.Until && delivery.Failed.Count > 0 && !delivery.Delivered.Contains(seed)
                && (delivery.Failed.Contains(seed) || !delivery.Handed.Contains(seed)) && !_seedLinks.HasPending(seed, report))
            {
                SendReport(seed, report, now);
            }
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
            foreach (var refresh in _refresh.Values)
            {
                Earliest(ref due, refresh.Due);
            }
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

    /// <summary>Where one dead-node report went: handed to, delivered to (on an open connection), failed at; kept until <see cref="Until"/>.</summary>
    private sealed class ReportDelivery(DateTimeOffset until)
    {
        public DateTimeOffset Until { get; } = until;

        public HashSet<NodeEndpoint> Handed { get; } = new();

        public HashSet<NodeEndpoint> Delivered { get; } = new();

        public HashSet<NodeEndpoint> Failed { get; } = new();
    }

    /// <summary>Registering again with one registered seed: when next, and how many attempts in a row failed.</summary>
    private sealed class SeedRefresh
    {
        public DateTimeOffset? Due;
        public int Failures;
    }

    private sealed class Neighbour
    {
        public ConnectionId? Connection;
        public bool Inbound;
        public int Missed;
        public ulong? Outstanding;

        /// <summary>The ids of this neighbour's latest digest on the current link, trusted until <see cref="OfferedUntil"/>.</summary>
        public HashSet<MessageId>? Offered;
        public DateTimeOffset OfferedUntil;

        public bool Holds(MessageId id, DateTimeOffset now) => Offered is { } offered && now < OfferedUntil && offered.Contains(id);

        /// <summary>A new link, or an old digest: forget what it offered.</summary>
        public void ForgetOffered(DateTimeOffset now, bool always)
        {
            if (always || now >= OfferedUntil)
            {
                Offered = null;
            }
        }
    }
}
