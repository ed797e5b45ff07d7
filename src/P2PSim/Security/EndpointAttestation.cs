using System.Buffers.Binary;
using System.Security.Cryptography;
using P2PSim.Protocol;

namespace P2PSim.Security;

/// <summary>
/// What a seed's <see cref="Attestation"/> signs (version 8; PROTOCOL.md, <i>Attestations</i>): the domain string
/// <c>P2PSim/8 endpoint</c>, the seed's own id, the peer's endpoint (as on the wire), the peer's id and the time the
/// word holds until (i64 Unix ms, big-endian). The seed's id is inside, so an attestation cannot be passed off as
/// another seed's; the domain keeps it from ever being taken for any other signature. Pure: the bytes and the checks.
/// </summary>
public static class EndpointAttestation
{
    /// <summary>The domain separator: 17 ASCII bytes.</summary>
    public static ReadOnlySpan<byte> Domain => "P2PSim/8 endpoint"u8;

    /// <summary>The most bytes signed: domain, seed id, an IPv6 endpoint, peer id, notAfter.</summary>
    public const int MaxInputSize = 17 + NodeId.Size + 19 + NodeId.Size + 8;

    /// <summary>Writes the bytes the seed <paramref name="seedId"/> signs; returns how many.</summary>
    public static int WriteInput(Span<byte> destination, NodeId seedId, NodeEndpoint peer, NodeId peerId, long notAfterUnixMs)
    {
        Domain.CopyTo(destination);
        var at = Domain.Length;
        at += seedId.WriteTo(destination[at..]);
        at += FrameCodec.WriteEndpoint(destination[at..], peer);
        at += peerId.WriteTo(destination[at..]);
        BinaryPrimitives.WriteInt64BigEndian(destination[at..], notAfterUnixMs);
        return at + 8;
    }

    /// <summary>The attestation the holder of <paramref name="seedKey"/> gives <paramref name="peerId"/> at <paramref name="peer"/>.</summary>
    public static Attestation Sign(NodeKey seedKey, NodeEndpoint peer, NodeId peerId, long notAfterUnixMs)
    {
        ArgumentNullException.ThrowIfNull(seedKey);
        Span<byte> input = stackalloc byte[MaxInputSize];
        var length = WriteInput(input, seedKey.Id, peer, peerId, notAfterUnixMs);
        return new Attestation(peer, peerId, notAfterUnixMs, seedKey.Sign(input[..length]));
    }

    /// <summary>Whether <paramref name="attestation"/> is <paramref name="seedId"/>'s word for <paramref name="origin"/> and <paramref name="originId"/>: real Ed25519 work.</summary>
    public static bool Verifies(NodeId seedId, NodeEndpoint origin, NodeId originId, SeedAttestation attestation)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        Span<byte> input = stackalloc byte[MaxInputSize];
        var length = WriteInput(input, seedId, origin, originId, attestation.NotAfterUnixMs);
        return seedId.Verifies(input[..length], attestation.Signature);
    }

    /// <summary>
    /// 64 bits that stand for one check (every signed byte and the signature): what a receiver's cache of attestations
    /// already verified keeps, so a repeat costs a SHA-256 rather than an Ed25519 verification. Never zero, but for a
    /// signature of the wrong length (which verifies for no key, and is never cached).
    /// </summary>
    public static ulong Fingerprint(NodeId seedId, NodeEndpoint origin, NodeId originId, SeedAttestation attestation)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        if (attestation.Signature.Length != NodeId.SignatureSize)
        {
            return 0;
        }
        Span<byte> input = stackalloc byte[MaxInputSize + NodeId.SignatureSize];
        var length = WriteInput(input, seedId, origin, originId, attestation.NotAfterUnixMs);
        attestation.Signature.AsSpan().CopyTo(input[length..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input[..(length + attestation.Signature.Length)], hash);
        var fingerprint = BinaryPrimitives.ReadUInt64BigEndian(hash);
        return fingerprint == 0 ? 1 : fingerprint;
    }
}
