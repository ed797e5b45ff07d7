using System.Net;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Nodes;

/// <summary>
/// A seed: keeps the Peer List (PL) of registered peers, answers a registration with the
/// current PL, removes peers that say goodbye or are reported dead. Never hands a removed
/// peer out again unless it registers anew.
/// <para>
/// It does not take one peer's word for a death: a report is accepted only from a registered
/// peer, and the seed then dials the reported peer itself; only when that dial fails is the
/// peer removed. A registration (or goodbye) whose claimed listening address is not the address
/// the connection comes from is refused.
/// </para>
/// <para>
/// Seeds cooperate on deaths: a seed that confirmed a death reported by a peer relays the report to
/// the other configured seeds, so a dead peer leaves every seed that lists it, not only the seeds its
/// neighbours registered with. A relayed report is checked like a peer's (never removed on another
/// seed's word) and never relayed further.
/// </para>
/// <para>
/// Seeds also relay private messages for peers that cannot be dialled (<c>SeedMachine.PrivateRelay.cs</c>); that relay
/// has nothing to do with the relay of confirmed deaths between seeds here.
/// </para>
/// </summary>
/// <para>
/// A peer that stops registering is removed after <paramref name="peerExpiry"/> (every live peer registers again once
/// per <c>Peer:ReregisterInterval</c>): so a peer that crashed and that nobody reported leaves the list too.
/// </para>
/// <param name="self">This seed's listening endpoint.</param>
/// <param name="random">Sampling of large peer lists.</param>
/// <param name="maxPeersPerList">Most peers in one peer list.</param>
/// <param name="seeds">
/// The configured seeds (this one may be among them): where confirmed deaths are relayed to and whom relayed reports are
/// taken from. Null or empty: no relaying. The driver may complete the list while the seeds start (the TCP shell learns a
/// seed's port only when it binds); it must not change once peers run.
/// </param>
/// <param name="peerExpiry">How long a listed peer may go without registering before it is removed; zero: for ever.</param>
public sealed partial class SeedMachine(NodeEndpoint self, Random random, int maxPeersPerList = 1000, IReadOnlyList<NodeEndpoint>? seeds = null, TimeSpan peerExpiry = default) : NodeMachine(self)
{
    /// <summary>
    /// A check whose dial has not come back after this long is presumed lost (a dial always ends in OnConnected or
    /// OnDialFailed, within the transport's connect timeout): the next report about that peer starts a new one.
    /// </summary>
    public static readonly TimeSpan StaleCheckAfter = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Pause before a relay to a seed that could not be reached is tried again; at most
    /// <see cref="SeedLinks.MaxDeliveryAttempts"/> attempts in all, then that seed is skipped.
    /// </summary>
    public static readonly TimeSpan RelayRetryInterval = TimeSpan.FromSeconds(2);

    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _peers = new();
    private readonly Dictionary<NodeEndpoint, NodeId> _ids = new(); // the id each listed peer proved when it registered
    private readonly List<NodeEndpoint> _order = [];
    private readonly Dictionary<ConnectionId, ConnectionInfo> _connections = new();
    private readonly Dictionary<NodeEndpoint, Check> _checks = new();
    private readonly IReadOnlyList<NodeEndpoint> _seeds = seeds ?? [];
    private readonly SeedLinks _relays = new();
    private readonly Queue<(NodeEndpoint Peer, DateTimeOffset At)> _registrations = new(); // oldest first; superseded entries are skipped
    private WakeScheduler? _wake;

    public override NodeRole Role => NodeRole.Seed;

    /// <summary>The registered peers, in registration order.</summary>
    public IReadOnlyList<NodeEndpoint> PeerList => _order;

    /// <summary>Peers reported dead that the seed is checking right now (dialing them).</summary>
    public IReadOnlyCollection<NodeEndpoint> Checking => _checks.Keys;

    public override bool StopComplete => true;

    public override void Start(DateTimeOffset now) =>
        Out.ExpectedIds = IdOf; // a check of a reported peer expects the id that registered it: an impostor there fails it

