using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.Simulation;

/// <summary>A machine that does only what the test tells it and writes down every event.</summary>
internal sealed class ScriptedMachine(NodeEndpoint self, NodeRole role) : NodeMachine(self)
{
    public override NodeRole Role { get; } = role;

    /// <summary>What <see cref="StopComplete"/> answers (true: a stop completes at once).</summary>
    public bool StopDone { get; set; } = true;

    public override bool StopComplete => StopDone;

    /// <summary>Run by <see cref="Stop"/> (say goodbye, say); null: nothing.</summary>
    public Action<ScriptedMachine>? OnStop { get; set; }

    /// <summary>The reasons given with every failed dial and every closed connection, in order.</summary>
    public List<string> Reasons { get; } = [];

    public List<(DateTimeOffset At, ConnectionInfo Info)> Connected { get; } = [];

    public List<(DateTimeOffset At, NodeEndpoint Target)> DialFailures { get; } = [];

    public List<(DateTimeOffset At, ConnectionId Id, Message Message)> Received { get; } = [];

    public List<(DateTimeOffset At, ConnectionId Id)> Closed { get; } = [];

    public List<DateTimeOffset> Timers { get; } = [];

    public List<string> Log { get; } = [];

    /// <summary>How many more times OnTimer asks to be woken "now" again.</summary>
    public int WakeAgainAtNow { get; set; }

    public void DoDial(NodeEndpoint target) => Emit(new Dial(target));

    public void DoDial(NodeEndpoint target, LinkPurpose purpose) => Emit(new Dial(target, purpose));

    /// <summary>A dial that only a node with id <paramref name="expected"/> may answer.</summary>
    public void DoDial(NodeEndpoint target, P2PSim.Security.NodeId expected) => Emit(new Dial(target) { ExpectedId = expected });

    public void DoSend(ConnectionId connection, Message message) => Emit(new Send(connection, message));

    public void DoClose(ConnectionId connection) => Emit(new Close(connection, "test"));

    public void DoWake(DateTimeOffset due) => Emit(new WakeAt(due));

    public void DoReport(NodeEvent e) => Report(e);

    public override void Start(DateTimeOffset now)
    {
    }

    public override void OnConnected(ConnectionInfo connection, DateTimeOffset now) => Connected.Add((now, connection));

    public override void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
        DialFailures.Add((now, target));
        Reasons.Add(reason);
    }

    public override void OnMessage(ConnectionId connection, Message message, DateTimeOffset now)
    {
        Received.Add((now, connection, message));
        Log.Add($"message {message.Type} {connection}");
    }

    public override void OnClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        Closed.Add((now, connection));
        Reasons.Add(reason);
        Log.Add($"closed {connection}");
    }

    public override void OnTimer(DateTimeOffset now)
    {
        Timers.Add(now);
        if (WakeAgainAtNow-- > 0)
        {
            DoWake(now);
        }
    }

    public override void Stop(DateTimeOffset now) => OnStop?.Invoke(this);
}
