using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// Where a node and each of its parts put the actions they ask the driver for, in the order they ask. The parts of a
/// peer (<see cref="SeedSession"/>, <c>Overlay.NeighbourTable</c>, <c>Liveness.LivenessMonitor</c>,
/// <c>Gossip.Dissemination</c>) share the node's outbox, so the driver carries out one ordered list per input.
/// </summary>
public sealed class Outbox
{
    private readonly List<NodeAction> _actions;
    private readonly Outbox _root;
    private readonly string? _group;
    private readonly LinkPurpose _purpose;

    public Outbox()
    {
        _actions = [];
        _root = this;
    }

    /// <summary>A view of <paramref name="shared"/> for the parts of group <paramref name="group"/>'s overlay (see <see cref="ForGroup"/>).</summary>
    private Outbox(Outbox shared, string group)
    {
        _actions = shared._actions;
        _root = shared._root;
        _group = group;
        _purpose = LinkPurpose.ForGroup(group);
    }

    /// <summary>
    /// The same outbox (one ordered list of actions) as the parts of group <paramref name="group"/>'s overlay see it:
    /// their dials ask for links of that group (<see cref="LinkPurpose.ForGroup"/>), and what they report comes out
    /// wrapped in a <see cref="GroupEvent"/>, so the log and the statistics tell a group's neighbours and messages from
    /// the whole network's. The parts themselves are the overlay's, unchanged.
    /// </summary>
    public Outbox ForGroup(string group) => new(this, group);

    /// <summary>The group whose parts this view is for; null: the node's own outbox.</summary>
    public string? Group => _group;

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

    /// <summary>
    /// Where every dial of the node (and of its group views) looks up the id it expects at its target (protocol version 6:
    /// <see cref="Dial.ExpectedId"/>); null, or a default id: any. Set once by the machine that owns the outbox.
    /// </summary>
    public Func<NodeEndpoint, Security.NodeId?>? ExpectedIds
    {
        get => _root._expectedIds;
        set => _root._expectedIds = value;
    }

    private Func<NodeEndpoint, Security.NodeId?>? _expectedIds;

    /// <summary>
    /// Open a connection for <paramref name="purpose"/>; without one, for what this outbox is for (the overlay, or its
    /// group). It expects the id <see cref="ExpectedIds"/> knows <paramref name="target"/> by, if any.
    /// </summary>
    public void Dial(NodeEndpoint target, LinkPurpose? purpose = null)
    {
        var expected = _root._expectedIds?.Invoke(target);
        _actions.Add(new Dial(target, purpose ?? _purpose) { ExpectedId = expected == default(Security.NodeId) ? null : expected });
    }

    public void Send(ConnectionId connection, Message message) => _actions.Add(new Send(connection, message));

    public void Close(ConnectionId connection, string reason, bool afterFlush = true) => _actions.Add(new Close(connection, reason, afterFlush));

    public void Report(NodeEvent e) => _actions.Add(new Report(_group is null ? e : new GroupEvent(e.At, _group, e)));

    public void WakeAt(DateTimeOffset due) => _actions.Add(new WakeAt(due));

    /// <summary>A remote broke the protocol: report it and abort its connection.</summary>
    public void Violation(ConnectionId connection, string remote, string reason, DateTimeOffset now)
    {
        Report(new ProtocolViolation(now, remote, reason));
        Close(connection, reason, afterFlush: false);
    }
}
