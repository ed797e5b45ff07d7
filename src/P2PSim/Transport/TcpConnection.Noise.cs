using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PSim.Security;

namespace P2PSim.Transport;

/// <summary>
/// The stream layer with <see cref="NoiseLinks"/>: the connection first runs a Noise XX handshake (within
/// Transport:HandshakeTimeout, counted from its start, as the Hello after it; each message a 2-byte big-endian length,
/// then the message, whose size XX fixes), checks the remote's identity payload, and from then on reads and writes
/// through a <see cref="NoiseStream"/>. Frames and their limits are the same inside. A failed handshake or a rejected
/// record costs that connection and one rate-limited line. See PROTOCOL.md, <i>Encrypted links</i>.
/// </summary>
internal sealed partial class TcpConnection
{
    private readonly NoiseLinks? _noiseLinks;
    private NoiseStream? _noise;

    /// <summary>Runs the link's handshake, TLS or Noise, if it has one: null when it is secured (or plain), else why it closed.</summary>
    private Task<string?> SecureLinkAsync() =>
        _tlsLinks is not null ? SecureAsync(_tlsLinks)
        : _noiseLinks is not null ? SecureNoiseAsync(_noiseLinks)
        : Task.FromResult<string?>(null);

    private async Task<string?> SecureNoiseAsync(NoiseLinks links)
    {
        _readTimeoutReason = $"Noise handshake not completed within {Describe(_options.HandshakeTimeout)} (Transport:HandshakeTimeout)";
        _handshaking = true;
        Volatile.Write(ref _readDeadline, (_startedAt + _options.HandshakeTimeout).UtcTicks); // the heartbeat closes a stalled handshake
        var initiator = DialTarget is not null;
        using var handshake = links.Begin(initiator);
        var answered = false; // the responder has sent message 2
        try
        {
            byte[] payload;
            if (initiator)
            {
                await WriteHandshakeAsync(handshake.WriteMessage([])).ConfigureAwait(false);
                payload = handshake.ReadMessage(await ReadHandshakeAsync(1).ConfigureAwait(false));
                if ((VerifyNoiseIdentity(payload, handshake) ?? RefuseOtherId(_remoteId!.Value)) is { } refused)
                {
                    return refused; // another id than the dial expected: refused before this side's identity goes out
                }
                await WriteHandshakeAsync(handshake.WriteMessage(links.LocalPayload)).ConfigureAwait(false);
            }
            else
            {
                handshake.ReadMessage(await ReadHandshakeAsync(0).ConfigureAwait(false));
                await WriteHandshakeAsync(handshake.WriteMessage(links.LocalPayload)).ConfigureAwait(false);
                answered = true;
                payload = handshake.ReadMessage(await ReadHandshakeAsync(2).ConfigureAwait(false));
                if (VerifyNoiseIdentity(payload, handshake) is { } refused)
                {
                    return refused;
                }
            }
            var (send, receive) = handshake.Split();
            _noise = new NoiseStream(_network, send, receive);
            _stream = _noise;
            _logger.LogDebugNoiseUp(Id, RemoteAddress, _remoteId!.Value);
            return null;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return CloseReason ?? "closed";
        }
        catch (NoiseHandshakeRefused ex)
        {
            return CloseReason ?? RejectNoise(ex.Message);
        }
        catch (NoiseException ex)
        {
            return CloseReason ?? RejectNoise($"Noise handshake failed: {ex.Message}");
        }
        catch (EndOfStreamException) when (answered)
        {
            // Not bad input: a dialer that expected another id at this endpoint stops after message 2 (RefuseOtherId).
            return CloseReason ?? "closed by the remote after Noise message 2, before its identity (a dialer that expected another id here does so)";
        }
        catch (EndOfStreamException)
        {
            return CloseReason ?? RejectNoise(initiator
                ? "the remote closed the connection during the Noise handshake (a node with Security:Links=plain or tls does so)"
                : "the remote closed the connection during the Noise handshake");
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            return CloseReason ?? Describe(ex);
        }
        finally
        {
            _handshaking = false;
            Volatile.Write(ref _readDeadline, long.MaxValue);
        }
    }

