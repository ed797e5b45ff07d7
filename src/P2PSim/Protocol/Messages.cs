using P2PSim.Gossip;

namespace P2PSim.Protocol;

/// <summary>One typed message of the wire protocol. Every frame carries exactly one.</summary>
public abstract record Message
{
    public abstract MessageType Type { get; }
}

/// <summary>
/// First frame in each direction of every connection: version, role, listening endpoint, the sender's
/// <see cref="Id"/> (its public key) with the <see cref="Work"/> that id cost (version 6), and a fresh <see cref="Nonce"/>
/// for the other side to sign (version 4; a <see cref="HelloProof"/> follows), and what the connection is for (<see cref="LinkPurpose"/>: the overlay, a
/// group's overlay, or a private message's direct link; the acceptor answers with the dialer's purpose).
/// </summary>
public sealed record Hello(ushort Version, NodeRole Role, NodeEndpoint Listen, LinkPurpose Purpose = default) : Message
{
    public override MessageType Type => MessageType.Hello;

    /// <summary>Who the sender claims to be; its <see cref="HelloProof"/> shows it holds the key.</summary>
    public Security.NodeId Id { get; init; }

    /// <summary>
    /// The id's proof of work (version 6): the difficulty the sender's network asks (<c>Security:IdDifficulty</c>; every
    /// node of one network must ask the same) and the nonce that gives <see cref="Id"/> that many zero bits.
    /// </summary>
    public Security.IdWork Work { get; init; }

    /// <summary>Random bytes the other side signs in its proof (fresh for every connection).</summary>
    public HelloNonce Nonce { get; init; }
}

/// <summary>
/// Peer to seed: add me (my Hello's listening endpoint) to your peer list, or keep me there. Empty (<see cref="Instance"/>):
/// answer with the whole list, as a joiner needs it. A re-registration of a peer that has joined says what it keeps of
/// this seed's list instead (version 6): <see cref="Wanted"/> fresh entries at most, and the entries it <see cref="Held"/>;
/// the seed answers with the held entries it still lists and up to that many others (PROTOCOL.md, <i>Re-registration</i>).
/// </summary>
public sealed record Register : Message
{
    public static readonly Register Instance = new();
    public override MessageType Type => MessageType.Register;

    /// <summary>How many entries the peer wants besides the held ones; null: the whole list (an empty frame).</summary>
    public int? Wanted { get; init; }

    /// <summary>The entries of this seed's list the peer keeps (it learns which of them the seed has removed since).</summary>
    public IReadOnlyList<NodeEndpoint> Held { get; init; } = [];

    /// <summary>A re-registration that wants at most <paramref name="wanted"/> fresh entries besides <paramref name="held"/>.</summary>
    public static Register Refresh(int wanted, IReadOnlyList<NodeEndpoint> held) => new() { Wanted = wanted, Held = held };

    public bool Equals(Register? other) => other is not null && Wanted == other.Wanted && Held.SequenceEqual(other.Held);

    public override int GetHashCode() => HashCode.Combine(Wanted, Held.Count);
}

/// <summary>
/// Seed to peer, in answer to <see cref="Register"/>: the peers the seed knows, each with the id that registered it
/// (version 6; <see cref="Ids"/>, in the same order), so a peer knows whom to expect at a listed endpoint before it meets it.
/// </summary>
public sealed record PeerList(IReadOnlyList<NodeEndpoint> Peers) : Message
{
    /// <summary>A list whose entry <c>i</c> is <paramref name="peers"/>[i] with the id <paramref name="ids"/>[i] (the same count).</summary>
    public PeerList(IReadOnlyList<NodeEndpoint> peers, IReadOnlyList<Security.NodeId> ids)
        : this(peers) => Ids = ListedIds.Check(peers, ids);

    public override MessageType Type => MessageType.PeerList;

    /// <summary>
    /// The id of each entry of <see cref="Peers"/>, in the same order; empty, or a default entry: none known (sent as 32 zero
    /// bytes, which are no usable key). A seed always knows them: the id each peer's handshake proved at registration.
    /// </summary>
    public IReadOnlyList<Security.NodeId> Ids { get; init; } = [];

    /// <summary>The id of entry <paramref name="index"/>, or default when none is known.</summary>
    public Security.NodeId IdAt(int index) => ListedIds.At(Ids, index);

    public bool Equals(PeerList? other) => other is not null && Peers.SequenceEqual(other.Peers) && ListedIds.Same(Ids, other.Ids, Peers.Count);

