using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.Nodes;

/// <summary>
/// An in-memory wire with latency, so that events of different nodes interleave as on a real network.
/// Every hop (a dial, each end's handshake, each message, a close) takes a random 1..<c>maxDelay</c> ms from a
/// seeded <see cref="Random"/>; messages to and from a node set with <see cref="SlowDown"/> take longer still. Messages on one
/// connection keep their order; a close after flush reaches the other end after everything sent before it;
/// an abort (or a crash) drops what is still in flight. Deterministic for a given seed.
/// </summary>
internal sealed class LaggyWire(DateTimeOffset start, int randomSeed, TimeSpan maxDelay)
{
    private readonly TimeSpan _maxDelay = maxDelay;
    private readonly Random _random = new(randomSeed);
    private readonly PriorityQueue<Action, (DateTimeOffset At, long Order)> _agenda = new();
    private readonly Dictionary<NodeEndpoint, Node> _nodes = new();
    private long _order;
    private long _nextConnection;

    public DateTimeOffset Now { get; private set; } = start;

    public List<(NodeEndpoint Node, NodeEvent Event)> Events { get; } = [];

    public IEnumerable<(NodeEndpoint Node, TEvent Event)> EventsOf<TEvent>()
        where TEvent : NodeEvent =>
        Events.Where(e => e.Event is TEvent).Select(e => (e.Node, (TEvent)e.Event));

    public T Add<T>(T machine)
        where T : NodeMachine
    {
        _nodes.Add(machine.Self, new Node(machine, this));
        return machine;
    }

    /// <summary>Messages to and from <paramref name="endpoint"/> take <paramref name="extra"/> longer (a busy node: connections still open quickly).</summary>
    public void SlowDown(NodeEndpoint endpoint, TimeSpan extra) => _nodes[endpoint].ExtraDelay = extra;

    public void Start(NodeMachine machine) => Do(_nodes[machine.Self], r => r.Start(Now));

    public void Stop(NodeMachine machine) => Do(_nodes[machine.Self], r => r.Stop(Now));

    /// <summary>The process dies: its connections are reset (the other ends notice after one hop), dials to it fail.</summary>
    public void Crash(NodeEndpoint endpoint)
    {
        var node = _nodes[endpoint];
        node.Crashed = true;
        foreach (var half in node.Links.Values)
        {
            At(Now + Hop(), () => ClosedByRemote(half.Remote, half.RemoteId, "connection reset"));
        }
        node.Links.Clear();
    }

    /// <summary>Open connections between two nodes, as seen from <paramref name="from"/>.</summary>
    public int LinksBetween(NodeEndpoint from, NodeEndpoint to) => _nodes[from].Links.Values.Count(h => h.Remote.Machine.Self == to);

    public void RunFor(TimeSpan span) => RunUntil(() => false, Now + span);

    /// <summary>Runs events in time order until <paramref name="done"/> holds or the clock reaches <paramref name="deadline"/>.</summary>
    public void RunUntil(Func<bool> done, DateTimeOffset deadline)
    {
        for (var steps = 0; !done(); steps++)
        {
            if (steps > 10_000_000)
            {
                throw new InvalidOperationException("The network does not settle.");
            }
            var timer = _nodes.Values.Where(n => !n.Crashed && n.Wake is { } w && w <= deadline).MinBy(n => n.Wake);
            var hasEvent = _agenda.TryPeek(out _, out var next) && next.At <= deadline;
            if (hasEvent && (timer is null || next.At <= timer.Wake))
            {
                Now = next.At > Now ? next.At : Now;
                _agenda.Dequeue()();
            }
            else if (timer is not null)
            {
                Now = timer.Wake!.Value > Now ? timer.Wake.Value : Now;
                timer.Wake = null;
                Do(timer, r => r.OnTimer(Now));
            }
            else
            {
                Now = deadline > Now ? deadline : Now;
                return;
            }
        }
    }

    private TimeSpan Hop() => TimeSpan.FromTicks(1 + (long)(_random.NextDouble() * _maxDelay.Ticks));

    private void At(DateTimeOffset at, Action action) => _agenda.Enqueue(action, (at, _order++));

    private static void Do(Node node, Action<NodeRuntime> step)
    {
        if (!node.Crashed)
        {
            step(node.Runtime);
        }
    }

