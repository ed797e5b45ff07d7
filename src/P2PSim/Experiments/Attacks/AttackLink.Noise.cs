using System.Buffers.Binary;
using System.Net.Sockets;
using P2PSim.Security;
using P2PSim.Transport;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// The attacker's side of a Noise link: the XX handshake as the initiator through the project's own
/// <see cref="NoiseLinks"/> and <see cref="NoiseHandshake"/> (a static key of the attacker's, signed by its node key),
/// then frames through a <see cref="NoiseStream"/>, as a node's dial does (PROTOCOL.md, <i>Noise links</i>). A bad
/// handshake may change what message 3 carries (<see cref="NoiseTamper"/>).
/// </summary>
internal sealed partial class AttackLink
{
    private NoiseLinks? _noise;

    /// <summary>The identity payload the node sent in message 2 (its id and its signature over its static key), once read.</summary>
    public byte[]? NodeNoisePayload { get; private set; }

    /// <summary>
    /// Runs Noise XX as the initiator with this link's key; <paramref name="tamper"/> changes message 3. True when this
    /// side got through message 3 (a node that refuses it closes the link after); false when the node refused or closed
    /// before, or did not answer within 10 s. With true, reads and writes go through the Noise records from then on.
    /// </summary>
    public async Task<bool> StartNoiseAsync(CancellationToken ct, NoiseTamper? tamper = null)
    {
        _noise ??= NoiseLinks.Create(Key, _time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        using var handshake = _noise.Begin(initiator: true);
        try
        {
            await WriteNoiseMessageAsync(handshake.WriteMessage([]), deadline.Token).ConfigureAwait(false);
            var header = new byte[2];
            await _network.ReadExactlyAsync(header, deadline.Token).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadUInt16BigEndian(header);
            if (length != NoiseLinks.MessageSizes[1])
            {
                return false;
            }
            var message2 = new byte[length];
            await _network.ReadExactlyAsync(message2, deadline.Token).ConfigureAwait(false);
            NodeNoisePayload = handshake.ReadMessage(message2);
            var own = _noise.LocalPayload.ToArray();
            var message3 = handshake.WriteMessage(tamper?.Payload?.Invoke(own) ?? own);
            if (tamper?.ChangeByte is { } at)
            {
                message3[at] ^= 0x01;
            }
            await WriteNoiseMessageAsync(message3, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or SocketException or ObjectDisposedException or NoiseException
            || ex is OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
        var (send, receive) = handshake.Split();
        _stream = new NoiseStream(_network, send, receive);
        return true;
    }

    private async Task WriteNoiseMessageAsync(byte[] message, CancellationToken ct) =>
        await _network.WriteAsync(NoiseLinks.Framed(message), ct).ConfigureAwait(false);
}

/// <summary>
/// What a bad Noise handshake changes in its message 3: the identity payload it carries (<see cref="Payload"/> is given
/// the link's own, a copy, and returns what to send), or one bit flipped at byte <see cref="ChangeByte"/> of the message
/// (after its length prefix).
/// </summary>
internal sealed record NoiseTamper(Func<byte[], byte[]>? Payload = null, int? ChangeByte = null);
