using System.Buffers.Binary;
using System.Net;

namespace P2PSim.Protocol;

/// <summary>
/// Decoded IPv4 addresses, shared: every frame names endpoints (a gossip its origin, a peer list hundreds of peers),
/// and a node keeps many of them (its history holds each recent message's origin), mostly the same few addresses (on
/// loopback, all 127.0.0.1). A small direct-mapped table hands out one <see cref="IPAddress"/> object per address
/// instead of one per field decoded. Thread-safe without locks: a slot is one reference, replaced whole; a race costs
/// at most a fresh object. Bounded: <see cref="Slots"/> entries. Callers never mutate the addresses they get.
/// </summary>
internal static class AddressCache
{
    private const int Slots = 1024;
    private static readonly IPAddress?[] Table = new IPAddress?[Slots];

    /// <summary>The address of these 4 bytes, shared when the table holds it.</summary>
    public static IPAddress V4(ReadOnlySpan<byte> bytes)
    {
        var value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        var slot = (int)((value * 2654435761u) >> 22); // Fibonacci hashing to 10 bits
        var cached = Volatile.Read(ref Table[slot]);
        if (cached is not null && Matches(cached, value))
        {
            return cached;
        }
        var address = new IPAddress(bytes);
        Volatile.Write(ref Table[slot], address);
        return address;
    }

    private static bool Matches(IPAddress address, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        return address.TryWriteBytes(bytes, out var written) && written == 4 && BinaryPrimitives.ReadUInt32BigEndian(bytes) == value;
    }
}
