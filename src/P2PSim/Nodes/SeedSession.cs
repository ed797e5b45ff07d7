using P2PSim.Configuration;
using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// A peer's side of the seeds, one part of <see cref="PeerMachine"/>: the first registration round (a majority of the
/// seeds, in random order, failed ones retried), registering again every <c>ReregisterInterval</c> (a restarted seed
/// relearns the peer), failover to other configured seeds when registered ones stop answering, and the delivery of
/// dead-node reports (<c>SeedSession.Reports.cs</c>). It owns the short-lived seed connections (<see cref="SeedLinks"/>)
/// and the known peers (<see cref="Registration"/>); it tells the peer when the round is over (<see cref="Joined"/>)
/// and when a fresh peer list arrived (<see cref="PeersLearned"/>). Pure: actions go to the node's <see cref="Outbox"/>.
/// </summary>
internal sealed partial class SeedSession
{
    /// <summary>
    /// Consecutive failed re-registrations after which a registered seed counts as unreachable: the peer then registers
    /// with another configured seed (a failover) so that a majority of the seeds is reachable again where possible.
    /// Two, so that one lost connection or one slow answer does not make a peer switch.
    /// </summary>
    public const int FailoverAfterFailures = 2;

    /// <summary>
    /// The first re-registration with a seed comes after a random 50-100 % of <c>ReregisterInterval</c>, every later one
    /// after a random 90-100 % (<see cref="ReregisterJitter"/>). Peers that join together (an experiment's peers join
    /// within seconds) would otherwise register again in one wave every interval: a pile of short-lived seed connections
    /// at the same moment on top of the steady links, which can exceed the process's open files. Never later than the
    /// interval, so a seed's expiry (<c>Seed:ExpireAfterMissedRegistrations</c> intervals) holds as before. Drawn from
    /// the node's seeded generator, so a run with the same seed repeats.
    /// </summary>
    public const double FirstReregisterSpread = 0.5;

    /// <summary>How much earlier than <c>ReregisterInterval</c> a later re-registration may come (see <see cref="FirstReregisterSpread"/>).</summary>
    public const double ReregisterJitter = 0.1;

    private readonly NodeEndpoint _self;
    private readonly IReadOnlyList<NodeEndpoint> _seeds;
    private readonly PeerOptions _options;
    private readonly Random _random;
    private readonly Outbox _out;
    private readonly Registration _registration;
    private readonly SeedLinks _links = new();
    private readonly Dictionary<NodeEndpoint, SeedRefresh> _refresh = new();
    private readonly HashSet<NodeEndpoint> _failover = new();
    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _failoverPausedUntil = new();
    private bool _joined;
    private bool _stopping;

    public SeedSession(NodeEndpoint self, IReadOnlyList<NodeEndpoint> seeds, PeerOptions options, Random random, Outbox outbox)
    {
        _self = self;
        _seeds = seeds;
        _options = options;
        _random = random;
        _out = outbox;
        _registration = new Registration(seeds, random);
    }

    /// <summary>The round is over with at least one seed (or there are none): the peer chooses its neighbours now.</summary>
    public Action<DateTimeOffset>? Joined { get; init; }

    /// <summary>A seed answered a registration (first or again) with a peer list, now in <see cref="Known"/>.</summary>
    public Action<DateTimeOffset>? PeersLearned { get; init; }

    /// <summary>Where the seeds' ids and their attestations of this peer go (version 8); null: nowhere (unit tests).</summary>
    public Gossip.OriginAttestations? Attestations { get; init; }

    /// <summary>The known peers (the union of the latest peer list of each seed) and which of them the seeds list.</summary>
    public Registration Known => _registration;

    /// <summary>The seeds that answered this peer's registration.</summary>
    public IReadOnlyCollection<NodeEndpoint> Registered => _registration.Registered;

    /// <summary>No seed connection is open, being dialed, or holding messages.</summary>
    public bool IsIdle => _links.IsIdle;

