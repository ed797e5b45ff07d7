using System.Globalization;
using P2PSim.Nodes;

namespace P2PSim.Configuration;

/// <summary>
/// What the nodes of one process hold open at once, for <see cref="OpenFileLimit.Check"/>.
/// </summary>
/// <param name="Peers">Peers this process runs.</param>
/// <param name="Seeds">Seeds this process runs.</param>
/// <param name="Links">Links a peer dials itself (<c>Peer:MaxNeighbours</c>, plus each group's); it holds about twice that, as other peers dial it too.</param>
/// <param name="Registrations">Registration connections open at once, on average, both ends counted where both run here (<see cref="OpenFileLimit.RegistrationsInFlight"/>).</param>
/// <param name="LogFiles">Per-node log files held open (<c>Logs:WriteFiles</c>).</param>
internal readonly record struct FileDemand(long Peers, long Seeds, int Links, double Registrations = 0, long LogFiles = 0)
{
    /// <summary>Files a peer holds for its links and its listening socket.</summary>
    public long PerPeer => (2L * Math.Max(0, Links)) + 1;

    /// <summary>Every file this demand needs, the runtime's included.</summary>
    public long Total => (Peers * PerPeer) + Seeds + (long)Math.Ceiling(Registrations) + LogFiles + OpenFileLimit.Overhead;
}

/// <summary>
/// The open files (sockets) a network of real nodes needs, against what this process may open. Every peer holds one
/// listening socket and one socket per neighbour link it dials or accepts (about 2 x <c>Peer:MaxNeighbours</c>), so a
/// process of N peers needs about N x (2 x MaxNeighbours + 1) files; measured: 9.06 per peer with MaxNeighbours 4.
/// On top of these steady files come the short-lived registration connections (every peer registers with a majority
/// of the seeds every <c>Peer:ReregisterInterval</c>, and a busy machine holds each one up to
/// <c>Peer:RegistrationTimeout</c>), the per-node log files, and the runtime's own. Past the limit the runtime itself
/// fails (a thread it starts cannot get the file it needs: "Out of memory." and an abort), so a network that cannot fit
/// is refused at start-up instead, and the transport keeps a reserve at run time (<c>Transport/OpenFileReserve.cs</c>).
/// </summary>
internal static class OpenFileLimit
{
    /// <summary>Files the runtime and the seeds' other short-lived connections hold on top of the nodes' sockets (measured: about 115).</summary>
    public const int Overhead = 200;

    public static long Needed(long peers, long seeds, int maxNeighbours) => new FileDemand(peers, seeds, maxNeighbours).Total;

    /// <summary>
    /// Registration connections open at once, on average: each of <paramref name="peersHere"/> peers opens one to each
    /// seed of its majority at least every 90 % of <c>ReregisterInterval</c> (<see cref="SeedSession.ReregisterJitter"/>),
    /// and each of this process's <paramref name="seedsHere"/> seeds takes its share of the whole network's
    /// (<paramref name="networkPeers"/>). Each is counted as open for the whole <c>RegistrationTimeout</c>: what a slow,
    /// shared machine holds, not what a quick answer does. 0 when peers register once (<c>ReregisterInterval</c> 0).
    /// </summary>
    public static double RegistrationsInFlight(PeerOptions peer, long peersHere, long networkPeers, int networkSeeds, int seedsHere)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.ReregisterInterval <= TimeSpan.Zero || networkSeeds <= 0)
        {
            return 0;
        }
        var majority = (networkSeeds / 2) + 1;
        var shortestGap = peer.ReregisterInterval * (1 - SeedSession.ReregisterJitter);
        var open = Math.Min(1.0, peer.RegistrationTimeout / shortestGap);
        var dialed = peersHere * (double)majority;
        var taken = networkPeers * (double)majority * Math.Min(seedsHere, networkSeeds) / networkSeeds;
        return (dialed + taken) * open;
    }

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
    public static string? Check(string peersSetting, long peers, long seeds, int maxNeighbours, long? limit) =>
        Check(peersSetting, new FileDemand(peers, seeds, maxNeighbours), limit);

    /// <summary>Null when <paramref name="demand"/> fits in <paramref name="limit"/> (or the limit is unknown); else why not, naming the settings.</summary>
    public static string? Check(string peersSetting, FileDemand demand, long? limit)
    {
        if (limit is not { } max)
        {
            return null;
        }
        var needed = demand.Total;
        if (needed <= max)
        {
            return null;
        }
        // Registrations and log files grow with the peers: what fits keeps their share per peer.
        var perPeer = demand.PerPeer + (demand.Peers > 0 ? (demand.Registrations + demand.LogFiles) / demand.Peers : 0);
        var fit = (long)Math.Max(0, (max - demand.Seeds - Overhead) / perPeer);
        var extras = new List<string>();
        if (demand.Registrations > 0)
        {
            extras.Add($"about {Math.Ceiling(demand.Registrations).ToString(CultureInfo.InvariantCulture)} registration connections open at once (every peer registers with a majority of the seeds every {PeerOptions.Section}:ReregisterInterval, each connection open up to {PeerOptions.Section}:RegistrationTimeout)");
        }
        if (demand.LogFiles > 0)
        {
            extras.Add($"{demand.LogFiles} log files ({LogOptions.Section}:WriteFiles)");
        }
        extras.Add($"{Overhead} for the runtime");
        return $"{peersSetting} ({demand.Peers}) needs about {needed} open files on real sockets (every peer holds about "
            + $"2 x its links ({PeerOptions.Section}:MaxNeighbours, and {GroupOptions.Section}:MaxNeighbours for each group it is in) + 1 = {demand.PerPeer}; "
            + $"on top: {string.Join(", ", extras)}), but this process may open {max} (ulimit -n). "
            + $"Use at most about {fit} peers here, raise the limit, or run the simulated network.";
    }
}