    public override int GetHashCode() => Peers.Count;
}

/// <summary>The ids that go with a list of endpoints (<see cref="PeerList"/>, <see cref="GroupMembers"/>): an id per entry, or none known.</summary>
internal static class ListedIds
{
    public static IReadOnlyList<Security.NodeId> Check(IReadOnlyList<NodeEndpoint> endpoints, IReadOnlyList<Security.NodeId> ids)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(ids);
        return ids.Count == endpoints.Count || ids.Count == 0
            ? ids
            : throw new ArgumentException($"{ids.Count} ids for {endpoints.Count} endpoints: a listed id goes with each entry.", nameof(ids));
    }

    public static Security.NodeId At(IReadOnlyList<Security.NodeId> ids, int index) => index < ids.Count ? ids[index] : default;

    /// <summary>The same id at each of the <paramref name="count"/> positions (a missing one is default).</summary>
    public static bool Same(IReadOnlyList<Security.NodeId> a, IReadOnlyList<Security.NodeId> b, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (At(a, i) != At(b, i))
            {
                return false;
            }
        }
        return true;
    }
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
/// A disseminated message in the envelope (PROTOCOL.md, type 5). <see cref="Kind"/>, <see cref="Origin"/> (the
/// originating peer's listening endpoint) and <see cref="OriginId"/> (its node id), who it is for (<see cref="Group"/> for
/// <see cref="GossipKind.Group"/>, <see cref="Recipient"/> for <see cref="GossipKind.Direct"/>, neither for a broadcast),
/// <see cref="Sequence"/> (the origin's counter, from 1), <see cref="TimestampUnixMs"/> (when the origin created it) and
/// <see cref="Text"/> (the payload; for <see cref="GossipKind.Gossip"/> the demo's
/// <c>&lt;timestamp&gt;:&lt;ip&gt;:&lt;port&gt;:&lt;msg#&gt;</c>) identify the message: its <see cref="Id"/> is computed from them.
/// <see cref="Hops"/> counts the links this copy has crossed (1 when the origin sends it) and <see cref="Signature"/> (the
/// origin's Ed25519 signature over the id, <c>Security/MessageSignature.cs</c>) travels unchanged; neither is part of the id.
/// </summary>
public sealed record Gossip : Message
{
    private Body _body;

    /// <summary>
    /// A message as its origin makes it, or a copy of it <paramref name="Hops"/> links out. <paramref name="Signature"/>:
    /// 64 bytes, or null for none yet (<see cref="Unsigned"/>, which verifies for no key).
    /// </summary>
    public Gossip(GossipKind Kind, NodeEndpoint Origin, ulong Sequence, long TimestampUnixMs, ushort Hops, string Text, byte[]? Signature = null)
    {
        ArgumentNullException.ThrowIfNull(Text);
        _body = new Body(Kind, Origin, Sequence, TimestampUnixMs, Text, Signature ?? Unsigned);
        this.Hops = Hops;
    }

    /// <summary>
    /// The signature of a message nobody signed: 64 zero bytes (no Ed25519 key verifies them: their R is a point of small
    /// order, which libsodium refuses). What a simulated run that skips the cryptography (<c>Security:Signatures=skip</c>)
    /// sends, so every size is what it is with a real signature. Never modified.
    /// </summary>
    public static byte[] Unsigned { get; } = new byte[ProtocolLimits.SignatureSize];

    public override MessageType Type => MessageType.Gossip;

    // Every field but Hops lives in a body that the copies made with `with { Hops = ... }` share: a forwarded copy is a
    // small object, the id is hashed (and the signature checked) once per body, and a simulation in which every copy
    // descends from the original keeps one body per message, however many peers hold a copy. Setting any other field
    // makes a new body.

    public GossipKind Kind { get => _body.Kind; init => _body = _body with { Kind = value }; }

    public NodeEndpoint Origin { get => _body.Origin; init => _body = _body with { Origin = value }; }

    /// <summary>The origin's node id (its Ed25519 public key): the key <see cref="Signature"/> must verify for.</summary>
    public Security.NodeId OriginId { get => _body.OriginId; init => _body = _body with { OriginId = value }; }

    /// <summary>
    /// The origin's seed attestations (version 8): each a seed's signed word that <see cref="Origin"/> is
    /// <see cref="OriginId"/>'s endpoint, at most <see cref="ProtocolLimits.MaxAttestations"/>; empty when the origin holds
    /// none. Part of the id, so the origin's signature covers them: a forwarder can neither strip nor swap them.
    /// </summary>
    public IReadOnlyList<SeedAttestation> Attestations { get => _body.Attestations; init => _body = _body with { Attestations = value ?? [] }; }