    /// <summary>When this part next needs the clock: a reply deadline, a delivery retry, a registration retry or refresh.</summary>
    public DateTimeOffset? NextDeadline
    {
        get
        {
            var due = _links.NextDeadline;
            if (!_stopping)
            {
                due = WakeScheduler.Earliest(due, _registration.NextRetry); // no registration retries while leaving (OnTimer skips them)
                foreach (var refresh in _refresh.Values)
                {
                    due = WakeScheduler.Earliest(due, refresh.Due);
                }
            }
            return due;
        }
    }

    public void Start(DateTimeOffset now)
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
            FinishRound(now);
        }
    }

    /// <summary>The peer has joined: from now on only samples of the peer lists are kept.</summary>
    public void Compact() => _registration.Compact();

    /// <summary>Whether <paramref name="connection"/> is one of this part's seed connections.</summary>
    public bool Owns(ConnectionId connection) => _links.SeedOf(connection) is not null;

    /// <summary>A connection to or from a seed completed its handshake. False: nothing about the timer changed.</summary>
    public bool OnConnected(ConnectionInfo connection)
    {
        if (connection.Inbound)
        {
            // A seed checking a dead-node report about this peer: our Hello (already queued) is the answer.
            // Close after it is flushed, so the seed sees a live peer rather than a failed dial.
            _out.Close(connection.Id, "a seed checked that this peer is alive");
            return false;
        }
        if (!_links.Attach(connection.Listen, connection.Id, out var pending))
        {
            _out.Close(connection.Id, "unexpected connection to a seed", afterFlush: false);
            return false;
        }
        Attestations?.SeedConnected(connection.Listen, connection.RemoteId); // the id this seed proved: its attestations are checked with it
        foreach (var message in pending)
        {
            _out.Send(connection.Id, message);
            MarkDelivered(message, connection.Listen);
        }
        if (!_links.AwaitsReply(connection.Listen) && _links.Release(connection.Listen))
        {
            _out.Close(connection.Id, pending.Any(m => m is DeadNode) ? "report delivered" : pending.Any(m => m is GroupLeave) ? "group leave delivered" : "goodbye delivered");
        }
        return true;
    }

    /// <summary>A dial failed; true when it was a dial to a seed (handled here).</summary>
    public bool OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
        if (!_links.IsDialing(target))
        {
            return false;
        }
        OnSeedFailed(target, reason, now);
        return true;
    }

    /// <summary>A frame on a seed connection (<see cref="Owns"/>): only the awaited peer list and group members are accepted.</summary>
    public void OnMessage(ConnectionId connection, Message message, DateTimeOffset now)
    {
        var seed = _links.SeedOf(connection)!.Value;
        if (message is GroupMembers members && _links.AwaitsMembers(seed, members.Group))
        {
            OnGroupMembers(connection, seed, members, now);
        }
        else if (message is Attestation attestation && _links.AwaitsReply(seed))
        {
            Attestations?.Hold(seed, _self, attestation); // one naming another endpoint or id is no use to this peer: ignored
        }
        else if (message is PeerList list && _links.AwaitsReply(seed))
        {
            if (_stopping)
            {
                _out.Send(connection, Goodbye.Instance); // the seed has just registered a peer that is leaving
            }
            if (_links.Release(seed)) // else group members are still owed on this connection: it closes when they are in
            {
                _out.Close(connection, "registration complete");
            }
            if (_registration.IsRegistered(seed))
            {
                OnRefreshed(seed, list, now);
            }
            else
            {
                OnRegistered(seed, list, now);
            }
        }
        else
        {
            _out.Violation(connection, seed.ToString(), $"unexpected {message.Type} from a seed", now);
        }
    }

    /// <summary>A seed connection (<see cref="Owns"/>) closed.</summary>
    public void OnClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        var seed = _links.SeedOf(connection)!.Value;
        _links.Detach(seed);
        if (_links.AwaitsReply(seed) || _links.HasPending(seed) || _links.AwaitsAnyMembers(seed))
        {
            OnSeedFailed(seed, reason, now);
        }
    }

    public void OnTimer(DateTimeOffset now)
    {
        foreach (var (seed, connection) in _links.TimedOut(now))
        {
            if (connection is { } open)
            {
                if (!_registration.IsRegistered(seed))
                {
                    // The Register was handed over: a slow seed may still add this peer, which would then never
                    // hear a goodbye or a dead-node report from it. Withdraw the registration before closing.
                    _out.Send(open, Goodbye.Instance);
                }
                _out.Close(open, "registration timed out");
            }
            OnSeedFailed(seed, "no peer list before the registration timeout", now);
        }
        MembersTimedOut(now);
        foreach (var seed in _links.DueForRetry(now))
        {
            _out.Dial(seed);
        }
        if (_stopping)
        {
            return;
        }
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
                if (!_links.AwaitsReply(seed))
                {
                    RegisterWith(seed, now);
                }
            }
        }
    }

    /// <summary>
    /// The overlay is short of neighbours: register again with every registered seed that is reachable and not being
    /// asked already (the answers are fresh peer lists). Returns the seeds asked.
    /// </summary>
    public List<NodeEndpoint> AskForPeers(DateTimeOffset now)
    {
        var asked = new List<NodeEndpoint>();
        foreach (var seed in _registration.Registered)
        {
            // A seed that is failing is already retried on its own schedule.
            if (!_links.AwaitsReply(seed) && (!_refresh.TryGetValue(seed, out var refresh) || refresh.Failures == 0))
            {
                RegisterWith(seed, now);
                asked.Add(seed);
            }
        }
        return asked;
    }

    /// <summary>Clean leave: give up on retries and say goodbye to every registered seed.</summary>
    public void Leave()
    {
        _stopping = true;
        _links.DropRetries();
        foreach (var seed in _registration.Registered)
        {
            SendToSeed(seed, Goodbye.Instance);
        }
    }

    // ---- registration ----

    /// <summary>Registers with <paramref name="seed"/>, and joins there every group this peer is in (every <c>Register</c> carries the joins).</summary>
    private void RegisterWith(NodeEndpoint seed, DateTimeOffset now)
    {
        _links.ExpectReply(seed, now + _options.RegistrationTimeout);
        // Once joined, a peer keeps only a sample of each list: it asks for a fresh sample and news of what it holds,
        // not the whole list again (PROTOCOL.md, Re-registration).
        SendToSeed(seed, _registration.HeldOf(seed) is { } held ? Register.Refresh(Registration.RetainedPerSeed, held) : Register.Instance);
        foreach (var group in _groups)
        {
            AskMembers(seed, group, now);
        }
    }

    private void OnRegistered(NodeEndpoint seed, PeerList list, DateTimeOffset now)
    {
        _out.Report(new RegisteredWithSeed(now, seed, list.Peers));
        _registration.Learn(seed, list.Peers, list.Ids);
        if (_failover.Remove(seed))
        {
            _registration.Adopt(seed);
        }
        else
        {
            _registration.Succeeded(seed);
        }
        _refresh[seed] = new SeedRefresh { Due = NextRefresh(now, FirstReregisterSpread) };
        SendOwedReports(seed, now);
        if (_registration.RoundFinished)
        {
            FinishRound(now);
        }
        PeersLearned?.Invoke(now);
    }

    /// <summary>A seed this peer had registered with answered a registration again.</summary>
    private void OnRefreshed(NodeEndpoint seed, PeerList list, DateTimeOffset now)
    {
        var refresh = _refresh[seed];
        _out.Report(new SeedRefreshed(now, seed, list.Peers, refresh.Failures));
        // Not only after failed re-registrations: a report whose delivery failed (to this seed or to every seed) is owed
        // to a seed that answers again while the report is followed.
        SendOwedReports(seed, now);
        refresh.Failures = 0;
        refresh.Due = NextRefresh(now, ReregisterJitter);
        _registration.Learn(seed, list.Peers, list.Ids);
        PeersLearned?.Invoke(now);
    }

    /// <summary>When to register again with a seed that has just answered: a random 1 - <paramref name="spread"/> to 1 of the interval from now.</summary>
    private DateTimeOffset? NextRefresh(DateTimeOffset now, double spread) =>
        _options.ReregisterInterval > TimeSpan.Zero && !_stopping ? now + (_options.ReregisterInterval * (1 - (spread * _random.NextDouble()))) : null;

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
        _out.Report(new ReregistrationFailed(now, seed, reason, refresh.Failures, retryAt, _refresh.Values.Count(r => r.Failures == 0)));
        EnsureReachableSeeds(now);
    }

    /// <summary>A seed failed (dial, connection or timeout): what was owed by it is done with, the groups' requests included.</summary>
    private void OnSeedFailed(NodeEndpoint seed, string reason, DateTimeOffset now)
    {
        var groups = _links.DropMembers(seed);
        OnSeedFailedToAnswer(seed, reason, now);
        MembersFailed(seed, groups, now); // after the registration's own retries, which may have asked another seed
    }

    private void OnSeedFailedToAnswer(NodeEndpoint seed, string reason, DateTimeOffset now)
    {
        var wasRegistering = _links.AwaitsReply(seed);
        var registered = _registration.IsRegistered(seed);
        // Messages for a seed this peer is not registered with (a failover's report) are not retried there: a seed
        // takes reports only from its registered peers. They go to another seed instead (below).
        var undelivered = _links.Fail(seed, now + _options.RetryInterval, allowRetry: !_stopping && registered, out var retrying);
        if (undelivered.Count > 0)
        {
            _out.Report(new SeedUnreachable(now, seed, string.Join(", ", undelivered.Select(m => m.Type)), reason, retrying));
        }
        var failoverFailed = wasRegistering && _failover.Remove(seed);
        if (failoverFailed)
        {
            _failoverPausedUntil[seed] = now + FailoverPause;
            if (!_stopping)
            {
                _out.Report(new SeedRegistrationFailed(now, seed, reason));
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
        _out.Report(new SeedRegistrationFailed(now, seed, reason));
        _registration.Failed(seed, now + _options.RetryInterval);
        foreach (var next in _registration.TakeNextAttempts())
        {
            RegisterWith(next, now);
        }
        if (_registration.RoundFinished)
        {
            FinishRound(now);
        }
    }

    /// <summary>The first round is over: report it, and join unless no seed answered (the retries call again).</summary>
    private void FinishRound(DateTimeOffset now)
    {
        if (_joined || _stopping)
        {
            return;
        }
        _out.Report(new RegistrationFinished(now, _registration.Registered.ToArray(), _registration.Wanted, _seeds.Count));
        if (_registration.Registered.Count == 0 && _seeds.Count > 0)
        {
            return; // nothing to join through yet: the retry round will call again
        }
        _joined = true;
        Joined?.Invoke(now);
    }

    private void SendToSeed(NodeEndpoint seed, Message message)
    {
        if (_links.Connection(seed) is { } connection)
        {
            _out.Send(connection, message);
            MarkDelivered(message, seed);
            return;
        }
        _links.Enqueue(seed, message);
        if (!_links.IsConnectedOrDialing(seed))
        {
            _links.MarkDialing(seed);
            _out.Dial(seed);
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
            if (seed != _self && !_registration.IsRegistered(seed) && !_failover.Contains(seed) && !_links.AwaitsReply(seed)
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
        if (_stopping || !_joined || _registration.Busy)
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
        _out.Report(new SeedFailover(now, seed, reason, unreachable, reachable, _registration.Wanted));
        RegisterWith(seed, now);
    }

    /// <summary>Registering again with one registered seed: when next, and how many attempts in a row failed.</summary>
    private sealed class SeedRefresh
    {
        public DateTimeOffset? Due;
        public int Failures;
    }
}
