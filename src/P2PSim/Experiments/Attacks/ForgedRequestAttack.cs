using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// A Goodbye, and a Register, sent to a seed in a listed peer's name: from that peer's own address (all of 127.0.0.0/8 is
/// this machine), claiming its endpoint, under the attacker's key. The seed must refuse both (the endpoint is bound to
/// the id that registered it); what got through is a victim removed from, or bound to another id at, a seed that
/// listed it.
/// </summary>
internal sealed class ForgedRequestAttack : Attack
{
    public override AttackKind Kind => AttackKind.Requests;

    public override async Task<IReadOnlyList<AttackResult>> RunAsync(AttackContext context, CancellationToken ct)
    {
        var rounds = context.Scaled(3);
        return
        [
            await RunAsync(context, "Goodbye", new Goodbye(), rounds, ct).ConfigureAwait(false),
            await RunAsync(context, "Register", Register.Instance, rounds, ct).ConfigureAwait(false),
        ];
    }

    private static async Task<AttackResult> RunAsync(AttackContext context, string name, Message request, int rounds, CancellationToken ct)
    {
        long attempts = 0, closed = 0, through = 0;
        var counted = new NodeCounters();
        for (var round = 0; round < rounds; round++)
        {
            var victim = context.RandomPeer();
            var seeds = await ListingAsync(context, victim, ct).ConfigureAwait(false);
            if (seeds.Count == 0)
            {
                continue;
            }
            var seed = seeds[context.Random.Next(seeds.Count)];
            var (shut, delta) = await CountedAsync(context, async () =>
            {
                await using var link = await context.OpenAsync(victim.Endpoint.Address, seed.Endpoint, ct).ConfigureAwait(false);
                if (link is null || await link.HandshakeAsync(victim.Endpoint, NodeRole.Peer, ct).ConfigureAwait(false) is null)
                {
                    return true; // refused at the handshake already
                }
                await link.TrySendAsync(request, ct).ConfigureAwait(false);
                return await link.ClosedWithinAsync(context.CloseWait, ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            attempts++;
            closed += shut ? 1 : 0;
            counted = counted.Add(delta);
            through += seeds.Count - (await ListingAsync(context, victim, ct).ConfigureAwait(false)).Count;
        }
        return new AttackResult($"forged request: {name} in a listed peer's name, from its address", attempts, counted.SeedImpostors, closed, 0,
            through + counted.LivePeersRemoved, "seeds that stopped listing the victim under its own id, plus live peers removed");
    }

    /// <summary>The running seeds that list <paramref name="peer"/> under its own id.</summary>
    private static async Task<List<NodeService>> ListingAsync(AttackContext context, NodeService peer, CancellationToken ct)
    {
        var listing = new List<NodeService>();
        foreach (var seed in context.Seeds.Where(static s => !s.IsDown))
        {
            if (await seed.InspectAsync(m => ((SeedMachine)m).IdOf(peer.Endpoint), ct).ConfigureAwait(false) == peer.Id)
            {
                listing.Add(seed);
            }
        }
        return listing;
    }
}
