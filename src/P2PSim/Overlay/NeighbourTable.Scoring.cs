using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Overlay;

/// <summary>
/// Against Sybils (issue 11): a neighbour this peer dialed that delivers nothing while others deliver is replaced by
/// another drawn from the peer lists, and not drawn again for a while (<see cref="NeighbourScores"/>); and no more than
/// <see cref="NeighbourScoring.MaxPerAddress"/> neighbours at one address, so many ids registered from one address
/// (up to the seeds' cap) cannot take more than that many of a peer's neighbour slots.
/// </summary>
internal sealed partial class NeighbourTable
{
    private readonly NeighbourScoring? _rules;
    private readonly NeighbourScores? _scores;
    private readonly Dictionary<long, DateTimeOffset> _poorSubnets = new(); // the /24s of replaced neighbours, until when

    /// <summary>The rules against Sybils; null (the simulator's default): none, as before.</summary>
    public NeighbourScoring? Scoring
    {
        get => _rules;
        init
        {
            _rules = value;
            _scores = value is { Scores: true } ? new NeighbourScores(value) : null;
            _known.TenuredFirst = value is { TenuredNeighbours: > 0 };
        }
    }

    /// <summary>Neighbours replaced for delivering nothing.</summary>
    public long NeighboursReplaced => _scores?.Replaced ?? 0;

    /// <summary>Scoring: <paramref name="from"/> delivered a message new to this peer.</summary>
    public void OnFirstDelivery(NodeEndpoint from) => _scores?.First(from);

    /// <summary>Scoring: <paramref name="from"/> sent a copy of a message this peer had, or announced one.</summary>
    public void OnCopy(NodeEndpoint from) => _scores?.Copy(from);

    /// <summary>Scoring: this peer published a message.</summary>
    public void OnOriginated() => _scores?.Originated();

    /// <summary>
    /// On a liveness round: at the end of a scoring window, replaces each neighbour the window's verdict names: a goodbye
    /// (a clean leave to it: never reported as a death), remembered as a poor choice for
    /// <see cref="NeighbourScoring.PoorChoiceFor"/>, and one other known peer dialed in its place. One line each.
    /// </summary>
    public void JudgeNeighbours(DateTimeOffset now)
    {
        if (_scores is null || !Joined || _stopping)
        {
            return;
        }
        var verdicts = _scores.Judge(now, n => _neighbours.TryGetValue(n, out var entry) && !entry.Inbound && entry.Connection is not null);
        foreach (var (peer, why) in verdicts)
        {
            if (!MayReplace(peer, out var tenuredReplacement))
            {
                continue; // the last tenured neighbour is never replaced for a peer that is not (NeighbourTable.Tenure.cs)
            }
            var connection = _neighbours[peer].Connection!.Value;
            _byConnection.Remove(connection);
            Remove(peer, now);
            _out.Send(connection, Goodbye.Instance);
            _out.Close(connection, "replaced: it delivered nothing");
            _avoid[peer] = now + _scores.Rules.PoorChoiceFor;
            _poorSubnets[Near(peer, subnet: true)] = now + _scores.Rules.PoorChoiceFor;
            _scores.Replaced++;
            var next = tenuredReplacement ?? DrawReplacement(now);
            if (next is { } replacement)
            {
                if (tenuredReplacement is not null)
                {
                    _tenuredPicks.Add(replacement);
                }
                DialNeighbour(replacement);
            }
            _out.Report(new NeighbourReplaced(now, peer, why, next, _scores.Replaced));
        }
        if (verdicts.Count > 0)
        {
            Repair(now, "neighbours replaced", AskSeeds.IfShort);
        }
    }

    /// <summary>
    /// A random known peer that is no neighbour, not dialed, not avoided and within the cap per address; null: none.
    /// Preferred, in this order: one outside the /24s of the neighbours replaced lately and within the /24 preference,
    /// one outside those /24s, one within the preference, any. (Where the honest peers share one /24, as on loopback,
    /// the preference alone would send every replacement back to the fakes' /24.)
    /// </summary>
    private NodeEndpoint? DrawReplacement(DateTimeOffset now)
    {
        foreach (var expired in _poorSubnets.Where(p => p.Value <= now).Select(p => p.Key).ToArray())
        {
            _poorSubnets.Remove(expired);
        }
        var pool = _known.Known()
            .Where(p => p != _self && !_neighbours.ContainsKey(p) && !_dialing.Contains(p) && !_avoid.ContainsKey(p) && !AddressFull(p))
            .ToArray();
        Func<NodeEndpoint, bool>[] tiers =
        [
            p => !_poorSubnets.ContainsKey(Near(p, subnet: true)) && !SubnetFull(p),
            p => !_poorSubnets.ContainsKey(Near(p, subnet: true)),
            p => !SubnetFull(p),
        ];
        foreach (var tier in tiers)
        {
            var preferred = pool.Where(tier).ToArray();
            if (preferred.Length > 0)
            {
                return preferred[_random.Next(preferred.Length)];
            }
        }
        return pool.Length == 0 ? null : pool[_random.Next(pool.Length)];
    }

    /// <summary>
    /// Whether <paramref name="peer"/>'s address already holds <see cref="NeighbourScoring.MaxPerAddress"/> of this
    /// peer's neighbours (or dials under way), counting <paramref name="alsoChosen"/> too. Never without a cap.
    /// </summary>
    private bool AddressFull(NodeEndpoint peer, List<NodeEndpoint>? alsoChosen = null) =>
        _rules is { MaxPerAddress: > 0 } rules && CountNear(peer, alsoChosen, subnet: false) >= rules.MaxPerAddress;

