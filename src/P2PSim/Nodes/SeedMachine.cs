using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// A seed: keeps the Peer List (PL) of registered peers, answers a registration with the
/// current PL, removes peers that are reported dead or say goodbye. Never hands a removed
/// peer out again unless it registers anew.
/// </summary>
public sealed class SeedMachine(NodeEndpoint self, Random random, int maxPeersPerList = 1000) : NodeMachine(self)
{
    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _peers = new();
    private readonly List<NodeEndpoint> _order = [];
    private readonly Dictionary<ConnectionId, ConnectionInfo> _connections = new();

    public override NodeRole Role => NodeRole.Seed;

    /// <summary>The registered peers, in registration order.</summary>
    public IReadOnlyList<NodeEndpoint> PeerList => _order;

    public override bool StopComplete => true;

    public override void Start(DateTimeOffset now)
    {
    }

    public override void OnConnected(ConnectionInfo connection, DateTimeOffset now) => _connections[connection.Id] = connection;

    public override void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
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
                if (Remove(info.Listen))
                {
                    Report(new PeerDeregistered(now, info.Listen, _order.Count));
                }
                CloseConnection(connection, "peer said goodbye");
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

    private void OnDeadNode(ConnectionInfo info, DeadNode report, DateTimeOffset now)
    {
        var removed = Remove(report.Dead);
        Report(new DeadNodeReceived(now, report, info.RemoteAddress, removed, _order.Count));
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

    /// <summary>The PL for one registrant: every other peer, or a random sample of them when there are too many.</summary>
    private NodeEndpoint[] Sample(NodeEndpoint registrant)
    {
        var others = _order.Where(p => p != registrant).ToArray();
        if (others.Length <= maxPeersPerList)
        {
            return others;
        }
        random.Shuffle(others);
        return others[..maxPeersPerList];
    }
}
