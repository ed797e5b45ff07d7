using P2PSim.Protocol;

namespace P2PSim.Configuration;

/// <summary>
/// Section <c>Groups</c>: the groups (topics) of the demo network. Each group is its own overlay among its members, with
/// the same parts and rules as the whole network's (PROTOCOL.md, "Groups and private messages"); peers join and leave
/// them at run time (console commands <c>join</c> and <c>leave</c>), and these settings say which groups each peer joins
/// at start and how their overlays are shaped.
/// </summary>
public sealed class GroupOptions
{
    public const string Section = "Groups";

    /// <summary>
    /// The groups peers join at start, comma-separated (each 1 to 64 bytes of UTF-8, no control character, no white space
    /// at either end), for example <c>blue,green,red</c> (the shipped <c>appsettings.json</c>). Empty (the built-in
    /// default): no peer joins a group at start.
    /// </summary>
    public string Names { get; set; } = "";

    /// <summary>
    /// How many of <see cref="Names"/> each peer joins at start: peer <c>i</c> (0-based) joins the groups at positions
    /// <c>i</c>, <c>i+1</c>, ... (modulo their number), so each group gets about <c>PerPeer</c> / (number of groups) of
    /// the peers, and the groups overlap. More than the number of groups: every group.
    /// </summary>
    public int PerPeer { get; set; } = 2;

    /// <summary>Most neighbours a peer dials itself in each group's overlay (members that dial it come on top); as <c>Peer:MaxNeighbours</c> for the whole network.</summary>
    public int MaxNeighbours { get; set; } = 3;

    /// <summary>
    /// How many group messages each peer publishes, one every <c>Peer:GossipInterval</c> from its join on, to its groups
    /// in turn (a peer in no group publishes none).
    /// </summary>
    public int MessagesPerPeer { get; set; } = 3;

    /// <summary>
    /// Whether group messages are encrypted under a key the group's members share and give each other privately, sealed to
    /// each one's id (PROTOCOL.md, <i>Encrypted group messages</i>). Every peer of one network must use the same setting.
    /// </summary>
    public bool Encrypt { get; set; } = true;

    /// <summary>The names of <see cref="Names"/>, trimmed, empty entries left out.</summary>
    public IReadOnlyList<string> NameList() =>
        Names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The groups peer <paramref name="peerIndex"/> (0-based, over the whole network) joins at start.</summary>
    public IReadOnlyList<string> GroupsOf(int peerIndex)
    {
        var names = NameList();
        if (names.Count == 0 || PerPeer <= 0)
        {
            return [];
        }
        var groups = new List<string>(Math.Min(PerPeer, names.Count));
        for (var k = 0; k < Math.Min(PerPeer, names.Count); k++)
        {
            groups.Add(names[(int)(((long)peerIndex + k) % names.Count)]);
        }
        return groups;
    }

    /// <summary>The options of a group's overlay: the peer's own, with <see cref="MaxNeighbours"/>.</summary>
    public PeerOptions ForGroupOverlay(PeerOptions peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var options = peer.Clone();
        options.MaxNeighbours = MaxNeighbours;
        return options;
    }

    /// <summary>Why <see cref="Names"/> is not a valid list, naming the setting; null when it is.</summary>
    internal string? NamesProblem()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in NameList())
        {
            if (GroupName.Problem(name) is { } problem)
            {
                return $"{Section}:Names: '{name}' is not a group name ({problem}).";
            }
            if (!seen.Add(name))
            {
                return $"{Section}:Names names group '{name}' twice.";
            }
        }
        return seen.Count > ProtocolLimits.MaxGroupsPerPeer ? $"{Section}:Names names {seen.Count} groups; at most {ProtocolLimits.MaxGroupsPerPeer}." : null;
    }
}
