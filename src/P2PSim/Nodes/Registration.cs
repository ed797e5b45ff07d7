using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Nodes;

/// <summary>
/// A peer's registration round: with n seeds it wants floor(n/2)+1 of them, tried in a random
/// order; a seed that fails is replaced by the next untried one, and when all have been tried
/// the failed ones are retried later until enough have answered. Also keeps the known peers:
/// the union of the latest peer list each seed sent, and the id each was listed with (<see cref="IdOf"/>).
/// </summary>
internal sealed class Registration
{
    private readonly HashSet<NodeEndpoint> _registered = new();
    private readonly List<NodeEndpoint> _failed = [];
    private readonly Dictionary<NodeEndpoint, int> _position = new();
    private readonly IReadOnlyList<NodeEndpoint>?[] _lists;
    private readonly IReadOnlyList<NodeId>?[] _listIds; // the id of each entry of _lists[i], in the same order (empty: none known)
    private readonly int[]?[] _listHashes; // the hash code of each entry of _lists[i] that has ids: IdOf compares these first
    private readonly bool[] _truncated;
    private readonly int[] _tenured; // how many entries at the start of _lists[i] are that seed's tenured share
    private readonly Dictionary<NodeEndpoint, bool[]> _watched = new();
    private readonly Dictionary<NodeEndpoint, bool[]> _forgotten = new();
    private readonly Random? _random;
    private bool _compact;
    private NodeEndpoint[] _order = [];
    private int _next;
    private int _inFlight;
    private DateTimeOffset? _retryAt;

    /// <summary>
    /// Once the peer has joined (<see cref="Compact"/>), it keeps of each seed's latest peer list a random sample of at
    /// most this many: repairs draw new neighbours from it (and ask the seeds again when it runs short). A list of up to
    /// 1000 endpoints per seed per peer was the largest part of a peer's memory, and of what a collection has to trace.
    /// </summary>
    public const int RetainedPerSeed = 64;

    /// <summary>
    /// The first this many entries of a seed's peer list (all of it when shorter) are its <i>tenured share</i>: peers drawn
    /// among those it has listed longest (<c>Seed:TenureAfter</c>; PROTOCOL.md, <i>Choosing neighbours against Sybils</i>).
    /// A fixed number rather than a part of the list, so that registering more fakes does not bring them into it.
    /// </summary>
    public const int TenuredPerList = 4;

    /// <summary>
    /// Whether the peer keeps the seeds' tenured shares apart (<see cref="Tenured"/>): kept in every sample of a list, and
    /// offered by <see cref="Tenured"/>. Off (the simulated network's default): the lists are kept as before.
    /// </summary>
    public bool TenuredFirst { get; set; }

    /// <summary>
    /// The peers of the seeds' tenured shares (the first <see cref="TenuredPerList"/> entries of each seed's latest list)
    /// but the <see cref="IsForgotten"/> ones, in the order of <see cref="Known"/>. Empty unless <see cref="TenuredFirst"/>.
    /// </summary>
    public List<NodeEndpoint> Tenured(NodeEndpoint? exclude = null)
    {
        var seen = new HashSet<NodeEndpoint>();
        return [.. Shares().Where(peer => peer != exclude && !_forgotten.ContainsKey(peer) && seen.Add(peer))];
    }

    /// <summary>Whether <paramref name="peer"/> is in a seed's tenured share (<see cref="Tenured"/>).</summary>
    public bool IsTenured(NodeEndpoint peer) => Shares().Contains(peer);

    /// <summary>The entries of every seed's tenured share, seed by seed (a peer in several shares comes once for each).</summary>
    private IEnumerable<NodeEndpoint> Shares()
    {
        for (var i = 0; i < _lists.Length; i++)
        {
            if (_lists[i] is { } list)
            {
                for (var k = 0; k < _tenured[i] && k < list.Count; k++)
                {
                    yield return list[k];
                }
            }
        }
    }

