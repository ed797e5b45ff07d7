using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace P2PSim.Configuration;

/// <summary>
/// Reads <c>Network:Seeds</c> when it is written as a list:
/// <c>"Seeds": [ { "Name": "seed-a", "Host": "127.0.0.1", "Port": 5000 }, ... ]</c> (on the command line
/// <c>--Network:Seeds:0:Name=seed-a --Network:Seeds:0:Host=... --Network:Seeds:0:Port=5000</c>). A number there is the
/// short form and is left to the binder. Both at once (a list in the file, a count on the command line) is accepted only
/// when they agree.
/// </summary>
public static class SeedListReader
{
    /// <summary>Applies the list form of <paramref name="network"/>'s <c>Seeds</c> to <paramref name="options"/>, if written so.</summary>
    public static void Apply(IConfiguration network, NetworkOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        var section = network.GetSection("Seeds");
        var entries = section.GetChildren()
            .OrderBy(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue)
            .ToArray();
        if (entries.Length == 0)
        {
            return;
        }
        var problems = new List<string>();
        var seeds = new List<SeedAddress>();
        foreach (var entry in entries)
        {
            var at = $"{NetworkOptions.Section}:Seeds:{entry.Key}";
            var name = entry["Name"]?.Trim() ?? "";
            var host = entry["Host"]?.Trim() ?? "";
            var portText = entry["Port"]?.Trim() ?? "";
            if (name.Length == 0)
            {
                problems.Add($"{at}:Name must be given: every listed seed has a name (e.g. seed-a).");
            }
            if (host.Length == 0 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                problems.Add($"{at}:Host must be an IP address or a DNS name (was '{host}').");
            }
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                problems.Add($"{at}:Port must be a port number from 1 to 65535 (was '{portText}').");
                port = 0;
            }
            seeds.Add(new SeedAddress(name, host, port) { Setting = at });
        }
        if (section.Value is { } count)
        {
            // A count given as well (the command line over a list in the file): fine only if it says the same.
            if (!int.TryParse(count, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n != seeds.Count)
            {
                problems.Add($"{NetworkOptions.Section}:Seeds is given both as a count ({count}) and as a list of {seeds.Count} seeds; give one of the two.");
            }
        }
        options.UseSeedList(seeds, problems);
    }
}
