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
/// A disseminated message in the version-2 envelope (PROTOCOL.md, type 5). <see cref="Kind"/>, <see cref="Origin"/>
/// (the originating peer's listening endpoint), <see cref="Sequence"/> (the origin's counter, from 1),
/// <see cref="TimestampUnixMs"/> (when the origin created it) and <see cref="Text"/> (the payload; for
/// <see cref="GossipKind.Gossip"/> the demo's <c>&lt;timestamp&gt;:&lt;ip&gt;:&lt;port&gt;:&lt;msg#&gt;</c>) identify
/// the message: its <see cref="Id"/> is computed from them. <see cref="Hops"/> counts the links this copy has crossed
/// (1 when the origin sends it) and <see cref="Signature"/> (null, or 64 bytes reserved for an Ed25519 signature, not
/// checked yet) travels unchanged; neither is part of the id.
/// </summary>
public sealed record Gossip(GossipKind Kind, NodeEndpoint Origin, ulong Sequence, long TimestampUnixMs, ushort Hops, string Text, byte[]? Signature = null)
    : Message
{
    private IdHolder? _id;

    public override MessageType Type => MessageType.Gossip;

    // The fields of the id drop a cached id when set, so a copy made with `with { Sequence = ... }` hashes anew.

    public GossipKind Kind { get; init { field = value; _id = null; } } = Kind;

    public NodeEndpoint Origin { get; init { field = value; _id = null; } } = Origin;

    public ulong Sequence { get; init { field = value; _id = null; } } = Sequence;

    public long TimestampUnixMs { get; init { field = value; _id = null; } } = TimestampUnixMs;

    public string Text { get; init { field = value; _id = null; } } = Text;

    /// <summary>
    /// Null (unsigned) or <see cref="ProtocolLimits.SignatureSize"/> bytes; compared by value, never modified. An empty
    /// array is taken as null (unsigned: that is what its frame says).
    /// </summary>
    public byte[]? Signature { get; init => field = NullIfEmpty(value); } = NullIfEmpty(Signature);

    /// <summary>
    /// The message id (<see cref="MessageId.Of"/>), computed once per object and kept: copies made with
    /// <c>with { Hops = ... }</c> carry it along, so a node forwarding a message, or a simulation in which every copy
    /// descends from the original, hashes each message once. A decoded frame is a new object and hashes anew.
    /// </summary>
    public MessageId Id => (_id ??= new IdHolder(MessageId.Of(Kind, Origin, Sequence, TimestampUnixMs, Text))).Value;

    /// <summary>Equal when every field is, the signature's bytes included (the cached id is not part of the value).</summary>
    public bool Equals(Gossip? other) => other is not null
        && Kind == other.Kind
        && Sequence == other.Sequence
        && TimestampUnixMs == other.TimestampUnixMs
        && Hops == other.Hops
        && Origin == other.Origin
        && string.Equals(Text, other.Text, StringComparison.Ordinal)
        && (Signature is null || other.Signature is null ? Signature == other.Signature : Signature.AsSpan().SequenceEqual(other.Signature));

    public override int GetHashCode() => HashCode.Combine(Origin, Sequence, Text, Hops);

    private static byte[]? NullIfEmpty(byte[]? bytes) => bytes is { Length: 0 } ? null : bytes;

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
