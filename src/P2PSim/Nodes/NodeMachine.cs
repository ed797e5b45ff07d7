using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// The protocol logic of one node as a state machine: events in (methods), actions out
/// (<see cref="Outbox"/>). No sockets, clock, threads or files. The driver calls one method
/// at a time, then takes the actions with <see cref="DrainOutbox"/>.
/// </summary>
public abstract class NodeMachine(NodeEndpoint self)
{
    private readonly List<NodeAction> _outbox = [];

    /// <summary>This node's listening endpoint (its identity).</summary>
    public NodeEndpoint Self { get; } = self;

    public abstract NodeRole Role { get; }

    /// <summary>Actions produced since the last drain, in order.</summary>
    public IReadOnlyList<NodeAction> Outbox => _outbox;

    /// <summary>Hands over the pending actions and clears the outbox.</summary>
    public NodeAction[] DrainOutbox()
    {
        var actions = _outbox.ToArray();
        _outbox.Clear();
        return actions;
    }

    /// <summary>Copies the pending actions into <paramref name="target"/> and clears the outbox (allocation-free drain).</summary>
    public void DrainOutboxInto(List<NodeAction> target)
    {
        target.AddRange(_outbox);
        _outbox.Clear();
    }

    public abstract void Start(DateTimeOffset now);

    public abstract void OnConnected(ConnectionInfo connection, DateTimeOffset now);

    public abstract void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now);

    public abstract void OnMessage(ConnectionId connection, Message message, DateTimeOffset now);

    public abstract void OnClosed(ConnectionId connection, string reason, DateTimeOffset now);

    public abstract void OnTimer(DateTimeOffset now);

    /// <summary>Clean shutdown: say goodbye. <see cref="StopComplete"/> turns true when nothing more is owed.</summary>
    public abstract void Stop(DateTimeOffset now);

    /// <summary>After <see cref="Stop"/>: every goodbye has been handed over.</summary>
    public abstract bool StopComplete { get; }

    protected void Emit(NodeAction action) => _outbox.Add(action);

    protected void Report(NodeEvent e) => _outbox.Add(new Report(e));

    protected void SendTo(ConnectionId connection, Message message) => _outbox.Add(new Send(connection, message));

    protected void CloseConnection(ConnectionId connection, string reason, bool afterFlush = true) =>
        _outbox.Add(new Close(connection, reason, afterFlush));

    protected void Violation(ConnectionId connection, string remote, string reason, DateTimeOffset now)
    {
        Report(new ProtocolViolation(now, remote, reason));
        CloseConnection(connection, reason, afterFlush: false);
    }
}
