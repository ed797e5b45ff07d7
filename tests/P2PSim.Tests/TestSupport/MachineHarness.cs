using System.Net;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.TestSupport;

/// <summary>
/// A tiny synchronous in-memory wire for node state machines, with a fake clock.
/// <list type="bullet">
/// <item>Dial: both ends get OnConnected at once (fresh ConnectionIds), or the dialer gets OnDialFailed when the target is unknown, crashed or frozen, or on the other side of a <see cref="Partition"/>.</item>
/// <item>Send: the other end gets OnMessage (dropped when the link is gone or the receiver is frozen).</item>
/// <item>Close: both ends get OnClosed.</item>
/// <item>WakeAt: remembered per node; <see cref="AdvanceTo"/> fires timers in time order.</item>
/// <item>Report: recorded in <see cref="Events"/>.</item>
/// </list>
/// Actions are carried out in the order they were produced (FIFO), until nothing is left (<see cref="Pump"/>).
/// Faults: <see cref="Crash"/>, <see cref="Freeze"/>, <see cref="Disconnect"/>, <see cref="Partition"/> / <see cref="Heal"/>,
/// and <see cref="Replace{T}"/> (a node restarted with no state on the same endpoint).
/// </summary>
internal sealed class MachineHarness(DateTimeOffset start)
{
    private const int MaxStepsPerPump = 5_000_000;

    private readonly Dictionary<NodeEndpoint, Node> _nodes = new();
    private readonly List<Node> _order = [];
    private readonly Dictionary<ConnectionId, HalfLink> _links = new();
    private readonly Queue<(Node Owner, NodeAction Action)> _work = new();
    private readonly HashSet<(NodeEndpoint, NodeEndpoint)> _blocked = new();
    private long _nextConnection;
    private int _nextEphemeralPort = 50_000;

    /// <summary>The fake clock: every event is delivered with this time.</summary>
    public DateTimeOffset Now { get; private set; } = start;

    /// <summary>Every reported event, with the node that reported it, in order.</summary>
    public List<(NodeEndpoint Node, NodeEvent Event)> Events { get; } = [];

    /// <summary>Every message delivered, in order.</summary>
    public List<(NodeEndpoint From, NodeEndpoint To, Message Message)> Delivered { get; } = [];

    public IEnumerable<NodeMachine> Machines => _order.Select(n => n.Machine);

    public T Add<T>(T machine)
        where T : NodeMachine
    {
        var node = new Node(machine);
        _nodes.Add(machine.Self, node);
        _order.Add(node);
        return machine;
    }

    public void Start(NodeMachine machine)
    {
        var node = NodeOf(machine.Self);
        node.Machine.Start(Now);
        Collect(node);
        Pump();
    }

    public void Stop(NodeMachine machine)
    {
        var node = NodeOf(machine.Self);
        node.Machine.Stop(Now);
        Collect(node);
        Pump();
    }

    /// <summary>Feeds an input to a running node now (for example <c>PeerMachine.Publish</c>) and carries out what follows.</summary>
    public TResult Act<TMachine, TResult>(TMachine machine, Func<TMachine, DateTimeOffset, TResult> step)
        where TMachine : NodeMachine
    {
        var node = NodeOf(machine.Self);
        var result = step(machine, Now);
        Collect(node);
        Pump();
        return result;
    }

    /// <summary>An abrupt crash: the node's connections break (the other ends see OnClosed), it never acts again, dials to it fail.</summary>
    public void Crash(NodeEndpoint endpoint)
    {
        var node = NodeOf(endpoint);
        node.Crashed = true;
        foreach (var (id, half) in _links.Where(l => l.Value.Owner == node).ToArray())
        {
            _links.Remove(id);
            _links.Remove(half.RemoteId);
            if (!half.Remote.Down)
            {
                half.Remote.Machine.OnClosed(half.RemoteId, "connection reset by peer", Now);
                Collect(half.Remote);
            }
        }
        Pump();
    }

    /// <summary>
    /// A restarted node: whatever ran at <paramref name="machine"/>'s endpoint crashes (its connections break) and
    /// <paramref name="machine"/> takes its place, with none of its state. Call <see cref="Start"/> to start it.
    /// </summary>
    public T Replace<T>(T machine)
        where T : NodeMachine
    {
        var old = NodeOf(machine.Self);
        if (!old.Crashed)
        {
            Crash(machine.Self);
        }
        var node = new Node(machine);
        _nodes[machine.Self] = node;
        _order[_order.IndexOf(old)] = node;
        return machine;
    }

    /// <summary>
    /// Splits the network: every link between a node of <paramref name="sideA"/> and one of <paramref name="sideB"/>
    /// breaks (both ends see OnClosed) and dials across fail until <see cref="Heal"/>. Links within a side stay up.
    /// </summary>
    public void Partition(IEnumerable<NodeEndpoint> sideA, IEnumerable<NodeEndpoint> sideB)
    {
        var b = sideB.ToArray();
        foreach (var a in sideA)
        {
            foreach (var other in b)
            {
                _blocked.Add((a, other));
                _blocked.Add((other, a));
                Disconnect(a, other);
                Disconnect(other, a);
            }
        }
    }

    /// <summary>Ends every partition: dials across succeed again (broken links come back only when a node redials).</summary>
    public void Heal() => _blocked.Clear();

    /// <summary>A hung node: its connections stay open but it receives and answers nothing; dials to it fail.</summary>
    public void Freeze(NodeEndpoint endpoint) => NodeOf(endpoint).Frozen = true;

