using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// A neighbour that floods valid messages of its own (default 2,000, each signed by its own key, hops 1), as fast as the
/// link takes them. The peers must take no more of them than the origin's allowance (<c>Gossip:OriginBurst</c> at once,
/// <c>Gossip:OriginRate</c> a second after that), drop the rest (throttled) and disconnect the flooder; what got through
/// is the flood messages any peer took beyond the allowance.
/// </summary>
internal sealed class FloodAttack : Attack
{
    public override AttackKind Kind => AttackKind.Flood;

    public override async Task<IReadOnlyList<AttackResult>> RunAsync(AttackContext context, CancellationToken ct)
    {
        var target = context.RandomPeer();
        var from = context.NewAttackerAddress();
        var count = context.Scaled(2000);
        var token = NewToken(context, "flood");
        var ids = new List<MessageId>(count);
        var started = context.Time.GetUtcNow();
        var sendingEnded = started;
        var ((sent, closed), counted) = await CountedAsync(context, async () =>
        {
            await using var link = await context.OpenAsync(from, target.Endpoint, ct).ConfigureAwait(false);
            var listen = new NodeEndpoint(from, 40000 + context.Random.Next(20000));
            if (link is null || await link.HandshakeAsync(listen, NodeRole.Peer, ct).ConfigureAwait(false) is null)
            {
                return (0, 0);
            }
            link.StartPump();
            var sent = 0;
            var now = context.Time.GetUtcNow().ToUnixTimeMilliseconds();
            for (var i = 0; i < count && !link.IsClosed; i++)
            {
                var message = new GossipMessage(GossipKind.Gossip, listen, (ulong)i + 1, now, 1, $"{token} {i + 1}") { OriginId = link.Key.Id };
                message = message with { Signature = MessageSignature.SignMessage(link.Key, message.Id) };
                ids.Add(message.Id);
                if (!await link.TrySendAsync(message, ct).ConfigureAwait(false))
                {
                    break;
                }
                sent++;
            }
            sendingEnded = context.Time.GetUtcNow();
            var shut = await link.ClosedWithinAsync(context.CloseWait, ct).ConfigureAwait(false);
            return (sent, shut ? 1 : 0);
        }, ct).ConfigureAwait(false);
        var took = await MostTakenAsync(context, ids, ct).ConfigureAwait(false);
        var gossip = context.Options.Gossip;
        long Allowance(DateTimeOffset until) => gossip.OriginBurst + (long)Math.Ceiling(gossip.OriginRate * (until - started).TotalSeconds);
        var allowance = Allowance(context.Time.GetUtcNow());
        // Cut off or not is judged by what the flooder sent over its allowance while it sent (what a peer's budget shed of
        // it counts too: Dissemination.OnOwnGossipShed), not over the whole attack, whose waits would add to the allowance.
        var overWhileSending = sent - Allowance(sendingEnded);
        var stayed = closed == 0 && overWhileSending >= Dissemination.FloodStrikes;
        return
        [
            new AttackResult($"flood: {count:N0} valid messages of its own from a neighbour", sent, 0, closed, counted.Throttled,
                Math.Max(0, took - allowance) + (stayed ? 1 : 0),
                $"messages a peer took beyond the allowance (the most any took: {took:N0}, allowed {allowance:N0}), plus 1 if the flooder stayed connected after {Dissemination.FloodStrikes} messages over it ({Math.Max(0, overWhileSending):N0} sent over it)"),
        ];
    }

    /// <summary>The most of <paramref name="ids"/> any live peer has recorded, once that number has stopped growing (at most 5 s).</summary>
    private static async Task<long> MostTakenAsync(AttackContext context, List<MessageId> ids, CancellationToken ct)
    {
        var last = -1L;
        long most = 0;
        await context.UntilAsync(async () =>
        {
            most = 0;
            foreach (var peer in context.LivePeers)
            {
                most = Math.Max(most, await peer.InspectAsync(m => (long)ids.Count(((PeerMachine)m).Messages.Contains), ct).ConfigureAwait(false));
            }
            var stable = most == last;
            last = most;
            return stable;
        }, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        return most;
    }
}
