using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Nodes;

/// <summary>
/// The protocol logic of one node as a state machine: events in (methods), actions out
/// (<see cref="Outbox"/>). No sockets, clock, threads or files. The driver calls one method
/// at a time, then takes the actions with <see cref="DrainOutbox"/>.
/// </summary>
public abstract class NodeMachine(NodeEndpoint self)
{
    /// <summary>This node's listening endpoint (where it is).</summary>
    public NodeEndpoint Self { get; } = self;

    /// <summary>Who this node is: its public key (PROTOCOL.md, "Identity and signatures"); default when its driver gave none (unit tests).</summary>
    public NodeId Id { get; init; }

    public abstract NodeRole Role { get; }

    /// <summary>Where this node and its parts put their actions.</summary>
    protected Outbox Out => Actions;

    /// <summary>The node's outbox, for the runtime that carries its actions out.</summary>
    internal Outbox Actions { get; } = new();

    /// <summary>Actions produced since the last drain, in order.</summary>
    public IReadOnlyList<NodeAction> PendingActions => Out.Pending;

    /// <summary>Hands over the pending actions and clears the outbox.</summary>
    public NodeAction[] DrainOutbox() => Out.Drain();

    /// <summary>Copies the pending actions into <paramref name="target"/> and clears the outbox (allocation-free drain).</summary>
    public void DrainOutboxInto(List<NodeAction> target) => Out.DrainInto(target);

    public abstract void Start(DateTimeOffset now);

    public abstract void OnConnected(ConnectionInfo connection, DateTimeOffset now);

    public abstract void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now);

    /// <summary>A dial for <paramref name="purpose"/> failed; a machine that dials only for the overlay need not override it.</summary>
    public virtual void OnDialFailed(NodeEndpoint target, LinkPurpose purpose, string reason, DateTimeOffset now) => OnDialFailed(target, reason, now);

    /// <summary>
    /// A dial that expected <paramref name="expected"/> at <paramref name="target"/> (<see cref="Dial.ExpectedId"/>) met a
    /// node that proved <paramref name="met"/>: the link was refused. Reported (one line, rate-limited as violations are;
    /// counted), then handled as the failed dial it is.
    /// </summary>
    public void OnDialMetOtherId(NodeEndpoint target, LinkPurpose purpose, NodeId expected, NodeId met, DateTimeOffset now)
    {
        DialsMetOtherId++;
        var refused = new DialMetOtherId(now, target, expected, met);
        Report(refused);
        OnDialFailed(target, purpose, refused.Reason, now);
    }

    /// <summary>Dials refused because the node at the target proved another id than the one expected there.</summary>
    public long DialsMetOtherId { get; private set; }

    public abstract void OnMessage(ConnectionId connection, Message message, DateTimeOffset now);

    /// <summary>
    /// <paramref name="frames"/> gossip frames of the remote's own (hop 1) that its link <paramref name="connection"/>
    /// carried but the transport dropped for the process queue budget before this node saw them. A peer charges them to
    /// that neighbour's allowance (<c>Gossip/Dissemination.Throttle.cs</c>); a seed takes no gossip.
    /// </summary>
    public virtual void OnOwnGossipShed(ConnectionId connection, int frames, DateTimeOffset now)
    {
    }

    public abstract void OnClosed(ConnectionId connection, string reason, DateTimeOffset now);

    public abstract void OnTimer(DateTimeOffset now);

    /// <summary>Clean shutdown: say goodbye. <see cref="StopComplete"/> turns true when nothing more is owed.</summary>
    public abstract void Stop(DateTimeOffset now);

    /// <summary>After <see cref="Stop"/>: every goodbye has been handed over.</summary>
    public abstract bool StopComplete { get; }

    protected void Emit(NodeAction action) => Out.Add(action);

    protected void Report(NodeEvent e) => Out.Report(e);

    protected void SendTo(ConnectionId connection, Message message) => Out.Send(connection, message);

    protected void CloseConnection(ConnectionId connection, string reason, bool afterFlush = true) => Out.Close(connection, reason, afterFlush);

    protected void Violation(ConnectionId connection, string remote, string reason, DateTimeOffset now) => Out.Violation(connection, remote, reason, now);
}
