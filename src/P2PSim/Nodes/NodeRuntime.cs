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
/// <para>
/// Every input has an instance form, for a driver that keeps one runtime per node (the TCP shell, the test wires), and
/// a static form generic over the host, for a driver that keeps its nodes in dense arrays (the simulator: its host is
/// a struct naming the node, so carrying out an action costs no allocation, no virtual call and no extra object to
/// load). Both are the same code.
/// </para>
/// </summary>
public sealed class NodeRuntime(NodeMachine machine, INodeHost host, bool echoPings = true)
{
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

    public void Start(DateTimeOffset now) => Start(Machine, host, now);

    public void Stop(DateTimeOffset now) => Stop(Machine, host, now);

    public void OnTimer(DateTimeOffset now) => OnTimer(Machine, host, now);

    public void OnConnected(ConnectionInfo connection, DateTimeOffset now) => OnConnected(Machine, host, connection, now);

    public void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now) => OnDialFailed(Machine, host, target, reason, now);

    public void OnDialFailed(NodeEndpoint target, LinkPurpose purpose, string reason, DateTimeOffset now) => OnDialFailed(Machine, host, target, purpose, reason, now);

    public void OnClosed(ConnectionId connection, string reason, DateTimeOffset now) => OnClosed(Machine, host, connection, reason, now);

    /// <summary>A dial that expected <paramref name="expected"/> met a node that proved <paramref name="met"/> (see <see cref="NodeMachine.OnDialMetOtherId"/>).</summary>
    public void OnDialMetOtherId(NodeEndpoint target, LinkPurpose purpose, Security.NodeId expected, Security.NodeId met, DateTimeOffset now) =>
        OnDialMetOtherId(Machine, host, target, purpose, expected, met, now);

    /// <summary>Own gossip frames of the remote on <paramref name="connection"/> that the transport dropped for its budget (see <see cref="NodeMachine.OnOwnGossipShed"/>).</summary>
    public void OnOwnGossipShed(ConnectionId connection, int frames, DateTimeOffset now) => OnOwnGossipShed(Machine, host, connection, frames, now);

    /// <summary>A frame from a remote of role <paramref name="from"/>: answered at once (<see cref="AnswerAtOnce"/>), or handed to the machine.</summary>
    public void OnMessage(ConnectionId connection, Message message, NodeRole from, DateTimeOffset now) =>
        OnMessage(Machine, host, EchoPings, connection, message, from, now);

    /// <summary>A frame the driver already passed through <see cref="AnswerAtOnce"/> (or that needs no such check): straight to the machine.</summary>
    public void OnMessage(ConnectionId connection, Message message, DateTimeOffset now) => OnMessage(Machine, host, connection, message, now);

    /// <summary>Any other input (a command such as <c>PeerMachine.Publish</c>, or a read), then its actions.</summary>
    public T Apply<T>(Func<NodeMachine, DateTimeOffset, T> input, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(input);
        var result = default(T)!;
        Apply(Machine, host, (m, t) => result = input(m, t), now);
        return result;
    }

    /// <inheritdoc cref="Apply{T}"/>
    public void Apply(Action<NodeMachine, DateTimeOffset> input, DateTimeOffset now) => Apply(Machine, host, input, now);

    // ---- the same inputs for a driver that names the machine and its host on each call ----

    public static void Start<THost>(NodeMachine machine, THost host, DateTimeOffset now)
        where THost : INodeHost => Step(machine, host, now, static (m, t) => m.Start(t));

    public static void Stop<THost>(NodeMachine machine, THost host, DateTimeOffset now)
        where THost : INodeHost => Step(machine, host, now, static (m, t) => m.Stop(t));

    public static void OnTimer<THost>(NodeMachine machine, THost host, DateTimeOffset now)
        where THost : INodeHost => Step(machine, host, now, static (m, t) => m.OnTimer(t));

    public static void OnConnected<THost>(NodeMachine machine, THost host, ConnectionInfo connection, DateTimeOffset now)
        where THost : INodeHost => Step(machine, host, (connection, now), static (m, s) => m.OnConnected(s.connection, s.now));

    public static void OnDialFailed<THost>(NodeMachine machine, THost host, NodeEndpoint target, string reason, DateTimeOffset now)
        where THost : INodeHost => Step(machine, host, (target, reason, now), static (m, s) => m.OnDialFailed(s.target, s.reason, s.now));

    public static void OnDialFailed<THost>(NodeMachine machine, THost host, NodeEndpoint target, LinkPurpose purpose, string reason, DateTimeOffset now)
        where THost : INodeHost => Step(machine, host, (target, purpose, reason, now), static (m, s) => m.OnDialFailed(s.target, s.purpose, s.reason, s.now));

    public static void OnDialMetOtherId<THost>(NodeMachine machine, THost host, NodeEndpoint target, LinkPurpose purpose, Security.NodeId expected, Security.NodeId met, DateTimeOffset now)
        where THost : INodeHost => Step(machine, host, (target, purpose, expected, met, now), static (m, s) => m.OnDialMetOtherId(s.target, s.purpose, s.expected, s.met, s.now));

    public static void OnOwnGossipShed<THost>(NodeMachine machine, THost host, ConnectionId connection, int frames, DateTimeOffset now)
        where THost : INodeHost => Step(machine, host, (connection, frames, now), static (m, s) => m.OnOwnGossipShed(s.connection, s.frames, s.now));

    public static void OnClosed<THost>(NodeMachine machine, THost host, ConnectionId connection, string reason, DateTimeOffset now)
        where THost : INodeHost => Step(machine, host, (connection, reason, now), static (m, s) => m.OnClosed(s.connection, s.reason, s.now));

    /// <inheritdoc cref="OnMessage(ConnectionId, Message, NodeRole, DateTimeOffset)"/>
    public static void OnMessage<THost>(NodeMachine machine, THost host, bool echoPings, ConnectionId connection, Message message, NodeRole from, DateTimeOffset now)
        where THost : INodeHost
    {
        if (AnswerAtOnce(message, from, echoPings) is { } reply)
        {
            host.Send(connection, reply);
            return;
        }
        OnMessage(machine, host, connection, message, now);
    }

    /// <inheritdoc cref="OnMessage(ConnectionId, Message, DateTimeOffset)"/>
    /// <remarks>The bulk of all inputs: written out rather than through <see cref="Step"/>.</remarks>
    public static void OnMessage<THost>(NodeMachine machine, THost host, ConnectionId connection, Message message, DateTimeOffset now)
        where THost : INodeHost
    {
        try
        {
            machine.OnMessage(connection, message, now);
        }
        finally
        {
            Execute(machine, host);
        }
    }

    /// <inheritdoc cref="Apply(Action{NodeMachine, DateTimeOffset}, DateTimeOffset)"/>
    public static void Apply<THost>(NodeMachine machine, THost host, Action<NodeMachine, DateTimeOffset> input, DateTimeOffset now)
        where THost : INodeHost
    {
        ArgumentNullException.ThrowIfNull(input);
        Step(machine, host, now, input);
    }

    /// <summary>One input to the machine, then its actions, carried out even when the machine threw half-way.</summary>
    private static void Step<THost, TState>(NodeMachine machine, THost host, TState state, Action<NodeMachine, TState> input)
        where THost : INodeHost
    {
        try
        {
            input(machine, state);
        }
        finally
        {
            Execute(machine, host);
        }
    }

    /// <summary>
    /// Carries out the machine's pending actions in order, straight from its outbox (no copy: a host only queues or
    /// schedules what it is asked, it never calls back into the runtime while it runs), then empties the outbox.
    /// </summary>
    private static void Execute<THost>(NodeMachine machine, THost host)
        where THost : INodeHost
    {
        var outbox = machine.Actions;
        var actions = outbox.Items;
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
                    case Dial { ExpectedId: { } expected } dial:
                        host.Dial(dial.Target, dial.Purpose, expected);
                        break;
                    case Dial dial when dial.Purpose.IsOverlay:
                        host.Dial(dial.Target);
                        break;
                    case Dial dial:
                        host.Dial(dial.Target, dial.Purpose);
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
            outbox.Clear();
        }
    }
}
