using System.Security.Cryptography;
namespace P2PSim.Security;

/// <summary>
/// Noise_XX_25519_ChaChaPoly_SHA256 (Noise spec rev 34): the HandshakeState of pattern XX with its SymmetricState
/// (h, ck and a <see cref="NoiseCipher"/>): X25519 from libsodium on plain bytes (<see cref="X25519Key"/>), ChaCha20-Poly1305,
/// SHA-256 and HMAC from the platform.
/// <code>
/// XX:
///   -> e
///   &lt;- e, ee, s, es
///   -> s, se
/// </code>
/// HKDF(ck, input) is the spec's own two HMACs (section 4.3), the shared secret zeroed as soon as it is mixed in.
/// Checked byte for byte against the cacophony and snow test vectors (NoiseVectorTests). A message that does not
/// verify, or one that cannot be written (a low-order remote key), throws <see cref="NoiseException"/>; the handshake is
/// then dead: every later call throws, ck is zeroed and no remote key of the failed message is shown. It splits once;
/// disposed, it is dead too. Messages are at most 65,535 bytes (spec section 3). Not thread-safe.
/// </summary>
public sealed class NoiseHandshake : IDisposable
{
    /// <summary>The protocol name, exactly 32 bytes, so h starts as the name itself.</summary>
    public const string ProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";

    /// <summary>Bytes of an X25519 public key and of a SHA-256 hash.</summary>
    public const int KeySize = 32;

    /// <summary>The largest Noise message (spec section 3), handshake messages included.</summary>
    public const int MaxMessageSize = ushort.MaxValue;

    private readonly bool _initiator;
    private readonly X25519Key _static;
    private readonly byte[] _h = new byte[KeySize];
    private readonly byte[] _ck = GC.AllocateArray<byte>(KeySize, pinned: true); // a secret: never moved (so never copied) before it is zeroed
    private readonly NoiseCipher _cipher = new();
    private X25519Key? _ephemeral;
    private byte[]? _remoteEphemeral;
    private byte[]? _remoteStatic;
    private int _step; // messages done: 0..3
    private bool _failed;
    private bool _split;
    private bool _disposed;

    /// <summary>
    /// Initialize(XX, initiator, prologue, s): <paramref name="staticKey"/> is this side's X25519 key (not owned);
    /// <paramref name="ephemeral"/> (owned) only for test vectors, else a fresh one is made when it is needed.
    /// </summary>
    public NoiseHandshake(bool initiator, X25519Key staticKey, ReadOnlySpan<byte> prologue, X25519Key? ephemeral = null)
    {
        ArgumentNullException.ThrowIfNull(staticKey);
        _initiator = initiator;
        _static = staticKey;
        _ephemeral = ephemeral;
        System.Text.Encoding.ASCII.GetBytes(ProtocolName, _h); // 32 bytes: h = name, no hashing, no padding
        _h.CopyTo(_ck, 0);
        MixHash(prologue);
    }

    /// <summary>A new X25519 key (the node's static Noise key, or a test's).</summary>
    public static X25519Key NewKey() => X25519Key.Create();

    /// <summary>An X25519 key from its 32 private bytes (test vectors).</summary>
    public static X25519Key ImportKey(ReadOnlySpan<byte> privateKey) => X25519Key.Import(privateKey);

    /// <summary>The 32 bytes of a key's X25519 public key.</summary>
    public static byte[] PublicBytes(X25519Key key) => (key ?? throw new ArgumentNullException(nameof(key))).PublicKey.ToArray();

