using P2PSim.Hosting;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// A neighbour sending gossip it should not: in another origin's name (its endpoint and id, signed with the attacker's
/// key, at hop 1 and at hop 3 and 65,535), with a bad signature, a real message altered on its way, a message signed
/// longer ago than <c>Peer:MessageListTtl</c> (a replay that the Message List has forgotten), one from an hour ahead,
/// hops 0, and a message of its own whose text holds a newline and ANSI escapes. Each on a fresh link to a random peer,
/// each text with a token of its own: what got through is the peers that took a forged message and the log lines that
/// hold its token (for the control characters: log lines holding a raw control character). And a message signed under
/// the attacker's own id that names a listed peer's endpoint, or an endpoint nobody uses, as its origin: since protocol
/// version 6 the peer lists carry ids, so a peer that keeps that endpoint's entry drops it at any hop (its link stays);
/// since version 8 every other receiver finds no seed's attestation for that endpoint and id, and takes it only marked
/// <c>(unverified)</c> (<c>Security:UnverifiedOrigins=accept</c>, the default) or not at all (<c>drop</c>). What got
/// through is the receivers that took it as verified: their receipt line names its origin without the mark.
/// </summary>
internal sealed class ForgedGossipAttack : Attack
{
    public override AttackKind Kind => AttackKind.Forged;

    private sealed record Variant(string Name, bool Closes, Func<Forgery, GossipMessage> Make, bool ControlCharacters = false, bool HopsZero = false, bool NamesOtherEndpoint = false);

    /// <summary>What a variant builds its message from.</summary>
    private sealed record Forgery(AttackLink Link, NodeEndpoint Listen, NodeService Victim, string Token, GossipMessage? Genuine, long Now, TimeSpan ReplayAge);

    private static GossipMessage Signed(NodeKey key, GossipMessage message) => message with { Signature = MessageSignature.SignMessage(key, message.Id) };

    private static GossipMessage Own(Forgery f, ushort hops, string text, long? at = null, NodeEndpoint? origin = null) =>
        Signed(f.Link.Key, new GossipMessage(GossipKind.Gossip, origin ?? f.Listen, (ulong)Random.Shared.NextInt64(1, long.MaxValue), at ?? f.Now, hops, text) { OriginId = f.Link.Key.Id });

    private static GossipMessage InVictimsName(Forgery f, ushort hops) =>
        Signed(f.Link.Key, new GossipMessage(GossipKind.Gossip, f.Victim.Endpoint, 7, f.Now, hops, $"{f.Token} written by the attacker in the victim's name") { OriginId = f.Victim.Id });

    private static readonly Variant[] Variants =
    [
        new("another origin's endpoint and id, hop 1", true, f => InVictimsName(f, 1)),
        new("another origin's endpoint and id, hop 3", true, f => InVictimsName(f, 3)),
        new("another origin's endpoint and id, hops 65,535", true, f => InVictimsName(f, ushort.MaxValue)),
        new("bad signature", true, f => Own(f, 1, $"{f.Token} with a signature of random bytes") with { Signature = RandomBytes(ProtocolLimits.SignatureSize) }),
        new("a real message altered on its way", true, f => f.Genuine is { } g
            ? g with { Text = $"{g.Text} {f.Token}", Hops = (ushort)(g.Hops + 1) }
            : Own(f, 1, "a message of the attacker's own") with { Text = $"{f.Token} altered after signing" }),
        new("replay after Peer:MessageListTtl (signed longer ago)", false, f => Own(f, 1, $"{f.Token} from long ago", f.Now - (long)f.ReplayAge.TotalMilliseconds)),
        new("timestamp an hour ahead", false, f => Own(f, 1, $"{f.Token} from the future", f.Now + (long)TimeSpan.FromHours(1).TotalMilliseconds)),
        new("hops 0", true, f => Own(f, 1, $"{f.Token} with hops 0"), HopsZero: true),
        new("newline and ANSI escapes in the text (its own, validly signed)", false,
            f => Own(f, 1, $"{f.Token}\nDead Node:{f.Victim.Endpoint.Address}:{f.Victim.Endpoint.Port}:0:forged line\u001b[2J\u001b[31mred\u001b[0m\r"), ControlCharacters: true),
        new("another peer's endpoint under its own id, hop 3", false,
            f => Own(f, 3, $"{f.Token} naming the victim's endpoint", origin: f.Victim.Endpoint), NamesOtherEndpoint: true),
        new("an endpoint nobody uses under its own id, hop 3", false,
            f => Own(f, 3, $"{f.Token} naming an unused endpoint", origin: new NodeEndpoint(f.Listen.Address, f.Listen.Port == 65535 ? 1 : f.Listen.Port + 1)), NamesOtherEndpoint: true),
    ];

    private static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    public override async Task<IReadOnlyList<AttackResult>> RunAsync(AttackContext context, CancellationToken ct)
    {
        var results = new List<AttackResult>();
        var rounds = context.Scaled(1);
        foreach (var variant in Variants)
        {
            results.Add(await RunVariantAsync(context, variant, rounds, ct).ConfigureAwait(false));
        }
        return results;
    }

