using System.Globalization;
using P2PSim.Protocol;

namespace P2PSim.Gossip;

/// <summary>The text of a gossip message: <c>&lt;timestamp&gt;:&lt;ip&gt;:&lt;port&gt;:&lt;msg#&gt;</c>.</summary>
public static class GossipText
{
    /// <summary>The last millisecond a <see cref="DateTimeOffset"/> can hold; a larger timestamp cannot be parsed.</summary>
    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Builds the text of message number <paramref name="number"/> from <paramref name="origin"/>; the timestamp is Unix milliseconds.</summary>
    public static string Create(DateTimeOffset now, NodeEndpoint origin, int number) =>
        string.Create(CultureInfo.InvariantCulture, $"{now.ToUnixTimeMilliseconds()}:{origin.Address}:{origin.Port}:{number}");

    /// <summary>Reads the originator's endpoint and message number back (parsed from the right, so IPv6 works too).</summary>
    public static bool TryParse(string text, out DateTimeOffset timestamp, out NodeEndpoint origin, out int number)
    {
        timestamp = default;
        origin = default;
        number = 0;
        var last = text.LastIndexOf(':');
        var portSep = last > 0 ? text.LastIndexOf(':', last - 1) : -1;
        var first = text.IndexOf(':', StringComparison.Ordinal);
        if (last < 0 || portSep < 0 || first < 0 || first >= portSep
            || !int.TryParse(text.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out number)
            || !int.TryParse(text.AsSpan(portSep + 1, last - portSep - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || !long.TryParse(text.AsSpan(0, first), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || ms > MaxUnixMilliseconds
            || !System.Net.IPAddress.TryParse(text.AsSpan(first + 1, portSep - first - 1), out var address)
            || port is < 1 or > 65535)
        {
            number = 0;
            return false;
        }
        timestamp = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        origin = new NodeEndpoint(address, port);
        return true;
    }
}
