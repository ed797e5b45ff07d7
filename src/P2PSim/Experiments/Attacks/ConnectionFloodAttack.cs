namespace P2PSim.Experiments.Attacks;

/// <summary>
/// Many connections from one address to one peer (default 100), silent: they hold the node's inbound slots and sockets
/// of the process. The node must refuse those beyond <c>Transport:MaxInboundPerAddress</c> and cut the rest at
/// <c>Transport:HandshakeTimeout</c>; what got through is the connections it held beyond the cap.
/// </summary>
internal sealed class ConnectionFloodAttack : Attack
{
    public override AttackKind Kind => AttackKind.Connections;

    public override async Task<IReadOnlyList<AttackResult>> RunAsync(AttackContext context, CancellationToken ct)
    {
        var target = context.RandomPeer();
        var from = context.NewAttackerAddress();
        var count = context.Scaled(100);
        var (closed, counted) = await CountedAsync(context, async () =>
        {
            var links = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => context.OpenAsync(from, target.Endpoint, ct, raw: true))).ConfigureAwait(false);
            var open = links.OfType<AttackLink>().ToArray();
            var shut = await Task.WhenAll(open.Select(l => l.ClosedWithinAsync(context.CloseWait, ct))).ConfigureAwait(false);
            foreach (var link in open)
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }
            return shut.Count(static c => c) + (count - open.Length);
        }, ct).ConfigureAwait(false);
        var cap = context.Options.Transport.MaxInboundPerAddress;
        var held = count - counted.RefusedConnections;
        var beyond = cap > 0 ? Math.Max(0, held - cap) : held;
        return
        [
            new AttackResult($"connections: {count} silent ones from one address to one peer", count, counted.RefusedConnections, closed, 0,
                beyond + (count - closed), $"connections held beyond Transport:MaxInboundPerAddress ({cap}) or never closed"),
        ];
    }
}
