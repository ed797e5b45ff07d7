using System.Net;
using P2PSim.Protocol;

namespace P2PSim.Simulation;

/// <summary>
/// Synthetic, distinct listening endpoints for simulated nodes. Loopback has too few ports
/// for 100,000 peers, so each node gets its own address in 10.0.0.0/8 (the network is
/// virtual; nothing is bound): seed i is 10.0.x.y:5000, peer i is 10.(1+).x.y:6000.
/// </summary>
public static class SimulatedAddresses
{
    public const int SeedPort = 5000;
    public const int PeerPort = 6000;

    /// <summary>Most seeds that get distinct addresses (10.0.0.1 to 10.0.255.255).</summary>
    public const int MaxSeeds = 65_535;

    /// <summary>Most peers that get distinct addresses (10.1.0.1 upwards).</summary>
    public const int MaxPeers = (255 << 16) - 1;

    /// <summary>The endpoint of seed <paramref name="index"/> (0-based).</summary>
    public static NodeEndpoint Seed(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxSeeds);
        return new NodeEndpoint(Address(index + 1), SeedPort);
    }

    /// <summary>The endpoint of peer <paramref name="index"/> (0-based).</summary>
    public static NodeEndpoint Peer(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxPeers);
        return new NodeEndpoint(Address((1 << 16) + index + 1), PeerPort);
    }

    private static IPAddress Address(int offset) =>
        new([10, (byte)(offset >> 16), (byte)(offset >> 8), (byte)offset]);
}
