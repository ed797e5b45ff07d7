using System.Runtime.InteropServices;
using NSec.Cryptography;

namespace P2PSim.Security;

/// <summary>
/// The few libsodium functions NSec (the binding the rest uses) does not expose, or exposes only through its guarded
/// key objects: the same native library NSec loads, so no other package. Touching <see cref="Ready"/> first makes NSec
/// initialise libsodium (<c>sodium_init</c>) before any call of ours.
/// </summary>
internal static class Sodium
{
    /// <summary>NSec's first use runs <c>sodium_init</c>; read this before any function below.</summary>
    internal static bool Ready { get; } = KeyAgreementAlgorithm.X25519 is not null;

    /// <summary>The X25519 public key of an Ed25519 public key; fails for bytes that are no point of the curve, or one of small order.</summary>
    [DllImport("libsodium", EntryPoint = "crypto_sign_ed25519_pk_to_curve25519", ExactSpelling = true)]
    internal static extern int Ed25519PublicKeyToCurve25519(byte[] curve25519, byte[] ed25519);

    /// <summary>X25519(n, 9): the public key of the private scalar <paramref name="n"/> (32 bytes each).</summary>
    [DllImport("libsodium", EntryPoint = "crypto_scalarmult_curve25519_base", ExactSpelling = true)]
    internal static extern int ScalarMultBase(ref byte q, in byte n);

    /// <summary>X25519(n, p): the shared secret; -1 when it is all zero (<paramref name="p"/> of small order).</summary>
    [DllImport("libsodium", EntryPoint = "crypto_scalarmult_curve25519", ExactSpelling = true)]
    internal static extern int ScalarMult(ref byte q, in byte n, in byte p);
}