    /// <param name="seeds">The configured seeds, in their configured order: the order <see cref="Known"/> visits their lists in.</param>
    /// <param name="random">Draws the retained samples after <see cref="Compact"/>; null keeps whole lists.</param>
    public Registration(IReadOnlyList<NodeEndpoint> seeds, Random? random = null)
    {
        _random = random;
        for (var i = 0; i < seeds.Count; i++)
        {
            _position.TryAdd(seeds[i], i);
        }
        _lists = new IReadOnlyList<NodeEndpoint>?[seeds.Count];
        _listIds = new IReadOnlyList<NodeId>?[seeds.Count];
        _listHashes = new int[]?[seeds.Count];
        _truncated = new bool[seeds.Count];
        _tenured = new int[seeds.Count];
        Wanted = seeds.Count == 0 ? 0 : (seeds.Count / 2) + 1;
    }

    /// <summary>floor(n/2)+1: a majority, so any two peers share a seed.</summary>
    public int Wanted { get; }

    public IReadOnlyCollection<NodeEndpoint> Registered => _registered;

    /// <summary>
    /// The peers in the latest peer list of any seed but the <see cref="IsForgotten"/> ones, computed on each call (a peer keeps only the lists, a
    /// compact form; the union is needed rarely: on joining and when repairing the overlay).
    /// <para>
    /// The order is a function of the lists alone, never of when they arrived or of hash codes: the seeds in their
    /// configured order, each list in the order its seed sent it, a peer named by several lists where it first
    /// appears. A peer's random choices are positions in this list, so the same lists and the same seeded
    /// <see cref="Random"/> give the same neighbours on the real and on the simulated network.
    /// </para>
    /// </summary>
    public List<NodeEndpoint> Known(NodeEndpoint? exclude = null)
    {
        var total = 0;
        foreach (var list in _lists)
        {
            total += list?.Count ?? 0;
        }
        var known = new List<NodeEndpoint>(total);
        var seen = new HashSet<NodeEndpoint>(total);
        if (exclude is { } excluded)
        {
            seen.Add(excluded);
        }
        foreach (var gone in _forgotten.Keys)
        {
            seen.Add(gone);
        }
        foreach (var list in _lists)
        {
            foreach (var peer in list ?? [])
            {
                if (seen.Add(peer))
                {
                    known.Add(peer);
                }
            }
        }
        return known;
    }

    /// <summary>
    /// Whether the latest peer list of any seed names <paramref name="peer"/>. For a <see cref="Watch"/>ed peer this is
    /// noted from every whole list as it arrives, so it holds after the lists were cut down to samples.
    /// </summary>
    public bool IsListed(NodeEndpoint peer) => _watched.TryGetValue(peer, out var listed)
        ? listed.Any(l => l)
        : _lists.Any(list => list is not null && list.Contains(peer));

    /// <summary>
    /// Follow whether the seeds list <paramref name="peer"/> (a former neighbour declared dead): from now on each list
    /// that arrives says so. Until a seed's next list, one whose latest list was cut to a sample counts as listing it.
    /// </summary>
    public void Watch(NodeEndpoint peer)
    {
        if (_watched.ContainsKey(peer))
        {
            return;
        }
        var listed = new bool[_lists.Length];
        for (var i = 0; i < _lists.Length; i++)
        {
            listed[i] = _lists[i] is { } list && (_truncated[i] || list.Contains(peer));
        }
        _watched[peer] = listed;
    }

    public void Unwatch(NodeEndpoint peer) => _watched.Remove(peer);

    /// <summary>
    /// Whether <paramref name="peer"/> is known to be gone: this peer declared it dead (<see cref="Forget"/>), or a seed's
    /// fresh list no longer names it although that seed's previous list did (the seed removed it: dead, or left). A
    /// forgotten peer is left out of <see cref="Known"/>, so a repair does not dial it from another seed's older list.
    /// </summary>
    public bool IsForgotten(NodeEndpoint peer) => _forgotten.ContainsKey(peer);

