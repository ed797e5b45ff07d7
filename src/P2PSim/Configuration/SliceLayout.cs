using System.Net;

namespace P2PSim.Configuration;

/// <summary>
/// Which nodes of the network this process runs and where, worked out from <see cref="NetworkOptions"/> and
/// <see cref="SliceOptions"/> alone, so every slice derives the same answers for the whole network:
/// <list type="bullet">
/// <item>peers: slice i runs the global peer indices [i x Peers / Count, (i + 1) x Peers / Count); peer j listens on
/// <c>Network:PeerBasePort</c> + j wherever it runs, so ports never collide across slices;</item>
/// <item>seeds: the ones named in <c>Slice:Seeds</c>; by default every seed with one slice, else seed j runs in slice
/// j % Count;</item>
/// <item>the demo's crash: one peer of the network (<c>Demo:CrashPeer</c>, or drawn from <c>Network:RandomSeed</c>),
/// crashed by the slice that runs it (<see cref="SliceOfPeer"/>).</item>
/// </list>
/// Assumes validated settings (see <see cref="SliceOptionsValidator"/>).
/// </summary>
public sealed class SliceLayout
{
    private SliceLayout(IReadOnlyList<SeedAddress> seeds, IReadOnlyList<int> localSeeds, int firstPeer, int peerCount, int totalPeers,
        IPAddress bindAddress, IPAddress announceAddress, int index, int count)
    {
        Seeds = seeds;
        LocalSeeds = localSeeds;
        FirstPeer = firstPeer;
        PeerCount = peerCount;
        TotalPeers = totalPeers;
        BindAddress = bindAddress;
        AnnounceAddress = announceAddress;
        Index = index;
        Count = count;
    }

    /// <summary>Every seed of the network, in configured order.</summary>
    public IReadOnlyList<SeedAddress> Seeds { get; }

    /// <summary>Positions in <see cref="Seeds"/> of the seeds this process runs.</summary>
    public IReadOnlyList<int> LocalSeeds { get; }

    /// <summary>Global index of this slice's first peer.</summary>
    public int FirstPeer { get; }

    /// <summary>How many peers this slice runs.</summary>
    public int PeerCount { get; }

    /// <summary>Peers of the whole network.</summary>
    public int TotalPeers { get; }

    public IPAddress BindAddress { get; }

    public IPAddress AnnounceAddress { get; }

    public int Index { get; }

    public int Count { get; }

    /// <summary>Every node on a loopback address of its own (<see cref="NodeAddresses"/>), instead of all on <see cref="BindAddress"/>.</summary>
    public bool AddressPerNode { get; private init; }

    /// <summary>This process runs every seed (the seeds' endpoints are then known from the nodes themselves, port 0 included).</summary>
    public bool AllSeedsLocal => LocalSeeds.Count == Seeds.Count;

    /// <summary>True for the ordinary case: one process, the whole network.</summary>
    public bool IsWholeNetwork => Count == 1 && AllSeedsLocal;

    public bool RunsPeer(int peer) => peer >= FirstPeer && peer < FirstPeer + PeerCount;

    /// <summary>Global index of slice <paramref name="slice"/>'s first peer (of <paramref name="count"/> slices).</summary>
    public static int FirstPeerOf(int slice, int peers, int count) => (int)((long)slice * peers / count);

    /// <summary>The slice that runs peer <paramref name="peer"/>.</summary>
    public static int SliceOfPeer(int peer, int peers, int count)
    {
        for (var slice = count - 1; slice > 0; slice--)
        {
            if (peer >= FirstPeerOf(slice, peers, count))
            {
                return slice;
            }
        }
        return 0;
    }

    /// <summary>The names in <c>Slice:Seeds</c>, or null for the default rule.</summary>
    public static IReadOnlyList<string>? NamedSeeds(SliceOptions slice)
    {
        ArgumentNullException.ThrowIfNull(slice);
        if (string.IsNullOrWhiteSpace(slice.Seeds))
        {
            return null;
        }
        return slice.Seeds.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)
            ? []
            : slice.Seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The bind address: <c>Slice:BindAddress</c>, else <c>Network:Host</c>; null if not an IP address.</summary>
    public static IPAddress? BindAddressOf(NetworkOptions network, SliceOptions slice)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(slice);
        var text = string.IsNullOrWhiteSpace(slice.BindAddress) ? network.Host : slice.BindAddress.Trim();
        return IPAddress.TryParse(text, out var address) ? address : null;
    }

    /// <summary>The announced address: <c>Slice:AnnounceHost</c>, else the bind address; null if not an IP address.</summary>
    public static IPAddress? AnnounceAddressOf(NetworkOptions network, SliceOptions slice)
    {
        ArgumentNullException.ThrowIfNull(slice);
        return string.IsNullOrWhiteSpace(slice.AnnounceHost) ? BindAddressOf(network, slice)
            : IPAddress.TryParse(slice.AnnounceHost.Trim(), out var address) ? address : null;
    }

    public static SliceLayout From(NetworkOptions network, SliceOptions slice)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(slice);
        var seeds = network.AllSeeds();
        var count = Math.Max(1, slice.Count);
        var index = Math.Clamp(slice.Index, 0, count - 1);
        var named = NamedSeeds(slice);
        var local = new List<int>();
        for (var j = 0; j < seeds.Count; j++)
        {
            var runs = named is null
                ? j % count == index
                : named.Contains(seeds[j].Name, StringComparer.OrdinalIgnoreCase);
            if (runs)
            {
                local.Add(j);
            }
        }
        var peers = Math.Max(0, network.Peers);
        var first = FirstPeerOf(index, peers, count);
        var bind = BindAddressOf(network, slice) ?? IPAddress.Loopback;
        var announce = AnnounceAddressOf(network, slice) ?? bind;
        return new SliceLayout(seeds, local, first, FirstPeerOf(index + 1, peers, count) - first, peers, bind, announce, index, count)
        {
            AddressPerNode = NodeAddresses.Apply(network, slice),
        };
    }
}
