using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Nodes;

/// <summary>A node-local handle for one connection, chosen by whoever drives the machine.</summary>
public readonly record struct ConnectionId(long Value)
{
    public override string ToString() => $"#{Value}";
}

/// <summary>
/// A connection whose handshake is complete: who is at the other end (its listening endpoint and role, and
/// <paramref name="RemoteId"/>, the id it proved to hold the key of; on the simulated network the id its node has, the
/// proof not modelled), which side dialed, the socket address for log lines, and what the connection is for (the
/// dialer's <see cref="LinkPurpose"/>, which both Hellos carry).
/// </summary>
public sealed record ConnectionInfo(ConnectionId Id, NodeEndpoint Listen, NodeRole Role, bool Inbound, string RemoteAddress, LinkPurpose Purpose = default,
    NodeId RemoteId = default);
