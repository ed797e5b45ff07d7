using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// An eclipse through crossed connections: Hellos to a victim claiming each of its neighbours' endpoints, from the
/// neighbour's own address, under the attacker's key. The victim must refuse them and keep its real links; what got
/// through is a real link of the victim's that was displaced.
/// </summary>
internal sealed class ImpostorAttack : Attack
{
    public override AttackKind Kind => AttackKind.Impostor;

    public override async Task<IReadOnlyList<AttackResult>> RunAsync(AttackContext context, CancellationToken ct)
    {
        var victim = context.RandomPeer();
        var links = await victim.InspectAsync(static m =>
        {
            var p = (PeerMachine)m;
            return p.ConnectedNeighbours.Select(n => (Neighbour: n, Link: p.LinkTo(n))).ToArray();
        }, ct).ConfigureAwait(false);
        var rounds = context.Scaled(2);
        var (outcome, counted) = await CountedAsync(context, async () =>
        {
            long attempts = 0, closed = 0;
            for (var round = 0; round < rounds; round++)
            {
                var tries = links.Select(async l =>
                {
                    await using var link = await context.OpenAsync(l.Neighbour.Address, victim.Endpoint, ct).ConfigureAwait(false);
                    if (link is null || await link.HandshakeAsync(l.Neighbour, NodeRole.Peer, ct).ConfigureAwait(false) is null)
                    {
                        return true;
                    }
                    link.StartPump();
                    return await link.ClosedWithinAsync(context.CloseWait, ct).ConfigureAwait(false);
                });
                var shut = await Task.WhenAll(tries).ConfigureAwait(false);
                attempts += shut.Length;
                closed += shut.Count(static s => s);
            }
            return (attempts, closed);
        }, ct).ConfigureAwait(false);
        var displaced = await victim.InspectAsync(m => links.Count(l => ((PeerMachine)m).LinkTo(l.Neighbour) != l.Link), ct).ConfigureAwait(false);
        return
        [
            new AttackResult($"impostor Hello: a victim's {links.Length} neighbours' endpoints, from their addresses", outcome.attempts, counted.PeerImpostors,
                outcome.closed, 0, displaced, "the victim's real links displaced or lost"),
        ];
    }
}
