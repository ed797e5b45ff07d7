namespace P2PSim.Configuration;

/// <summary>
/// Section <c>Slice</c>: which part of one network this process runs. The network (<c>Network:Seeds</c>,
/// <c>Network:Peers</c>, ports, <c>Network:RandomSeed</c>) is the same in every slice; each slice runs some of the seeds
/// and a range of the peers, on its own address. The defaults (one slice) run the whole network in this process.
/// </summary>
public sealed class SliceOptions
{
    public const string Section = "Slice";

    /// <summary>Which slice this process is, 0 to <see cref="Count"/> - 1.</summary>
    public int Index { get; set; }

    /// <summary>Slices the network is cut into. Slice i runs peers [i x Peers / Count, (i + 1) x Peers / Count).</summary>
    public int Count { get; set; } = 1;

    /// <summary>
    /// Names of the seeds (from <c>Network:Seeds</c>) this slice runs, comma-separated; <c>none</c> for none. Empty: with one
    /// slice every seed, with several the seeds at positions j with j % Count == Index.
    /// </summary>
    public string Seeds { get; set; } = "";

    /// <summary>IP address the slice's nodes listen on (and dial from). Empty: <c>Network:Host</c>.</summary>
    public string BindAddress { get; set; } = "";

    /// <summary>
    /// IP address the slice's nodes give as theirs (registrations, Hello): what the other slices dial. Empty: the bind
    /// address (required when that is 0.0.0.0 or ::).
    /// </summary>
    public string AnnounceHost { get; set; } = "";
}
