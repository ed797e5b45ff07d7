using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>A node-local handle for one connection, chosen by whoever drives the machine.</summary>
public readonly record struct ConnectionId(long Value)
{
    public override string ToString() => $"#{Value}";
}

/// <summary>
/// A connection whose Hello exchange is complete: who is at the other end (its listening
/// endpoint and role), which side dialed, and the socket address for log lines.
/// </summary>
public sealed record ConnectionInfo(ConnectionId Id, NodeEndpoint Listen, NodeRole Role, bool Inbound, string RemoteAddress);
