using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Security;

/// <summary>
/// The id of a group key (PROTOCOL.md, <i>Encrypted group messages</i>): the first 16 bytes of SHA-256 of
/// <c>"P2PSim/6 group key id" || group || key</c>. A group message names the key it is sealed under by it, and a
/// <c>GroupKey</c> frame the key it carries; it tells nobody the key.
/// </summary>
public readonly record struct GroupKeyId(ulong A, ulong B)
{
    public const int Size = 16;

    public static GroupKeyId FromBytes(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));

    public int WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        return Size;
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Whether this id comes before <paramref name="other"/> in the order of its bytes (the smallest id a member holds names the key it publishes under).</summary>
    public bool Precedes(GroupKeyId other) => A != other.A ? A < other.A : B < other.B;

    /// <summary>The first 8 hex digits, for log lines.</summary>
    public string Short => A.ToString("x16", CultureInfo.InvariantCulture)[..8];
}

/// <summary>
/// Encrypted group messages (PROTOCOL.md, <i>Encrypted group messages</i>): a group message's text sealed under a key
/// the group's members share, and that key carried from member to member sealed to each one's id with the capsule of a
/// private message (<see cref="PrivateSeal"/>).
/// <list type="bullet">
/// <item>A <b>group key</b> is 32 bytes, made by the member that first publishes holding none (HKDF-SHA256 of its sealing
/// secret, the group and the time: derived, not drawn, so a simulated run makes the same keys on every run).</item>
/// <item>A <b>sealed group text</b> is base64 of <c>key id (16) || nonce (12) || ChaCha20-Poly1305 ciphertext || tag
/// (16)</c>, associated data <c>"P2PSim/6 group" || header || key id</c>, the header being the envelope's fields the
/// message id covers but the payload. The nonce is derived from the key, the header and the text's hash (a synthetic
/// nonce, as AES-SIV makes one): two messages share one only if they are the same message.</item>
/// <item>A <b>key capsule</b> is <see cref="PrivateSeal.Capsule"/> of the key, for the binding id
/// <see cref="Binding"/> (which names the group and the key id) from the sender's id to the receiver's.</item>
/// </list>
/// </summary>
public static class GroupSeal
{
    /// <summary>Bytes of the synthetic nonce carried in a sealed text.</summary>
    public const int NonceSize = 12;

    /// <summary>Bytes a sealed text adds to its text before base64: key id, nonce, tag.</summary>
    public const int Overhead = GroupKeyId.Size + NonceSize + PrivateSeal.TagSize;

