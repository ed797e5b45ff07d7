using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Overlay;

/// <summary>
/// Neighbours from an independent source (issue 11): the seeds start every peer list with their <i>tenured share</i>,
/// peers they have listed longest (<see cref="Registration.TenuredPerList"/>; <c>Seed:TenureAfter</c>). Fakes are cheap
/// to make but cannot be old, so a peer keeps at least <see cref="NeighbourScoring.TenuredNeighbours"/> neighbours drawn
/// from those shares: it draws them first when it joins and when it repairs, a failed dial to one is replaced by another
/// (the one that failed is avoided for a while, so a joiner never goes on dialing full tenured peers; none left: a plain one),
/// and scoring never replaces the last of them for a peer that is not tenured (as Bitcoin keeps "tried" addresses apart
/// from "new" ones, and S/Kademlia prefers long-lived contacts).
/// </summary>
internal sealed partial class NeighbourTable
{
    private readonly HashSet<NodeEndpoint> _tenuredPicks = new(); // neighbours (or dials) drawn from the tenured shares

    /// <summary>Neighbours this peer keeps from the tenured shares; 0: the rule is off.</summary>
    private int WantedTenured => _rules?.TenuredNeighbours ?? 0;

    /// <summary>Whether <paramref name="peer"/> was drawn from a tenured share, or is in one now.</summary>
    private bool IsTenured(NodeEndpoint peer) => _tenuredPicks.Contains(peer) || _known.IsTenured(peer);

    /// <summary>Neighbours (connected or redialed) and new dials that are tenured.</summary>
    private int TenuredHeld
    {
        get
        {
            var held = 0;
            foreach (var neighbour in _neighbours.Keys)
            {
                held += IsTenured(neighbour) ? 1 : 0;
            }
            foreach (var dialing in _dialing)
            {
                held += !_neighbours.ContainsKey(dialing) && IsTenured(dialing) ? 1 : 0;
            }
            return held;
        }
    }

    /// <summary>Tenured neighbours of this peer now (for tests and the summary).</summary>
    public int TenuredNeighbours => WantedTenured == 0 ? 0 : _neighbours.Keys.Count(IsTenured);

    /// <summary>
    /// A random peer of the tenured shares that is no neighbour, not dialed, not avoided (nor replaced lately) and within
    /// the cap per address; null: none.
    /// </summary>
    private NodeEndpoint? DrawTenured()
    {
        var pool = _known.Tenured(exclude: _self)
            .Where(p => !_neighbours.ContainsKey(p) && !_dialing.Contains(p) && !_avoid.ContainsKey(p) && !AddressFull(p))
            .ToArray();
        return pool.Length == 0 ? null : pool[_random.Next(pool.Length)];
    }

    /// <summary>
    /// Dials tenured peers until this peer holds <see cref="NeighbourScoring.TenuredNeighbours"/> of them (or none is
    /// left to draw), at most <paramref name="room"/>; returns the peers dialed. Draws nothing when the rule is off or
    /// enough are held.
    /// </summary>
    private List<NodeEndpoint> DialTenured(int room)
    {
        var dialed = new List<NodeEndpoint>();
        while (dialed.Count < room && WantedTenured > TenuredHeld && DrawTenured() is { } peer)
        {
            _tenuredPicks.Add(peer);
            DialNeighbour(peer);
            dialed.Add(peer);
        }
        return dialed;
    }

    /// <summary>
    /// Scoring would replace <paramref name="peer"/>: whether it may go. Not when it is one of the last tenured neighbours
    /// and no other tenured peer can be drawn in its place (then <paramref name="tenuredReplacement"/> is null and it stays);
    /// when it is, the replacement is that tenured peer.
    /// </summary>
    private bool MayReplace(NodeEndpoint peer, out NodeEndpoint? tenuredReplacement)
    {
        tenuredReplacement = null;
        if (WantedTenured == 0 || !IsTenured(peer) || TenuredHeld - 1 >= WantedTenured)
        {
            return true;
        }
        tenuredReplacement = DrawTenured();
        return tenuredReplacement is not null;
    }
}
