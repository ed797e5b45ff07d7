using System.Buffers.Binary;
using System.Globalization;
using NSec.Cryptography;

namespace P2PSim.Security;

/// <summary>
/// Who a node is: its Ed25519 public key, 32 bytes (as in iroh, where a node id is its public key). Whoever holds the
/// matching private key (<see cref="NodeKey"/>) can prove to be this node; nobody else can. A value type of four 64-bit
/// words (the key's bytes, big-endian), so comparing or looking one up allocates nothing.
/// </summary>
public readonly record struct NodeId(ulong A, ulong B, ulong C, ulong D)
{
    /// <summary>Bytes of an id on the wire: an Ed25519 public key.</summary>
    public const int Size = 32;

    /// <summary>Bytes of an Ed25519 signature.</summary>
    public const int SignatureSize = 64;

    /// <summary>The id whose bytes are <paramref name="key"/> (exactly <see cref="Size"/> of them).</summary>
    public static NodeId FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size)
        {
            throw new ArgumentException($"A node id is {Size} bytes, not {key.Length}.", nameof(key));
        }
        return new(
            BinaryPrimitives.ReadUInt64BigEndian(key),
            BinaryPrimitives.ReadUInt64BigEndian(key[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(key[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(key[24..]));
    }

    /// <summary>Writes the id's 32 bytes to the start of <paramref name="destination"/>; returns 32.</summary>
    public int WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], D);
        return Size;
    }

    /// <summary>
    /// Whether <paramref name="signature"/> is this node's Ed25519 signature of <paramref name="data"/>. False for a
    /// signature of the wrong length, and for bytes that are no valid public key (they can sign nothing).
    /// </summary>
    public bool Verifies(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize)
        {
            return false;
        }
        Span<byte> raw = stackalloc byte[Size];
        WriteTo(raw);
        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return false;
        }
        return SignatureAlgorithm.Ed25519.Verify(key, data, signature);
    }

    /// <summary>The first 10 hex digits, enough to tell a network's nodes apart in a log.</summary>
    public string Short => A.ToString("x16", CultureInfo.InvariantCulture)[..10];

    /// <summary>All 64 hex digits.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{A:x16}{B:x16}{C:x16}{D:x16}");

    /// <summary>Reads 64 hex digits (what <see cref="ToString"/> writes); false for anything else.</summary>
    public static bool TryParse(string? text, out NodeId id)
    {
        id = default;
        if (text is null || text.Length != Size * 2)
        {
            return false;
        }
        Span<byte> raw = stackalloc byte[Size];
        if (Convert.FromHexString(text, raw, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }
        id = FromBytes(raw);
        return true;
    }
}
