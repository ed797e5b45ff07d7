using System.Buffers.Binary;
using System.Security.Cryptography;
using P2PSim.Security;

namespace P2PSim.Protocol;

/// <summary>
/// The 16 random bytes a <see cref="Hello"/> carries (version 4): the other side signs them in its
/// <see cref="HelloProof"/>, so a proof cannot be replayed on another connection. Fresh from the operating system's
/// cryptographic random numbers for every connection (<see cref="NewRandom"/>), never from a run's seeded generator.
/// </summary>
public readonly record struct HelloNonce(ulong High, ulong Low)
{
    /// <summary>Bytes of a nonce on the wire.</summary>
    public const int Size = 16;

    public static HelloNonce NewRandom()
    {
        Span<byte> raw = stackalloc byte[Size];
        RandomNumberGenerator.Fill(raw);
        return FromBytes(raw);
    }

    public static HelloNonce FromBytes(ReadOnlySpan<byte> raw) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(raw), BinaryPrimitives.ReadUInt64BigEndian(raw[8..]));

    /// <summary>Writes the 16 bytes to the start of <paramref name="destination"/>; returns 16.</summary>
    public int WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
        return Size;
    }
}

/// <summary>
/// The second frame of each side of a version-4 handshake: the sender's Ed25519 signature over the other side's nonce
/// and both ids (<see cref="Handshake.ProofInput"/>), which only the holder of the sender's key can make. A connection
/// is handed to its node only once the other side's proof verifies.
/// </summary>
public sealed record HelloProof(byte[] Signature) : Message
{
    public override MessageType Type => MessageType.HelloProof;

    public bool Equals(HelloProof? other) => other is not null && Signature.AsSpan().SequenceEqual(other.Signature);

    public override int GetHashCode() => Signature.Length == 0 ? 0 : Signature[0];
}