    /// <summary>
    /// The longest text of an encrypted group message, in UTF-8 bytes: sealed (<see cref="Overhead"/> bytes more) and in
    /// base64 it fills the envelope's payload, <see cref="ProtocolLimits.MaxPayloadBytes"/> (3,028 bytes).
    /// </summary>
    public const int MaxTextBytes = (ProtocolLimits.MaxPayloadBytes / 4 * 3) - Overhead;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A new key for <paramref name="group"/>, derived from a member's sealing secret and the time it makes it.</summary>
    public static byte[] NewKey(ReadOnlySpan<byte> secret, string group, long timestampUnixMs)
    {
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, timestampUnixMs);
        var info = Concat("P2PSim/6 group key"u8, GroupBytes(group), time);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, secret.ToArray(), PrivateSeal.KeySize, salt: [], info: info);
    }

    /// <summary>The id of <paramref name="key"/> in <paramref name="group"/>.</summary>
    public static GroupKeyId IdOf(string group, ReadOnlySpan<byte> key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Concat("P2PSim/6 group key id"u8, GroupBytes(group), key), hash);
        return GroupKeyId.FromBytes(hash);
    }

    /// <summary>
    /// The id of a key a member makes when it skips the cryptography (<c>Security:Signatures=skip</c>, simulated runs
    /// only): there is no key, only its id, from the member's id, the group and the time.
    /// </summary>
    public static GroupKeyId UnkeyedId(NodeId member, string group, long timestampUnixMs)
    {
        Span<byte> bytes = stackalloc byte[NodeId.Size + 8];
        member.WriteTo(bytes);
        BinaryPrimitives.WriteInt64BigEndian(bytes[NodeId.Size..], timestampUnixMs);
        return IdOf(group, bytes);
    }

    /// <summary>
    /// The fields of a group message's envelope that its id covers, but the payload: kind (2), origin, origin id, group,
    /// sequence and timestamp, encoded as on the wire.
    /// </summary>
    public static byte[] Header(NodeEndpoint origin, NodeId originId, string group, ulong sequence, long timestampUnixMs)
    {
        Span<byte> addressee = stackalloc byte[EnvelopeHeader.MaxAddresseeBytes];
        var length = FrameCodec.WriteText(addressee, group);
        return EnvelopeHeader.Encode(GossipKind.Group, origin, originId, addressee[..length], sequence, timestampUnixMs);
    }

    /// <summary>The header of the group message <paramref name="envelope"/>.</summary>
    public static byte[] Header(Protocol.Gossip envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return Header(envelope.Origin, envelope.OriginId, envelope.Group ?? throw new ArgumentException("A group message names its group.", nameof(envelope)),
            envelope.Sequence, envelope.TimestampUnixMs);
    }

    /// <summary>Seals <paramref name="text"/> (at most <see cref="MaxTextBytes"/> UTF-8 bytes) under <paramref name="key"/>: the envelope's payload.</summary>
    /// <exception cref="ArgumentException">The text is longer than <see cref="MaxTextBytes"/>.</exception>
    public static string Seal(ReadOnlySpan<byte> key, GroupKeyId keyId, ReadOnlySpan<byte> header, string text)
    {
        var plain = TextBytes(text);
        Span<byte> textHash = stackalloc byte[32];
        SHA256.HashData(plain, textHash);
        Span<byte> nonceHash = stackalloc byte[32];
        HMACSHA256.HashData(key, Concat("P2PSim/6 group nonce"u8, header, textHash), nonceHash);
        var nonce = nonceHash[..NonceSize].ToArray();
        using var aead = Key.Import(AeadAlgorithm.ChaCha20Poly1305, key, KeyBlobFormat.RawSymmetricKey);
        var sealedText = AeadAlgorithm.ChaCha20Poly1305.Encrypt(aead, nonce, TextData(header, keyId), plain);
        return Convert.ToBase64String(Concat(keyId.ToBytes(), nonce, sealedText));
    }

    /// <summary>
    /// The payload of a group message whose text is not encrypted (<c>Security:Signatures=skip</c>, simulated runs only):
    /// the key id, the text between zero bytes where the nonce and the tag go, in base64: as long as a sealed one.
    /// </summary>
    public static string Unsealed(GroupKeyId keyId, string text)
    {
        var plain = TextBytes(text);
        var padded = new byte[GroupKeyId.Size + NonceSize + plain.Length + PrivateSeal.TagSize];
        keyId.WriteTo(padded);
        plain.CopyTo(padded, GroupKeyId.Size + NonceSize);
        return Convert.ToBase64String(padded);
    }

    /// <summary>The key id a sealed (or <see cref="Unsealed"/>) payload names; null when the payload is none.</summary>
    public static GroupKeyId? KeyIdOf(string payload)
    {
        var bytes = FromBase64(payload);
        return bytes is null || bytes.Length < Overhead ? null : GroupKeyId.FromBytes(bytes);
    }

    /// <summary>
    /// Opens the group message <paramref name="envelope"/> with <paramref name="key"/> (whose id it names): its text, or
    /// null when it does not open (a payload or header altered, sealed under another key, not base64, not UTF-8).
    /// </summary>
    public static string? Open(ReadOnlySpan<byte> key, Protocol.Gossip envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var bytes = FromBase64(envelope.Text);
        if (bytes is null || bytes.Length < Overhead || envelope.Group is null)
        {
            return null;
        }
        var keyId = GroupKeyId.FromBytes(bytes);
        if (keyId != IdOf(envelope.Group, key))
        {
            return null;
        }
        using var aead = Key.Import(AeadAlgorithm.ChaCha20Poly1305, key, KeyBlobFormat.RawSymmetricKey);
        var sealedText = bytes.AsSpan(GroupKeyId.Size + NonceSize);
        var plain = new byte[sealedText.Length - PrivateSeal.TagSize];
        if (!AeadAlgorithm.ChaCha20Poly1305.Decrypt(aead, bytes.AsSpan(GroupKeyId.Size, NonceSize), TextData(Header(envelope), keyId), sealedText, plain))
        {
            return null;
        }
        return Utf8OrNull(plain);
    }

    /// <summary>The text of an <see cref="Unsealed"/> payload; null when it is none.</summary>
    public static string? ReadUnsealed(string payload)
    {
        var bytes = FromBase64(payload);
        return bytes is null || bytes.Length < Overhead
            ? null
            : Utf8OrNull(bytes.AsSpan(GroupKeyId.Size + NonceSize, bytes.Length - Overhead));
    }

    /// <summary>
    /// What a key's capsule is bound to, in place of a message id: SHA-256 of <c>"P2PSim/6 group key capsule" || group ||
    /// key id</c>. A capsule for one group's key cannot be taken for another group's, or for a private message's.
    /// </summary>
    public static MessageId Binding(string group, GroupKeyId keyId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Concat("P2PSim/6 group key capsule"u8, GroupBytes(group), keyId.ToBytes()), hash);
        return new MessageId(BinaryPrimitives.ReadUInt64BigEndian(hash), BinaryPrimitives.ReadUInt64BigEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(hash[16..]), BinaryPrimitives.ReadUInt64BigEndian(hash[24..]));
    }

    /// <summary>
    /// The capsule that carries <paramref name="key"/> of <paramref name="group"/> from <paramref name="sender"/> (whose
    /// sealing <paramref name="secret"/> this is) to <paramref name="receiver"/>; null when the receiver's id is no valid key.
    /// </summary>
    public static byte[]? CapsuleFor(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> key, string group, NodeId sender, NodeId receiver) =>
        PrivateSeal.Capsule(secret, key, sender, receiver, Binding(group, IdOf(group, key)));

    /// <summary>
    /// The key in <paramref name="capsule"/>, which <paramref name="sender"/> sealed to this node (<paramref name="own"/>)
    /// for key <paramref name="keyId"/> of <paramref name="group"/>; null when it does not open, or holds a key with another id.
    /// </summary>
    public static byte[]? OpenCapsule(SealingKey own, ReadOnlySpan<byte> capsule, string group, GroupKeyId keyId, NodeId sender)
    {
        ArgumentNullException.ThrowIfNull(own);
        var key = PrivateSeal.OpenCapsule(own, capsule, sender, Binding(group, keyId));
        return key is not null && IdOf(group, key) == keyId ? key : null;
    }

    private static byte[] TextBytes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var plain = StrictUtf8.GetBytes(text);
        if (plain.Length > MaxTextBytes)
        {
            throw new ArgumentException($"An encrypted group message's text is at most {MaxTextBytes} UTF-8 bytes, not {plain.Length}.", nameof(text));
        }
        return plain;
    }

    private static string? Utf8OrNull(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static byte[] GroupBytes(string group)
    {
        var bytes = new byte[2 + Encoding.UTF8.GetByteCount(group)];
        FrameCodec.WriteText(bytes, group);
        return bytes;
    }

    private static byte[] TextData(ReadOnlySpan<byte> header, GroupKeyId keyId) => Concat("P2PSim/6 group"u8, header, keyId.ToBytes());

    private static byte[]? FromBase64(string text)
    {
        var bytes = new byte[(text.Length / 4 * 3) + 3];
        return Convert.TryFromBase64String(text, bytes, out var written) ? bytes[..written] : null;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c = default)
    {
        var all = new byte[a.Length + b.Length + c.Length];
        a.CopyTo(all);
        b.CopyTo(all.AsSpan(a.Length));
        c.CopyTo(all.AsSpan(a.Length + b.Length));
        return all;
    }
}
