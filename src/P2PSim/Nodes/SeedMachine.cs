using System.Net;
using P2PSim.Protocol;

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
/// </summary>
public sealed class SeedMachine(NodeEndpoint self, Random random, int maxPeersPerList = 1000) : NodeMachine(self)
{
    /// <summary>
    /// A check whose dial has not come back after this long is presumed lost (a dial always ends in OnConnected or
    /// OnDialFailed, within the transport's connect timeout): the next report about that peer starts a new one.
    /// </summary>
    public static readonly TimeSpan StaleCheckAfter = TimeSpan.FromMinutes(1);

    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _peers = new();
    private readonly List<NodeEndpoint> _order = [];
    private readonly Dictionary<ConnectionId, ConnectionInfo> _connections = new();
    private readonly Dictionary<NodeEndpoint, Check> _checks = new();

    public override NodeRole Role => NodeRole.Seed;

    /// <summary>The registered peers, in registration order.</summary>
    public IReadOnlyList<NodeEndpoint> PeerList => _order;

    /// <summary>Peers reported dead that the seed is checking right now (dialing them).</summary>
    public IReadOnlyCollection<NodeEndpoint> Checking => _checks.Keys;

    public override bool StopComplete => true;

    public override void Start(DateTimeOffset now)
    {
    }

    public override void OnConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        if (!connection.Inbound)
        {
            OnCheckConnected(connection, now);
            return;
        }
        _connections[connection.Id] = connection;
    }

    public override void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
        if (_checks.Remove(target, out var check))
        {
            Confirm(check, reason, now);
        }
    }

    public override void OnClosed(ConnectionId connection, string reason, DateTimeOffset now) => _connections.Remove(connection);

    public override void OnTimer(DateTimeOffset now)
    {
    }

    public override void Stop(DateTimeOffset now)
    {
    }

    public override void OnMessage(ConnectionId connection, Message message, DateTimeOffset now)
    {
        if (!_connections.TryGetValue(connection, out var info))
        {
            return;
        }
        switch (message)
        {
            case Register when info.Role == NodeRole.Peer:
                OnRegister(info, now);
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

    private void OnRegister(ConnectionInfo info, DateTimeOffset now)
    {
        if (ForgedEndpoint(info) is { } forged)
        {
            Report(new RequestRejected(now, MessageType.Register, info.Listen, info.RemoteAddress, forged));
            CloseConnection(info.Id, $"registration refused: {forged}", afterFlush: false);
            return;
        }
        var again = _peers.ContainsKey(info.Listen);
        var list = Sample(info.Listen);
        if (!again)
        {
            _order.Add(info.Listen);
        }
        _peers[info.Listen] = now;
        SendTo(info.Id, new PeerList(list));
        Report(new PeerRegistered(now, info.Listen, info.RemoteAddress, again, list));
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
        var refusal = info.Role != NodeRole.Peer ? $"the sender is a {info.Role.ToString().ToLowerInvariant()}, not a peer"
            : !_peers.ContainsKey(info.Listen) ? $"the sender {info.Listen} is not a registered peer"
            : ForgedEndpoint(info);
        if (refusal is not null)
        {
            Report(new DeadNodeRejected(now, report, info.RemoteAddress, refusal));
            return;
        }
        if (!_peers.ContainsKey(report.Dead))
        {
            Report(new DeadNodeReceived(now, report, info.RemoteAddress, Removed: false, _order.Count));
            return;
        }
        if (_checks.TryGetValue(report.Dead, out var running) && now - running.Started < StaleCheckAfter)
        {
            Report(new DeadNodeChecking(now, report, info.RemoteAddress, AlreadyChecking: true));
            return;
        }
        _checks[report.Dead] = new Check(report, info.RemoteAddress, now);
        Emit(new Dial(report.Dead));
        Report(new DeadNodeChecking(now, report, info.RemoteAddress, AlreadyChecking: false));
    }

    /// <summary>The seed's own dial to a reported peer connected: a peer there means the report was false.</summary>
    private void OnCheckConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        if (!_checks.Remove(connection.Listen, out var check))
        {
            CloseConnection(connection.Id, "no check pending for this endpoint", afterFlush: false);
            return;
        }
        if (connection.Role == NodeRole.Peer)
        {
            Report(new DeadNodeRefuted(now, check.Report, check.RemoteAddress));
            CloseConnection(connection.Id, "check done: the peer answered");
            return;
        }
        CloseConnection(connection.Id, "check done: not a peer");
        Confirm(check, $"a {connection.Role.ToString().ToLowerInvariant()}, not a peer, listens there", now);
    }

    private void Confirm(Check check, string reason, DateTimeOffset now)
    {
        var removed = Remove(check.Report.Dead);
        Report(new DeadNodeReceived(now, check.Report, check.RemoteAddress, removed, _order.Count, reason));
    }

    private bool Remove(NodeEndpoint peer)
    {
        if (!_peers.Remove(peer))
        {
            return false;
        }
        _order.Remove(peer);
        return true;
    }

    /// <summary>
    /// Why the endpoint a connection claims (its Hello's listening endpoint) cannot be its own, or null when it can:
    /// the claimed IP address must be the one the connection comes from (ports differ: the client port is ephemeral).
    /// </summary>
    private static string? ForgedEndpoint(ConnectionInfo info)
    {
        if (!TryParseAddress(info.RemoteAddress, out var remote))
        {
            return $"cannot tell where the connection comes from ('{info.RemoteAddress}')";
        }
        var claimed = Normalize(info.Listen.Address);
        return claimed.Equals(remote) ? null : $"claims to listen on {info.Listen} but connects from {remote}";
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

    /// <summary>The PL for one registrant: every other peer, or a random sample of them when there are too many.</summary>
    private NodeEndpoint[] Sample(NodeEndpoint registrant)
    {
        var others = _order.Count - (_peers.ContainsKey(registrant) ? 1 : 0);
        if (others <= maxPeersPerList)
        {
            var all = new NodeEndpoint[others];
            var i = 0;
            foreach (var peer in _order)
            {
                if (peer != registrant)
                {
                    all[i++] = peer;
                }
            }
            return all;
        }
        // Many peers: draw distinct random positions instead of copying and shuffling the whole list,
        // so a registration costs O(maxPeersPerList), not O(peers).
        var picked = new HashSet<int>();
        var sample = new NodeEndpoint[maxPeersPerList];
        var n = 0;
        while (n < sample.Length)
        {
            var index = random.Next(_order.Count);
            if (_order[index] != registrant && picked.Add(index))
            {
                sample[n++] = _order[index];
            }
        }
        return sample;
    }

    /// <summary>A dead-node report being checked: the first report, the address it came from, and when the check began.</summary>
    private sealed record Check(DeadNode Report, string RemoteAddress, DateTimeOffset Started);
}
