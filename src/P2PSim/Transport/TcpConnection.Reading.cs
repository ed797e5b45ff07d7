using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Transport;

/// <summary>
/// Reading: the read loop (buffering, decoding, the deadline of every read), and what it does with each frame: the
/// handshake, a Ping answered at once, a Pong handed over first, everything else to the node in order (on the read
/// loop's thread while nothing waits, else through the receive queue and its dispatcher). Bad input is rejected.
/// </summary>
internal sealed partial class TcpConnection
{
    /// <summary>
    /// Largest frame body accepted before the handshake is complete: a Hello is at most 147 bytes (an IPv6 endpoint, an id and its work,
    /// a nonce and a 64-byte group name), a HelloProof 65.
    /// </summary>
    public const int MaxHelloFrameBytes = 192;

    private const int InitialBufferSize = 2 * 1024;

    /// <summary>Reads and decodes until the connection ends; says why, and whether the frames still queued go to the node.</summary>
    private async Task<(string Reason, bool DeliverRest)> ReadLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        var start = 0;
        var end = 0;
        DateTimeOffset? frameStarted = null;
        try
        {
            while (true)
            {
                // Decode every whole frame already buffered.
                while (true)
                {
                    if (Info is null && (TlsWhereHelloExpected(buffer.AsSpan(start, end - start)) ?? NoiseWhereHelloExpected(buffer.AsSpan(start, end - start))) is { } tlsOnPlain)
                    {
                        return (Reject(tlsOnPlain), false);
                    }
                    if (Info is null && end - start > ProtocolLimits.LengthPrefixSize
                        && HandshakeRefuses((MessageType)buffer[start + ProtocolLimits.LengthPrefixSize]) is { } refusal)
                    {
                        return (Reject(refusal), false);
                    }
                    // Before the handshake only a Hello is accepted, so nothing larger is ever buffered.
                    var maxFrame = Info is null ? Math.Min(MaxHelloFrameBytes, _options.MaxFrameBytes) : _options.MaxFrameBytes;
                    var status = FrameCodec.TryRead(buffer.AsSpan(start, end - start), maxFrame, out var message, out var consumed, out var error);
                    if (status == DecodeStatus.Invalid)
                    {
                        return (Reject(Info is null && error!.Contains("exceeds the maximum", StringComparison.Ordinal) ? $"{error} before the Hello" : error!), false);
                    }
                    if (status == DecodeStatus.Incomplete)
                    {
                        break;
                    }
                    start += consumed;
                    frameStarted = null;
                    _receivedCount.Add(message!, consumed);
                    string? problem;
                    try
                    {
                        problem = await DispatchAsync(message!, consumed).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (_lifetimeToken.IsCancellationRequested)
                    {
                        return (CloseReason ?? "closed", false); // closed while waiting for room in the receive queue
                    }
                    if (problem is not null)
                    {
                        return (problem, false);
                    }
                }
                if (start == end)
                {
                    start = end = 0;
                }
                // Make room: compact when little room is left for the rest of the frame.
                var needed = end - start >= ProtocolLimits.LengthPrefixSize
                    ? ProtocolLimits.LengthPrefixSize + BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start))
                    : InitialBufferSize;
                if (start > 0 && buffer.Length - end < Math.Min(needed - (end - start), InitialBufferSize))
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length)
                {
                    // Full of one unfinished frame: grow, at most doubling and never past the frame's declared size (already
                    // checked against the maximum). Memory follows the bytes that arrived, not what a length prefix claims.
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(needed, buffer.Length * 2));
                    Buffer.BlockCopy(buffer, start, bigger, 0, end - start);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                    end -= start;
                    start = 0;
                }

                var now = _time.GetUtcNow();
                TimeSpan limit;
                string timeoutReason;
                if (Info is null)
                {
                    // The whole Hello must arrive within the handshake timeout, counted from the connection's start.
                    limit = _options.HandshakeTimeout - (now - _startedAt);
                    timeoutReason = _remoteHello is null ? _handshakeTimeoutReason : _proofTimeoutReason;
                }
                else if (end > start)
                {
                    frameStarted ??= now;
                    limit = _options.FrameTimeout - (now - frameStarted.Value);
                    timeoutReason = _frameTimeoutReason;
                }
                else
                {
                    limit = _options.IdleTimeout;
                    timeoutReason = _idleTimeoutReason;
                }
                if (limit <= TimeSpan.Zero)
                {
                    return (Reject(timeoutReason), false);
                }
                // The heartbeat (CheckDeadlines) closes the connection if this read is still pending at the deadline.
                _readTimeoutReason = timeoutReason;
                Volatile.Write(ref _readDeadline, (now + limit).UtcTicks);
                int read;
                try
                {
                    read = await _stream.ReadAsync(buffer.AsMemory(end), _lifetimeToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return (CloseReason ?? "closed", false);
                }
                catch (Exception ex) when (ex is IOException or SocketException)
                {
                    return (CloseReason ?? DescribeReadFailure(ex), true);
                }
                catch (ObjectDisposedException)
                {
                    return (CloseReason ?? "closed", false);
                }
                finally
                {
                    Volatile.Write(ref _readDeadline, long.MaxValue);
                }
                if (read == 0)
                {
                    if (end > start)
                    {
                        return (Reject($"connection closed in the middle of a frame ({end - start} bytes of it received)"), true);
                    }
                    return (CloseReason ?? "closed by the remote", true);
                }
                end += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Handles one decoded frame in the read loop; returns a reason to close, or null to go on. The Hello is
    /// handled here; a frame the handler answers at once (a Ping) is answered here, one it wants first (a Pong)
    /// handed to the node at once; everything else goes to the node in order: on this thread while nothing is
    /// waiting, else through the receive queue.
    /// </summary>
    private async ValueTask<string?> DispatchAsync(Message message, int frameBytes)
    {
        if (Info is null)
        {
            return _remoteHello is null ? await OnHelloAsync(message).ConfigureAwait(false) : await OnHelloProofAsync(message).ConfigureAwait(false);
        }
        if (message is Hello or HelloProof)
        {
            return Reject(message is Hello ? "a second Hello on the same connection"
                : _remoteId is not null ? "a HelloProof on a TLS or Noise link (its handshake proved the id; no proof follows the Hello)"
                : "a second HelloProof on the same connection");
        }
        if (IsClosing)
        {
            return null; // the node already let go of this connection; what still arrives is not delivered
        }
        if (_owner.AnswerAtOnce(this, message) is { } reply)
        {
            // Answered here (a Ping's Pong): the reply goes out ahead of every queued gossip frame and does not wait
            // for whatever the node still has to process. The node never sees the frame.
            // Counted before the write loop may send it: whoever has the Pong sees the echo counted.
            if (_queues.TryEnqueue(reply, SendClass.Control, FrameCodec.FrameSize(reply), wake: false) == SendQueues.Outcome.Full)
            {
                OnQueueFull(reply, SendClass.Control);
            }
            else
            {
                _owner.CountEcho();
                _queues.Wake();
            }
            return null;
        }
        if (_owner.GoesFirst(message))
        {
            // A liveness reply overtakes the frames still waiting for the node (it only resets a miss count).
            await _owner.OnFrameAsync(this, message).ConfigureAwait(false);
            return null;
        }
        // The remote's own messages (hop 1, its own endpoint as origin) are counted for the node even when the budget
        // drops them: its flood control judges what the remote sent (ITransportHandler.OnOwnGossipShedAsync).
        var own = message is Protocol.Gossip { Hops: 1 } gossip && gossip.Origin == Info.Listen;
        switch (await _received.AdmitAsync(message, ReceiveQueue.Cost(frameBytes), _lifetimeToken, countShed: own).ConfigureAwait(false))
        {
            case ReceiveQueue.Admission.Deliver:
                // Nothing waiting: hand it over on this thread. Only if the node makes us wait do later frames queue.
                var delivery = _owner.OnFrameAsync(this, message);
                if (!delivery.IsCompletedSuccessfully)
                {
                    _received.BeginDispatching();
                    _dispatcher = DispatchQueuedAsync(delivery);
                }
                break;
            case ReceiveQueue.Admission.OverBudget:
                OnOverBudget(message, SendClasses.Of(message), sending: false);
                break;
        }
        return null;
    }

    /// <summary>
    /// Why a frame of <paramref name="type"/> cannot come now, before the handshake is complete (first a Hello, then a
    /// HelloProof), or null: told from its type byte alone, before its body is awaited.
    /// </summary>
    private string? HandshakeRefuses(MessageType type)
    {
        if (!Enum.IsDefined(type))
        {
            return null; // the codec names an unknown type
        }
        if (_remoteHello is null)
        {
            return type == MessageType.Hello ? null : $"first frame must be Hello, got {type}";
        }
        return type == MessageType.HelloProof ? null : $"the frame after the Hello must be a HelloProof, got {type}";
    }

    /// <summary>
    /// The remote's Hello (PROTOCOL.md, "Connections and the handshake"): the version, then the id's work (one SHA-256,
    /// before anything is answered or signed), then the purpose are checked; the acceptor answers with its own Hello. On
    /// a plain link each side then sends its HelloProof over the other's nonce, and the connection goes to the node once
    /// the remote's proof verifies (<see cref="OnHelloProofAsync"/>). On a TLS or Noise link the channel has already
    /// proved the remote's id, and the Hello must claim that id: the connection goes to the node at once, with no proof.
    /// </summary>
    private async ValueTask<string?> OnHelloAsync(Message message)
    {
        if (message is not Hello hello)
        {
            return Reject($"first frame must be Hello, got {message.Type}");
        }
        if (hello.Version != ProtocolLimits.Version)
        {
            return Reject($"protocol version {hello.Version} is not supported (this node speaks {ProtocolLimits.Version})");
        }
        if (TcpTransport.IdWorkRefusal(hello, _localHello.Work) is { } lacking)
        {
            return RejectIdWork(lacking); // before this side answers, signs or checks anything else
        }
        if (DialTarget is null)
        {
            var answer = hello.Purpose.IsOverlay ? _localHello : _localHello with { Purpose = hello.Purpose }; // the dialer says what the link is for
            _queues.TryEnqueue(answer, SendClass.Control, FrameCodec.FrameSize(answer));
        }
        else if (hello.Purpose != _localHello.Purpose)
        {
            return Reject($"the Hello answered for a {hello.Purpose} link; this one was dialled for a {_localHello.Purpose} link");
        }
        if (hello.Id == _localHello.Id)
        {
            return Reject($"the Hello claims this node's own id {hello.Id.Short}…");
        }
        if (CheckClaimedId(hello.Id) is { } mismatch)
        {
            return Reject(mismatch); // over TLS, the id the Hello claims must be the one the certificate proved
        }
        if (RefuseOtherId(hello.Id) is { } other)
        {
            return other;
        }
        _remoteHello = hello;
        if (_remoteId is not null)
        {
            return await ConnectionUpAsync(hello).ConfigureAwait(false); // the TLS or Noise handshake proved the id
        }
        var proof = Handshake.Prove(_owner.Key, DialTarget is null ? Handshake.Side.Acceptor : Handshake.Side.Dialer, hello);
        _queues.TryEnqueue(proof, SendClass.Control, FrameCodec.FrameSize(proof));
        return null;
    }

    /// <summary>
    /// A dial that expected another id than <paramref name="id"/>, the one the remote proved (TLS, Noise) or claims in its
    /// Hello (plain): refused before this side proves its own id or says its Hello, so the node there never gets the link.
    /// The node's own line says it (rate-limited, counted: NodeMachine.OnDialMetOtherId); here only at Debug. Null when
    /// the dial expected no id, or this one.
    /// </summary>
    private string? RefuseOtherId(NodeId id)
    {
        if (ExpectedId is not { } expected || id == expected)
        {
            return null;
        }
        MetOtherId = id;
        _owner.CountDialMetOtherId();
        var reason = $"the node at {DialTarget} gave id {id.Short}…, not the expected {expected.Short}…";
        _logger.LogDebugDialMetOtherId(DialTarget!.Value, expected.Short, id.Short);
        return Interlocked.CompareExchange(ref _closeReason, reason, null) ?? reason;
    }

    /// <summary>The remote's HelloProof: once it verifies, the connection is the node's (its <see cref="ConnectionInfo"/>, with the remote's id).</summary>
    private async ValueTask<string?> OnHelloProofAsync(Message message)
    {
        var hello = _remoteHello!;
        if (message is not HelloProof proof)
        {
            return Reject($"the frame after the Hello must be a HelloProof, got {message.Type}");
        }
        if (!Handshake.Verifies(proof, DialTarget is null ? Handshake.Side.Dialer : Handshake.Side.Acceptor, hello, _localHello))
        {
            _owner.CountBadProof();
            return Reject($"the HelloProof does not verify for id {hello.Id.Short}… (the remote does not hold the key of the id it claims)");
        }
        return await ConnectionUpAsync(hello).ConfigureAwait(false);
    }

    /// <summary>The handshake is complete: the connection is the node's (its <see cref="ConnectionInfo"/>, with the remote's proven id).</summary>
    private async ValueTask<string?> ConnectionUpAsync(Hello hello)
    {
        _info = new ConnectionInfo(ConnectionId, DialTarget ?? hello.Listen, hello.Role, DialTarget is null, RemoteAddress, hello.Purpose, hello.Id);
        _logger.LogDebugConnectionUp(Id, RemoteAddress, hello.Role, _info.Listen, hello.Id.Short, DialTarget is null ? "inbound" : "outbound");
        await _owner.OnHandshakeAsync(this).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// The node made an inline delivery wait: deliver the frames read meanwhile, one at a time, in order, once it is
    /// done; ends when the queue is empty (the read loop delivers inline again from then on). Never throws.
    /// </summary>
    private async Task DispatchQueuedAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
            while (_received.TryTakeNext(out var message, out var shed))
            {
                if (IsClosing)
                {
                    _received.Clear(); // the node already let go of this connection; what still arrives is not delivered
                    continue;
                }
                if (shed > 0)
                {
                    await _owner.OnOwnGossipShedAsync(this, shed).ConfigureAwait(false);
                }
                if (message is not null)
                {
                    await _owner.OnFrameAsync(this, message).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorConnectionFailed(Id, RemoteAddress, ex);
            Close($"internal error while delivering: {ex.Message}", afterFlush: false);
            _received.Clear();
            while (_received.TryTakeNext(out _))
            {
            }
        }
    }

    /// <summary>A Hello refused for its id's work: counted (as rejected input too), one line rate-limited per node (ten at once, then one a second).</summary>
    private string RejectIdWork(string reason)
    {
        if (_owner.CountRefusedIdWork(out var suppressed))
        {
            _logger.LogWarningIdWorkRefused(RemoteAddress, reason, suppressed == 0 ? "" : $" ({suppressed} such lines left out since the last one)");
        }
        var kept = $"rejected input: {reason}";
        return Interlocked.CompareExchange(ref _closeReason, kept, null) ?? kept;
    }

    private string Reject(string reason)
    {
        _owner.CountRejectedInput();
        _logger.LogWarningRejectedInput(RemoteAddress, reason);
        var kept = $"rejected input: {reason}";
        return Interlocked.CompareExchange(ref _closeReason, kept, null) ?? kept;
    }
}
