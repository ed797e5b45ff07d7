using System.Buffers.Binary;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// Connections that never become links: garbage bytes, silence, a frame length of 2 GiB, a negative one, a frame cut
/// short and left hanging, a Hello of version 4, a Hello whose id lacks the work (<c>Security:IdDifficulty</c>), a Hello
/// whose HelloProof does not verify, a Hello and then silence
/// (inside TLS where the links are TLS, but for the garbage and the silence, which meet the TLS layer). On a TLS link the
/// Hello is the whole handshake after TLS (no HelloProof follows it, protocol version 7), so there the last two are any
/// HelloProof after the Hellos, and the TLS handshake then silence. Each to random
/// nodes, seeds among them. Every node must close each within <c>Transport:HandshakeTimeout</c> and count it; what got
/// through is a connection not closed within that time (and a margin).
/// </summary>
internal sealed class BadHandshakeAttack : Attack
{
    public override AttackKind Kind => AttackKind.Handshakes;

    private sealed record Variant(string Name, bool RawTcp, Func<AttackLink, NodeEndpoint, CancellationToken, Task> Send);

    private static byte[] Length(int length, int body)
    {
        var frame = new byte[4 + body];
        BinaryPrimitives.WriteInt32BigEndian(frame, length);
        return frame;
    }

    private static readonly Variant[] Variants =
    [
        new("garbage bytes", true, (l, _, ct) => l.TrySendAsync([.. Enumerable.Range(0, 64).Select(static i => (byte)(i * 37 + 11))], ct)),
        new("silence (a stalled handshake)", true, static (_, _, _) => Task.CompletedTask),
        new("a frame length of 2 GiB", false, (l, _, ct) => l.TrySendAsync(Length(int.MaxValue, 16), ct)),
        new("a negative frame length", false, (l, _, ct) => l.TrySendAsync(Length(-1, 16), ct)),
        new("a frame cut short, then silence", false, (l, _, ct) => l.TrySendAsync(Length(200, 20), ct)),
        new("a Hello of protocol version 4", false, (l, listen, ct) =>
            l.TrySendAsync(new Hello(4, NodeRole.Peer, listen) { Id = l.Key.Id, Nonce = HelloNonce.NewRandom() }, ct)),
        new("a Hello whose id lacks the work", false, (l, listen, ct) =>
            l.TrySendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, listen) { Id = l.Key.Id, Work = Unworked(l), Nonce = HelloNonce.NewRandom() }, ct)),
        new("a HelloProof that does not verify", false, async (l, listen, ct) =>
        {
            await l.TrySendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, listen) { Id = l.Key.Id, Work = l.Work, Nonce = HelloNonce.NewRandom() }, ct).ConfigureAwait(false);
            await l.ReadAsync(ct).ConfigureAwait(false); // the node's Hello
            if (!l.IsTls)
            {
                await l.ReadAsync(ct).ConfigureAwait(false); // its HelloProof
            }
            await l.TrySendAsync(new HelloProof(new byte[NodeId.SignatureSize]), ct).ConfigureAwait(false);
        }),
        new("a Hello, then silence", false, (l, listen, ct) => l.IsTls ? Task.CompletedTask :
            l.TrySendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, listen) { Id = l.Key.Id, Work = l.Work, Nonce = HelloNonce.NewRandom() }, ct)),
    ];

    /// <summary>
    /// The network's difficulty with a nonce that does not meet it (the first from 0 up that gives fewer zero bits): an id
    /// whose owner skipped the work. With no work asked (difficulty 0) every id passes, and the Hello stalls instead.
    /// </summary>
    private static IdWork Unworked(AttackLink link)
    {
        var nonce = 0UL;
        while (link.IdDifficulty > 0 && IdWork.Meets(link.Key.Id, nonce, link.IdDifficulty))
        {
            nonce++;
        }
        return new IdWork((byte)link.IdDifficulty, nonce);
    }

    public override async Task<IReadOnlyList<AttackResult>> RunAsync(AttackContext context, CancellationToken ct)
    {
        var results = new List<AttackResult>();
        var each = context.Scaled(3);
        foreach (var variant in Variants)
        {
            var from = context.NewAttackerAddress();
            NodeService[] nodes = [.. context.LivePeers, .. context.Seeds.Where(static s => !s.IsDown)];
            var targets = Enumerable.Range(0, each).Select(_ => nodes[context.Random.Next(nodes.Length)]).ToArray();
            var (shut, counted) = await CountedAsync(context, async () => await Task.WhenAll(targets.Select(async target =>
            {
                await using var link = await context.OpenAsync(from, target.Endpoint, ct, skipTls: variant.RawTcp).ConfigureAwait(false);
                if (link is null)
                {
                    return true;
                }
                await variant.Send(link, new NodeEndpoint(from, 40000 + Random.Shared.Next(20000)), ct).ConfigureAwait(false);
                return await link.ClosedWithinAsync(context.CloseWait, ct).ConfigureAwait(false);
            })).ConfigureAwait(false), ct).ConfigureAwait(false);
            var closed = shut.Count(static s => s);
            results.Add(new AttackResult($"bad handshake: {variant.Name}", each, counted.RejectedInputs, closed, 0, each - closed,
                "connections not closed within Transport:HandshakeTimeout (and a margin)"));
        }
        return results;
    }
}
