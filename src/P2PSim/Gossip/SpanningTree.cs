using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Gossip;

/// <summary>
/// The tree of <c>Gossip:Routing</c> = <c>spanning</c>: one spanning tree of the overlay that every peer computes the same
/// way whoever publishes, as Ethernet switches elect a root bridge and build their spanning tree (IEEE 802.1D). Each
/// peer follows the smallest endpoint it has a path to (the root), at the fewest links, through one neighbour (its
/// parent; ties go to the smaller neighbour); its tree links are the link to its parent and the links of the neighbours
/// whose parent it is. It tells its neighbours where it stands (<see cref="TreeAdvert"/>) on every new link and whenever
/// its root, distance or parent change. Pure: adverts go to the node's <see cref="Outbox"/>.
/// </summary>
/// <remarks>
/// Why not only Plumtree's pruning (<c>tree</c>): a duplicate prunes the link it came on, and with messages of several
/// publishers in flight at once two of them prune two different links of one cycle, which cuts the tree; the grafts that
/// mend it make new cycles. A tree chosen by endpoints and distances does not depend on who publishes, so it never
/// has to be pruned. A neighbour whose parent this peer is never becomes its parent (poison reverse), and a distance
/// of <see cref="Unreachable"/> is no path: when the root or a link to it fails, wrong paths count up to it and
/// vanish, as in a distance-vector protocol.
/// </remarks>
internal sealed class SpanningTree(NodeEndpoint self, Outbox outbox, TimeSpan advertInterval)
{
    private readonly NodeEndpoint _self = self;
    private bool _changed;
    private DateTimeOffset _quietUntil = DateTimeOffset.MinValue;

    /// <summary>A distance this large is no path (ends a count to infinity after a failure).</summary>
    public const ushort Unreachable = 32;

    /// <summary>When the adverts of a change are due (null: nothing changed since the last ones).</summary>
    public DateTimeOffset? NextDeadline => _changed ? _quietUntil : null;

    private readonly Dictionary<NodeEndpoint, Neighbour> _neighbours = new();

    /// <summary>The smallest endpoint this peer has a path to (itself if none is smaller).</summary>
    public NodeEndpoint Root { get; private set; } = self;

    /// <summary>Links from the root.</summary>
    public ushort Distance { get; private set; }

    /// <summary>The neighbour towards the root; null at the root.</summary>
    public NodeEndpoint? Parent { get; private set; }

    /// <summary>Whether the link to <paramref name="neighbour"/> is a tree link: to this peer's parent, or to a child.</summary>
    public bool IsTreeLink(NodeEndpoint neighbour) =>
        neighbour == Parent || (_neighbours.TryGetValue(neighbour, out var n) && n.Advert is { ParentIsYou: true });

    /// <summary>A link came up: tell the neighbour where this peer stands. Returns whether the tree links may have changed.</summary>
    public bool OnLinkUp(NodeEndpoint neighbour, ConnectionId connection)
    {
        _neighbours[neighbour] = new Neighbour(connection);
        outbox.Send(connection, AdvertFor(neighbour));
        return Recompute();
    }

    /// <summary>A link went: its neighbour no longer counts. Returns whether the tree links may have changed.</summary>
    public bool OnLinkDown(NodeEndpoint neighbour) => _neighbours.Remove(neighbour) && Recompute();

    /// <summary>A neighbour says where it stands. Returns whether the tree links may have changed.</summary>
    public bool OnAdvert(NodeEndpoint from, ConnectionId connection, TreeAdvert advert)
    {
        if (!_neighbours.TryGetValue(from, out var neighbour) || neighbour.Connection != connection)
        {
            return false;
        }
        var childChanged = neighbour.Advert?.ParentIsYou != advert.ParentIsYou;
        neighbour.Advert = advert;
        return Recompute() | childChanged;
    }

    /// <summary>Chooses root, distance and parent again from the neighbours' adverts; tells every neighbour if they changed.</summary>
    private bool Recompute()
    {
        var (root, distance, parent) = (_self, (ushort)0, (NodeEndpoint?)null);
        foreach (var (endpoint, neighbour) in _neighbours)
        {
            if (neighbour.Advert is not { ParentIsYou: false } advert || advert.Distance + 1 >= Unreachable)
            {
                continue;
            }
            var via = (ushort)(advert.Distance + 1);
            var byRoot = NodeEndpoint.Compare(advert.Root, root);
            if (byRoot < 0 || (byRoot == 0 && parent is not null && (via < distance || (via == distance && NodeEndpoint.Compare(endpoint, parent.Value) < 0))))
            {
                (root, distance, parent) = (advert.Root, via, endpoint);
            }
        }
        if (root == Root && distance == Distance && parent == Parent)
        {
            return false;
        }
        (Root, Distance, Parent) = (root, distance, parent);
        _changed = true;
        return true;
    }

    /// <summary>
    /// Tells every neighbour where this peer stands now, if that changed and the last adverts are at least the advert
    /// interval ago. After a failure, paths that led through the lost link count up to <see cref="Unreachable"/>; sent
    /// at once, every step of that would be a round of adverts to every neighbour (200 peers, 30 % crashing: 12.7
    /// million frames); held back, each peer sends at most one round per interval, with the latest state.
    /// </summary>
    public void Flush(DateTimeOffset now)
    {
        if (!_changed || now < _quietUntil)
        {
            return;
        }
        _changed = false;
        _quietUntil = now + advertInterval;
        foreach (var (endpoint, neighbour) in _neighbours)
        {
            outbox.Send(neighbour.Connection, AdvertFor(endpoint));
        }
    }

    private TreeAdvert AdvertFor(NodeEndpoint neighbour) => new(Root, Distance, neighbour == Parent);

    private sealed class Neighbour(ConnectionId connection)
    {
        public ConnectionId Connection { get; } = connection;

        public TreeAdvert? Advert { get; set; }
    }
}
