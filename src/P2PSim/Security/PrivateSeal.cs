using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Security;

/// <summary>
/// End-to-end encryption of a private message's text (PROTOCOL.md, <i>End-to-end encrypted private messages</i>), in two
/// parts, so that the message (and its id, which the origin signs) exists before the sender knows the recipient's key:
/// <list type="bullet">
/// <item>the <b>sealed text</b>, made once when the message is created: the text under ChaCha20-Poly1305 with a key of its
/// own (the <i>message key</i>), the envelope's header as associated data, written in base64 as the envelope's payload.
/// The message id hashes it, so the origin's signature covers the ciphertext;</item>
/// <item>the <b>capsule</b>, made when the recipient's id is known (the id a direct link proved, or the one a seed or a
/// peer list binds the recipient's endpoint to): the message key sealed to that id, as libsodium's sealed box does (an
/// ephemeral X25519 key, agreement with the recipient's Ed25519 key converted to X25519, HKDF-SHA256, ChaCha20-Poly1305),
/// with the origin's id, the recipient's id and the message id as associated data. It travels beside the signed fields
/// (kind 3's last 80 bytes): whoever changes it makes a message the recipient cannot open, never one it reads otherwise.</item>
/// </list>
/// Both keys are derived, not drawn: the message key from a secret of the sender's own key, the header and the text's
/// hash; the ephemeral key from that secret, the message id and the recipient's id (as Ed25519 derives its nonces). One
/// message, one key, used once (the nonce is all zero), and a simulated run encrypts the same way on every run.
/// </summary>
public static class PrivateSeal
{
    /// <summary>Bytes of a Poly1305 tag.</summary>
    public const int TagSize = 16;

    /// <summary>Bytes of a message key (ChaCha20-Poly1305).</summary>
    public const int KeySize = 32;

    /// <summary>Bytes of a capsule: the ephemeral X25519 public key (32), then the message key sealed (32 + a 16-byte tag).</summary>
    public const int CapsuleSize = 32 + KeySize + TagSize;

    /// <summary>
    /// The longest text a private message carries, in UTF-8 bytes: sealed (16 bytes more) and in base64 (4 characters
    /// for every 3 bytes) it fills the envelope's payload, <see cref="ProtocolLimits.MaxPayloadBytes"/>.
    /// </summary>
    public const int MaxTextBytes = (ProtocolLimits.MaxPayloadBytes / 4 * 3) - TagSize;

    private static readonly byte[] ZeroNonce = new byte[12];
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The fields of a private message's envelope that its id covers, but the payload: kind, origin, origin id, recipient,
    /// sequence and timestamp, encoded as on the wire (the sealed text's associated data; the message key's input).
    /// </summary>
    public static byte[] Header(NodeEndpoint origin, NodeId originId, NodeEndpoint recipient, ulong sequence, long timestampUnixMs)
    {
        Span<byte> addressee = stackalloc byte[19];
        var length = FrameCodec.WriteEndpoint(addressee, recipient);
        return EnvelopeHeader.Encode(GossipKind.Direct, origin, originId, addressee[..length], sequence, timestampUnixMs);
    }

    /// <summary>The header of <paramref name="envelope"/> (a kind-3 envelope).</summary>
    public static byte[] Header(Protocol.Gossip envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return Header(envelope.Origin, envelope.OriginId, envelope.Recipient ?? throw new ArgumentException("A private message names its recipient.", nameof(envelope)),
            envelope.Sequence, envelope.TimestampUnixMs);
    }

