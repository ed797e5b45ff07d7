using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>A node-local handle for one connection, chosen by whoever drives the machine.</summary>
public readonly record struct ConnectionId(long Value)
{
    public override string ToString() => $"#{Value}";
}

/// <summary>
/// A connection whose Hello exchange is complete: who is at the other end (its listening
/// endpoint and role), which side dialed, the socket address for log lines, and what the connection is for (the
/// dialer's <see cref="LinkPurpose"/>, which both Hellos carry).
/// </summary>
public sealed record ConnectionInfo(ConnectionId Id, NodeEndpoint Listen, NodeRole Role, bool Inbound, string RemoteAddress, LinkPurpose Purpose = default);
