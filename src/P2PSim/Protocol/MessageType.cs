namespace P2PSim.Protocol;

/// <summary>
/// The type byte of a frame. Only append: the numbers are the protocol (see PROTOCOL.md).
/// </summary>
public enum MessageType : byte
{
    Hello = 1,
    Register = 2,
    PeerList = 3,
    DeadNode = 4,
    Gossip = 5,
    Ping = 6,
    Pong = 7,
    Goodbye = 8,
    Digest = 9,
    Want = 10,
    IHave = 11,
    Graft = 12,
    Prune = 13,
    TreeAdvert = 14,
    GroupJoin = 15,
    GroupLeave = 16,
    GroupMembers = 17,
    DirectAck = 18,
    Reserve = 19,
    RelayRefused = 20,
    HelloProof = 21,

    /// <summary>Peer to seed, on a direct link: which id did the peer at this endpoint register with? (end-to-end encrypted private messages)</summary>
    IdRequest = 40,

    /// <summary>Seed to peer: the answer to an <see cref="IdRequest"/>.</summary>
    IdAnswer = 41,

    /// <summary>Member to member, on a group's link: a group key sealed to the receiver's id (encrypted group messages).</summary>
    GroupKey = 42,

    /// <summary>
    /// Seed to peer, on a registration's connection (version 8): the seed's signed word that the peer's endpoint belongs
    /// to its id until a time; the peer carries it in every envelope it originates (<see cref="SeedAttestation"/>).
    /// </summary>
    Attestation = 43,
}

/// <summary>
/// What a <see cref="Gossip"/> envelope carries and who it is for: the first byte of its payload. Only append: the
/// numbers are the protocol. Any other value is rejected as malformed.
/// </summary>
public enum GossipKind : byte
{
    /// <summary>A plain broadcast to every peer; the payload is strict UTF-8 text.</summary>
    Gossip = 1,

    /// <summary>A message to the members of one group (<see cref="Gossip.Group"/>), spread over that group's own links only.</summary>
    Group = 2,

    /// <summary>A private message to one peer (<see cref="Gossip.Recipient"/>), acknowledged with a <see cref="DirectAck"/>.</summary>
    Direct = 3,
}

/// <summary>What a node is, announced in its <see cref="Hello"/>.</summary>
public enum NodeRole : byte
{
    Seed = 1,
    Peer = 2,
}

/// <summary>Named limits and constants of the wire protocol.</summary>
public static class ProtocolLimits
{
    /// <summary>
    /// The protocol version this build speaks; a Hello with another version is refused. Version 2 gave
    /// <see cref="MessageType.Gossip"/> its envelope layout (see PROTOCOL.md); version 3 added the link purpose to the
    /// Hello, group and direct messages, and their frames (types 15 to 20); version 4 gave the Hello the sender's id
    /// and a nonce, and added the <see cref="MessageType.HelloProof"/> that authenticates it; version 5 signs messages:
    /// the envelope carries its origin's id and signature (always), and a <see cref="MessageType.DirectAck"/> its
    /// recipient's signature; version 6 lists each peer's node id with its endpoint (<see cref="MessageType.PeerList"/>,
    /// <see cref="MessageType.GroupMembers"/>), so a peer knows whom to expect at a listed endpoint; version 7 sends
    /// the <see cref="MessageType.HelloProof"/> on plain links only (a TLS or Noise handshake already proves the id);
    /// version 8 adds the seeds' <see cref="MessageType.Attestation"/> and carries the origin's attestations in every
    /// <see cref="MessageType.Gossip"/> envelope, so a receiver can check the origin endpoint of a message from afar.
    /// </summary>
    public const ushort Version = 8;

    /// <summary>Bytes of the length prefix in front of every frame.</summary>
    public const int LengthPrefixSize = 4;

    /// <summary>The smallest frame body: just the type byte.</summary>
    public const int MinFrameLength = 1;

    /// <summary>Default largest frame body (type byte + payload) a node accepts.</summary>
    public const int DefaultMaxFrameLength = 1024 * 1024;

    /// <summary>Largest <see cref="Gossip"/> payload in bytes (for <see cref="GossipKind.Gossip"/>: UTF-8 text).</summary>
    public const int MaxPayloadBytes = 4096;

    /// <summary>Bytes of an Ed25519 signature: every <see cref="Gossip"/> envelope and <see cref="DirectAck"/> carries one (version 5), a <see cref="HelloProof"/> is one.</summary>
    public const int SignatureSize = 64;

    /// <summary>Most endpoints in one peer list frame.</summary>
    public const int MaxPeerListEntries = 10_000;

    /// <summary>Most message ids in one <see cref="Digest"/> or <see cref="Want"/> frame.</summary>
    public const int MaxDigestIds = 1024;

    /// <summary>
    /// How far ahead of the receiver's clock a message's timestamp may be; a message from further in the future is
    /// refused (clocks of different machines differ a little, never this much).
    /// </summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(1);

    /// <summary>Most announcements in one <see cref="IHave"/> frame.</summary>
    public const int MaxAnnouncements = 1024;

    /// <summary>Bytes of one announcement in an <see cref="IHave"/>: a message id and the hops a copy would have.</summary>
    public const int AnnouncementSize = MessageIdSize + 2;

    /// <summary>Bytes of one message id on the wire (a SHA-256).</summary>
    public const int MessageIdSize = 32;

    /// <summary>
    /// Most groups one peer is a member of at once: a peer joins no more, and a seed keeps no more per peer (a
    /// <c>GroupJoin</c> beyond it is refused), so a peer's groups cost a seed bounded memory.
    /// </summary>
    public const int MaxGroupsPerPeer = 64;

    /// <summary>Most seed attestations in one envelope (version 8): a peer registers with a majority of the seeds, one each.</summary>
    public const int MaxAttestations = 8;
}