    /// <summary>
    /// Seals <paramref name="text"/> (at most <see cref="MaxTextBytes"/> UTF-8 bytes) under a message key derived from
    /// <paramref name="secret"/> (the sender's <see cref="SealingKey.Secret"/>), the header and the text: returns the
    /// payload (base64 of the ciphertext and its tag) and the message key, which a capsule carries to the recipient.
    /// </summary>
    public static (string Payload, byte[] MessageKey) Seal(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> header, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var plain = StrictUtf8.GetBytes(text);
        Span<byte> textHash = stackalloc byte[32];
        SHA256.HashData(plain, textHash);
        var info = Concat("P2PSim/5 private key"u8, header, textHash);
        var messageKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret.ToArray(), KeySize, salt: [], info: info);
        using var key = Key.Import(AeadAlgorithm.ChaCha20Poly1305, messageKey, KeyBlobFormat.RawSymmetricKey);
        var sealedText = AeadAlgorithm.ChaCha20Poly1305.Encrypt(key, ZeroNonce, TextData(header), plain);
        return (Convert.ToBase64String(sealedText), messageKey);
    }

    /// <summary>
    /// The capsule that carries <paramref name="messageKey"/> to <paramref name="recipient"/> for message
    /// <paramref name="id"/> from <paramref name="originId"/>; null when <paramref name="recipient"/> is no valid key
    /// (nothing can be sealed to it).
    /// </summary>
    public static byte[]? Capsule(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> messageKey, NodeId originId, NodeId recipient, MessageId id)
    {
        if (messageKey.Length != KeySize || RecipientX25519(recipient) is not { } recipientX)
        {
            return null;
        }
        var info = Concat("P2PSim/5 capsule ephemeral"u8, IdBytes(id), IdBytes(recipient));
        var ephemeralSecret = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret.ToArray(), 32, salt: [], info: info);
        using var ephemeral = Key.Import(KeyAgreementAlgorithm.X25519, ephemeralSecret, KeyBlobFormat.RawPrivateKey);
        if (!PublicKey.TryImport(KeyAgreementAlgorithm.X25519, recipientX, KeyBlobFormat.RawPublicKey, out var recipientKey) || recipientKey is null)
        {
            return null;
        }
        var ephemeralPublic = ephemeral.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        using var wrapping = WrappingKey(ephemeral, recipientKey, ephemeralPublic, recipientX);
        if (wrapping is null)
        {
            return null;
        }
        var wrapped = AeadAlgorithm.ChaCha20Poly1305.Encrypt(wrapping, ZeroNonce, CapsuleData(originId, recipient, id), messageKey);
        return Concat(ephemeralPublic, wrapped);
    }

    /// <summary>
    /// Opens the private message <paramref name="envelope"/> with the recipient's <paramref name="key"/>: its text, or
    /// null when it does not open (a capsule sealed to another id, or for another message or origin; a ciphertext or
    /// header altered; a payload that is not base64, or a text that is not UTF-8).
    /// </summary>
    public static string? Open(SealingKey key, Protocol.Gossip envelope)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(envelope);
        if (envelope.Recipient is null || OpenCapsule(key, envelope.Capsule, envelope.OriginId, envelope.Id) is not { } messageKey)
        {
            return null;
        }
        var sealedText = FromBase64(envelope.Text);
        if (sealedText is null || sealedText.Length < TagSize)
        {
            return null;
        }
        using var textKey = Key.Import(AeadAlgorithm.ChaCha20Poly1305, messageKey, KeyBlobFormat.RawSymmetricKey);
        CryptographicOperations.ZeroMemory(messageKey);
        var plain = new byte[sealedText.Length - TagSize];
        if (!AeadAlgorithm.ChaCha20Poly1305.Decrypt(textKey, ZeroNonce, TextData(Header(envelope)), sealedText, plain))
        {
            return null;
        }
        try
        {
            return StrictUtf8.GetString(plain);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// The key in <paramref name="capsule"/>, sealed to <paramref name="key"/>'s id by <paramref name="originId"/> for
    /// <paramref name="id"/> (a private message's id, or a group key's binding: <see cref="GroupSeal.Binding"/>); null when
    /// it does not open.
    /// </summary>
    internal static byte[]? OpenCapsule(SealingKey key, ReadOnlySpan<byte> capsule, NodeId originId, MessageId id)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (capsule.Length != CapsuleSize)
        {
            return null;
        }
        if (!PublicKey.TryImport(KeyAgreementAlgorithm.X25519, capsule[..32], KeyBlobFormat.RawPublicKey, out var ephemeral) || ephemeral is null)
        {
            return null;
        }
        using var wrapping = WrappingKey(key.X25519, ephemeral, capsule[..32], key.X25519Public);
        var messageKey = new byte[KeySize];
        if (wrapping is null
            || !AeadAlgorithm.ChaCha20Poly1305.Decrypt(wrapping, ZeroNonce, CapsuleData(originId, key.Id, id), capsule[32..], messageKey))
        {
            return null;
        }
        return messageKey;
    }

    /// <summary>
    /// The payload of a message whose text is not encrypted (<c>Security:Signatures=skip</c>, simulated runs only): the text
    /// and 16 zero bytes in base64, as long as a sealed one, so every size is the same.
    /// </summary>
    public static string Unsealed(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var plain = StrictUtf8.GetBytes(text);
        var padded = new byte[plain.Length + TagSize];
        plain.CopyTo(padded, 0);
        return Convert.ToBase64String(padded);
    }

    /// <summary>The text of an <see cref="Unsealed"/> payload; null when it is none.</summary>
    public static string? ReadUnsealed(string payload)
    {
        var bytes = FromBase64(payload);
        if (bytes is null || bytes.Length < TagSize)
        {
            return null;
        }
        try
        {
            return StrictUtf8.GetString(bytes, 0, bytes.Length - TagSize);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>The X25519 public key of the Ed25519 key <paramref name="id"/> (libsodium's birational map); null when it is no valid key.</summary>
    internal static byte[]? RecipientX25519(NodeId id)
    {
        _ = Sodium.Ready;
        var edwards = IdBytes(id);
        var montgomery = new byte[32];
        return Sodium.Ed25519PublicKeyToCurve25519(montgomery, edwards) == 0 ? montgomery : null;
    }

    private static Key? WrappingKey(Key own, PublicKey other, ReadOnlySpan<byte> ephemeralPublic, ReadOnlySpan<byte> recipientPublic)
    {
        // X25519 refuses a public key of small order (the shared secret would be all zero): nothing then opens or is sealed.
        using var shared = KeyAgreementAlgorithm.X25519.Agree(own, other);
        if (shared is null)
        {
            return null;
        }
        var salt = Concat(ephemeralPublic, recipientPublic);
        return KeyDerivationAlgorithm.HkdfSha256.DeriveKey(shared, salt, "P2PSim/5 capsule key"u8, AeadAlgorithm.ChaCha20Poly1305);
    }

    private static byte[] TextData(ReadOnlySpan<byte> header) => Concat("P2PSim/5 private"u8, header);

    private static byte[] CapsuleData(NodeId originId, NodeId recipient, MessageId id) =>
        Concat("P2PSim/5 capsule"u8, IdBytes(originId), IdBytes(recipient), IdBytes(id));

    private static byte[]? FromBase64(string text)
    {
        var bytes = new byte[(text.Length / 4 * 3) + 3];
        return Convert.TryFromBase64String(text, bytes, out var written) ? bytes[..written] : null;
    }

    private static byte[] IdBytes(NodeId id)
    {
        var bytes = new byte[NodeId.Size];
        id.WriteTo(bytes);
        return bytes;
    }

    private static byte[] IdBytes(MessageId id)
    {
        var bytes = new byte[ProtocolLimits.MessageIdSize];
        id.WriteTo(bytes);
        return bytes;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c = default, ReadOnlySpan<byte> d = default)
    {
        var all = new byte[a.Length + b.Length + c.Length + d.Length];
        a.CopyTo(all);
        b.CopyTo(all.AsSpan(a.Length));
        c.CopyTo(all.AsSpan(a.Length + b.Length));
        d.CopyTo(all.AsSpan(a.Length + b.Length + c.Length));
        return all;
    }
}

/// <summary>
/// A node's keys for private messages, made from its Ed25519 key once: the X25519 key its private messages are sealed to
/// (libsodium's <c>crypto_sign_ed25519_sk_to_curve25519</c>: the first 32 bytes of SHA-512 of the key's seed, clamped),
/// and a secret the keys of the messages it seals are derived from (HKDF-SHA256 of the seed). Disposed with the node.
/// </summary>
public sealed class SealingKey : IDisposable
{
    private readonly byte[] _secret;

    public SealingKey(NodeKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Id = key.Id;
        var seed = key.ExportSeed();
        try
        {
            Span<byte> hash = stackalloc byte[64];
            SHA512.HashData(seed, hash);
            hash[0] &= 248;
            hash[31] &= 127;
            hash[31] |= 64;
            X25519 = Key.Import(KeyAgreementAlgorithm.X25519, hash[..32], KeyBlobFormat.RawPrivateKey);
            CryptographicOperations.ZeroMemory(hash);
            X25519Public = X25519.PublicKey.Export(KeyBlobFormat.RawPublicKey);
            _secret = HKDF.DeriveKey(HashAlgorithmName.SHA256, seed, 32, salt: [], info: "P2PSim/5 sealing secret"u8.ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>The node's id (its Ed25519 public key).</summary>
    public NodeId Id { get; }

    /// <summary>The node's X25519 key, the one its private messages are sealed to.</summary>
    internal Key X25519 { get; }

    /// <summary>Its public half (what <see cref="PrivateSeal.RecipientX25519"/> computes from <see cref="Id"/>).</summary>
    internal byte[] X25519Public { get; }

    /// <summary>What the message keys and ephemeral keys of this node's private messages are derived from.</summary>
    public ReadOnlySpan<byte> Secret => _secret;

    public void Dispose()
    {
        X25519.Dispose();
        CryptographicOperations.ZeroMemory(_secret);
    }
}
