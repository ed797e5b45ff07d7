using System.Buffers.Binary;
using P2PSim.Configuration;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Transport;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// Connections that never become links: garbage bytes, silence, a frame length of 2 GiB, a negative one, a frame cut
/// short and left hanging, a Hello of version 4, a Hello whose id lacks the work (<c>Security:IdDifficulty</c>), a Hello
/// whose HelloProof does not verify, a Hello and then silence, a Hello claiming another id than the key behind the link
/// (inside TLS or Noise where the links are, but for the garbage and the silence, which meet that layer). On a TLS or
/// Noise link the Hello is the whole handshake after that layer's (no HelloProof follows it, protocol version 7), so
/// there the HelloProof one is any HelloProof after the Hellos, and the silence one the TLS or Noise handshake then
/// silence. Where the links are Noise also bad Noise handshakes and records: message 1 cut short or of the wrong size,
/// message 3 with a changed byte, a complete XX whose identity payload signs another static key, claims another id or
/// is a real node's replayed, a TLS ClientHello instead, and after a good handshake a record shorter than its tag, one
/// that does not decrypt and one cut short, and a bad message 2 to a seed's dial-back
/// (<c>BadHandshakeAttack.DialBack.cs</c>). Elsewhere a Noise message 1 to a node that does not run Noise. Each to
/// random nodes, seeds among them. Every node must close each within <c>Transport:HandshakeTimeout</c> and count it;
/// what got through is a connection not closed within that time (and a margin).
/// </summary>
internal sealed partial class BadHandshakeAttack : Attack
{
    public override AttackKind Kind => AttackKind.Handshakes;

    /// <summary>
    /// One kind of bad connection: its row's name; whether the link starts raw (no TLS or Noise handshake by the link:
    /// the variant sends the first bytes); what it sends; on which links it runs (all when null).
    /// </summary>
    private sealed record Variant(string Name, bool RawTcp, Func<Bench, CancellationToken, Task> Send, Func<LinkSecurity, bool>? On = null);

    /// <summary>What a variant works with: its link, the endpoint its Hello claims, and a real node's Noise identity payload (noise links).</summary>
    private sealed record Bench(AttackLink Link, NodeEndpoint Listen, byte[]? NodePayload);

    private static byte[] Length(int length, int body)
    {
        var frame = new byte[4 + body];
        BinaryPrimitives.WriteInt32BigEndian(frame, length);
        return frame;
    }

