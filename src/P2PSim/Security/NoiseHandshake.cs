using System.Security.Cryptography;
using NSec.Cryptography;

namespace P2PSim.Security;

/// <summary>
/// Noise_XX_25519_ChaChaPoly_SHA256 (Noise spec rev 34): the HandshakeState of pattern XX with its SymmetricState
/// (h, ck and a <see cref="NoiseCipher"/>): X25519 and HKDF from libsodium through NSec, ChaCha20-Poly1305, SHA-256 and
/// HMAC from the platform.
/// <code>
/// XX:
///   -> e
///   &lt;- e, ee, s, es
///   -> s, se
/// </code>
/// MixKey(DH) is HKDF(ck, DH) with two outputs, which is RFC 5869 HKDF-SHA256 with salt ck, the DH output as input key
/// material, empty info and 64 bytes out (ck || k), so NSec derives it from the shared secret without ever exporting it.
/// Checked byte for byte against the cacophony and snow test vectors (NoiseVectorTests). A message that does not
/// verify throws <see cref="NoiseException"/>; the handshake is then dead. Not thread-safe.
/// </summary>
public sealed class NoiseHandshake : IDisposable
{
    /// <summary>The protocol name, exactly 32 bytes, so h starts as the name itself.</summary>
    public const string ProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";

    /// <summary>Bytes of an X25519 public key and of a SHA-256 hash.</summary>
    public const int KeySize = 32;

    private static readonly KeyAgreementAlgorithm X25519 = KeyAgreementAlgorithm.X25519;
    private static readonly KeyDerivationAlgorithm Hkdf = KeyDerivationAlgorithm.HkdfSha256;

    private readonly bool _initiator;
    private readonly Key _static;
    private readonly byte[] _staticPublic;
    private readonly byte[] _h = new byte[KeySize];
    private readonly byte[] _ck = new byte[KeySize];
    private readonly NoiseCipher _cipher = new();
    private Key? _ephemeral;
    private PublicKey? _remoteEphemeral;
    private PublicKey? _remoteStatic;
    private byte[]? _remoteStaticBytes;
    private int _step; // messages done: 0..3
    private bool _failed;

    /// <summary>
    /// Initialize(XX, initiator, prologue, s): <paramref name="staticKey"/> is this side's X25519 key (not owned);
    /// <paramref name="ephemeral"/> (owned) only for test vectors, else a fresh one is made when it is needed.
    /// </summary>
    public NoiseHandshake(bool initiator, Key staticKey, ReadOnlySpan<byte> prologue, Key? ephemeral = null)
    {
        ArgumentNullException.ThrowIfNull(staticKey);
        _initiator = initiator;
        _static = staticKey;
        _staticPublic = staticKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        _ephemeral = ephemeral;
        System.Text.Encoding.ASCII.GetBytes(ProtocolName, _h); // 32 bytes: h = name, no hashing, no padding
        _h.CopyTo(_ck, 0);
        MixHash(prologue);
    }

