using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace P2PSim.Security;

/// <summary>
/// An X25519 key pair held as plain bytes, with libsodium's scalar multiplication: what a Noise handshake makes and
/// agrees with several times per link. NSec's keys live in libsodium's guarded memory (pages mapped, locked and
/// protected for every key and shared secret, unmapped after), which cost a Noise link more than its cryptography
/// (README, <i>Encrypted links</i>); the private bytes here sit in one pinned array (never moved, so never copied by
/// the garbage collector) and are zeroed on <see cref="Dispose"/> instead. Private keys
/// come from the operating system's cryptographic generator, never from a run's seeded <see cref="Random"/>.
/// </summary>
public sealed class X25519Key : IDisposable
{
    /// <summary>Bytes of a private key, a public key and a shared secret.</summary>
    public const int Size = 32;

    // On the pinned object heap: the garbage collector never moves it, so zeroing it on Dispose leaves no copy behind.
    private readonly byte[] _private = GC.AllocateArray<byte>(Size, pinned: true);
    private readonly byte[] _public = new byte[Size];

    private X25519Key(ReadOnlySpan<byte> privateKey)
    {
        _ = Sodium.Ready;
        privateKey.CopyTo(_private);
        if (Sodium.ScalarMultBase(ref _public[0], in _private[0]) != 0)
        {
            throw new CryptographicException("X25519 could not make a public key.");
        }
    }

    /// <summary>A new random key.</summary>
    public static X25519Key Create()
    {
        Span<byte> secret = stackalloc byte[Size];
        RandomNumberGenerator.Fill(secret);
        try
        {
            return new X25519Key(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>A key from its 32 private bytes (test vectors).</summary>
    public static X25519Key Import(ReadOnlySpan<byte> privateKey) =>
        privateKey.Length == Size ? new X25519Key(privateKey) : throw new ArgumentException($"An X25519 private key is {Size} bytes.", nameof(privateKey));

    /// <summary>The public key.</summary>
    public ReadOnlySpan<byte> PublicKey => _public;

    /// <summary>
    /// DH(this, <paramref name="remotePublic"/>) into <paramref name="shared"/> (32 bytes); false when the result would be
    /// all zero (a public key of small order), and then <paramref name="shared"/> is zeroed.
    /// </summary>
    public bool TryAgree(ReadOnlySpan<byte> remotePublic, Span<byte> shared)
    {
        if (remotePublic.Length != Size || shared.Length != Size)
        {
            throw new ArgumentException($"X25519 keys and shared secrets are {Size} bytes.");
        }
        if (Sodium.ScalarMult(ref MemoryMarshal.GetReference(shared), in _private[0], in MemoryMarshal.GetReference(remotePublic)) == 0)
        {
            return true;
        }
        CryptographicOperations.ZeroMemory(shared);
        return false;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_private);
}
