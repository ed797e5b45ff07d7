using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace P2PSim.Security;

/// <summary>
/// A node's Ed25519 key pair (libsodium through NSec): signs what the node says (its handshake, the messages it
/// creates) so others can check it against its <see cref="Id"/>. Made from 32 secret bytes, the key's seed: fresh
/// random ones (<see cref="Generate"/>), ones loaded from a file (<see cref="KeyFolder"/>), or, for a reproducible
/// simulated run, ones derived from the run's seed (<see cref="Derived"/>; never for a network others can reach: anyone
/// who knows the run seed knows those keys).
/// </summary>
public sealed class NodeKey : IDisposable
{
    /// <summary>Bytes of a key's seed, the secret it is made from.</summary>
    public const int SeedSize = 32;

    private readonly Key _key;

    private NodeKey(Key key)
    {
        _key = key;
        Span<byte> raw = stackalloc byte[NodeId.Size];
        if (!key.PublicKey.TryExport(KeyBlobFormat.RawPublicKey, raw, out var written) || written != NodeId.Size)
        {
            throw new CryptographicException("An Ed25519 public key did not export as 32 bytes.");
        }
        Id = NodeId.FromBytes(raw);
    }

    /// <summary>The node's id: its public key.</summary>
    public NodeId Id { get; }

    /// <summary>A new key from the operating system's cryptographic random numbers.</summary>
    public static NodeKey Generate() => new(Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>The key made from <paramref name="seed"/> (exactly <see cref="SeedSize"/> bytes): the same seed, the same key.</summary>
    public static NodeKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"An Ed25519 key seed is {SeedSize} bytes, not {seed.Length}.", nameof(seed));
        }
        return new(Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <summary>
    /// The key of one node of a reproducible run: its seed is SHA-256("P2PSim/4 key" || run seed (i32 BE) || purpose
    /// (UTF-8) || index (i32 BE)), so the same run seed gives every node the same id on every run and both networks.
    /// </summary>
    public static NodeKey Derived(int runSeed, string purpose, int index)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        var input = new byte[12 + 4 + Encoding.UTF8.GetByteCount(purpose) + 4];
        "P2PSim/4 key"u8.CopyTo(input);
        BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(12), runSeed);
        var at = 16 + Encoding.UTF8.GetBytes(purpose, input.AsSpan(16));
        BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(at), index);
        Span<byte> seed = stackalloc byte[SeedSize];
        SHA256.HashData(input, seed);
        return FromSeed(seed);
    }

    /// <summary>The id of <see cref="Derived"/>'s key, the key itself not kept (a simulated node that signs nothing needs only its id).</summary>
    public static NodeId DerivedId(int runSeed, string purpose, int index)
    {
        using var key = Derived(runSeed, purpose, index);
        return key.Id;
    }

    /// <summary>Signs <paramref name="data"/>, writing the 64-byte signature to <paramref name="signature"/>.</summary>
    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature) => SignatureAlgorithm.Ed25519.Sign(_key, data, signature);

    /// <summary>The 64-byte signature of <paramref name="data"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(_key, data);

    /// <summary>The key's secret seed (what a key file holds).</summary>
    public byte[] ExportSeed() => _key.Export(KeyBlobFormat.RawPrivateKey);

    public void Dispose() => _key.Dispose();
}
