using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// A forged death report: the attacker registers with a seed as a peer of its own, holds a live victim's inbound slots
/// from its address (silent connections, up to <c>Transport:MaxInboundPerAddress</c> and beyond), and reports the victim
/// dead. The seed must check the victim itself, find it alive and refute the report; what got through is a live peer a
/// seed removed.
/// </summary>
internal sealed class DeathReportAttack : Attack
{
    public override AttackKind Kind => AttackKind.Death;

    public override async Task<IReadOnlyList<AttackResult>> RunAsync(AttackContext context, CancellationToken ct)
    {
        var rounds = context.Scaled(2);
        long attempts = 0, closed = 0, through = 0;
        var counted = new NodeCounters();
        for (var round = 0; round < rounds; round++)
        {
            var from = context.NewAttackerAddress();
            var seed = context.Seeds.Where(static s => !s.IsDown).ElementAt(context.Random.Next(context.Seeds.Count(static s => !s.IsDown)));
            var victims = (await seed.InspectAsync(static m => ((SeedMachine)m).PeerList.ToArray(), ct).ConfigureAwait(false))
                .Select(e => context.LivePeers.FirstOrDefault(p => p.Endpoint == e)).OfType<NodeService>().ToArray();
            if (victims.Length == 0)
            {
                continue;
            }
            var victim = victims[context.Random.Next(victims.Length)];
            var (outcome, delta) = await CountedAsync(context, async () =>
            {
                var listen = new NodeEndpoint(from, 40000 + context.Random.Next(20000));
                await using var link = await context.OpenAsync(from, seed.Endpoint, ct).ConfigureAwait(false);
                if (link is null || await link.HandshakeAsync(listen, NodeRole.Peer, ct).ConfigureAwait(false) is null
                    || !await link.TrySendAsync(Register.Instance, ct).ConfigureAwait(false))
                {
                    return (Sent: false, Closed: true);
                }
                await link.ReadAsync(ct).ConfigureAwait(false); // its peer list
                var slots = await Task.WhenAll(Enumerable.Range(0, context.Options.Transport.MaxInboundPerAddress + 8)
                    .Select(_ => context.OpenAsync(from, victim.Endpoint, ct, raw: true))).ConfigureAwait(false);
                try
                {
                    var before = context.Recorder(static r => r.LivePeersReportedDead);
                    await link.TrySendAsync(new DeadNode(victim.Endpoint, context.Time.GetUtcNow().ToUnixTimeMilliseconds(), listen), ct).ConfigureAwait(false);
                    await context.UntilAsync(() => Task.FromResult(context.Recorder(static r => r.LivePeersReportedDead) > before || link.IsClosed),
                        context.CloseWait, ct).ConfigureAwait(false);
                    await link.TrySendAsync(new Goodbye(), ct).ConfigureAwait(false); // leaves the seed's list again
                    return (Sent: true, Closed: link.IsClosed);
                }
                finally
                {
                    foreach (var slot in slots.OfType<AttackLink>())
                    {
                        await slot.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }, ct).ConfigureAwait(false);
            attempts += outcome.Sent ? 1 : 0;
            closed += outcome.Closed ? 1 : 0;
            counted = counted.Add(delta);
            through += await seed.InspectAsync(m => ((SeedMachine)m).IdOf(victim.Endpoint), ct).ConfigureAwait(false) == victim.Id ? 0 : 1;
        }
        return
        [
            new AttackResult("death report: a live peer reported dead while its inbound slots are held", attempts, counted.FalseDeathReports, closed, 0,
                Math.Max(through, counted.LivePeersRemoved), "live peers a seed removed"),
        ];
    }
}