    /// <summary>Whether <paramref name="peer"/>'s /24 already holds <see cref="NeighbourScoring.MaxPerSubnet"/> of this peer's neighbours (or dials, or <paramref name="alsoChosen"/>).</summary>
    private bool SubnetFull(NodeEndpoint peer, List<NodeEndpoint>? alsoChosen = null) =>
        _rules is { MaxPerSubnet: > 0 } rules && CountNear(peer, alsoChosen, subnet: true) >= rules.MaxPerSubnet;

    /// <summary>Neighbours, dials under way and <paramref name="alsoChosen"/> at <paramref name="peer"/>'s address (or in its /24).</summary>
    private int CountNear(NodeEndpoint peer, List<NodeEndpoint>? alsoChosen, bool subnet)
    {
        var key = Near(peer, subnet);
        var count = 0;
        foreach (var neighbour in _neighbours.Keys)
        {
            count += Near(neighbour, subnet) == key ? 1 : 0;
        }
        foreach (var dialing in _dialing)
        {
            count += !_neighbours.ContainsKey(dialing) && Near(dialing, subnet) == key ? 1 : 0;
        }
        foreach (var chosen in alsoChosen ?? [])
        {
            count += Near(chosen, subnet) == key ? 1 : 0;
        }
        return count;
    }

    /// <summary>The IPv4 address as a number, or its /24 (IPv6: the hash of the address; the caps are for IPv4 loopback).</summary>
    private static long Near(NodeEndpoint peer, bool subnet)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (peer.Address.TryWriteBytes(bytes, out var written) && written == 4)
        {
            var value = ((long)bytes[0] << 24) | ((long)bytes[1] << 16) | ((long)bytes[2] << 8) | bytes[3];
            return subnet ? value >> 8 : value;
        }
        return (1L << 40) + peer.Address.GetHashCode();
    }

    /// <summary>
    /// The first neighbours of a joining peer: <paramref name="wanted"/> of a random draw from <paramref name="pool"/>
    /// within the caps, and up to <see cref="SpareCandidates"/> spares. The draw is a partial shuffle of the pool, longer
    /// only when the subnet preference had to take a crowded /24 while peers of other /24s are still undrawn (never when
    /// every known peer is in one /24): then the choice is as a plain draw makes it, with no random number more.
    /// </summary>
    private NodeEndpoint[] DrawNeighbours(NodeEndpoint[] pool, int wanted, out List<NodeEndpoint> spare)
    {
        var drawn = Math.Min(pool.Length, wanted + SpareCandidates);
        var chosen = TakeWithinAddressCap(PartialShuffle(pool, drawn), wanted, out spare, out var crowded);
        while (crowded is not null && drawn < pool.Length && pool.Skip(drawn).Any(p => !crowded.Contains(Near(p, subnet: true))))
        {
            var more = Math.Min(pool.Length, drawn * 2);
            PartialShuffle(pool, more, from: drawn);
            drawn = more;
            chosen = TakeWithinAddressCap(pool[..drawn], wanted, out spare, out crowded);
        }
        if (spare.Count > SpareCandidates)
        {
            spare.RemoveRange(SpareCandidates, spare.Count - SpareCandidates);
        }
        return chosen;
    }

    /// <summary>
    /// The first <paramref name="count"/> of <paramref name="items"/> in order that keep within the cap per address,
    /// preferring those whose /24 holds fewer than <see cref="NeighbourScoring.MaxPerSubnet"/> (the others are taken,
    /// in order, only when too few are left); <paramref name="rest"/>: the others, in order. Without caps, or with every
    /// peer at an address of its own and in one /24, the first <paramref name="count"/> and the rest, as a plain draw.
    /// </summary>
    /// <param name="crowded">The /24s of the items taken over the subnet preference (null: none).</param>
    private NodeEndpoint[] TakeWithinAddressCap(NodeEndpoint[] items, int count, out List<NodeEndpoint> rest, out HashSet<long>? crowded)
    {
        crowded = null;
        if (_rules is not ({ MaxPerAddress: > 0 } or { MaxPerSubnet: > 0 }))
        {
            var n = Math.Max(0, Math.Min(count, items.Length));
            rest = [.. items[n..]];
            return items[..n];
        }
        var chosen = new List<NodeEndpoint>(Math.Max(0, Math.Min(count, items.Length)));
        var deferred = new List<NodeEndpoint>();
        foreach (var item in items)
        {
            if (chosen.Count >= count || AddressFull(item, chosen))
            {
                continue;
            }
            if (SubnetFull(item, chosen))
            {
                deferred.Add(item);
            }
            else
            {
                chosen.Add(item);
            }
        }
        foreach (var item in deferred)
        {
            if (chosen.Count < count && !AddressFull(item, chosen))
            {
                chosen.Add(item);
                (crowded ??= []).Add(Near(item, subnet: true));
            }
        }
        var taken = new HashSet<NodeEndpoint>(chosen);
        rest = items.Where(i => !taken.Contains(i)).ToList();
        if (deferred.Count == 0)
        {
            return [.. chosen];
        }
        // Chosen in draw order, so the subnet preference changes the choice only where it skipped someone.
        return [.. items.Where(taken.Contains)];
    }
}
