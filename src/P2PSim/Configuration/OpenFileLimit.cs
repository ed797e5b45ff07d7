using System.Globalization;

namespace P2PSim.Configuration;

/// <summary>
/// The open files (sockets) a network of real nodes needs, against what this process may open. Every peer holds one
/// listening socket and one socket per neighbour link it dials or accepts (about 2 x <c>Peer:MaxNeighbours</c>), so a
/// process of N peers needs about N x (2 x MaxNeighbours + 1) files; measured: 9.06 per peer with MaxNeighbours 4.
/// Past the limit the runtime itself fails (it cannot create its own handles: "Out of memory" and an abort), so a
/// network that cannot fit is refused at start-up instead.
/// </summary>
internal static class OpenFileLimit
{
    /// <summary>Files the runtime, the seeds and short-lived seed connections hold on top of the peers' sockets (measured: about 115).</summary>
    public const int Overhead = 200;

    public static long Needed(long peers, long seeds, int maxNeighbours) => (peers * ((2L * Math.Max(0, maxNeighbours)) + 1)) + seeds + Overhead;

    /// <summary>The soft limit on open files of this process (<c>ulimit -n</c>), or null where it cannot be read.</summary>
    public static long? Current()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
        }
        return null;
    }

    /// <summary>Null when the network fits in <paramref name="limit"/> (or the limit is unknown); else why not, naming the setting.</summary>
    public static string? Check(string peersSetting, long peers, long seeds, int maxNeighbours, long? limit)
    {
        if (limit is not { } max)
        {
            return null;
        }
        var needed = Needed(peers, seeds, maxNeighbours);
        if (needed <= max)
        {
            return null;
        }
        var fit = Math.Max(0, (max - seeds - Overhead) / ((2L * Math.Max(0, maxNeighbours)) + 1));
        return $"{peersSetting} ({peers}) needs about {needed} open files on real sockets (every peer holds about "
            + $"2 x its links ({PeerOptions.Section}:MaxNeighbours, and {GroupOptions.Section}:MaxNeighbours for each group it is in) + 1 = {(2 * maxNeighbours) + 1}), but this process may open {max} (ulimit -n). "
            + $"Use at most about {fit} peers here, raise the limit, or run the simulated network.";
    }
}
