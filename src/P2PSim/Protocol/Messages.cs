using P2PSim.Gossip;

namespace P2PSim.Protocol;

/// <summary>One typed message of the wire protocol. Every frame carries exactly one.</summary>
public abstract record Message
{
    public abstract MessageType Type { get; }
}

/// <summary>First frame in each direction of every connection: version, role and listening endpoint.</summary>
public sealed record Hello(ushort Version, NodeRole Role, NodeEndpoint Listen) : Message
{
    public override MessageType Type => MessageType.Hello;
}

/// <summary>Peer to seed: add me (my Hello's listening endpoint) to your peer list.</summary>
public sealed record Register : Message
{
    public static readonly Register Instance = new();
    public override MessageType Type => MessageType.Register;
}

/// <summary>Seed to peer, in answer to <see cref="Register"/>: the peers the seed knows.</summary>
public sealed record PeerList(IReadOnlyList<NodeEndpoint> Peers) : Message
{
    public override MessageType Type => MessageType.PeerList;

    public bool Equals(PeerList? other) => other is not null && Peers.SequenceEqual(other.Peers);

    public override int GetHashCode() => Peers.Count;
}

/// <summary>
/// Peer to seed: <paramref name="Dead"/> stopped answering. Its text form is
/// <c>Dead Node:&lt;ip&gt;:&lt;port&gt;:&lt;timestamp&gt;:&lt;reporter ip&gt;</c>.
/// </summary>
public sealed record DeadNode(NodeEndpoint Dead, long TimestampUnixMs, NodeEndpoint Reporter) : Message
{
    public override MessageType Type => MessageType.DeadNode;

    public string ToText() => $"Dead Node:{Dead.Address}:{Dead.Port}:{TimestampUnixMs}:{Reporter.Address}";

    public override string ToString() => ToText();
}

/// <summary>
/// A gossip message. <paramref name="Text"/> is <c>&lt;timestamp&gt;:&lt;ip&gt;:&lt;port&gt;:&lt;msg#&gt;</c>
/// and identifies the message (its SHA-256 is the Message List key). <paramref name="Hops"/>
/// counts the links this copy has crossed (1 when the originator sends it).
/// </summary>
public sealed record Gossip(string Text, ushort Hops) : Message
{
    private IdHolder? _id;

    public override MessageType Type => MessageType.Gossip;

    /// <summary>
    /// The message id (SHA-256 of <see cref="Text"/>), computed once per object and kept: copies made with
    /// <c>with { Hops = ... }</c> carry it along, so a node forwarding a message, or a simulation in which every copy
    /// descends from the original, hashes each text once. A decoded frame is a new object and hashes anew.
    /// </summary>
    public MessageId Id => (_id ??= new IdHolder(MessageId.Of(Text))).Value;

    /// <summary>Equal when text and hops are (the cached id is not part of the value).</summary>
    public bool Equals(Gossip? other) => other is not null && Hops == other.Hops && string.Equals(Text, other.Text, StringComparison.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Text, Hops);

    /// <summary>A reference, so the id is published whole: a reader sees no id or all of it.</summary>
    private sealed record IdHolder(MessageId Value);
}

/// <summary>Liveness request; the neighbour answers with a <see cref="Pong"/> carrying the same sequence.</summary>
public sealed record Ping(ulong Sequence) : Message
{
    public override MessageType Type => MessageType.Ping;
}

/// <summary>Liveness reply to the <see cref="Ping"/> with the same sequence.</summary>
public sealed record Pong(ulong Sequence) : Message
{
    public override MessageType Type => MessageType.Pong;
}

/// <summary>Clean leave: the sender is shutting down and must not be reported dead.</summary>
public sealed record Goodbye : Message
{
    public static readonly Goodbye Instance = new();
    public override MessageType Type => MessageType.Goodbye;
}

/// <summary>
/// Catch-up, peer to peer: the ids of the gossip messages the sender holds from its recent
/// history (<c>Peer:HistoryWindow</c>), sent when a neighbour link comes up. The receiver asks
/// for the ones it has not seen with a <see cref="Want"/>.
/// </summary>
public sealed record Digest(IReadOnlyList<MessageId> Ids) : Message
{
    public override MessageType Type => MessageType.Digest;

    public bool Equals(Digest? other) => other is not null && Ids.SequenceEqual(other.Ids);

    public override int GetHashCode() => Ids.Count;
}

/// <summary>Catch-up, answer to a <see cref="Digest"/>: send me these messages (the holder answers with <see cref="Gossip"/> frames).</summary>
public sealed record Want(IReadOnlyList<MessageId> Ids) : Message
{
    public override MessageType Type => MessageType.Want;

    public bool Equals(Want? other) => other is not null && Ids.SequenceEqual(other.Ids);

    public override int GetHashCode() => Ids.Count;
}