    /// <summary>A new X25519 key (the node's static Noise key, or a test's).</summary>
    public static Key NewKey() => Key.Create(X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });

    /// <summary>An X25519 key from its 32 private bytes (test vectors).</summary>
    public static Key ImportKey(ReadOnlySpan<byte> privateKey) => Key.Import(X25519, privateKey, KeyBlobFormat.RawPrivateKey);

    /// <summary>The 32 bytes of a key's X25519 public key.</summary>
    public static byte[] PublicBytes(Key key) => (key ?? throw new ArgumentNullException(nameof(key))).PublicKey.Export(KeyBlobFormat.RawPublicKey);

    /// <summary>The remote's static public key (rs), once its message carrying it has verified.</summary>
    public ReadOnlySpan<byte> RemoteStatic => _remoteStaticBytes;

    /// <summary>Whether all three messages are done (then <see cref="Split"/>).</summary>
    public bool IsComplete => _step == 3;

    /// <summary>h at the end of the handshake (channel binding; checked by the test vectors).</summary>
    public ReadOnlySpan<byte> HandshakeHash => _h;

    /// <summary>Whether this side writes the next message.</summary>
    public bool WritesNext => !IsComplete && (_step % 2 == 0) == _initiator;

    /// <summary>The size of the next message with a payload of <paramref name="payloadLength"/> bytes.</summary>
    public int MessageSize(int payloadLength) => _step switch
    {
        0 => KeySize + payloadLength,
        1 => KeySize + KeySize + NoiseCipher.TagSize + payloadLength + NoiseCipher.TagSize,
        2 => KeySize + NoiseCipher.TagSize + payloadLength + NoiseCipher.TagSize,
        _ => throw new InvalidOperationException("The handshake is complete."),
    };

    /// <summary>WriteMessage(payload): the next handshake message.</summary>
    public byte[] WriteMessage(ReadOnlySpan<byte> payload)
    {
        EnsureTurn(write: true);
        var message = new byte[MessageSize(payload.Length)];
        var at = 0;
        switch (_step)
        {
            case 0: // -> e
                at += WriteEphemeral(message);
                break;
            case 1: // <- e, ee, s, es
                at += WriteEphemeral(message);
                MixKey(_ephemeral!, _remoteEphemeral!);
                at += EncryptAndHash(_staticPublic, message.AsSpan(at));
                MixKey(_static, _remoteEphemeral!);
                break;
            default: // -> s, se
                at += EncryptAndHash(_staticPublic, message.AsSpan(at));
                MixKey(_static, _remoteEphemeral!);
                break;
        }
        EncryptAndHash(payload, message.AsSpan(at));
        _step++;
        return message;
    }

    /// <summary>ReadMessage(message): the remote's payload; throws <see cref="NoiseException"/> when the message is refused.</summary>
    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        EnsureTurn(write: false);
        if (message.Length < MessageSize(0))
        {
            _failed = true;
            throw new NoiseException($"handshake message {_step + 1} of {message.Length} bytes is too short (at least {MessageSize(0)})");
        }
        _failed = true; // until the message has verified
        var at = 0;
        switch (_step)
        {
            case 0: // -> e
                _remoteEphemeral = ReadPublic(message[..KeySize]);
                at = KeySize;
                break;
            case 1: // <- e, ee, s, es
                _remoteEphemeral = ReadPublic(message[..KeySize]);
                at = KeySize;
                MixKey(_ephemeral!, _remoteEphemeral);
                at += ReadStatic(message.Slice(at, KeySize + NoiseCipher.TagSize));
                MixKey(_ephemeral!, _remoteStatic!);
                break;
            default: // -> s, se
                at += ReadStatic(message[..(KeySize + NoiseCipher.TagSize)]);
                MixKey(_ephemeral!, _remoteStatic!);
                break;
        }
        var payload = new byte[message.Length - at - (_cipher.HasKey ? NoiseCipher.TagSize : 0)];
        DecryptAndHash(message[at..], payload);
        _failed = false;
        _step++;
        return payload;
    }

    /// <summary>Split(): the transport ciphers, this side's sending one and receiving one; the handshake's keys are dropped.</summary>
    public (NoiseCipher Send, NoiseCipher Receive) Split()
    {
        if (!IsComplete)
        {
            throw new InvalidOperationException("The handshake is not complete.");
        }
        // HKDF(ck, zerolen) as the spec writes it (OpenSSL's HKDF refuses empty input key material).
        Span<byte> temp = stackalloc byte[KeySize];
        Span<byte> input = stackalloc byte[KeySize + 1];
        Span<byte> keys = stackalloc byte[2 * KeySize];
        HMACSHA256.HashData(_ck, ReadOnlySpan<byte>.Empty, temp);
        input[0] = 1;
        HMACSHA256.HashData(temp, input[..1], keys[..KeySize]); // output1 = HMAC(temp, 0x01)
        keys[..KeySize].CopyTo(input);
        input[KeySize] = 2;
        HMACSHA256.HashData(temp, input, keys[KeySize..]); // output2 = HMAC(temp, output1 || 0x02)
        CryptographicOperations.ZeroMemory(temp);
        CryptographicOperations.ZeroMemory(input);
        var toResponder = new NoiseCipher(keys[..KeySize]);
        var toInitiator = new NoiseCipher(keys[KeySize..]);
        CryptographicOperations.ZeroMemory(keys);
        CryptographicOperations.ZeroMemory(_ck);
        return _initiator ? (toResponder, toInitiator) : (toInitiator, toResponder);
    }

    private void EnsureTurn(bool write)
    {
        if (_failed)
        {
            throw new NoiseException("the handshake has failed");
        }
        if (IsComplete || WritesNext != write)
        {
            throw new InvalidOperationException(IsComplete ? "The handshake is complete." : $"Not this side's turn to {(write ? "write" : "read")}.");
        }
    }

    private int WriteEphemeral(Span<byte> destination)
    {
        _ephemeral ??= Key.Create(X25519);
        if (!_ephemeral.PublicKey.TryExport(KeyBlobFormat.RawPublicKey, destination, out var written) || written != KeySize)
        {
            throw new CryptographicException("An X25519 public key did not export as 32 bytes.");
        }
        MixHash(destination[..KeySize]);
        return KeySize;
    }

    private PublicKey ReadPublic(ReadOnlySpan<byte> raw)
    {
        MixHash(raw);
        return PublicKey.TryImport(X25519, raw, KeyBlobFormat.RawPublicKey, out var key) && key is not null
            ? key
            : throw new NoiseException("an X25519 public key in the handshake does not import");
    }

    private int ReadStatic(ReadOnlySpan<byte> encrypted)
    {
        var raw = new byte[KeySize];
        DecryptAndHash(encrypted, raw);
        _remoteStatic = PublicKey.TryImport(X25519, raw, KeyBlobFormat.RawPublicKey, out var key) && key is not null
            ? key
            : throw new NoiseException("the remote's static X25519 key does not import");
        _remoteStaticBytes = raw;
        return encrypted.Length;
    }

    private void MixHash(ReadOnlySpan<byte> data)
    {
        var joined = KeySize + data.Length <= 512 ? stackalloc byte[KeySize + data.Length] : new byte[KeySize + data.Length];
        _h.CopyTo(joined);
        data.CopyTo(joined[KeySize..]);
        SHA256.HashData(joined, _h);
    }

    /// <summary>MixKey(DH(key, remote)): ck, k = HKDF(ck, DH output); an all-zero DH (a low-order point) is refused.</summary>
    private void MixKey(Key key, PublicKey remote)
    {
        using var shared = X25519.Agree(key, remote) ?? throw new NoiseException("the X25519 agreement failed (a low-order public key)");
        Span<byte> output = stackalloc byte[2 * KeySize];
        Hkdf.DeriveBytes(shared, _ck, ReadOnlySpan<byte>.Empty, output);
        output[..KeySize].CopyTo(_ck);
        _cipher.InitializeKey(output[KeySize..]);
        CryptographicOperations.ZeroMemory(output);
    }

    private int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var written = _cipher.Encrypt(_h, plaintext, destination);
        MixHash(destination[..written]);
        return written;
    }

    private void DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (!_cipher.TryDecrypt(_h, ciphertext, plaintext, out _))
        {
            throw new NoiseException($"handshake message {_step + 1} does not decrypt (a wrong key or a changed byte)");
        }
        MixHash(ciphertext);
    }

    public void Dispose()
    {
        _ephemeral?.Dispose();
        _cipher.Dispose();
    }
}