    public ulong Sequence { get => _body.Sequence; init => _body = _body with { Sequence = value }; }

    public long TimestampUnixMs { get => _body.TimestampUnixMs; init => _body = _body with { TimestampUnixMs = value }; }

    public string Text { get => _body.Text; init => _body = _body with { Text = value }; }

    /// <summary>The group a <see cref="GossipKind.Group"/> message is for; null for every other kind.</summary>
    public string? Group { get => _body.Group; init => _body = _body with { Group = value }; }

    /// <summary>The peer a <see cref="GossipKind.Direct"/> message is for; null for every other kind.</summary>
    public NodeEndpoint? Recipient { get => _body.Recipient; init => _body = _body with { Recipient = value }; }

    /// <summary>
    /// The origin's signature over the id (<see cref="ProtocolLimits.SignatureSize"/> bytes; <see cref="Unsigned"/> until
    /// signed); compared by value, never modified. Not part of the id: setting it keeps the id already computed.
    /// </summary>
    public byte[] Signature { get => _body.Signature; init => _body = _body.WithSignature(value ?? Unsigned); }

    /// <summary>Links this copy has crossed (1 when the origin sends it); not part of the id.</summary>
    public ushort Hops { get; init; }

    /// <summary>
    /// A private message's (<see cref="GossipKind.Direct"/>) capsule: its message key sealed to the recipient's id
    /// (<c>Security/PrivateSeal.cs</c>), <see cref="Security.PrivateSeal.CapsuleSize"/> bytes, on the wire after the
    /// signature; <see cref="Unsealed"/> until the sender knows the recipient's id. Not part of the id (the sender seals
    /// it when it knows whom to: the id exists before), nor signed: bound to the id, the origin id and the recipient's id
    /// by its own encryption instead. Every other kind has none. Compared by value, never modified.
    /// </summary>
    public byte[] Capsule { get; init; } = Unsealed;

    /// <summary>The capsule of a private message sealed to nobody yet (or on a simulated run that skips the cryptography): 80 zero bytes.</summary>
    public static byte[] Unsealed { get; } = new byte[Security.PrivateSeal.CapsuleSize];

    /// <summary>
    /// The message id (<see cref="MessageId.Of"/>), computed once per body and kept: every copy made with
    /// <c>with { Hops = ... }</c> shares it, so a node forwarding a message, or a simulation in which every copy
    /// descends from the original, hashes each message once. A decoded frame is a new body and hashes anew.
    /// </summary>
    public MessageId Id => _body.Id;

    /// <summary>
    /// True once <see cref="Signature"/> was found to verify for <see cref="OriginId"/> over <see cref="Id"/>
    /// (<c>Security/MessageSigning.cs</c>). Kept in the body, like the id: every copy descending from it shares the
    /// answer (the bytes it covers cannot change: a changed field makes a new body), so a simulation checks each message's
    /// signature once however many peers receive it, while on tcp every peer decodes, and checks, its own copy.
    /// </summary>
    internal bool SignatureVerified => _body.SignatureVerified;

    internal void MarkSignatureVerified() => _body.MarkSignatureVerified();

    /// <summary>Equal when every field is, the signature's bytes included (the cached id is not part of the value).</summary>
    public bool Equals(Gossip? other) => other is not null && Hops == other.Hops && (ReferenceEquals(_body, other._body) || _body.Equals(other._body))
        && (ReferenceEquals(Capsule, other.Capsule) || Capsule.AsSpan().SequenceEqual(other.Capsule));

    public override int GetHashCode() => HashCode.Combine(_body.Origin, _body.Sequence, _body.Text, Hops);

    /// <summary>What every copy of one message shares. A copy made with <c>with</c> starts without an id: a changed field hashes anew.</summary>
    private sealed record Body(GossipKind Kind, NodeEndpoint Origin, ulong Sequence, long TimestampUnixMs, string Text, byte[] Signature)
    {
        public Security.NodeId OriginId { get; init; }

        public IReadOnlyList<SeedAttestation> Attestations { get; init; } = [];

        public string? Group { get; init; }

        public NodeEndpoint? Recipient { get; init; }

        private MessageId _id;
        private int _hasId; // set (with release semantics) once _id holds the id: a reader that sees it sees all of _id
        private int _verified; // set once the signature verified for the origin id

