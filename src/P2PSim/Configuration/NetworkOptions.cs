namespace P2PSim.Configuration;

/// <summary>Section <c>Network</c>: how many nodes run and where they listen.</summary>
public sealed class NetworkOptions
{
    public const string Section = "Network";

    /// <summary>Number of seed nodes (discovery servers).</summary>
    public int Seeds { get; set; } = 3;

    /// <summary>Number of peer nodes.</summary>
    public int Peers { get; set; } = 8;

    /// <summary>IP address every node binds to. Loopback by default.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Seed i listens on SeedBasePort + i. 0 lets the OS pick every port.</summary>
    public int SeedBasePort { get; set; } = 5000;

    /// <summary>Peer i listens on PeerBasePort + i. 0 lets the OS pick every port.</summary>
    public int PeerBasePort { get; set; } = 6000;

    /// <summary>Pause between one peer joining and the next starting to join.</summary>
    public TimeSpan PeerJoinInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Seed of the random numbers (seed choice, neighbour choice, crash victim). 0 picks one at random and logs it.</summary>
    public int RandomSeed { get; set; }
}