    /// <summary>A Noise record header (2-byte big-endian length) and <paramref name="body"/> bytes of junk after it.</summary>
    private static byte[] Record(int length, int body)
    {
        var record = new byte[2 + body];
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)length);
        for (var i = 2; i < record.Length; i++)
        {
            record[i] = (byte)(i * 37 + 11);
        }
        return record;
    }

    private static bool OnNoise(LinkSecurity links) => links == LinkSecurity.Noise;

    private static readonly Variant[] Variants =
    [
        new("garbage bytes", true, static (b, ct) => b.Link.TrySendAsync([.. Enumerable.Range(0, 64).Select(static i => (byte)(i * 37 + 11))], ct)),
        new("silence (a stalled handshake)", true, static (_, _) => Task.CompletedTask),
        new("a frame length of 2 GiB", false, static (b, ct) => b.Link.TrySendAsync(Length(int.MaxValue, 16), ct)),
        new("a negative frame length", false, static (b, ct) => b.Link.TrySendAsync(Length(-1, 16), ct)),
        new("a frame cut short, then silence", false, static (b, ct) => b.Link.TrySendAsync(Length(200, 20), ct)),
        new("a Hello of protocol version 4", false, static (b, ct) =>
            b.Link.TrySendAsync(new Hello(4, NodeRole.Peer, b.Listen) { Id = b.Link.Key.Id, Nonce = HelloNonce.NewRandom() }, ct)),
        new("a Hello whose id lacks the work", false, static (b, ct) =>
            b.Link.TrySendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, b.Listen) { Id = b.Link.Key.Id, Work = Unworked(b.Link), Nonce = HelloNonce.NewRandom() }, ct)),
        new("a HelloProof that does not verify", false, static async (b, ct) =>
        {
            await b.Link.TrySendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, b.Listen) { Id = b.Link.Key.Id, Work = b.Link.Work, Nonce = HelloNonce.NewRandom() }, ct).ConfigureAwait(false);
            await b.Link.ReadAsync(ct).ConfigureAwait(false); // the node's Hello
            if (!b.Link.IsSecured)
            {
                await b.Link.ReadAsync(ct).ConfigureAwait(false); // its HelloProof
            }
            await b.Link.TrySendAsync(new HelloProof(new byte[NodeId.SignatureSize]), ct).ConfigureAwait(false);
        }),
        new("a Hello, then silence", false, static (b, ct) => b.Link.IsSecured ? Task.CompletedTask :
            b.Link.TrySendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, b.Listen) { Id = b.Link.Key.Id, Work = b.Link.Work, Nonce = HelloNonce.NewRandom() }, ct)),
        new("a Hello claiming another id than the link's key (with its work)", false, static async (b, ct) =>
        {
            using var other = NodeKey.Generate();
            var hello = new Hello(ProtocolLimits.Version, NodeRole.Peer, b.Listen) { Id = other.Id, Work = IdWork.Find(other.Id, b.Link.IdDifficulty), Nonce = HelloNonce.NewRandom() };
            if (await b.Link.TrySendAsync(hello, ct).ConfigureAwait(false) && await b.Link.ReadAsync(ct).ConfigureAwait(false) is Hello theirs
                && !b.Link.IsSecured)
            {
                // Plain links prove no key in a handshake: the proof, by the link's key and not the claimed one's, is what fails there.
                await b.Link.ReadAsync(ct).ConfigureAwait(false);
                await b.Link.TrySendAsync(Handshake.Prove(b.Link.Key, Handshake.Side.Dialer, theirs), ct).ConfigureAwait(false);
            }
        }),
        new("a Noise message 1 to a node that does not run Noise", true, static (b, ct) =>
        {
            using var ephemeral = NoiseHandshake.NewKey();
            return b.Link.TrySendAsync([0x00, (byte)NoiseHandshake.KeySize, .. ephemeral.PublicKey], ct);
        }, static l => !OnNoise(l)),
        new("Noise: message 1 cut short (its length says 32, 20 bytes come), then silence", true, static (b, ct) =>
            b.Link.TrySendAsync(Record(NoiseHandshake.KeySize, 20), ct), OnNoise),
        new("Noise: message 1 of 16 bytes", true, static (b, ct) => b.Link.TrySendAsync(Record(16, 16), ct), OnNoise),
        new("Noise: message 3 with a changed byte in its encrypted static key", true, static (b, ct) =>
            b.Link.StartNoiseAsync(ct, new NoiseTamper(ChangeByte: 5)), OnNoise),
        new("Noise: message 3 with a changed byte in its encrypted identity payload", true, static (b, ct) =>
            b.Link.StartNoiseAsync(ct, new NoiseTamper(ChangeByte: NoiseHandshake.KeySize + NoiseCipher.TagSize + 40)), OnNoise),
        new("Noise: a complete XX whose identity payload signs another static key", true, static async (b, ct) =>
        {
            using var other = NoiseHandshake.NewKey();
            await b.Link.StartNoiseAsync(ct, new NoiseTamper(Payload: _ => NoiseLinks.Payload(b.Link.Key, other.PublicKey))).ConfigureAwait(false);
        }, OnNoise),
        new("Noise: a complete XX whose identity payload claims another id (signed by the link's key)", true, static async (b, ct) =>
        {
            using var other = NodeKey.Generate();
            await b.Link.StartNoiseAsync(ct, new NoiseTamper(Payload: own =>
            {
                other.Id.WriteTo(own);
                return own;
            })).ConfigureAwait(false);
        }, OnNoise),
        new("Noise: a complete XX whose identity payload is a real node's, replayed", true, static (b, ct) =>
            b.Link.StartNoiseAsync(ct, new NoiseTamper(Payload: _ => b.NodePayload ?? throw new InvalidOperationException("no node's identity payload was read"))), OnNoise),
        new("Noise: a TLS ClientHello to a noise node", true, static (b, ct) => b.Link.StartTlsAsync(ct), OnNoise),
        new("Noise: after the handshake, a record shorter than its tag", false, static (b, ct) => b.Link.TrySendRawAsync(Record(5, 5), ct), OnNoise),
        new("Noise: after the handshake, a record that does not decrypt", false, static (b, ct) => b.Link.TrySendRawAsync(Record(64, 64), ct), OnNoise),
        new("Noise: after the handshake, a record of 65,535 bytes cut short, then silence", false, static (b, ct) =>
            b.Link.TrySendRawAsync(Record(ushort.MaxValue, 100), ct), OnNoise),
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
        var nodePayload = context.Links == LinkSecurity.Noise ? await NodePayloadAsync(context, ct).ConfigureAwait(false) : null;
        foreach (var variant in Variants.Where(v => v.On?.Invoke(context.Links) ?? true))
        {
            var from = context.NewAttackerAddress();
            NodeService[] nodes = [.. context.LivePeers, .. context.Seeds.Where(static s => !s.IsDown)];
            var targets = Enumerable.Range(0, each).Select(_ => nodes[context.Random.Next(nodes.Length)]).ToArray();
            var (shut, counted) = await CountedAsync(context, async () => await Task.WhenAll(targets.Select(async target =>
            {
                await using var link = await context.OpenAsync(from, target.Endpoint, ct, raw: variant.RawTcp).ConfigureAwait(false);
                if (link is null)
                {
                    return true;
                }
                await variant.Send(new Bench(link, new NodeEndpoint(from, 40000 + Random.Shared.Next(20000)), nodePayload), ct).ConfigureAwait(false);
                return await link.ClosedWithinAsync(context.CloseWait, ct).ConfigureAwait(false);
            })).ConfigureAwait(false), ct).ConfigureAwait(false);
            var closed = shut.Count(static s => s);
            results.Add(new AttackResult($"bad handshake: {variant.Name}", each, counted.RejectedInputs, closed, 0, each - closed,
                "connections not closed within Transport:HandshakeTimeout (and a margin)"));
        }
        results.AddRange(await DialBackAsync(context, each, ct).ConfigureAwait(false));
        return results;
    }

    /// <summary>
    /// A real node's identity payload, as any attacker gets it: a complete Noise handshake with a random live peer, which
    /// sends its payload in message 2 (the link is closed at once, before its Hello).
    /// </summary>
    private static async Task<byte[]?> NodePayloadAsync(AttackContext context, CancellationToken ct)
    {
        await using var link = await context.OpenAsync(context.NewAttackerAddress(), context.RandomPeer().Endpoint, ct).ConfigureAwait(false);
        return link?.NodeNoisePayload;
    }
}
