namespace P2PSim.Configuration;

/// <summary>Section <c>Network</c>: how many nodes run and where they listen.</summary>
public sealed class NetworkOptions
{
    public const string Section = "Network";

    /// <summary>
    /// Number of seed nodes (discovery servers), in the short form (seed i at <see cref="Host"/>, port
    /// <see cref="SeedBasePort"/> + i). <c>Network:Seeds</c> may instead be a list of seeds by name, host and port
    /// (<see cref="SeedList"/>); then this is the list's length.
    /// </summary>
    public int Seeds { get; set; } = 3;

    /// <summary>
    /// The seeds listed one by one (<c>Network:Seeds</c> written as a list; read by <see cref="SeedListReader"/>, not by
    /// the binder). Empty: the short form.
    /// </summary>
    public IReadOnlyList<SeedAddress> SeedList { get; private set; } = [];

    /// <summary>What was wrong with the list as written (reported by validation, naming each setting).</summary>
    internal IReadOnlyList<string> SeedListProblems { get; private set; } = [];

    /// <summary>Sets the list form (see <see cref="SeedListReader"/>).</summary>
    internal void UseSeedList(IReadOnlyList<SeedAddress> seeds, IReadOnlyList<string> problems)
    {
        SeedList = seeds;
        SeedListProblems = problems;
        Seeds = seeds.Count;
    }

    /// <summary>Every seed of the network in configured order, whichever form the settings use.</summary>
    public IReadOnlyList<SeedAddress> AllSeeds() => SeedList.Count > 0
        ? SeedList
        : Enumerable.Range(0, Math.Max(0, Seeds))
            .Select(i => new SeedAddress($"seed-{i}", Host, SeedBasePort == 0 ? 0 : SeedBasePort + i) { Setting = $"{Section}:SeedBasePort" })
            .ToArray();

    /// <summary>Number of peer nodes.</summary>
    public int Peers { get; set; } = 8;

    /// <summary>IP address every node binds to. Loopback by default.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>
    /// Every node on a loopback address of its own (seed j on 127.1.0.0 + j + 1, peer i on 127.2.0.0 + i + 1, ports as
    /// before), dialing from it, so a node tells clients and other nodes apart by address (see <see cref="NodeAddresses"/>).
    /// Unset: on where it works (Linux, an IPv4 loopback <see cref="Host"/>, one process for the whole network); true:
    /// on, and start-up refuses settings where it cannot be; false: every node on <see cref="Host"/>.
    /// </summary>
    public bool? AddressPerNode { get; set; }

    /// <summary>Seed i listens on SeedBasePort + i. 0 lets the OS pick every port.</summary>
    public int SeedBasePort { get; set; } = 5000;

    /// <summary>Peer i listens on PeerBasePort + i. 0 lets the OS pick every port.</summary>
    public int PeerBasePort { get; set; } = 6000;

    /// <summary>Pause between one peer joining and the next starting to join.</summary>
    public TimeSpan PeerJoinInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Peers of this process that may be joining at the same time. 1, the default, is one at a time, as the original
    /// <c>main.py</c>: every peer finds the peers before it in the overlay, and a tcp run builds the same overlay as the
    /// simulated one. More lets peer i start once peer i - PeersJoiningAtOnce has joined (the first peer always joins
    /// alone), so a big network is built sooner on several cores, in an order the machine decides.
    /// </summary>
    public int PeersJoiningAtOnce { get; set; } = 1;

    /// <summary>Seed of the random numbers (seed choice, neighbour choice, crash victim). 0 picks one at random and logs it.</summary>
    public int RandomSeed { get; set; }
}