    /// <summary>
    /// This peer declared <paramref name="peer"/> dead: leave it out of <see cref="Known"/> until it is back (a seed that
    /// removed it lists it again, or a link to it comes up: <see cref="Remember"/>). Whether the seeds still list it is
    /// followed apart (<see cref="Watch"/>), for the redials after a partition.
    /// </summary>
    public void Forget(NodeEndpoint peer) => _forgotten.TryAdd(peer, new bool[_lists.Length]);

    /// <summary><paramref name="peer"/> is alive after all (a link to it came up): known again.</summary>
    public void Remember(NodeEndpoint peer) => _forgotten.Remove(peer);

    /// <summary>
    /// What a re-registration with <paramref name="seed"/> says it holds of that seed's list, or null when it should ask
    /// for the whole list (not joined yet, no list from that seed yet, or its latest list was short enough to be kept
    /// whole, <see cref="RetainedPerSeed"/> or fewer): the entries kept of its latest list, the
    /// watched peers, and the forgotten peers that seed had removed (so the answer shows whether it lists
    /// them again). At most <see cref="ProtocolLimits.MaxPeerListEntries"/>.
    /// </summary>
    public IReadOnlyList<NodeEndpoint>? HeldOf(NodeEndpoint seed)
    {
        if (!_compact || !_position.TryGetValue(seed, out var position) || _lists[position] is not { } list || !_truncated[position])
        {
            return null; // nothing kept yet, or the seed's whole list is kept: it is small, the whole list costs no more
        }
        var held = new List<NodeEndpoint>(list.Count + _watched.Count);
        var seen = new HashSet<NodeEndpoint>(list);
        held.AddRange(list);
        foreach (var peer in _watched.Keys)
        {
            if (seen.Add(peer))
            {
                held.Add(peer); // listed or not by this seed: the answer says which
            }
        }
        foreach (var (peer, removedBy) in _forgotten)
        {
            if (removedBy[position] && seen.Add(peer))
            {
                held.Add(peer);
            }
        }
        return held.Count <= ProtocolLimits.MaxPeerListEntries ? held : held.GetRange(0, ProtocolLimits.MaxPeerListEntries);
    }

    /// <summary>The peer has joined: from now on only a random sample of each list is kept (<see cref="RetainedPerSeed"/>).</summary>
    public void Compact()
    {
        if (_random is null || _compact)
        {
            return;
        }
        _compact = true;
        for (var i = 0; i < _lists.Length; i++)
        {
            if (_lists[i] is { } list)
            {
                (_lists[i], _listIds[i]) = Retain(list, _listIds[i] ?? [], _tenured[i], out _truncated[i]);
                _listHashes[i] = HashesOf(_lists[i]!, _listIds[i]!);
            }
        }
    }

    /// <summary>The hash code of each entry of <paramref name="list"/>, when it has ids (null: nothing to look up in it).</summary>
    private static int[]? HashesOf(IReadOnlyList<NodeEndpoint> list, IReadOnlyList<NodeId> ids)
    {
        if (ids.Count == 0)
        {
            return null;
        }
        var hashes = new int[list.Count];
        for (var k = 0; k < hashes.Length; k++)
        {
            hashes[k] = list[k].GetHashCode();
        }
        return hashes;
    }

