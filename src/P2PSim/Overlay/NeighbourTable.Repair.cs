using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Overlay;

/// <summary>When the seeds are asked for fresh peer lists during a repair.</summary>
internal enum AskSeeds
{
    /// <summary>A neighbour was just lost: ask at once.</summary>
    Always,

    /// <summary>A periodic retry: ask only when the known peers cannot make up the shortfall.</summary>
    IfShort,

    /// <summary>A peer list just arrived: use it, do not ask again.</summary>
    Never,
}

/// <summary>
/// Self-healing: replacing failed dials, repairing when fewer than MinNeighbours are left, keeping away from peers that
/// died, left or misbehaved for a while, and redialing suspects (declared dead, still listed by the seeds) so that two
/// halves of a partitioned overlay join up again.
/// </summary>
internal sealed partial class NeighbourTable
{
    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _avoid = new();
    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _suspects = new();
    private readonly HashSet<NodeEndpoint> _retrying = new();
    private readonly Queue<NodeEndpoint> _candidates = new();

    /// <summary>The repair target: MinNeighbours, but never more than MaxNeighbours.</summary>
    private int MinNeighbours => Math.Min(_options.MinNeighbours, _options.MaxNeighbours);

    private TimeSpan AvoidFor => (_options.MaxMissedLiveness + 1) * _options.LivenessInterval;

    /// <summary>A neighbour that died, left or misbehaved is not dialed by a repair for a while (the seeds drop it meanwhile).</summary>
    private void Avoid(NodeEndpoint peer, DateTimeOffset now) => _avoid[peer] = now + AvoidFor;

    /// <summary>A chosen neighbour could not be reached: try another known peer, so a joining peer always links to the overlay when any of it is reachable.</summary>
    private void DialNextCandidate()
    {
        if (_stopping || DialedNeighbours >= _options.MaxNeighbours)
        {
            return;
        }
        while (_candidates.TryDequeue(out var next))
        {
            if (!_neighbours.ContainsKey(next) && !_dialing.Contains(next) && !_avoid.ContainsKey(next) && next != _self && !_known.IsForgotten(next) && !AddressFull(next))
            {
                DialNeighbour(next);
                return;
            }
        }
    }

    /// <summary>
    /// Self-healing: with fewer than MinNeighbours reachable neighbours (connected, plus new dials under way; a lost link
    /// being redialed does not count), dial random known peers that are not neighbours, not this peer and not recently
    /// dead or gone, never beyond MaxNeighbours reachable neighbours dialed by this peer; and ask the registered seeds for
    /// fresh peer lists.
    /// </summary>
    public void Repair(DateTimeOffset now, string trigger, AskSeeds ask)
    {
        if (!Joined || _stopping || MinNeighbours <= 0)
        {
            return;
        }
        var needed = MinNeighbours - Connected - NewDials;
        if (needed <= 0)
        {
            return;
        }
        foreach (var expired in _avoid.Where(a => a.Value <= now).Select(a => a.Key).ToArray())
        {
            _avoid.Remove(expired);
        }
        // Tenured neighbours first, if fewer than Peer:TenuredNeighbours are left (NeighbourTable.Tenure.cs; off: no draw).
        var tenured = DialTenured(Math.Min(needed, Math.Max(0, _options.MaxNeighbours - DialedNeighbours)));
        needed -= tenured.Count;
        var pool = _known.Known()
            .Where(p => p != _self && !_neighbours.ContainsKey(p) && !_dialing.Contains(p) && !_avoid.ContainsKey(p))
            .ToArray();
        _random.Shuffle(pool);
        var chosen = TakeWithinAddressCap(pool, Math.Min(needed, Math.Max(0, _options.MaxNeighbours - DialedNeighbours)), out var rest, out _);
        if (tenured.Count > 0)
        {
            chosen = [.. tenured, .. chosen];
            needed += tenured.Count;
        }
        _candidates.Clear();
        foreach (var extra in rest.Take(SpareCandidates))
        {
            _candidates.Enqueue(extra);
        }
        foreach (var peer in chosen)
        {
            DialNeighbour(peer);
        }
        IReadOnlyList<NodeEndpoint> asked = [];
        if (ask == AskSeeds.Always || (ask == AskSeeds.IfShort && chosen.Length < needed))
        {
            asked = RequestPeerLists?.Invoke(now) ?? [];
        }
        if (chosen.Length > 0 || asked.Count > 0)
        {
            _out.Report(new OverlayRepair(now, trigger, _neighbours.Count, MinNeighbours, chosen, asked));
        }
    }

    /// <summary>
    /// A neighbour this peer declared dead but that the seeds still list after the avoid period was not dead: the link
    /// between the two was (a partition). Dial it again, once per avoid period, until it is a neighbour again or the seeds
    /// drop it, so the overlay a partition split joins up again when the network heals (and catches up over the link).
    /// </summary>
    public void RetrySuspects(DateTimeOffset now)
    {
        if (_suspects.Count == 0 || _stopping)
        {
            return;
        }
        List<NodeEndpoint>? dialing = null;
        foreach (var (peer, due) in _suspects.ToArray())
        {
            if (_neighbours.ContainsKey(peer) || !_known.IsListed(peer))
            {
                _suspects.Remove(peer); // back, or dropped by the seeds (truly dead)
                _known.Unwatch(peer);
                continue;
            }
            if (now < due || _dialing.Contains(peer) || DialedNeighbours >= _options.MaxNeighbours)
            {
                continue;
            }
            _suspects[peer] = now + AvoidFor;
            _retrying.Add(peer);
            DialNeighbour(peer);
            (dialing ??= []).Add(peer);
        }
        if (dialing is not null)
        {
            _out.Report(new OverlayRepair(now, "neighbours declared dead that the seeds still list", _neighbours.Count, MinNeighbours, dialing, []));
        }
    }
}
