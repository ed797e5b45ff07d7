using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Gossip;

/// <summary>
/// The id of a gossip message: how the Message List recognises a message it has seen, and what <c>Digest</c> and
/// <c>Want</c> carry. A value type of four 64-bit words (the 32 bytes of a SHA-256, big-endian), so looking one up
/// allocates nothing. See <see cref="Of"/> and PROTOCOL.md, "Message id".
/// </summary>
public readonly record struct MessageId(ulong A, ulong B, ulong C, ulong D)
{
    /// <summary>The bytes of <see cref="Domain"/>: "P2PSim/5 id" in ASCII.</summary>
    public const int DomainSize = 11;

    /// <summary>Bytes of an id: a SHA-256.</summary>
    public const int Size = SHA256.HashSizeInBytes;

    /// <summary>
    /// The most bytes <see cref="Of"/> hashes: domain, kind, an IPv6 origin, the origin's id, the longest addressee (a
    /// group name with its length; an IPv6 recipient is shorter), sequence, timestamp, payload hash.
    /// </summary>
    private const int MaxInputBytes = DomainSize + 1 + 19 + NodeId.Size + 1 + (ProtocolLimits.MaxAttestations * AttestationBytes) + 2 + GroupName.MaxBytes + 8 + 8 + SHA256.HashSizeInBytes;

    /// <summary>The most bytes of one attestation in the id's input (as on the wire): an IPv6 seed endpoint, notAfter, signature.</summary>
    private const int AttestationBytes = 19 + 8 + NodeId.SignatureSize;

    /// <summary>Payloads up to this many UTF-8 bytes are encoded on the stack (nothing allocated).</summary>
    private const int StackPayloadBytes = 512;

    /// <summary>
    /// The domain separator in front of every id's input: an id can never equal a SHA-256 made for another purpose
    /// (the text hash of version 1, a signature's input) over the same bytes. Version 5 (the origin's id in the id)
    /// changed it from <c>P2PSim/2 id</c>: no version-5 id equals an id of the envelope before it.
    /// </summary>
    public static ReadOnlySpan<byte> Domain => "P2PSim/5 id"u8;

    /// <summary>
    /// The domain separator of a message that carries attestations (version 8): its input holds the attestation block, so
    /// it can never equal the input of a message without one (which keeps <see cref="Domain"/> and version 5's input:
    /// its id is what it was). Taking the block off a message, or putting one on, changes its id, so its signature fails.
    /// </summary>
    public static ReadOnlySpan<byte> AttestedDomain => "P2PSim/8 id"u8;

    /// <summary>
    /// The id of a message: SHA-256 of <c>"P2PSim/5 id" || kind (u8) || origin (as on the wire) || origin id (32 bytes)
    /// || addressee (as on the wire: a group message's group, a direct message's recipient, nothing for a broadcast) ||
    /// sequence (u64 BE) || timestamp (i64 BE) || SHA-256(payload's UTF-8 bytes)</c>. Hops and signature are not part of
    /// it, so every copy of a message, however far it travelled, has the same id, and the origin's signature can sign the
    /// id (hash, then sign); two messages differing in any other field have different ids. Allocates nothing for payloads
    /// up to 512 UTF-8 bytes. A message that carries attestations (version 8) hashes <c>"P2PSim/8 id"</c> instead of the
    /// first domain and its attestation block (as on the wire: u8 count, then each seed endpoint, notAfter and signature)
    /// right after the origin id.
    /// </summary>
    public static MessageId Of(GossipKind kind, NodeEndpoint origin, NodeId originId, ulong sequence, long timestampUnixMs, string payload, string? group = null, NodeEndpoint? recipient = null,
        IReadOnlyList<SeedAttestation>? attestations = null)
    {
        attestations ??= [];
        if (attestations.Count > ProtocolLimits.MaxAttestations)
        {
            throw new ArgumentException($"An envelope carries at most {ProtocolLimits.MaxAttestations} attestations (got {attestations.Count}).", nameof(attestations));
        }
        Span<byte> input = stackalloc byte[MaxInputBytes];
        (attestations.Count == 0 ? Domain : AttestedDomain).CopyTo(input);
        var at = DomainSize;
        input[at++] = (byte)kind;
        at += FrameCodec.WriteEndpoint(input[at..], origin);
        at += originId.WriteTo(input[at..]);
        if (attestations.Count != 0)
        {
            input[at++] = (byte)attestations.Count;
        }
        foreach (var attestation in attestations)
        {
            at += FrameCodec.WriteEndpoint(input[at..], attestation.Seed);
            BinaryPrimitives.WriteInt64BigEndian(input[at..], attestation.NotAfterUnixMs);
            at += 8;
            attestation.Signature.AsSpan(0, NodeId.SignatureSize).CopyTo(input[at..]);
            at += NodeId.SignatureSize;
        }
        if (group is not null)
        {
            at += FrameCodec.WriteText(input[at..], group);
        }
        if (recipient is { } to)
        {
            at += FrameCodec.WriteEndpoint(input[at..], to);
        }
        BinaryPrimitives.WriteUInt64BigEndian(input[at..], sequence);
        at += 8;
        BinaryPrimitives.WriteInt64BigEndian(input[at..], timestampUnixMs);
        at += 8;
        var byteCount = Encoding.UTF8.GetByteCount(payload);
        Span<byte> utf8 = byteCount <= StackPayloadBytes ? stackalloc byte[StackPayloadBytes] : new byte[byteCount];
        var length = Encoding.UTF8.GetBytes(payload, utf8);
        at += SHA256.HashData(utf8[..length], input[at..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input[..at], hash);
        return FromHash(hash);
    }

    /// <summary>Writes the id's 32 bytes (as on the wire, in the order the hash produced them); returns 32.</summary>
    public int WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], D);
        return Size;
    }

    private static MessageId FromHash(ReadOnlySpan<byte> hash) => new(
        BinaryPrimitives.ReadUInt64BigEndian(hash),
        BinaryPrimitives.ReadUInt64BigEndian(hash[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(hash[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(hash[24..]));

    /// <summary>The first 12 hex digits, enough to tell messages apart in a log.</summary>
    public string Short => A.ToString("x16", System.Globalization.CultureInfo.InvariantCulture)[..12];

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{A:x16}{B:x16}{C:x16}{D:x16}");
}