    private void DoSend(Node node, ConnectionId connection, Message message)
    {
        if (!node.Links.TryGetValue(connection, out var half))
        {
            return;
        }
        var remote = half.Remote;
        var remoteId = half.RemoteId;
        half.LastArrival = Later(Now + Hop() + node.ExtraDelay + remote.ExtraDelay, half.LastArrival);
        At(half.LastArrival, () =>
        {
            if (remote.Links.ContainsKey(remoteId))
            {
                Do(remote, r => r.OnMessage(remoteId, message, node.Machine.Role, Now));
            }
        });
    }

    private void DoClose(Node node, ConnectionId connection, string reason, bool afterFlush)
    {
        if (!node.Links.Remove(connection, out var closing))
        {
            return;
        }
        At(Now, () => Do(node, r => r.OnClosed(connection, reason, Now)));
        var arrival = Now + Hop();
        At(afterFlush ? Later(arrival, closing.LastArrival) : arrival, () => ClosedByRemote(closing.Remote, closing.RemoteId, reason));
    }

    private void Connect(Node dialer, NodeEndpoint target)
    {
        if (dialer.Crashed)
        {
            return;
        }
        if (!_nodes.TryGetValue(target, out var acceptor) || acceptor.Crashed)
        {
            Do(dialer, r => r.OnDialFailed(target, "connection refused", Now));
            return;
        }
        var dialerId = new ConnectionId(++_nextConnection);
        var acceptorId = new ConnectionId(++_nextConnection);
        var acceptorReady = Now + Hop();
        var dialerReady = Now + Hop();
        // Nothing sent on a connection arrives before the receiving end has seen it open.
        dialer.Links[dialerId] = new HalfLink(acceptor, acceptorId) { LastArrival = acceptorReady };
        acceptor.Links[acceptorId] = new HalfLink(dialer, dialerId) { LastArrival = dialerReady };
        At(acceptorReady, () =>
        {
            if (acceptor.Links.ContainsKey(acceptorId))
            {
                Do(acceptor, r => r.OnConnected(new ConnectionInfo(acceptorId, dialer.Machine.Self, dialer.Machine.Role, Inbound: true, $"{dialer.Machine.Self.Address}:{40_000 + dialerId.Value}"), Now));
            }
        });
        At(dialerReady, () =>
        {
            if (dialer.Links.ContainsKey(dialerId))
            {
                Do(dialer, r => r.OnConnected(new ConnectionInfo(dialerId, target, acceptor.Machine.Role, Inbound: false, target.ToString()), Now));
            }
        });
    }

    private void ClosedByRemote(Node node, ConnectionId id, string reason)
    {
        if (node.Links.Remove(id))
        {
            Do(node, r => r.OnClosed(id, reason, Now));
        }
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>One node: its machine, run by a runtime that carries its actions out on this wire.</summary>
    private sealed class Node : INodeHost
    {
        private readonly LaggyWire _wire;

        public Node(NodeMachine machine, LaggyWire wire)
        {
            Machine = machine;
            _wire = wire;
            Runtime = new NodeRuntime(machine, this);
        }

        public NodeMachine Machine { get; }

        public NodeRuntime Runtime { get; }

        void INodeHost.Dial(NodeEndpoint target) => _wire.At(_wire.Now + _wire._maxDelay, () => _wire.Connect(this, target));

        void INodeHost.Send(ConnectionId connection, Message message) => _wire.DoSend(this, connection, message);

        void INodeHost.Close(ConnectionId connection, string reason, bool afterFlush) => _wire.DoClose(this, connection, reason, afterFlush);

        void INodeHost.WakeAt(DateTimeOffset due) => Wake = due;

        void INodeHost.Report(NodeEvent e) => _wire.Events.Add((Machine.Self, e));

        public Dictionary<ConnectionId, HalfLink> Links { get; } = new();

        public DateTimeOffset? Wake { get; set; }

        public bool Crashed { get; set; }

        public TimeSpan ExtraDelay { get; set; }
    }

    private sealed class HalfLink(Node remote, ConnectionId remoteId)
    {
        public Node Remote { get; } = remote;

        public ConnectionId RemoteId { get; } = remoteId;

        /// <summary>When the last message sent this way arrives: later ones arrive after it.</summary>
        public DateTimeOffset LastArrival { get; set; }
    }
}
