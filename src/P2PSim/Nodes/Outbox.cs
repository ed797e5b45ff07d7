using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// Where a node and each of its parts put the actions they ask the driver for, in the order they ask. The parts of a
/// peer (<see cref="SeedSession"/>, <c>Overlay.NeighbourTable</c>, <c>Liveness.LivenessMonitor</c>,
/// <c>Gossip.Dissemination</c>) share the node's outbox, so the driver carries out one ordered list per input.
/// </summary>
public sealed class Outbox
{
    private readonly List<NodeAction> _actions = [];

    /// <summary>Actions produced since the last drain, in order.</summary>
    public IReadOnlyList<NodeAction> Pending => _actions;

    /// <summary>The pending actions themselves, for the runtime to carry out in place (then <see cref="Clear"/>).</summary>
    internal List<NodeAction> Items => _actions;

    internal void Clear() => _actions.Clear();

    /// <summary>Hands over the pending actions and clears the outbox.</summary>
    public NodeAction[] Drain()
    {
        var actions = _actions.ToArray();
        _actions.Clear();
        return actions;
    }

    /// <summary>Copies the pending actions into <paramref name="target"/> and clears the outbox (allocation-free drain).</summary>
    public void DrainInto(List<NodeAction> target)
    {
        target.AddRange(_actions);
        _actions.Clear();
    }

    public void Add(NodeAction action) => _actions.Add(action);

    public void Dial(NodeEndpoint target, LinkPurpose purpose = default) => _actions.Add(new Dial(target, purpose));

    public void Send(ConnectionId connection, Message message) => _actions.Add(new Send(connection, message));

    public void Close(ConnectionId connection, string reason, bool afterFlush = true) => _actions.Add(new Close(connection, reason, afterFlush));

    public void Report(NodeEvent e) => _actions.Add(new Report(e));

    public void WakeAt(DateTimeOffset due) => _actions.Add(new WakeAt(due));

    /// <summary>A remote broke the protocol: report it and abort its connection.</summary>
    public void Violation(ConnectionId connection, string remote, string reason, DateTimeOffset now)
    {
        Report(new ProtocolViolation(now, remote, reason));
        Close(connection, reason, afterFlush: false);
    }
}
