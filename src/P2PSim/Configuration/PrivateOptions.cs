using System.Globalization;

namespace P2PSim.Configuration;

/// <summary>
/// Section <c>Private</c>: private messages from one peer to another (PROTOCOL.md, <i>Private messages</i>): how long a
/// sender waits for the acknowledgement, how often it tries, how long an unused direct link stays open, and which peers
/// cannot be dialled from outside (as behind a NAT).
/// </summary>
public sealed class PrivateOptions
{
    public const string Section = "Private";

    /// <summary>
    /// How long a sender waits for the acknowledgement of its first attempt; each further attempt waits twice as long as
    /// the one before (2, 4, 8, 16 s with the defaults).
    /// </summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Sends of one message in all, the first included; with no acknowledgement after the last, the message is undeliverable.</summary>
    public int Attempts { get; set; } = 4;

    /// <summary>A direct link that carried no private message or acknowledgement for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Peers (0-based indices of the whole network, comma-separated, e.g. <c>2,5</c>) that cannot be dialled from outside,
    /// as behind a NAT: they refuse every connection (their own outgoing links work), so private messages reach them
    /// through a seed they hold a reservation with. Empty: every peer can be dialled.
    /// </summary>
    public string NotDialablePeers { get; set; } = "";

    /// <summary>The peer indices of <see cref="NotDialablePeers"/>; null with <paramref name="problem"/> set when it is not a list of indices.</summary>
    public IReadOnlySet<int>? NotDialable(out string? problem)
    {
        problem = null;
        var indices = new HashSet<int>();
        foreach (var part in NotDialablePeers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                problem = $"'{part}' is not a peer index";
                return null;
            }
            indices.Add(index);
        }
        return indices;
    }

    /// <summary>Whether the peer with index <paramref name="peerIndex"/> can be dialled (a list that does not parse marks none).</summary>
    public bool IsDialable(int peerIndex) => NotDialable(out _) is not { } set || !set.Contains(peerIndex);

    /// <summary>An independent copy (experiments adjust a copy per run).</summary>
    public PrivateOptions Clone() => (PrivateOptions)MemberwiseClone();
}