    /// <summary>
    /// A random sample of <see cref="RetainedPerSeed"/> entries (Floyd's algorithm: one draw each) with their ids, or the
    /// list itself if shorter. The first <paramref name="tenured"/> entries (the seed's tenured share) are always kept,
    /// first, and the rest of the sample drawn from the others.
    /// </summary>
    private (IReadOnlyList<NodeEndpoint>, IReadOnlyList<NodeId>) Retain(IReadOnlyList<NodeEndpoint> list, IReadOnlyList<NodeId> ids, int tenured, out bool truncated)
    {
        truncated = list.Count > RetainedPerSeed;
        if (!truncated)
        {
            return (list, ids);
        }
        var picked = new HashSet<int>(RetainedPerSeed);
        var sample = new NodeEndpoint[RetainedPerSeed];
        var sampleIds = ids.Count == 0 ? [] : new NodeId[RetainedPerSeed];
        var n = 0;
        for (; n < tenured; n++)
        {
            sample[n] = list[n];
            if (sampleIds.Length > 0)
            {
                sampleIds[n] = ids[n];
            }
        }
        // Floyd's algorithm over the entries after the share: RetainedPerSeed - tenured of the list.Count - tenured.
        for (var j = list.Count - RetainedPerSeed + tenured; j < list.Count; j++)
        {
            var t = tenured + _random!.Next(j + 1 - tenured);
            var index = picked.Add(t) ? t : j;
            picked.Add(index);
            if (sampleIds.Length > 0)
            {
                sampleIds[n] = ids[index];
            }
            sample[n++] = list[index];
        }
        return (sample, sampleIds);
    }

    /// <summary>
    /// The id a seed listed <paramref name="peer"/> with, or null: none of the lists kept names it (a peer remembers the
    /// ids of the entries it keeps, and forgets them with the entries), or none named it with an id. Where two seeds
    /// name it with different ids, the first in configured seed order counts, as in <see cref="Known"/>.
    /// <para>
    /// A scan of the entries' hash codes (4 bytes an entry), with no index of its own: once joined a peer keeps at most
    /// <see cref="RetainedPerSeed"/> entries per seed, and a dictionary (about 60 bytes an entry) would cost more memory
    /// than the ids themselves, for a look-up made once per message new to the peer.
    /// </para>
    /// </summary>
    public NodeId? IdOf(NodeEndpoint peer)
    {
        var hash = peer.GetHashCode();
        for (var i = 0; i < _lists.Length; i++)
        {
            if (_listHashes[i] is not { } hashes)
            {
                continue;
            }
            var (list, ids) = (_lists[i]!, _listIds[i]!);
            for (var k = 0; k < hashes.Length; k++)
            {
                if (hashes[k] == hash && list[k] == peer && ids[k] != default)
                {
                    return ids[k];
                }
            }
        }
        return null;
    }

    /// <summary>No attempt is under way, and either enough seeds answered or every seed has been tried.</summary>
    public bool RoundFinished => _inFlight == 0 && (_registered.Count >= Wanted || _next >= _order.Length);

    public DateTimeOffset? NextRetry => _registered.Count < Wanted && _failed.Count > 0 ? _retryAt : null;

    /// <summary>
    /// The round is still at work: an attempt is under way, or fewer than <see cref="Wanted"/> seeds answered and the
    /// failed ones are being retried. (It then tries every configured seed in turn by itself.)
    /// </summary>
    public bool Busy => _inFlight > 0 || (_registered.Count < Wanted && _failed.Count > 0);

    public bool IsRegistered(NodeEndpoint seed) => _registered.Contains(seed);

    public void Begin(NodeEndpoint[] order)
    {
        _order = order;
        _next = 0;
    }

    /// <summary>The untried seeds to contact now, to make up the majority.</summary>
    public IEnumerable<NodeEndpoint> TakeNextAttempts()
    {
        var attempts = new List<NodeEndpoint>();
        while (_registered.Count + _inFlight < Wanted && _next < _order.Length)
        {
            attempts.Add(_order[_next++]);
            _inFlight++;
        }
        return attempts;
    }

    public bool RetryDue(DateTimeOffset now) => NextRetry is { } at && now >= at;

    /// <summary>Failed seeds to try again, as many as are still missing.</summary>
    public IEnumerable<NodeEndpoint> TakeRetryAttempts()
    {
        _retryAt = null;
        var attempts = new List<NodeEndpoint>();
        while (_registered.Count + _inFlight < Wanted && _failed.Count > 0)
        {
            attempts.Add(_failed[0]);
            _failed.RemoveAt(0);
            _inFlight++;
        }
        return attempts;
    }

