using System.Runtime.InteropServices;
using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// What a seed hands out: the peer list for a registrant (all of it, or a random sample when it is long) and, for a
/// re-registering peer that keeps a sample, the entries it still lists plus new ones (PROTOCOL.md, <i>Registering again</i>).
/// With <see cref="TenureAfter"/> every answer starts with the <i>tenured share</i>: <see cref="Registration.TenuredPerList"/>
/// peers drawn at random among those listed for at least that long, or the longest listed when fewer are (PROTOCOL.md,
/// <i>Choosing neighbours against Sybils</i>): fakes are cheap to make but cannot be old.
/// </summary>
public sealed partial class SeedMachine
{
    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _listedAt = new(); // when each listed peer was listed (its tenure)

    /// <summary>
    /// A listed peer counts as tenured after this long, and every peer list starts with the tenured share; zero (the
    /// default, and the simulated network's): lists as before.
    /// </summary>
    public TimeSpan TenureAfter { get; init; }

    /// <summary>Lists <paramref name="peer"/> (hands it out from now on); its tenure starts now. <see cref="_order"/> stays in listing order.</summary>
    private void List(NodeEndpoint peer, DateTimeOffset now)
    {
        _order.Add(peer);
        _listedAt[peer] = now;
    }

    /// <summary>The PL for one registrant: every other peer, or a random sample of them when there are too many; the tenured share first.</summary>
    private NodeEndpoint[] Sample(NodeEndpoint registrant, DateTimeOffset now)
    {
        if (TenureAfter <= TimeSpan.Zero)
        {
            return Sample(CollectionsMarshal.AsSpan(_order), registrant, IsListed(registrant), maxPeersPerList);
        }
        var share = TenuredShare(registrant, now);
        var answer = new List<NodeEndpoint>(Math.Min(maxPeersPerList, _order.Count));
        answer.AddRange(share);
        var inShare = new HashSet<NodeEndpoint>(share);
        foreach (var peer in Sample(CollectionsMarshal.AsSpan(_order), registrant, IsListed(registrant), maxPeersPerList))
        {
            if (answer.Count >= maxPeersPerList)
            {
                break;
            }
            if (!inShare.Contains(peer))
            {
                answer.Add(peer);
            }
        }
        return [.. answer];
    }

    /// <summary>
    /// <see cref="Registration.TenuredPerList"/> peers but <paramref name="registrant"/> drawn at random among the
    /// tenured ones (listed at least <see cref="TenureAfter"/> ago), or, when fewer are, among the longest listed (all of
    /// them when the seed lists no more). Never grows with the number of fakes: an attacker that registered after
    /// the <see cref="Registration.TenuredPerList"/> oldest peers is never in it until it has been listed that long.
    /// </summary>
    private NodeEndpoint[] TenuredShare(NodeEndpoint registrant, DateTimeOffset now)
    {
        var pool = Math.Min(_order.Count, Math.Max(ListedSince(now - TenureAfter), Registration.TenuredPerList + 1)); // + 1: room for the registrant
        var oldest = CollectionsMarshal.AsSpan(_order)[..pool];
        return Sample(oldest, registrant, oldest.Contains(registrant), Registration.TenuredPerList);
    }

    /// <summary>How many listed peers were listed at or before <paramref name="cutoff"/> (a prefix of the list: it is in listing order).</summary>
    private int ListedSince(DateTimeOffset cutoff)
    {
        int low = 0, high = _order.Count;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (_listedAt.TryGetValue(_order[middle], out var at) && at <= cutoff)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }

    /// <summary>
    /// The answer to a re-registration that holds <paramref name="held"/> of this seed's list and wants at most
    /// <paramref name="wanted"/> more: the tenured share (with <see cref="TenureAfter"/>), the held entries this seed
    /// still lists, in their order (so the peer sees which it removed), then a random sample of the others. A few dozen
    /// entries instead of the whole list, the same for all.
    /// </summary>
    private NodeEndpoint[] Refresh(NodeEndpoint registrant, int wanted, IReadOnlyList<NodeEndpoint> held, DateTimeOffset now)
    {
        var answer = new List<NodeEndpoint>(held.Count + wanted + Registration.TenuredPerList);
        var kept = new HashSet<NodeEndpoint>(held.Count);
        if (TenureAfter > TimeSpan.Zero)
        {
            foreach (var peer in TenuredShare(registrant, now))
            {
                kept.Add(peer);
                answer.Add(peer);
            }
        }
        foreach (var peer in held)
        {
            if (peer != registrant && IsListed(peer) && kept.Add(peer))
            {
                answer.Add(peer);
            }
        }
        var take = Math.Min(wanted, maxPeersPerList);
        foreach (var peer in Sample(CollectionsMarshal.AsSpan(_order), registrant, IsListed(registrant), Math.Min(take + kept.Count, maxPeersPerList)))
        {
            if (answer.Count - kept.Count >= take)
            {
                break;
            }
            if (!kept.Contains(peer))
            {
                answer.Add(peer);
            }
        }
        return answer.Count <= ProtocolLimits.MaxPeerListEntries ? [.. answer] : [.. answer.GetRange(0, ProtocolLimits.MaxPeerListEntries)];
    }

    /// <summary>
    /// Every peer of <paramref name="order"/> but <paramref name="registrant"/> (<paramref name="listed"/>: it is in
    /// it), or a random sample of <paramref name="count"/> of them when there are more.
    /// </summary>
    private NodeEndpoint[] Sample(Span<NodeEndpoint> order, NodeEndpoint registrant, bool listed, int count)
    {
        var others = order.Length - (listed ? 1 : 0);
        if (others <= count)
        {
            var all = new NodeEndpoint[others];
            var i = 0;
            foreach (var peer in order)
            {
                if (peer != registrant)
                {
                    all[i++] = peer;
                }
            }
            return all;
        }
        // Many peers: a partial Fisher-Yates shuffle of the list itself, undone afterwards, so a registration costs
        // O(count) and allocates only the sample, whatever the number of peers.
        var sample = new NodeEndpoint[count];
        var swapped = count < 1024 ? stackalloc int[count + 1] : new int[count + 1];
        var taken = 0;
        var position = 0;
        while (taken < sample.Length)
        {
            var pick = random.Next(position, order.Length);
            (order[position], order[pick]) = (order[pick], order[position]);
            swapped[position] = pick;
            if (order[position] != registrant)
            {
                sample[taken++] = order[position];
            }
            position++;
        }
        for (var undo = position - 1; undo >= 0; undo--)
        {
            (order[undo], order[swapped[undo]]) = (order[swapped[undo]], order[undo]);
        }
        return sample;
    }
}