    /// <summary>Breaks every link between two nodes (both ends see OnClosed); both stay up and reachable.</summary>
    public void Disconnect(NodeEndpoint a, NodeEndpoint b)
    {
        var nodeA = NodeOf(a);
        var nodeB = NodeOf(b);
        foreach (var (id, half) in _links.Where(l => l.Value.Owner == nodeA && l.Value.Remote == nodeB).ToArray())
        {
            CloseLink(id, half, "network failure");
        }
        Pump();
    }

    /// <summary>Open links between two nodes.</summary>
    public int LinksBetween(NodeEndpoint a, NodeEndpoint b) =>
        _links.Values.Count(h => h.Owner.Machine.Self == a && h.Remote.Machine.Self == b);

    public IEnumerable<TEvent> EventsOf<TEvent>(NodeEndpoint node)
        where TEvent : NodeEvent =>
        Events.Where(e => e.Node == node).Select(e => e.Event).OfType<TEvent>();

    public IEnumerable<(NodeEndpoint Node, TEvent Event)> EventsOf<TEvent>()
        where TEvent : NodeEvent =>
        Events.Where(e => e.Event is TEvent).Select(e => (e.Node, (TEvent)e.Event));

    /// <summary>Fires every timer due up to <paramref name="until"/> in time order, then sets the clock to it.</summary>
    public void AdvanceTo(DateTimeOffset until)
    {
        var steps = 0;
        while (true)
        {
            var next = _order.Where(n => !n.Down && n.Wake is { } w && w <= until).OrderBy(n => n.Wake).FirstOrDefault();
            if (next is null)
            {
                break;
            }
            if (++steps > MaxStepsPerPump)
            {
                throw new InvalidOperationException("Timers keep firing without the clock moving on.");
            }
            if (next.Wake > Now)
            {
                Now = next.Wake.Value;
            }
            next.Wake = null;
            next.Machine.OnTimer(Now);
            Collect(next);
            Pump();
        }
        if (until > Now)
        {
            Now = until;
        }
    }

    public void AdvanceBy(TimeSpan span) => AdvanceTo(Now + span);

    /// <summary>Carries out queued actions until none are left.</summary>
    public void Pump()
    {
        var steps = 0;
        while (_work.TryDequeue(out var item))
        {
            if (++steps > MaxStepsPerPump)
            {
                throw new InvalidOperationException("The network does not settle.");
            }
            if (!item.Owner.Down)
            {
                Execute(item.Owner, item.Action);
            }
        }
    }

    private void Execute(Node owner, NodeAction action)
    {
        switch (action)
        {
            case Dial dial:
                DoDial(owner, dial.Target);
                break;
            case Send send:
                if (_links.TryGetValue(send.Connection, out var link) && link.Owner == owner && !link.Remote.Down)
                {
                    Delivered.Add((owner.Machine.Self, link.Remote.Machine.Self, send.Message));
                    link.Remote.Machine.OnMessage(link.RemoteId, send.Message, Now);
                    Collect(link.Remote);
                }
                break;
            case Close close:
                if (_links.TryGetValue(close.Connection, out var closing) && closing.Owner == owner)
                {
                    CloseLink(close.Connection, closing, close.Reason);
                }
                break;
            case WakeAt wake:
                owner.Wake = wake.Due;
                break;
            case Report report:
                Events.Add((owner.Machine.Self, report.Event));
                break;
            default:
                throw new InvalidOperationException($"Unknown action {action}");
        }
    }

    private void DoDial(Node dialer, NodeEndpoint target)
    {
        if (!_nodes.TryGetValue(target, out var acceptor) || acceptor.Down || _blocked.Contains((dialer.Machine.Self, target)))
        {
            dialer.Machine.OnDialFailed(target, acceptor is { Down: false } ? "network unreachable" : "connection refused", Now);
            Collect(dialer);
            return;
        }
        var dialerId = new ConnectionId(++_nextConnection);
        var acceptorId = new ConnectionId(++_nextConnection);
        _links[dialerId] = new HalfLink(dialer, acceptor, acceptorId);
        _links[acceptorId] = new HalfLink(acceptor, dialer, dialerId);
        var ephemeral = new IPEndPoint(dialer.Machine.Self.Address, _nextEphemeralPort++).ToString();
        acceptor.Machine.OnConnected(new ConnectionInfo(acceptorId, dialer.Machine.Self, dialer.Machine.Role, Inbound: true, ephemeral), Now);
        dialer.Machine.OnConnected(new ConnectionInfo(dialerId, target, acceptor.Machine.Role, Inbound: false, target.ToString()), Now);
        Collect(acceptor);
        Collect(dialer);
    }

    private void CloseLink(ConnectionId id, HalfLink half, string reason)
    {
        _links.Remove(id);
        _links.Remove(half.RemoteId);
        half.Owner.Machine.OnClosed(id, reason, Now);
        Collect(half.Owner);
        if (!half.Remote.Down)
        {
            half.Remote.Machine.OnClosed(half.RemoteId, reason, Now);
            Collect(half.Remote);
        }
    }

    private void Collect(Node node)
    {
        foreach (var action in node.Machine.DrainOutbox())
        {
            _work.Enqueue((node, action));
        }
    }

    private Node NodeOf(NodeEndpoint endpoint) =>
        _nodes.TryGetValue(endpoint, out var node) ? node : throw new ArgumentException($"No node at {endpoint}", nameof(endpoint));

    private sealed class Node(NodeMachine machine)
    {
        public NodeMachine Machine { get; } = machine;

        public DateTimeOffset? Wake { get; set; }

        public bool Crashed { get; set; }

        public bool Frozen { get; set; }

        public bool Down => Crashed || Frozen;
    }

    private sealed record HalfLink(Node Owner, Node Remote, ConnectionId RemoteId);
}
