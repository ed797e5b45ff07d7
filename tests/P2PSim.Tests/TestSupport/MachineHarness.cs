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
/// Each node runs in a <see cref="NodeRuntime"/> (which interprets its actions, as on every network); this wire defers
/// what the runtime asks of it and carries it out in the order it was asked (FIFO), until nothing is left (<see cref="Pump"/>).
/// Faults: <see cref="Crash"/>, <see cref="Freeze"/>, <see cref="Disconnect"/>, <see cref="Partition"/> / <see cref="Heal"/>,
/// and <see cref="Replace{T}"/> (a node restarted with no state on the same endpoint).
/// </summary>
internal sealed class MachineHarness(DateTimeOffset start)
{
    private const int MaxStepsPerPump = 5_000_000;

    private readonly Dictionary<NodeEndpoint, Node> _nodes = new();
    private readonly List<Node> _order = [];
    private readonly Dictionary<ConnectionId, HalfLink> _links = new();
    private readonly Queue<(Node Owner, Action Work)> _work = new();
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
        var node = new Node(machine, this);
        _nodes.Add(machine.Self, node);
        _order.Add(node);
        return machine;
    }

    public void Start(NodeMachine machine)
    {
        NodeOf(machine.Self).Runtime.Start(Now);
        Pump();
    }

    public void Stop(NodeMachine machine)
    {
        NodeOf(machine.Self).Runtime.Stop(Now);
        Pump();
    }

    /// <summary>Feeds an input to a running node now (for example <c>PeerMachine.Publish</c>) and carries out what follows.</summary>
    public TResult Act<TMachine, TResult>(TMachine machine, Func<TMachine, DateTimeOffset, TResult> step)
        where TMachine : NodeMachine
    {
        var result = NodeOf(machine.Self).Runtime.Apply((m, now) => step((TMachine)m, now), Now);
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
                half.Remote.Runtime.OnClosed(half.RemoteId, "connection reset by peer", Now);
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
        var node = new Node(machine, this);
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
            next.Runtime.OnTimer(Now);
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
                item.Work();
            }
        }
    }

    private void DoSend(Node owner, ConnectionId connection, Message message)
    {
        if (_links.TryGetValue(connection, out var link) && link.Owner == owner && !link.Remote.Down)
        {
            Delivered.Add((owner.Machine.Self, link.Remote.Machine.Self, message));
            link.Remote.Runtime.OnMessage(link.RemoteId, message, owner.Machine.Role, Now);
        }
    }

    private void DoClose(Node owner, ConnectionId connection, string reason)
    {
        if (_links.TryGetValue(connection, out var closing) && closing.Owner == owner)
        {
            CloseLink(connection, closing, reason);
        }
    }

    private void DoDial(Node dialer, NodeEndpoint target)
    {
        if (!_nodes.TryGetValue(target, out var acceptor) || acceptor.Down || _blocked.Contains((dialer.Machine.Self, target)))
        {
            dialer.Runtime.OnDialFailed(target, acceptor is { Down: false } ? "network unreachable" : "connection refused", Now);
            return;
        }
        var dialerId = new ConnectionId(++_nextConnection);
        var acceptorId = new ConnectionId(++_nextConnection);
        _links[dialerId] = new HalfLink(dialer, acceptor, acceptorId);
        _links[acceptorId] = new HalfLink(acceptor, dialer, dialerId);
        var ephemeral = new IPEndPoint(dialer.Machine.Self.Address, _nextEphemeralPort++).ToString();
        acceptor.Runtime.OnConnected(new ConnectionInfo(acceptorId, dialer.Machine.Self, dialer.Machine.Role, Inbound: true, ephemeral), Now);
        dialer.Runtime.OnConnected(new ConnectionInfo(dialerId, target, acceptor.Machine.Role, Inbound: false, target.ToString()), Now);
    }

    private void CloseLink(ConnectionId id, HalfLink half, string reason)
    {
        _links.Remove(id);
        _links.Remove(half.RemoteId);
        half.Owner.Runtime.OnClosed(id, reason, Now);
        if (!half.Remote.Down)
        {
            half.Remote.Runtime.OnClosed(half.RemoteId, reason, Now);
        }
    }

    private Node NodeOf(NodeEndpoint endpoint) =>
        _nodes.TryGetValue(endpoint, out var node) ? node : throw new ArgumentException($"No node at {endpoint}", nameof(endpoint));

    /// <summary>One node: its machine, run by a runtime whose requests this wire defers to the work queue.</summary>
    private sealed class Node : INodeHost
    {
        private readonly MachineHarness _wire;

        public Node(NodeMachine machine, MachineHarness wire)
        {
            Machine = machine;
            _wire = wire;
            Runtime = new NodeRuntime(machine, this);
        }

        public NodeMachine Machine { get; }

        public NodeRuntime Runtime { get; }

        void INodeHost.Dial(NodeEndpoint target) => _wire._work.Enqueue((this, () => _wire.DoDial(this, target)));

        void INodeHost.Send(ConnectionId connection, Message message) => _wire._work.Enqueue((this, () => _wire.DoSend(this, connection, message)));

        void INodeHost.Close(ConnectionId connection, string reason, bool afterFlush) => _wire._work.Enqueue((this, () => _wire.DoClose(this, connection, reason)));

        void INodeHost.WakeAt(DateTimeOffset due) => _wire._work.Enqueue((this, () => Wake = due));

        void INodeHost.Report(NodeEvent e) => _wire._work.Enqueue((this, () => _wire.Events.Add((Machine.Self, e))));

        public DateTimeOffset? Wake { get; set; }

        public bool Crashed { get; set; }

        public bool Frozen { get; set; }

        public bool Down => Crashed || Frozen;
    }

    private sealed record HalfLink(Node Owner, Node Remote, ConnectionId RemoteId);
}
