using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace P2PSim.Security;

/// <summary>
/// What an id cost to make (PROTOCOL.md, "Identity and signatures", <i>Ids cost work</i>; S/Kademlia's static crypto
/// puzzle): a <see cref="Nonce"/> such that SHA-256(<c>P2PSim/6 id work</c> || id || nonce (u64 BE)) starts with at least
/// <see cref="Difficulty"/> zero bits (<c>Security:IdDifficulty</c>). Finding one takes about 2^difficulty hashes on
/// average; checking one takes one. The key is never regenerated: only the nonce is searched, so any key can be given
/// work. Both numbers travel in the Hello: the difficulty the sender's network asks (all nodes of one network must
/// agree) and the nonce that meets it.
/// </summary>
public readonly record struct IdWork(byte Difficulty, ulong Nonce)
{
    /// <summary>The largest difficulty a setting may ask for (about 4 x 10^9 hashes per id on average).</summary>
    public const int MaxDifficulty = 32;

    /// <summary>Bytes hashed: the domain, the id, the nonce.</summary>
    public const int InputSize = 16 + NodeId.Size + 8;

    /// <summary>The domain separator, so no other hash of the protocol can be taken for an id's work.</summary>
    public static ReadOnlySpan<byte> Domain => "P2PSim/6 id work"u8;

    /// <summary>No work asked and none done (difficulty 0: every id is accepted).</summary>
    public static IdWork None => default;

    /// <summary>How many leading zero bits SHA-256(domain || <paramref name="id"/> || <paramref name="nonce"/>) has (0 to 256).</summary>
    public static int ZeroBits(NodeId id, ulong nonce)
    {
        Span<byte> input = stackalloc byte[InputSize];
        Domain.CopyTo(input);
        id.WriteTo(input[16..]);
        BinaryPrimitives.WriteUInt64BigEndian(input[(16 + NodeId.Size)..], nonce);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return ZeroBits(hash);
    }

    /// <summary>Whether <paramref name="nonce"/> gives <paramref name="id"/> at least <paramref name="difficulty"/> zero bits (always, for difficulty 0).</summary>
    public static bool Meets(NodeId id, ulong nonce, int difficulty) => difficulty <= 0 || ZeroBits(id, nonce) >= difficulty;

    /// <summary>
    /// The work for <paramref name="id"/> at <paramref name="difficulty"/>: the first nonce from 0 up that meets it (so the
    /// same id and difficulty always give the same nonce). About 2^difficulty hashes; <paramref name="ct"/> stops it.
    /// </summary>
    public static IdWork Find(NodeId id, int difficulty, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(difficulty);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(difficulty, MaxDifficulty);
        if (difficulty == 0)
        {
            return None;
        }
        Span<byte> input = stackalloc byte[InputSize];
        Domain.CopyTo(input);
        id.WriteTo(input[16..]);
        var nonceBytes = input[(16 + NodeId.Size)..];
        Span<byte> hash = stackalloc byte[32];
        for (var nonce = 0UL; ; nonce++)
        {
            if ((nonce & 0xFFFF) == 0)
            {
                ct.ThrowIfCancellationRequested();
            }
            BinaryPrimitives.WriteUInt64BigEndian(nonceBytes, nonce);
            SHA256.HashData(input, hash);
            if (ZeroBits(hash) >= difficulty)
            {
                return new IdWork((byte)difficulty, nonce);
            }
        }
    }

    private static int ZeroBits(ReadOnlySpan<byte> hash)
    {
        for (var i = 0; i < hash.Length; i += 8)
        {
            var word = BinaryPrimitives.ReadUInt64BigEndian(hash[i..]);
            if (word != 0)
            {
                return (i * 8) + BitOperations.LeadingZeroCount(word);
            }
        }
        return hash.Length * 8;
    }
}