    /// <summary>The remote's static public key (rs), once the whole message carrying it has verified (empty before, and after a failure).</summary>
    public ReadOnlySpan<byte> RemoteStatic => _remoteStatic;

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
        if (MessageSize(payload.Length) > MaxMessageSize)
        {
            throw new ArgumentException($"A Noise message is at most {MaxMessageSize} bytes; this payload makes it {MessageSize(payload.Length)}.", nameof(payload));
        }
        var message = new byte[MessageSize(payload.Length)];
        _failed = true; // until the message is written: a throw below (a low-order remote key) leaves the handshake dead
        try
        {
            var at = WriteTokens(message);
            EncryptAndHash(payload, message.AsSpan(at));
        }
        catch
        {
            Fail();
            throw;
        }
        _failed = false;
        _step++;
        return message;
    }

    /// <summary>The tokens of the next message (before its payload) into <paramref name="message"/>; returns their length.</summary>
    private int WriteTokens(Span<byte> message)
    {
        var at = 0;
        switch (_step)
        {
            case 0: // -> e
                at += WriteEphemeral(message);
                break;
            case 1: // <- e, ee, s, es
                at += WriteEphemeral(message);
                MixKey(_ephemeral!, _remoteEphemeral!);
                at += EncryptAndHash(_static.PublicKey, message[at..]);
                MixKey(_static, _remoteEphemeral!);
                break;
            default: // -> s, se
                at += EncryptAndHash(_static.PublicKey, message[at..]);
                MixKey(_static, _remoteEphemeral!);
                break;
        }
        return at;
    }

    /// <summary>ReadMessage(message): the remote's payload; throws <see cref="NoiseException"/> when the message is refused.</summary>
    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        EnsureTurn(write: false);
        if (message.Length < MessageSize(0) || message.Length > MaxMessageSize)
        {
            Fail();
            throw new NoiseException(message.Length > MaxMessageSize
                ? $"handshake message {_step + 1} of {message.Length} bytes is longer than a Noise message ({MaxMessageSize})"
                : $"handshake message {_step + 1} of {message.Length} bytes is too short (at least {MessageSize(0)})");
        }
        _failed = true; // until the message has verified
        try
        {
            var payload = ReadTokensAndPayload(message, out var remoteStatic);
            _remoteStatic = remoteStatic ?? _remoteStatic; // shown only now that all of the message verified
            _failed = false;
            _step++;
            return payload;
        }
        catch
        {
            Fail();
            throw;
        }
    }

    private byte[] ReadTokensAndPayload(ReadOnlySpan<byte> message, out byte[]? remoteStatic)
    {
        remoteStatic = null;
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
                remoteStatic = ReadStatic(message.Slice(at, KeySize + NoiseCipher.TagSize));
                at += KeySize + NoiseCipher.TagSize;
                MixKey(_ephemeral!, remoteStatic);
                break;
            default: // -> s, se
                remoteStatic = ReadStatic(message[..(KeySize + NoiseCipher.TagSize)]);
                at += KeySize + NoiseCipher.TagSize;
                MixKey(_ephemeral!, remoteStatic);
                break;
        }
        var payload = new byte[message.Length - at - (_cipher.HasKey ? NoiseCipher.TagSize : 0)];
        DecryptAndHash(message[at..], payload);
        return payload;
    }

    /// <summary>Split(): the transport ciphers, this side's sending one and receiving one; the handshake's keys are dropped.</summary>
    public (NoiseCipher Send, NoiseCipher Receive) Split()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsComplete || _split)
        {
            // Split zeroes ck: a second one would derive both ciphers from 32 zero bytes.
            throw new InvalidOperationException(_split ? "The handshake has been split already." : "The handshake is not complete.");
        }
        _split = true;
        Span<byte> keys = stackalloc byte[2 * KeySize];
        Hkdf(_ck, ReadOnlySpan<byte>.Empty, keys); // HKDF(ck, zerolen)
        var toResponder = new NoiseCipher(keys[..KeySize]);
        var toInitiator = new NoiseCipher(keys[KeySize..]);
        CryptographicOperations.ZeroMemory(keys);
        CryptographicOperations.ZeroMemory(_ck);
        _cipher.Dispose(); // k of the last handshake message: no use after the split
        return _initiator ? (toResponder, toInitiator) : (toInitiator, toResponder);
    }

    private void EnsureTurn(bool write)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
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
        _ephemeral ??= X25519Key.Create();
        _ephemeral.PublicKey.CopyTo(destination);
        MixHash(destination[..KeySize]);
        return KeySize;
    }

    private byte[] ReadPublic(ReadOnlySpan<byte> raw)
    {
        MixHash(raw);
        return raw.ToArray();
    }

    private byte[] ReadStatic(ReadOnlySpan<byte> encrypted)
    {
        var raw = new byte[KeySize];
        DecryptAndHash(encrypted, raw);
        return raw;
    }

    private void MixHash(ReadOnlySpan<byte> data)
    {
        var joined = KeySize + data.Length <= 512 ? stackalloc byte[KeySize + data.Length] : new byte[KeySize + data.Length];
        _h.CopyTo(joined);
        data.CopyTo(joined[KeySize..]);
        SHA256.HashData(joined, _h);
    }

    /// <summary>MixKey(DH(key, remote)): ck, k = HKDF(ck, DH output); an all-zero DH (a low-order point) is refused.</summary>
    private void MixKey(X25519Key key, byte[] remote)
    {
        Span<byte> shared = stackalloc byte[KeySize];
        Span<byte> output = stackalloc byte[2 * KeySize];
        try
        {
            if (!key.TryAgree(remote, shared))
            {
                throw new NoiseException("the X25519 agreement failed (a low-order public key)");
            }
            Hkdf(_ck, shared, output);
            output[..KeySize].CopyTo(_ck);
            _cipher.InitializeKey(output[KeySize..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
            CryptographicOperations.ZeroMemory(output);
        }
    }

    /// <summary>HKDF(chaining key, input) of the spec (section 4.3), both 32-byte outputs into <paramref name="output"/>.</summary>
    private static void Hkdf(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Span<byte> temp = stackalloc byte[KeySize];
        Span<byte> block = stackalloc byte[KeySize + 1];
        HMACSHA256.HashData(chainingKey, input, temp); // temp_key = HMAC(ck, input)
        block[0] = 1;
        HMACSHA256.HashData(temp, block[..1], output[..KeySize]); // output1 = HMAC(temp_key, 0x01)
        output[..KeySize].CopyTo(block);
        block[KeySize] = 2;
        HMACSHA256.HashData(temp, block, output[KeySize..]); // output2 = HMAC(temp_key, output1 || 0x02)
        CryptographicOperations.ZeroMemory(temp);
        CryptographicOperations.ZeroMemory(block);
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

    /// <summary>After a failure: nothing of the handshake is kept for a later call (every call throws from now on).</summary>
    private void Fail()
    {
        _failed = true;
        _remoteStatic = null;
        CryptographicOperations.ZeroMemory(_ck);
        _cipher.Dispose();
        _ephemeral?.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_ck);
        _ephemeral?.Dispose();
        _cipher.Dispose();
    }
}
