using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// Runs one node's state machine for a driver, the same way on every network: it feeds the machine one input at a
/// time and carries out the actions the machine asked for, in order, through the driver's <see cref="INodeHost"/>.
/// It is the only code that interprets a <see cref="NodeAction"/>. It also holds the rules that are about running a
/// node rather than about its protocol state, so that the simulator applies them too:
/// <list type="bullet">
/// <item><b>Pings are answered at once</b> (<see cref="AnswerAtOnce"/>): a Ping from a peer gets its Pong straight
/// away, ahead of whatever the node still has to process, and the machine never sees it (exactly one Pong per Ping).
/// The TCP shell applies it on the connection's read loop; with <c>Transport:EchoPings</c> false the machine answers
/// in turn.</item>
/// <item><b>Liveness first</b> (<see cref="GoesFirst"/>): a Pong is handed to the machine before frames already
/// waiting for it, so a busy node does not declare its live neighbours dead. A driver that queues inputs (the TCP
/// shell) keeps a lane for them; the simulator, which queues none, hands every frame over on arrival.</item>
/// </list>
/// Not thread-safe: one input at a time, as the machine.
/// </summary>
public sealed class NodeRuntime(NodeMachine machine, INodeHost host, bool echoPings = true)
{
    private readonly List<NodeAction> _actions = [];

    public NodeMachine Machine { get; } = machine;

    /// <summary>Whether Pings from peers are answered by the runtime (<see cref="AnswerAtOnce"/>) rather than the machine.</summary>
    public bool EchoPings { get; } = echoPings;

    /// <summary>
    /// The reply to send at once, ahead of everything queued, for a frame from a remote of role
    /// <paramref name="from"/>; the frame then goes no further. Null: the frame goes to the machine. Only Pings from
    /// peers are answered so (a Ping from a seed is the peer machine's to judge). Thread-safe: it keeps no state.
    /// </summary>
    public static Message? AnswerAtOnce(Message message, NodeRole from, bool echoPings) =>
        echoPings && from == NodeRole.Peer && message is Ping ping ? new Pong(ping.Sequence) : null;

    /// <summary>Whether a frame overtakes the frames already waiting for the machine: liveness replies do. Thread-safe.</summary>
    public static bool GoesFirst(Message message) => message is Pong;

    public void Start(DateTimeOffset now) => Step(now, static (m, t) => m.Start(t));

    public void Stop(DateTimeOffset now) => Step(now, static (m, t) => m.Stop(t));

    public void OnTimer(DateTimeOffset now) => Step(now, static (m, t) => m.OnTimer(t));

    public void OnConnected(ConnectionInfo connection, DateTimeOffset now) =>
        Step((connection, now), static (m, s) => m.OnConnected(s.connection, s.now));

    public void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now) =>
        Step((target, reason, now), static (m, s) => m.OnDialFailed(s.target, s.reason, s.now));

    public void OnClosed(ConnectionId connection, string reason, DateTimeOffset now) =>
        Step((connection, reason, now), static (m, s) => m.OnClosed(s.connection, s.reason, s.now));

    /// <summary>A frame from a remote of role <paramref name="from"/>: answered at once (<see cref="AnswerAtOnce"/>), or handed to the machine.</summary>
    public void OnMessage(ConnectionId connection, Message message, NodeRole from, DateTimeOffset now)
    {
        if (AnswerAtOnce(message, from, EchoPings) is { } reply)
        {
            host.Send(connection, reply);
            return;
        }
        OnMessage(connection, message, now);
    }

    /// <summary>A frame the driver already passed through <see cref="AnswerAtOnce"/> (or that needs no such check): straight to the machine.</summary>
    public void OnMessage(ConnectionId connection, Message message, DateTimeOffset now) =>
        Step((connection, message, now), static (m, s) => m.OnMessage(s.connection, s.message, s.now));

    /// <summary>Any other input (a command such as <c>PeerMachine.Publish</c>, or a read), then its actions.</summary>
    public T Apply<T>(Func<NodeMachine, DateTimeOffset, T> input, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(input);
        var result = default(T)!;
        Step(now, (m, t) => result = input(m, t));
        return result;
    }

    /// <inheritdoc cref="Apply{T}"/>
    public void Apply(Action<NodeMachine, DateTimeOffset> input, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(input);
        Step(now, input);
    }

    /// <summary>One input to the machine, then its actions, carried out even when the machine threw half-way.</summary>
    private void Step<TState>(TState state, Action<NodeMachine, TState> input)
    {
        try
        {
            input(Machine, state);
        }
        finally
        {
            Execute();
        }
    }

    private void Execute()
    {
        var actions = _actions;
        Machine.DrainOutboxInto(actions);
        try
        {
            for (var i = 0; i < actions.Count; i++)
            {
                switch (actions[i])
                {
                    case Send send:
                        host.Send(send.Connection, send.Message);
                        break;
                    case Report report:
                        host.Report(report.Event);
                        break;
                    case WakeAt wake:
                        host.WakeAt(wake.Due);
                        break;
                    case Dial dial:
                        host.Dial(dial.Target);
                        break;
                    case Close close:
                        host.Close(close.Connection, close.Reason, close.AfterFlush);
                        break;
                    default:
                        throw new InvalidOperationException($"No driver knows the action {actions[i].GetType().Name}.");
                }
            }
        }
        finally
        {
            actions.Clear();
        }
    }
}
