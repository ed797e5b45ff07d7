using System.Buffers.Binary;
using System.Security.Cryptography;

namespace P2PSim.Security;

/// <summary>
/// Noise's CipherState (spec rev 34, section 5.1) for ChaChaPoly: a ChaCha20-Poly1305 key and the 64-bit counter n, whose nonce is 4 zero bytes then n little-endian (section 12.3). Without a key it passes bytes
/// through, as the handshake's first messages do. n = 2^64-1 is reserved: a cipher that reaches it refuses to go on,
/// and the link it served closes. A failed decryption leaves n unchanged. One reader or one writer at a time.
/// The AEAD is the platform's (OpenSSL), not NSec's: an NSec key lives in libsodium's guarded memory, whose pages are
/// mapped and protected for every key and unmapped after, and a link makes five of them per side; measured, that was
/// a large share of a Noise link's set-up (README, <i>Encrypted links</i>). Same algorithm, same bytes (the vectors check).
/// </summary>
public sealed class NoiseCipher : IDisposable
{
    /// <summary>Bytes of the Poly1305 tag every ciphertext carries.</summary>
    public const int TagSize = 16;

    /// <summary>Bytes of a key.</summary>
    public const int KeySize = 32;

    private ChaCha20Poly1305? _key;

    internal NoiseCipher()
    {
    }

    internal NoiseCipher(ReadOnlySpan<byte> key) => InitializeKey(key);

    /// <summary>Whether the cipher has a key (before the first DH of a handshake it has none).</summary>
    public bool HasKey => _key is not null;

    /// <summary>The counter of the next encryption or decryption (n).</summary>
    public ulong Nonce { get; internal set; }

    /// <summary>InitializeKey(k): a fresh key, n = 0.</summary>
    internal void InitializeKey(ReadOnlySpan<byte> key)
    {
        _key?.Dispose();
        _key = new ChaCha20Poly1305(key);
        Nonce = 0;
    }

    /// <summary>
    /// EncryptWithAd: writes the ciphertext of <paramref name="plaintext"/> (its length plus <see cref="TagSize"/> with a
    /// key, the plaintext as it is without) to <paramref name="ciphertext"/>; returns its length.
    /// </summary>
    public int Encrypt(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        if (_key is null)
        {
            plaintext.CopyTo(ciphertext);
            return plaintext.Length;
        }
        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        _key.Encrypt(nonce, plaintext, ciphertext[..plaintext.Length], ciphertext.Slice(plaintext.Length, TagSize), ad);
        Nonce++;
        return plaintext.Length + TagSize;
    }

    /// <summary>
    /// DecryptWithAd: writes the plaintext of <paramref name="ciphertext"/> to <paramref name="plaintext"/>; false (and n
    /// unchanged) when the tag does not verify or the ciphertext is shorter than a tag.
    /// </summary>
    public bool TryDecrypt(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext, out int written)
    {
        if (_key is null)
        {
            ciphertext.CopyTo(plaintext);
            written = ciphertext.Length;
            return true;
        }
        written = 0;
        if (ciphertext.Length < TagSize)
        {
            return false;
        }
        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        var length = ciphertext.Length - TagSize;
        try
        {
            _key.Decrypt(nonce, ciphertext[..length], ciphertext[length..], plaintext[..length], ad);
        }
        catch (AuthenticationTagMismatchException)
        {
            plaintext[..length].Clear();
            return false;
        }
        Nonce++;
        written = ciphertext.Length - TagSize;
        return true;
    }

    private void NextNonce(Span<byte> nonce)
    {
        if (Nonce == ulong.MaxValue)
        {
            throw new NoiseException("the cipher's 64-bit nonce is used up (2^64-1 is reserved); the link must end");
        }
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], Nonce);
    }

    public void Dispose()
    {
        _key?.Dispose();
        _key = null;
    }
}

/// <summary>A Noise handshake or transport message that is refused (a tag that does not verify, a wrong size, a used-up nonce).</summary>
public sealed class NoiseException : Exception
{
    public NoiseException(string message) : base(message)
    {
    }

    public NoiseException()
    {
    }

    public NoiseException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
