using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace P2PSim.Protocol;

/// <summary>
/// Where a node listens: an IP address and a TCP port. This is a node's identity on the
/// network (a peer registers its listening endpoint, never the ephemeral client port).
/// </summary>
public readonly record struct NodeEndpoint(IPAddress Address, int Port)
{
    public static NodeEndpoint Loopback(int port) => new(IPAddress.Loopback, port);

    public IPEndPoint ToIPEndPoint() => new(Address, Port);

    public static NodeEndpoint From(IPEndPoint endPoint) => new(endPoint.Address, endPoint.Port);

    public override string ToString() => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? $"[{Address}]:{Port.ToString(CultureInfo.InvariantCulture)}"
        : $"{Address}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses <c>host:port</c> (IPv6 as <c>[addr]:port</c>).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out NodeEndpoint? endpoint)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(text) || !IPEndPoint.TryParse(text.Trim(), out var parsed) || parsed.Port == 0)
        {
            return false;
        }
        endpoint = From(parsed);
        return true;
    }

    /// <summary>A total order on endpoints, used to break ties (for example which of two crossed connections survives).</summary>
    public static int Compare(NodeEndpoint left, NodeEndpoint right)
    {
        var other = right;
        var Address = left.Address;
        var Port = left.Port;
        var byAddress = string.CompareOrdinal(Address.ToString(), other.Address.ToString());
        return byAddress != 0 ? byAddress : Port.CompareTo(other.Port);
    }
}
