using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// What a seed hands out: the peer list for a registrant (all of it, or a random sample when it is long) and, for a
/// re-registering peer that keeps a sample, the entries it still lists plus new ones (PROTOCOL.md, <i>Registering again</i>).
/// </summary>
public sealed partial class SeedMachine
{
    /// <summary>The PL for one registrant: every other peer, or a random sample of them when there are too many.</summary>
    private NodeEndpoint[] Sample(NodeEndpoint registrant) => Sample(_order, registrant, IsListed(registrant), maxPeersPerList);

    /// <summary>
    /// The answer to a re-registration that holds <paramref name="held"/> of this seed's list and wants at most
    /// <paramref name="wanted"/> more: the held entries this seed still lists, in their order (so the peer sees which it
    /// removed), then a random sample of the others. A few dozen entries instead of the whole list, the same for all.
    /// </summary>
    private NodeEndpoint[] Refresh(NodeEndpoint registrant, int wanted, IReadOnlyList<NodeEndpoint> held)
    {
        var answer = new List<NodeEndpoint>(held.Count + wanted);
        var kept = new HashSet<NodeEndpoint>(held.Count);
        foreach (var peer in held)
        {
            if (peer != registrant && IsListed(peer) && kept.Add(peer))
            {
                answer.Add(peer);
            }
        }
        var take = Math.Min(wanted, maxPeersPerList);
        foreach (var peer in Sample(_order, registrant, IsListed(registrant), Math.Min(take + kept.Count, maxPeersPerList)))
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
        return [.. answer];
    }

    /// <summary>
    /// Every peer of <paramref name="list"/> but <paramref name="registrant"/> (<paramref name="listed"/>: it is in the
    /// list), or a random sample of <paramref name="count"/> of them when there are more.
    /// </summary>
    private NodeEndpoint[] Sample(List<NodeEndpoint> list, NodeEndpoint registrant, bool listed, int count)
    {
        var others = list.Count - (listed ? 1 : 0);
        if (others <= count)
        {
            var all = new NodeEndpoint[others];
            var i = 0;
            foreach (var peer in list)
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
        var order = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);
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