        private Body(Body original)
        {
            (Kind, Origin, Sequence, TimestampUnixMs, Text, Signature) = (original.Kind, original.Origin, original.Sequence, original.TimestampUnixMs, original.Text, original.Signature);
            (OriginId, Attestations, Group, Recipient) = (original.OriginId, original.Attestations, original.Group, original.Recipient);
        }

        /// <summary>The same message with another signature: the id (which does not cover it) is kept; whether it verifies is not.</summary>
        public Body WithSignature(byte[] signature)
        {
            var copy = this with { Signature = signature };
            if (Volatile.Read(ref _hasId) != 0)
            {
                copy._id = _id;
                copy._hasId = 1;
            }
            return copy;
        }

        /// <summary>
        /// Computed on first use and kept in the body itself (no object of its own: a node's history keeps a body per
        /// message). Two threads may compute it at once; both write the same value.
        /// </summary>
        public MessageId Id
        {
            get
            {
                if (Volatile.Read(ref _hasId) == 0)
                {
                    _id = MessageId.Of(Kind, Origin, OriginId, Sequence, TimestampUnixMs, Text, Group, Recipient, Attestations);
                    Volatile.Write(ref _hasId, 1);
                }
                return _id;
            }
        }

        public bool SignatureVerified => Volatile.Read(ref _verified) != 0;

        public void MarkSignatureVerified() => Volatile.Write(ref _verified, 1);

        public bool Equals(Body? other) => other is not null
            && Kind == other.Kind
            && Sequence == other.Sequence
            && TimestampUnixMs == other.TimestampUnixMs
            && Origin == other.Origin
            && OriginId == other.OriginId
            && Attestations.SequenceEqual(other.Attestations)
            && string.Equals(Text, other.Text, StringComparison.Ordinal)
            && string.Equals(Group, other.Group, StringComparison.Ordinal)
            && Recipient == other.Recipient
            && Signature.AsSpan().SequenceEqual(other.Signature);

        public override int GetHashCode() => HashCode.Combine(Origin, Sequence, Text);
    }
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

/// <summary>One message a broadcast-tree peer has: its id, and the hops a copy would have if sent on this link.</summary>
public readonly record struct Announcement(MessageId Id, ushort Hops);

/// <summary>
/// Broadcast trees, lazy push: the messages the sender received (or created) lately that it did not push on this link,
/// one frame for every announcement of a short window. A receiver missing one asks with a <see cref="Graft"/>.
/// </summary>
public sealed record IHave(IReadOnlyList<Announcement> Announcements) : Message
{
    public override MessageType Type => MessageType.IHave;

    public bool Equals(IHave? other) => other is not null && Announcements.SequenceEqual(other.Announcements);

    public override int GetHashCode() => Announcements.Count;
}

/// <summary>
/// Broadcast trees: make this link part of the tree (push payloads on it from now on), and send these messages
/// (none: only the link).
/// </summary>
public sealed record Graft(IReadOnlyList<MessageId> Ids) : Message
{
    public override MessageType Type => MessageType.Graft;

    public bool Equals(Graft? other) => other is not null && Ids.SequenceEqual(other.Ids);

    public override int GetHashCode() => Ids.Count;
}

/// <summary>Broadcast trees: this link leaves the tree (the sender got a payload twice): announce, do not push.</summary>
public sealed record Prune : Message
{
    public static readonly Prune Instance = new();
    public override MessageType Type => MessageType.Prune;
}

/// <summary>
/// Spanning-tree routing: where the sender stands in the network's spanning tree: the root it follows (the smallest
/// endpoint it knows a path to, itself if none is smaller), its distance from that root in links, and whether the
/// receiver is its parent (its next link towards the root). Sent on every new link and to every neighbour when any of
/// the three changes; a receiver never takes a neighbour whose parent it is as its own parent.
/// </summary>
public sealed record TreeAdvert(NodeEndpoint Root, ushort Distance, bool ParentIsYou) : Message
{
    public override MessageType Type => MessageType.TreeAdvert;
}

/// <summary>Catch-up, answer to a <see cref="Digest"/>: send me these messages (the holder answers with <see cref="Gossip"/> frames).</summary>
public sealed record Want(IReadOnlyList<MessageId> Ids) : Message
{
    public override MessageType Type => MessageType.Want;

    public bool Equals(Want? other) => other is not null && Ids.SequenceEqual(other.Ids);

    public override int GetHashCode() => Ids.Count;
}