    /// <summary>
    /// <paramref name="seed"/> sent <paramref name="peers"/>: it replaces that seed's earlier list. A peer the earlier
    /// list named and this one does not was removed by the seed: it is forgotten (<see cref="IsForgotten"/>), so the
    /// other seeds' older lists do not bring it back; it is known again when a seed that removed it lists it again (it
    /// registered anew). <paramref name="ids"/>: the id each entry was listed with, in the same order (empty: none).
    /// </summary>
    public void Learn(NodeEndpoint seed, IReadOnlyList<NodeEndpoint> peers, IReadOnlyList<NodeId>? ids = null)
    {
        if (!_position.TryGetValue(seed, out var position))
        {
            return;
        }
        ids ??= [];
        if (ids.Count != 0 && ids.Count != peers.Count)
        {
            ids = []; // not one id per entry (a message always has; this guards a caller)
        }
        NoteRemovals(position, peers);
        _tenured[position] = TenuredFirst ? Math.Min(peers.Count, TenuredPerList) : 0;
        foreach (var (peer, listed) in _watched)
        {
            listed[position] = peers.Contains(peer);
        }
        if (_compact)
        {
            (_lists[position], _listIds[position]) = Retain(peers, ids, _tenured[position], out _truncated[position]);
        }
        else
        {
            _lists[position] = peers;
            _listIds[position] = ids;
            _truncated[position] = false;
        }
        _listHashes[position] = HashesOf(_lists[position]!, _listIds[position]!);
    }

    /// <summary>
    /// Forgets the peers the seed at <paramref name="position"/> removed since its previous list (the previous list may be
    /// a sample: each of its entries is looked up in the whole new list), and remembers again the forgotten peers it
    /// had removed and lists again.
    /// </summary>
    private void NoteRemovals(int position, IReadOnlyList<NodeEndpoint> peers)
    {
        var previous = _lists[position];
        if ((previous is null || previous.Count == 0) && _forgotten.Count == 0)
        {
            return;
        }
        var now = new HashSet<NodeEndpoint>(peers);
        List<NodeEndpoint>? back = null;
        foreach (var (peer, removedBy) in _forgotten)
        {
            if (removedBy[position] && now.Contains(peer))
            {
                (back ??= []).Add(peer);
            }
        }
        foreach (var peer in back ?? [])
        {
            _forgotten.Remove(peer);
        }
        foreach (var peer in previous ?? [])
        {
            if (!now.Contains(peer))
            {
                if (!_forgotten.TryGetValue(peer, out var removedBy))
                {
                    _forgotten[peer] = removedBy = new bool[_lists.Length];
                }
                removedBy[position] = true;
            }
        }
    }

    /// <summary>A first registration with <paramref name="seed"/> (one of the attempts taken) succeeded.</summary>
    public void Succeeded(NodeEndpoint seed)
    {
        _inFlight = Math.Max(0, _inFlight - 1);
        _registered.Add(seed);
    }

    /// <summary>
    /// A registration with <paramref name="seed"/> made outside the round (a failover, while the round is not
    /// <see cref="Busy"/>) succeeded: the seed counts as registered from now on.
    /// </summary>
    public void Adopt(NodeEndpoint seed)
    {
        _registered.Add(seed);
        _failed.Remove(seed);
    }

    /// <summary>A first registration with <paramref name="seed"/> (one of the attempts taken) failed.</summary>
    public void Failed(NodeEndpoint seed, DateTimeOffset retryAt)
    {
        _inFlight = Math.Max(0, _inFlight - 1);
        if (!_registered.Contains(seed) && !_failed.Contains(seed))
        {
            _failed.Add(seed);
        }
        _retryAt ??= retryAt;
    }
}
