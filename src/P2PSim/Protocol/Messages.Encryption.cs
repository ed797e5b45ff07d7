using P2PSim.Security;

namespace P2PSim.Protocol;

/// <summary>
/// Peer to seed, on a direct link (PROTOCOL.md, <i>End-to-end encrypted private messages</i>): which id did the peer at
/// <paramref name="Peer"/> register with? A sender that must relay a private message through a seed, and knows no id for
/// its recipient, asks this before it seals the message's key to the recipient.
/// </summary>
public sealed record IdRequest(NodeEndpoint Peer) : Message
{
    public override MessageType Type => MessageType.IdRequest;
}

/// <summary>
/// Seed to peer: the id <paramref name="Peer"/> registered with at this seed, or null when the seed lists no peer there
/// (the answer to an <see cref="IdRequest"/>).
/// </summary>
public sealed record IdAnswer(NodeEndpoint Peer, NodeId? Id) : Message
{
    public override MessageType Type => MessageType.IdAnswer;
}