    private static async Task<AttackResult> RunVariantAsync(AttackContext context, Variant variant, int rounds, CancellationToken ct)
    {
        var from = context.NewAttackerAddress();
        long attempts = 0, closed = 0, took = 0, logged = 0, unverified = 0;
        var counted = new NodeCounters();
        var rawBefore = context.Logs.RawControlLines;
        for (var round = 0; round < rounds; round++)
        {
            var target = context.RandomPeer();
            var victim = context.RandomPeer(target);
            var token = NewToken(context, "forged");
            context.Logs.Watch(token);
            await using var link = await context.OpenAsync(from, target.Endpoint, ct).ConfigureAwait(false);
            var listen = new NodeEndpoint(from, 40000 + context.Random.Next(20000));
            if (link is null || await link.HandshakeAsync(listen, NodeRole.Peer, ct).ConfigureAwait(false) is null)
            {
                continue;
            }
            var genuine = new TaskCompletionSource<GossipMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            link.StartPump(g => genuine.TrySetResult(g));
            GossipMessage? real = null;
            if (variant.Name.StartsWith("a real message", StringComparison.Ordinal))
            {
                try
                {
                    real = await genuine.Task.WaitAsync(TimeSpan.FromSeconds(3), context.Time, ct).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // No honest message came by: the attacker alters one of its own after signing it instead.
                }
            }
            var forgery = new Forgery(link, listen, victim, token, real, context.Time.GetUtcNow().ToUnixTimeMilliseconds(),
                context.Peer.MessageListTtl + TimeSpan.FromMinutes(1));
            var message = variant.Make(forgery);
            var (shut, delta) = await CountedAsync(context, async () =>
            {
                if (!await link.TrySendAsync(variant.HopsZero ? WithHopsZero(message) : FrameCodec.Encode(message), ct).ConfigureAwait(false))
                {
                    return true;
                }
                if (variant.Closes)
                {
                    return await link.ClosedWithinAsync(context.CloseWait, ct).ConfigureAwait(false);
                }
                // Frames of one link are handled in order: once a marker of the attacker's own has arrived, the message before it was handled.
                var marker = Own(forgery, 1, "marker");
                await link.TrySendAsync(marker, ct).ConfigureAwait(false);
                await context.UntilAsync(async () => await target.InspectAsync(m => ((PeerMachine)m).Messages.Contains(marker.Id), ct).ConfigureAwait(false),
                    TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                return link.IsClosed;
            }, ct).ConfigureAwait(false);
            attempts++;
            closed += shut ? 1 : 0;
            counted = counted.Add(delta);
            took += await PeersHoldingAsync(context, message.Id, ct).ConfigureAwait(false);
            logged += context.Logs.LinesWith(token);
            unverified += context.Logs.UnverifiedLinesWith(token);
        }
        // Each refusal once: a forgery that cuts its link is a violation; one whose link stays is counted apart; the codec's refusals are the transport's.
        var refused = counted.Violations + counted.ForgedQuietly + counted.RefusedAsOld + counted.RejectedInputs;
        if (variant.ControlCharacters)
        {
            var raw = context.Logs.RawControlLines - rawBefore;
            return new AttackResult($"forged gossip: {variant.Name}", attempts, refused, closed, counted.Throttled, raw,
                $"log lines holding a raw control character (the message itself may be delivered: {took:N0} peers took it, its text escaped)");
        }
        if (variant.NamesOtherEndpoint)
        {
            // Its defence is the mark: refused counts the peers that dropped it and those that took it marked.
            return new AttackResult($"forged gossip: {variant.Name}", attempts, refused + unverified, closed, counted.Throttled, logged - unverified,
                $"peers that took it as verified (their receipt line shows its origin unmarked); {unverified:N0} took it marked \"(unverified)\" (counted as refused), {refused:N0} refused it");
        }
        return new AttackResult($"forged gossip: {variant.Name}", attempts, refused, closed, counted.Throttled, took + logged,
            "peers that took it, plus log lines holding its text");
    }

    /// <summary>
    /// The frame of <paramref name="message"/> with its hops field 0, which the codec will not write: where the field is,
    /// is found by encoding the message with two hop counts, so a change of the envelope's layout carries over.
    /// </summary>
    private static byte[] WithHopsZero(GossipMessage message)
    {
        var one = FrameCodec.Encode(message with { Hops = 1 });
        var two = FrameCodec.Encode(message with { Hops = 2 });
        var at = one.AsSpan().CommonPrefixLength(two);
        one[at] = 0; // the low byte of the u16: the high byte, just before it, is 0 already
        return one;
    }

    /// <summary>Live peers that recorded <paramref name="id"/>, once that number has stopped growing (at most 3 s).</summary>
    private static async Task<long> PeersHoldingAsync(AttackContext context, MessageId id, CancellationToken ct)
    {
        long last = -1, holding = 0;
        await context.UntilAsync(async () =>
        {
            holding = 0;
            foreach (var peer in context.LivePeers)
            {
                holding += await peer.InspectAsync(m => ((PeerMachine)m).Messages.Contains(id), ct).ConfigureAwait(false) ? 1 : 0;
            }
            var stable = holding == last;
            last = holding;
            return stable;
        }, TimeSpan.FromSeconds(3), ct).ConfigureAwait(false);
        return holding;
    }
}
