using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.Nodes;

/// <summary>
/// A node that does only what a test tells it: dial somewhere and send given frames (for example a liar's false
/// dead-node report). It records what it receives and accepts every connection.
/// </summary>
internal sealed class ScriptedNode(NodeEndpoint self, NodeRole role) : NodeMachine(self)
{
    private readonly Dictionary<NodeEndpoint, Message[]> _toSend = new();

    public override NodeRole Role => role;

    public override bool StopComplete => true;

    public List<Message> Received { get; } = [];

    public List<ConnectionInfo> Connections { get; } = [];

    /// <summary>Dials <paramref name="target"/> and sends <paramref name="messages"/> once connected (the driver carries it out).</summary>
    public void DialAndSend(NodeEndpoint target, params Message[] messages)
    {
        _toSend[target] = messages;
        Emit(new Dial(target));
    }

    public override void Start(DateTimeOffset now)
    {
    }

    public override void OnConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        Connections.Add(connection);
        if (!connection.Inbound && _toSend.Remove(connection.Listen, out var messages))
        {
            foreach (var message in messages)
            {
                SendTo(connection.Id, message);
            }
        }
    }

    public override void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
    }

    public override void OnMessage(ConnectionId connection, Message message, DateTimeOffset now) => Received.Add(message);

    public override void OnClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
    }

    public override void OnTimer(DateTimeOffset now)
    {
    }

    public override void Stop(DateTimeOffset now)
    {
    }
}
