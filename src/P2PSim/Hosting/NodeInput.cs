using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>One thing for a node's loop to handle, in arrival order.</summary>
internal abstract record NodeInput
{
    public sealed record Begin : NodeInput;

    public sealed record Connected(ConnectionInfo Connection) : NodeInput;

    public sealed record DialFailed(NodeEndpoint Target, string Reason, LinkPurpose Purpose = default) : NodeInput;

    /// <summary>A dial that expected <paramref name="Expected"/> at <paramref name="Target"/> met <paramref name="Met"/> and was refused.</summary>
    public sealed record DialMetOtherId(NodeEndpoint Target, LinkPurpose Purpose, Security.NodeId Expected, Security.NodeId Met) : NodeInput;

    public sealed record Received(ConnectionId Connection, Message Message) : NodeInput;

    public sealed record Closed(ConnectionId Connection, string Reason) : NodeInput;

    /// <summary><paramref name="Frames"/> of the remote's own gossip frames on <paramref name="Connection"/> that the process queue budget dropped unseen.</summary>
    public sealed record OwnGossipShed(ConnectionId Connection, int Frames) : NodeInput;

    public sealed record Timer : NodeInput
    {
        public static readonly Timer Instance = new();
    }

    public sealed record Stop : NodeInput;

    public sealed record Crash : NodeInput;

    /// <summary>
    /// An action on the machine, run as one step of the node's loop; <paramref name="Done"/> runs after the step's actions
    /// were carried out (what the action made the node report is reported, what it sends is queued).
    /// </summary>
    public sealed record Inspect(Action<NodeMachine> Action, Action? Done = null) : NodeInput;
}
