using System.Net;

namespace P2PSim.Configuration;

/// <summary>
/// Every node on a loopback address of its own (<c>Network:AddressPerNode</c>): on Linux every address of 127.0.0.0/8 is
/// this machine, so seed j listens on 127.1.0.0 + j + 1 (127.1.0.1, 127.1.0.2, ...) and peer i on 127.2.0.0 + i + 1
/// (127.2.0.1, ...; peer 99,999 on 127.3.134.160), each on its port as before, and dials from that address. A node then
/// sees every other node, and every client, by an address of its own, so a limit per remote address
/// (<c>Transport:MaxInboundPerAddress</c>) means something.
/// </summary>
public static class NodeAddresses
{
    private const string Setting = $"{NetworkOptions.Section}:AddressPerNode";

    /// <summary>The address of seed <paramref name="index"/> (0-based).</summary>
    public static IPAddress Seed(int index) => Address(1, index);

    /// <summary>The address of peer <paramref name="index"/> (0-based, of the whole network).</summary>
    public static IPAddress Peer(int index) => Address(2, index);

    private static IPAddress Address(int block, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var value = (127u << 24) + ((uint)block << 16) + (uint)index + 1;
        return new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
    }

    /// <summary>
    /// Whether the nodes get addresses of their own: <c>Network:AddressPerNode</c> when set; unset, where it works: on
    /// Linux, with <c>Network:Host</c> an IPv4 loopback address and one process running the whole network on it (no
    /// <c>Slice:BindAddress</c> or <c>Slice:AnnounceHost</c>). Assumes settings that passed <see cref="Problems"/>.
    /// </summary>
    public static bool Apply(NetworkOptions network, SliceOptions slice)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network.AddressPerNode ?? (OperatingSystem.IsLinux() && Problems(network, slice).Count == 0);
    }

    /// <summary>Why nodes cannot have addresses of their own with these settings (empty: they can), each naming the setting.</summary>
    public static IReadOnlyList<string> Problems(NetworkOptions network, SliceOptions slice)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(slice);
        var problems = new List<string>();
        if (!IPAddress.TryParse(network.Host, out var host) || host.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !IPAddress.IsLoopback(host))
        {
            problems.Add($"{Setting} needs {NetworkOptions.Section}:Host to be an IPv4 loopback address such as 127.0.0.1 (was '{network.Host}'): the nodes' own addresses are taken from 127.0.0.0/8.");
        }
        if (slice.Count != 1 || !string.IsNullOrWhiteSpace(slice.BindAddress) || !string.IsNullOrWhiteSpace(slice.AnnounceHost) || SliceLayout.NamedSeeds(slice) is not null)
        {
            problems.Add($"{Setting} needs one process to run the whole network ({SliceOptions.Section}:Count 1, no {SliceOptions.Section}:BindAddress, AnnounceHost or Seeds): slices give each process an address of its own instead.");
        }
        return problems;
    }
}