    public override void OnConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        if (!connection.Purpose.IsOverlay)
        {
            if (!OnDirectLinkConnected(connection))
            {
                CloseConnection(connection.Id, $"a seed takes no {connection.Purpose} link", afterFlush: false);
            }
            return;
        }
        if (!connection.Inbound)
        {
            if (_relays.IsDialing(connection.Listen))
            {
                OnRelayConnected(connection, now);
            }
            else if (!OnDialBackConnected(connection, now))
            {
                OnCheckConnected(connection, now);
            }
            return;
        }
        _connections[connection.Id] = connection;
    }

    public override void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
        if (_relays.IsDialing(target))
        {
            OnRelayFailed(target, reason, now);
        }
        else if (!OnDialBackFailed(target, reason, now) && _checks.Remove(target, out var check))
        {
            if (DialFailure.WasTurnedAway(reason))
            {
                Inconclusive(check, reason, now); // something listens there and turned the check away (its slots full): no death
            }
            else
            {
                Confirm(check, reason, now);
            }
        }
    }

    public override void OnClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        if (OnDirectLinkClosed(connection, reason, now))
        {
            ScheduleWake();
            return;
        }
        _connections.Remove(connection);
    }

    /// <summary>The node's one timer (relay retries are its only deadlines).</summary>
    private WakeScheduler Wake => _wake ??= new WakeScheduler(Out);

    public override void OnTimer(DateTimeOffset now)
    {
        Wake.Fired();
        foreach (var seed in _relays.DueForRetry(now))
        {
            Emit(new Dial(seed));
        }
        ExpireSilentPeers(now);
        OnRelayTimer(now);
        ScheduleWake();
    }

    public override void Stop(DateTimeOffset now)
    {
    }

    public override void OnMessage(ConnectionId connection, Message message, DateTimeOffset now)
    {
        if (_directLinks.Count != 0 && _directLinks.TryGetValue(connection, out var direct))
        {
            OnDirectMessage(direct, message, now);
            ScheduleWake();
            return;
        }
        if (!_connections.TryGetValue(connection, out var info))
        {
            return;
        }
        switch (message)
        {
            case Register register when info.Role == NodeRole.Peer:
                OnRegister(info, register, now);
                break;
            case GroupJoin join when info.Role == NodeRole.Peer:
                OnGroupJoin(info, join, now);
                break;
            case GroupLeave leave when info.Role == NodeRole.Peer:
                OnGroupLeave(info, leave, now);
                break;
            case DeadNode report:
                OnDeadNode(info, report, now);
                break;
            case Goodbye:
                OnGoodbye(info, now);
                break;
            case Ping ping:
                SendTo(connection, new Pong(ping.Sequence));
                break;
            default:
                Violation(connection, info.RemoteAddress, $"a seed does not accept {message.Type} from a {info.Role.ToString().ToLowerInvariant()}", now);
                break;
        }
    }

    private void OnRegister(ConnectionInfo info, Register register, DateTimeOffset now)
    {
        var refusal = IsSeed(info.Listen) ? $"claims to listen on {info.Listen}, the endpoint of a seed" : ForgedEndpoint(info);
        if (refusal is { } forged)
        {
            Report(new RequestRejected(now, MessageType.Register, info.Listen, info.RemoteAddress, forged));
            CloseConnection(info.Id, $"registration refused: {forged}", afterFlush: false);
            return;
        }
        var again = _peers.ContainsKey(info.Listen);
        if (!again && RefusedOverCap(info, now))
        {
            return;
        }
        var list = register.Wanted is { } wanted ? Refresh(info.Listen, wanted, register.Held, now) : Sample(info.Listen, now);
        var listed = again ? IsListed(info.Listen) : Admit(info, list, now);
        _peers[info.Listen] = now;
        if (!again && !listed)
        {
            // A first registration under dial-back is answered once the dial-back is done (SeedMachine.Guard.cs): the
            // peer has joined only when it is listed, so the next joiner is offered it, as without dial-back.
            _heldAnswers[info.Listen] = info.Id;
        }
        else
        {
            Attest(info.Id, info.Listen, info.RemoteId, now); // only when listed: its dial-back met this id, or there is none
            SendTo(info.Id, new PeerList(list, IdsOf(list)));
        }
        if (listed)
        {
            Report(new PeerRegistered(now, info.Listen, info.RemoteAddress, again, list));
        }
        else if (again)
        {
            StartDialBack(info.Listen, list, now); // not listed yet: its dial-back is tried again (at most every few seconds)
        }
        if (peerExpiry > TimeSpan.Zero)
        {
            _registrations.Enqueue((info.Listen, now));
            ScheduleWake();
        }
    }

    /// <summary>Removes every listed peer whose latest registration is older than the expiry.</summary>
    private void ExpireSilentPeers(DateTimeOffset now)
    {
        while (_registrations.TryPeek(out var oldest) && oldest.At + peerExpiry <= now)
        {
            _registrations.Dequeue();
            if (_peers.TryGetValue(oldest.Peer, out var last) && last == oldest.At && Remove(oldest.Peer))
            {
                Report(new PeerExpired(now, oldest.Peer, last, _order.Count));
            }
        }
    }

    private void OnGoodbye(ConnectionInfo info, DateTimeOffset now)
    {
        if (ForgedEndpoint(info) is { } forged)
        {
            Report(new RequestRejected(now, MessageType.Goodbye, info.Listen, info.RemoteAddress, forged));
            CloseConnection(info.Id, $"goodbye refused: {forged}", afterFlush: false);
            return;
        }
        if (Remove(info.Listen))
        {
            Report(new PeerDeregistered(now, info.Listen, _order.Count));
        }
        CloseConnection(info.Id, "peer said goodbye");
    }

    // ---- dead-node reports: accepted from registered peers only, and checked before a removal ----

    private void OnDeadNode(ConnectionInfo info, DeadNode report, DateTimeOffset now)
    {
        if (info.Role == NodeRole.Seed)
        {
            OnRelayedDeadNode(info, report, now);
            return;
        }
        var refusal = info.Role != NodeRole.Peer ? $"the sender is a {info.Role.ToString().ToLowerInvariant()}, not a peer"
            : !_peers.ContainsKey(info.Listen) ? $"the sender {info.Listen} is not a registered peer"
            : report.Reporter != info.Listen ? $"the report names {report.Reporter} as its reporter but comes from {info.Listen}"
            : ForgedEndpoint(info);
        if (refusal is not null)
        {
            Report(new DeadNodeRejected(now, report, info.RemoteAddress, refusal));
            return;
        }
        if (IgnoredReporter(info, report, now))
        {
            return;
        }
        CheckReported(report, info.RemoteAddress, relayedBy: null, now);
    }

    /// <summary>
    /// Another seed confirmed a death and relays the report: taken only from a configured seed connecting from its own
    /// address, and checked here like a peer's report. It is never relayed on (the sender relayed it to every seed).
    /// </summary>
    private void OnRelayedDeadNode(ConnectionInfo info, DeadNode report, DateTimeOffset now)
    {
        var refusal = info.Listen == Self ? "the sender claims to be this seed"
            : !IsSeed(info.Listen) ? $"the sender {info.Listen} is a seed that is not configured"
            : ForgedEndpoint(info);
        if (refusal is not null)
        {
            Report(new DeadNodeRejected(now, report, info.RemoteAddress, refusal));
            return;
        }
        CheckReported(report, info.RemoteAddress, relayedBy: info.Listen, now);
    }

    /// <summary>An accepted report (from a registered peer, or relayed by <paramref name="relayedBy"/>): check the peer, unless a check already runs.</summary>
    private void CheckReported(DeadNode report, string remoteAddress, NodeEndpoint? relayedBy, DateTimeOffset now)
    {
        if (!_peers.ContainsKey(report.Dead))
        {
            Report(new DeadNodeReceived(now, report, remoteAddress, Removed: false, _order.Count, RelayedBy: relayedBy));
            return;
        }
        if (_checks.TryGetValue(report.Dead, out var running) && now - running.Started < StaleCheckAfter)
        {
            running.Add(relayedBy, report.Reporter);
            Report(new DeadNodeChecking(now, report, remoteAddress, AlreadyChecking: true, relayedBy));
            return;
        }
        var check = new Check(report, remoteAddress, now, relayedBy);
        check.Add(relayedBy, report.Reporter);
        _checks[report.Dead] = check;
        if (!CheckOverReservation(report.Dead, now)) // a peer that cannot be dialled is asked over its reservation
        {
            Emit(new Dial(report.Dead));
        }
        Report(new DeadNodeChecking(now, report, remoteAddress, AlreadyChecking: false, relayedBy));
    }

    /// <summary>The seed's own dial to a reported peer connected: a peer there means the report was false.</summary>
    private void OnCheckConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        if (!_checks.Remove(connection.Listen, out var check))
        {
            CloseConnection(connection.Id, "no check pending for this endpoint", afterFlush: false);
            return;
        }
        if (connection.Role == NodeRole.Peer && !(_ids.TryGetValue(connection.Listen, out var registered) && registered != connection.RemoteId))
        {
            Refute(check, now);
            CloseConnection(connection.Id, "check done: the peer answered");
            return;
        }
        CloseConnection(connection.Id, "check done: not the registered peer");
        Confirm(check, connection.Role == NodeRole.Peer
            ? $"a peer with another id ({connection.RemoteId.Short}…) than the one registered listens there"
            : $"a {connection.Role.ToString().ToLowerInvariant()}, not a peer, listens there", now);
    }

    private void Confirm(Check check, string reason, DateTimeOffset now)
    {
        var removed = Remove(check.Report.Dead);
        Credit(check, now);
        Report(new DeadNodeReceived(now, check.Report, check.RemoteAddress, removed, _order.Count, reason, check.RelayedBy));
        if (check.FromPeer)
        {
            Relay(check, now);
        }
    }

    // ---- relaying confirmed deaths to the other seeds ----

    /// <summary>Whether <paramref name="endpoint"/> is one of the configured seeds other than this one.</summary>
    private bool IsSeed(NodeEndpoint endpoint)
    {
        if (endpoint == Self)
        {
            return false;
        }
        foreach (var seed in _seeds)
        {
            if (seed == endpoint)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A death a peer reported is confirmed: hand the report to every other configured seed (but those that relayed it
    /// here), each on a short-lived connection of its own, all at once, so an unreachable seed delays nobody.
    /// </summary>
    private void Relay(Check check, DateTimeOffset now)
    {
        List<NodeEndpoint>? targets = null;
        foreach (var seed in _seeds)
        {
            if (seed != Self && !check.RelayedHereBy(seed) && !(targets?.Contains(seed) ?? false))
            {
                (targets ??= []).Add(seed);
            }
        }
        if (targets is null)
        {
            return;
        }
        foreach (var seed in targets)
        {
            _relays.Enqueue(seed, check.Report);
            if (!_relays.IsConnectedOrDialing(seed))
            {
                _relays.MarkDialing(seed);
                Emit(new Dial(seed));
            }
        }
        Report(new DeadNodeRelayed(now, check.Report, targets));
    }

    private void OnRelayConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        var seed = connection.Listen;
        if (connection.Role != NodeRole.Seed)
        {
            CloseConnection(connection.Id, "relay: not a seed", afterFlush: false);
            OnRelayFailed(seed, $"a {connection.Role.ToString().ToLowerInvariant()}, not a seed, listens there", now, allowRetry: false);
            return;
        }
        if (!_relays.Attach(seed, connection.Id, out var pending))
        {
            CloseConnection(connection.Id, "unexpected connection to a seed", afterFlush: false);
            return;
        }
        foreach (var message in pending)
        {
            SendTo(connection.Id, message);
        }
        _relays.Release(seed);
        CloseConnection(connection.Id, "relay delivered");
        ScheduleWake();
    }

    private void OnRelayFailed(NodeEndpoint seed, string reason, DateTimeOffset now, bool allowRetry = true)
    {
        var undelivered = _relays.Fail(seed, now + RelayRetryInterval, allowRetry, out var retrying);
        if (undelivered.Count > 0)
        {
            Report(new DeadNodeRelayFailed(now, seed, undelivered.OfType<DeadNode>().ToArray(), reason, retrying ? now + RelayRetryInterval : null));
        }
        ScheduleWake();
    }

    private void ScheduleWake() => Wake.Request(WakeScheduler.Earliest(WakeScheduler.Earliest(_relays.NextDeadline,
        _registrations.TryPeek(out var oldest) ? oldest.At + peerExpiry : null), NextRelayDeadline));

    private bool Remove(NodeEndpoint peer)
    {
        if (!_peers.Remove(peer))
        {
            return false;
        }
        if (_guardState is { } guard && guard.IsUnlisted(peer))
        {
            guard.Removed(peer);
        }
        else
        {
            _order.Remove(peer);
            _listedAt.Remove(peer);
            _guardState?.Removed(peer);
        }
        _ids.Remove(peer);
        _heldAnswers.Remove(peer);
        LeaveAllGroups(peer);
        return true;
    }

    /// <summary>Requests refused because the connection's proven id is not the id that registered the endpoint it claims.</summary>
    public long RefusedImpostors { get; private set; }

    /// <summary>The id that registered <paramref name="peer"/>; null when it is not listed.</summary>
    public NodeId? IdOf(NodeEndpoint peer) => _ids.TryGetValue(peer, out var id) ? id : null;

    /// <summary>The id that registered each of <paramref name="listed"/> (listed peers), in the same order: what a list sent carries (version 6).</summary>
    private NodeId[] IdsOf(IReadOnlyList<NodeEndpoint> listed)
    {
        var ids = new NodeId[listed.Count];
        for (var i = 0; i < listed.Count; i++)
        {
            ids[i] = _ids.GetValueOrDefault(listed[i]);
        }
        return ids;
    }

    /// <summary>
    /// Why the endpoint a connection claims (its Hello's listening endpoint) cannot be its own, or null when it can:
    /// the claimed IP address must be the one the connection comes from (ports differ: the client port is ephemeral),
    /// and a listed peer's endpoint is spoken for only by the id that registered it (the one its handshake proved).
    /// </summary>
    private string? ForgedEndpoint(ConnectionInfo info)
    {
        if (!TryParseAddress(info.RemoteAddress, out var remote))
        {
            return $"cannot tell where the connection comes from ('{info.RemoteAddress}')";
        }
        var claimed = Normalize(info.Listen.Address);
        if (!claimed.Equals(remote))
        {
            return $"claims to listen on {info.Listen} but connects from {remote}";
        }
        if (_ids.TryGetValue(info.Listen, out var registered) && registered != info.RemoteId)
        {
            RefusedImpostors++;
            return $"claims {info.Listen}, which id {registered.Short}… registered, but proved id {info.RemoteId.Short}…";
        }
        return null;
    }

    /// <summary>Reads the IP address of an <c>ip:port</c> (IPv6 as <c>[addr]:port</c>) or a bare address.</summary>
    internal static bool TryParseAddress(string text, out IPAddress address)
    {
        if (IPEndPoint.TryParse(text, out var endPoint))
        {
            address = Normalize(endPoint.Address);
            return true;
        }
        address = IPAddress.None;
        return false;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>
    /// A dead-node report being checked: the first report, the address it came from, the seed that relayed it (null: a
    /// peer sent it), and when the check began; then who else reported the same death while it ran.
    /// </summary>
    private sealed class Check(DeadNode report, string remoteAddress, DateTimeOffset started, NodeEndpoint? relayedBy)
    {
        private List<NodeEndpoint>? _relayers;
        private List<NodeEndpoint>? _reporters;

        /// <summary>The peers that reported this death here (not through a seed's relay): judged on the verdict.</summary>
        public IReadOnlyList<NodeEndpoint> Reporters => _reporters ?? (IReadOnlyList<NodeEndpoint>)[];

        public DeadNode Report { get; } = report;

        public string RemoteAddress { get; } = remoteAddress;

        public DateTimeOffset Started { get; } = started;

        public NodeEndpoint? RelayedBy { get; } = relayedBy;

        /// <summary>A peer reported it (first or later): a confirmation is relayed to the other seeds.</summary>
        public bool FromPeer { get; private set; }

        /// <summary>Counts one more report: from a peer (<paramref name="relayer"/> null; <paramref name="reporter"/>) or relayed by a seed.</summary>
        public void Add(NodeEndpoint? relayer, NodeEndpoint reporter)
        {
            if (relayer is not { } seed)
            {
                FromPeer = true;
                if (!(_reporters?.Contains(reporter) ?? false))
                {
                    (_reporters ??= []).Add(reporter);
                }
            }
            else if (!RelayedHereBy(seed))
            {
                (_relayers ??= []).Add(seed);
            }
        }

        /// <summary>Whether <paramref name="seed"/> relayed this death here (so it knows, and needs no relay back).</summary>
        public bool RelayedHereBy(NodeEndpoint seed) => _relayers?.Contains(seed) ?? false;
    }
}
