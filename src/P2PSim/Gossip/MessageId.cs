using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace P2PSim.Gossip;

/// <summary>
/// The SHA-256 of a gossip message's text: how the Message List recognises a message it
/// has seen. A value type of four 64-bit words, so looking one up allocates nothing.
/// </summary>
public readonly record struct MessageId(ulong A, ulong B, ulong C, ulong D)
{
    public static MessageId Of(string text)
    {
        var byteCount = Encoding.UTF8.GetByteCount(text);
        Span<byte> utf8 = byteCount <= 512 ? stackalloc byte[512] : new byte[byteCount];
        var length = Encoding.UTF8.GetBytes(text, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        return new MessageId(
            BinaryPrimitives.ReadUInt64BigEndian(hash),
            BinaryPrimitives.ReadUInt64BigEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(hash[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(hash[24..]));
    }

    /// <summary>The first 12 hex digits, enough to tell messages apart in a log.</summary>
    public string Short => A.ToString("x16", System.Globalization.CultureInfo.InvariantCulture)[..12];

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{A:x16}{B:x16}{C:x16}{D:x16}");
}
