using System.Net;
using System.Net.Sockets;

namespace P2PSim.Tests.TestSupport;

/// <summary>
/// What the tests that run slices of one network as separate hosts share: their loopback addresses (all of 127.0.0.0/8
/// is loopback on Linux), ports free on every one of them, the seeds listed by name, host and port, and the children's
/// output for a failure message.
/// </summary>
internal static class SliceProcesses
{
    /// <summary>127.0.0.2, 127.0.0.3, ...: one address per slice.</summary>
    public static IPAddress[] Addresses(int slices) => [.. Enumerable.Range(2, slices).Select(i => IPAddress.Parse($"127.0.0.{i}"))];

    /// <summary>
    /// A seed port and a run of <paramref name="peers"/> peer ports, all free on every one of <paramref name="addresses"/>,
    /// drawn between <paramref name="from"/> and <paramref name="to"/> (tests running side by side use different ranges).
    /// </summary>
    public static (int SeedPort, int PeerBasePort) FreePorts(IReadOnlyCollection<IPAddress> addresses, int peers, int from, int to)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var seedPort = Random.Shared.Next(from, to);
            var peerBase = Random.Shared.Next(from, to - peers);
            var ports = Enumerable.Range(peerBase, peers).Append(seedPort).ToArray();
            if (ports.Distinct().Count() == ports.Length && addresses.All(a => ports.All(p => IsFree(a, p))))
            {
                return (seedPort, peerBase);
            }
        }
        throw new InvalidOperationException($"no free ports found on {string.Join(", ", addresses)}");
    }

    /// <summary>The command-line settings listing seed-a, seed-b, ... one per address, all on <paramref name="port"/>.</summary>
    public static IEnumerable<string> SeedList(IReadOnlyList<IPAddress> addresses, int port)
    {
        for (var s = 0; s < addresses.Count; s++)
        {
            yield return $"--Network:Seeds:{s}:Name=seed-{(char)('a' + s)}";
            yield return $"--Network:Seeds:{s}:Host={addresses[s]}";
            yield return $"--Network:Seeds:{s}:Port={port}";
        }
    }

    /// <summary>The end of each child's output, for a failure message.</summary>
    public static string Tails(IEnumerable<ChildProcess> children) =>
        string.Join("\n", children.Select((c, i) => $"--- slice {i}:\n{ChildProcess.Tail(c.Stdout)}{c.Stderr}"));

    /// <summary>Standard error but the missing settings file's warning (the slices run in an empty folder).</summary>
    public static string Problems(string stderr) =>
        string.Join("\n", stderr.Split('\n').Where(l => l.Trim().Length > 0 && !l.StartsWith("warning: no appsettings.json", StringComparison.Ordinal)));

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