    private string? VerifyNoiseIdentity(byte[] payload, NoiseHandshake handshake)
    {
        if (NoiseLinks.Verify(payload, handshake.RemoteStatic, out var problem) is not { } id)
        {
            return RejectNoise($"Noise handshake refused: {problem}");
        }
        _remoteId = id;
        return null;
    }

    private async Task WriteHandshakeAsync(byte[] message) =>
        await _network.WriteAsync(NoiseLinks.Framed(message), _lifetimeToken).ConfigureAwait(false);

    /// <summary>
    /// Reads XX message <paramref name="index"/> (0, 1, 2): its length must be the one XX gives it. The first bytes say
    /// what came instead: a TLS record, a plain P2PSim frame, or garbage.
    /// </summary>
    private async Task<byte[]> ReadHandshakeAsync(int index)
    {
        var header = new byte[2];
        await _network.ReadExactlyAsync(header, _lifetimeToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadUInt16BigEndian(header);
        var expected = NoiseLinks.MessageSizes[index];
        if (length != expected)
        {
            throw new NoiseHandshakeRefused((header[0], header[1], index) switch
            {
                (0x16, 0x03, 0) => "a TLS ClientHello where a Noise handshake was expected: the remote runs with Security:Links=tls, this node with noise",
                (0x15, 0x03, _) => "a TLS alert where the Noise handshake's reply was expected: the remote runs with Security:Links=tls, this node with noise",
                (0x00, 0x00, 0) => "a plain P2PSim frame where a Noise handshake was expected: the remote runs with Security:Links=plain, this node with noise",
                (_, _, 0) => $"no Noise handshake (the first bytes are 0x{header[0]:x2} 0x{header[1]:x2}; a Noise XX first message starts 0x00 0x{expected:x2})",
                _ => $"Noise handshake message {index + 1} of {length} bytes, not {expected}",
            });
        }
        var message = new byte[length];
        await _network.ReadExactlyAsync(message, _lifetimeToken).ConfigureAwait(false);
        return message;
    }

    /// <summary>Plain side: the first bytes are a Noise XX first message (its length, 32) where a 4-byte-prefixed Hello was expected.</summary>
    private string? NoiseWhereHelloExpected(ReadOnlySpan<byte> received) =>
        _tlsLinks is null && _noiseLinks is null && received.Length >= 2 && received[0] == 0x00 && received[1] == NoiseLinks.MessageSizes[0]
            ? "a Noise handshake where a plain P2PSim Hello was expected: the remote runs with Security:Links=noise, this node with plain"
            : null;

    /// <summary>One line per failed handshake or rejected record, rate-limited per node (ten at once, then one a second).</summary>
    private string RejectNoise(string reason)
    {
        _owner.CountRejectedInput();
        if (_noiseLinks!.TryTakeLine(out var suppressed))
        {
            _logger.LogWarningNoiseRejected(RemoteAddress, reason, suppressed == 0 ? "" : $" ({suppressed} such lines left out since the last one)");
        }
        var kept = $"rejected input: {reason}";
        return Interlocked.CompareExchange(ref _closeReason, kept, null) ?? kept;
    }

    /// <summary>What the remote sent instead of the handshake message expected.</summary>
    private sealed class NoiseHandshakeRefused(string message) : Exception(message);
}

internal static partial class NoiseLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected Noise from {Remote}: {Reason}; connection closed{LeftOut}")]
    public static partial void LogWarningNoiseRejected(this ILogger logger, string remote, string reason, string leftOut);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Id} with {Remote}: Noise XX up, the remote is node {NodeId}")]
    public static partial void LogDebugNoiseUp(this ILogger logger, long id, string remote, NodeId nodeId);
}
