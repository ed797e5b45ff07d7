using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Transport;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// The bad Noise handshakes a node meets as the dialer: an attacker registers with a seed from its own address, with a
/// listening endpoint of its own there, and answers the seed's dial-back (Seed:DialBack) as the Noise responder with a
/// bad message 2: a changed byte, or an identity payload that signs another static key. The seed must refuse message 2,
/// count it, close the dial and leave the endpoint unlisted; what got through is a dial-back not closed in time, or the
/// attacker's endpoint listed.
/// </summary>
internal sealed partial class BadHandshakeAttack
{
    private sealed record DialBackVariant(string Name, Func<NodeKey, NoiseTamper> Tamper);

    private static readonly DialBackVariant[] DialBackVariants =
    [
        new("Noise: message 2 with a changed byte, to a seed's dial-back", static _ => new NoiseTamper(ChangeByte: NoiseHandshake.KeySize + 5)),
        new("Noise: message 2 whose identity payload signs another static key, to a seed's dial-back", static key =>
        {
            using var other = NoiseHandshake.NewKey();
            var payload = NoiseLinks.Payload(key, other.PublicKey);
            return new NoiseTamper(Payload: _ => payload);
        }),
    ];

    private static async Task<IEnumerable<AttackResult>> DialBackAsync(AttackContext context, int each, CancellationToken ct)
    {
        var results = new List<AttackResult>();
        if (context.Links != LinkSecurity.Noise)
        {
            return results;
        }
        foreach (var variant in DialBackVariants)
        {
            var (outcome, counted) = await CountedAsync(context, async () =>
            {
                int attempts = 0, closed = 0, listed = 0;
                for (var i = 0; i < each; i++)
                {
                    var seeds = context.Seeds.Where(static s => !s.IsDown).ToArray();
                    var seed = seeds[context.Random.Next(seeds.Length)];
                    var (answered, shut, isListed) = await DialBackOnceAsync(context, seed, variant, ct).ConfigureAwait(false);
                    attempts += answered ? 1 : 0;
                    closed += answered && shut ? 1 : 0;
                    listed += isListed ? 1 : 0;
                }
                return (attempts, closed, listed);
            }, ct).ConfigureAwait(false);
            results.Add(new AttackResult($"bad handshake: {variant.Name}", outcome.attempts, counted.RejectedInputs, outcome.closed, 0,
                outcome.attempts - outcome.closed + outcome.listed, "dial-backs not closed within Transport:HandshakeTimeout (and a margin), or the endpoint listed"));
        }
        return results;
    }

    /// <summary>One registration and its dial-back: whether the seed's dial came and was answered, whether the seed closed it in time, whether it listed the endpoint.</summary>
    private static async Task<(bool Answered, bool Closed, bool Listed)> DialBackOnceAsync(AttackContext context, Hosting.NodeService seed, DialBackVariant variant, CancellationToken ct)
    {
        var from = context.NewAttackerAddress();
        var listener = new TcpListener(new IPEndPoint(from, 0));
        listener.Start();
        try
        {
            var listen = new NodeEndpoint(from, ((IPEndPoint)listener.LocalEndpoint).Port);
            await using var link = await context.OpenAsync(from, seed.Endpoint, ct).ConfigureAwait(false);
            if (link is null || await link.HandshakeAsync(listen, NodeRole.Peer, ct).ConfigureAwait(false) is null
                || !await link.TrySendAsync(Register.Instance, ct).ConfigureAwait(false))
            {
                return (false, false, false);
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(context.CloseWait);
            TcpClient dial;
            try
            {
                dial = await listener.AcceptTcpClientAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return (false, false, false);
            }
            using (dial)
            {
                var stream = dial.GetStream();
                using var links = NoiseLinks.Create(link.Key, context.Time);
                var answered = await AnswerAsync(stream, links, variant.Tamper(link.Key), wait.Token).ConfigureAwait(false);
                var closed = answered && await ClosedAsync(stream, wait.Token).ConfigureAwait(false);
                await link.TrySendAsync(new Goodbye(), ct).ConfigureAwait(false); // leaves the seed's registrations again
                var listed = await seed.InspectAsync(m => ((SeedMachine)m).PeerList.Contains(listen), ct).ConfigureAwait(false);
                return (answered, closed, listed);
            }
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>The responder's side up to message 2, tampered; false when message 1 did not come as it should.</summary>
    private static async Task<bool> AnswerAsync(NetworkStream stream, NoiseLinks links, NoiseTamper tamper, CancellationToken ct)
    {
        using var handshake = links.Begin(initiator: false);
        try
        {
            var message1 = new byte[2 + NoiseLinks.MessageSizes[0]];
            await stream.ReadExactlyAsync(message1, ct).ConfigureAwait(false);
            if (BinaryPrimitives.ReadUInt16BigEndian(message1) != NoiseLinks.MessageSizes[0])
            {
                return false;
            }
            handshake.ReadMessage(message1.AsSpan(2));
            var own = links.LocalPayload.ToArray();
            var message2 = handshake.WriteMessage(tamper.Payload?.Invoke(own) ?? own);
            if (tamper.ChangeByte is { } at)
            {
                message2[at] ^= 0x01;
            }
            await stream.WriteAsync(NoiseLinks.Framed(message2), ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or SocketException or NoiseException
            || ex is OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Whether the seed closes the dial (end of stream or reset) before <paramref name="ct"/> ends the wait.</summary>
    private static async Task<bool> ClosedAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[512];
        try
        {
            while (await stream.ReadAsync(buffer, ct).ConfigureAwait(false) > 0)
            {
            }
            return true;
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
