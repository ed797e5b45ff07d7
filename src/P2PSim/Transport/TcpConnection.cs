using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Transport;

/// <summary>
/// One TCP connection. It owns its socket: one read loop decodes frames and one write loop
/// drains the prioritised, bounded send queues (<see cref="SendQueues"/>); nothing else writes
/// the socket. The first frame each way is a Hello. Every read has a deadline (handshake, idle,
/// or frame-in-progress), every write too. It closes exactly once and keeps the first reason.
/// See TRANSPORT.md.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync disposes the socket, stream and token source when the connection ends.")]
internal sealed class TcpConnection
{
    /// <summary>After the first drop on a connection, one warning per this many further drops of the same class.</summary>
    public const int DropLogEvery = 1000;

    /// <summary>Largest frame body accepted before the handshake: a Hello is at most 23 bytes.</summary>
    public const int MaxHelloFrameBytes = 64;

    private const int InitialBufferSize = 2 * 1024;
    private const int MaxWriteBatchBytes = 64 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly TcpTransport _owner;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SendQueues _queues;
    private readonly ReceiveQueue _received;
    private readonly CancellationTokenSource _lifetime;
    private readonly CancellationToken _lifetimeToken;
    private readonly object _lifetimeGate = new();
    private readonly Hello _localHello;
    private readonly DateTimeOffset _startedAt;
    private readonly long[] _drops = new long[3];
    private Task _dispatcher = Task.CompletedTask;
    private readonly WireCounter _sent = new();
    private readonly WireCounter _receivedCount = new();
    private long _readDeadline = long.MaxValue; // UTC ticks; checked by the transport's heartbeat (CheckDeadlines)
    private long _writeDeadline = long.MaxValue;
    private volatile string? _readTimeoutReason;
    private readonly string _handshakeTimeoutReason;
    private readonly string _frameTimeoutReason;
    private readonly string _idleTimeoutReason;
    private readonly string _stalledReason;
    private int _flushPending;
    private bool _lifetimeDisposed;
    private int _closeRequested;
    private string? _closeReason;
    private volatile bool _abortive;
    private volatile ConnectionInfo? _info;

    public TcpConnection(long id, Socket socket, NodeEndpoint? dialTarget, Hello localHello, TcpTransport owner,
        TransportOptions options, TimeProvider time, ILogger logger, CancellationToken transportStopping)
    {
        Id = id;
        _socket = socket;
        RemoteAddress = socket.RemoteEndPoint?.ToString() ?? "unknown"; // throws on a socket already reset: the caller handles it
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: false);
        DialTarget = dialTarget;
        _localHello = localHello;
        _owner = owner;
        _options = options;
        _time = time;
        _logger = logger;
        _queues = new SendQueues(options.ControlQueueCapacity, options.OwnGossipQueueCapacity, options.SendQueueCapacity);
        _received = new ReceiveQueue(options.ReceiveQueueBytes);
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(transportStopping);
        _lifetimeToken = _lifetime.Token;
        _queues.Bind(_lifetimeToken);
        _handshakeTimeoutReason = $"no Hello within {Describe(options.HandshakeTimeout)} (Transport:HandshakeTimeout)";
        _frameTimeoutReason = $"frame not completed within {Describe(options.FrameTimeout)} (Transport:FrameTimeout)";
        _stalledReason = $"sending stalled for {Describe(options.FrameTimeout)} (Transport:FrameTimeout)";
        _idleTimeoutReason = $"nothing received for {Describe(options.IdleTimeout)} (Transport:IdleTimeout)";
        _startedAt = time.GetUtcNow();
    }

    public long Id { get; }

    public ConnectionId ConnectionId => new(Id);

    public string RemoteAddress { get; }

    /// <summary>Set when we dialed: the endpoint we asked for.</summary>
    public NodeEndpoint? DialTarget { get; }

    /// <summary>Set once the remote's Hello arrived.</summary>
    public ConnectionInfo? Info => _info;

    public bool IsClosing => Volatile.Read(ref _closeRequested) != 0;

    /// <summary>Frames waiting in this connection's send queues.</summary>
    public int QueuedFrames => _queues.Count;

    /// <summary>Most frames ever waiting in this connection's send queues at once.</summary>
    public int PeakQueuedFrames => _queues.Peak;

    /// <summary>Frames read from this connection that the node has not taken yet.</summary>
    public int ReceivedWaiting => _received.Count;

    /// <summary>Frames and bytes this connection wrote so far.</summary>
    public WireCounts Sent => _sent.Read();

    /// <summary>Frames and bytes this connection decoded so far.</summary>
    public WireCounts Received => _receivedCount.Read();

    /// <summary>The reason this connection closed (or is closing) for; null while open.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>Queues a frame in its class's queue and puts it on the wire now. See <see cref="ITransport.Send"/>.</summary>
    public bool TrySend(Message message) => TrySend(message, wake: true);

    /// <summary>
    /// Queues a frame; with <paramref name="wake"/> false it waits for <see cref="Flush"/> (see <see cref="ITransport.Queue"/>).
    /// </summary>
    public bool TrySend(Message message, bool wake)
    {
        if (IsClosing)
        {
            return false;
        }
        if (!CanEncode(message))
        {
            return false;
        }
        var sendClass = SendClasses.Of(message);
        switch (_queues.TryEnqueue(message, sendClass, wake))
        {
            case SendQueues.Outcome.Queued:
                return true;
            case SendQueues.Outcome.Full:
                OnQueueFull(message, sendClass);
                return false;
            default:
                return false; // closing: the node hears OnClosed
        }
    }

    /// <summary>Marks the connection for the next flush; true the first time since the last one (the caller lists it then).</summary>
    public bool MarkForFlush() => Interlocked.Exchange(ref _flushPending, 1) == 0;

    /// <summary>Resumes the write loop, on this thread, for the frames queued without a wake.</summary>
    public void Flush()
    {
        Volatile.Write(ref _flushPending, 0);
        _queues.Wake();
    }

    /// <summary>
    /// Called by the transport's heartbeat: closes the connection when its pending read (handshake, frame in
    /// progress, idle) or write has passed its deadline. No timer is armed per read or write.
    /// </summary>
    public void CheckDeadlines(long nowTicks)
    {
        var read = Volatile.Read(ref _readDeadline);
        if (nowTicks >= read && Interlocked.CompareExchange(ref _readDeadline, long.MaxValue, read) == read)
        {
            var reason = Reject(_readTimeoutReason ?? "read timed out");
            Close(reason, afterFlush: false);
        }
        var write = Volatile.Read(ref _writeDeadline);
        if (nowTicks >= write && Interlocked.CompareExchange(ref _writeDeadline, long.MaxValue, write) == write)
        {
            Close(_stalledReason, afterFlush: false);
        }
    }

    /// <summary>Closes once. After a flush: queued frames are sent, then FIN, then we wait (bounded) for the remote's FIN.</summary>
    public void Close(string reason, bool afterFlush)
    {
        Interlocked.CompareExchange(ref _closeReason, reason, null);
        if (Interlocked.CompareExchange(ref _closeRequested, 1, 0) != 0)
        {
            if (!afterFlush)
            {
                CancelLifetime(null); // an abort overrides a graceful close in progress
            }
            return;
        }
        _queues.Complete();
        // After a flush, never wait for the remote longer than the grace period.
        CancelLifetime(afterFlush ? _options.ShutdownGrace : null);
    }

    /// <summary>Resets the connection (RST), as a crashed process would.</summary>
    public void Abort(string reason)
    {
        _abortive = true;
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        Close(reason, afterFlush: false);
    }

    /// <summary>Runs the connection to its end: handshake, frames, close. Never throws.</summary>
    public async Task RunAsync()
    {
        string reason;
        try
        {
            if (DialTarget is not null)
            {
                _queues.TryEnqueue(_localHello, SendClass.Control);
            }
            var writer = WriteLoopAsync();
            bool deliverRest;
            try
            {
                (reason, deliverRest) = await ReadLoopAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogErrorConnectionFailed(Id, RemoteAddress, ex);
                (reason, deliverRest) = ($"internal error: {ex.Message}", false);
            }
            Interlocked.CompareExchange(ref _closeReason, reason, null); // the first reason is kept, even while the rest is delivered
            if (!deliverRest)
            {
                Close(reason, afterFlush: false); // from here on nothing more is handed to the node
            }
            // The remote closed (or reset) the connection: what arrived before that still reaches the node (a
            // Goodbye, say), then the node hears that the connection closed.
            _received.Complete();
            await _dispatcher.ConfigureAwait(false); // never throws
            Close(reason, afterFlush: false);
            await writer.ConfigureAwait(false); // never throws
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorConnectionFailed(Id, RemoteAddress, ex);
            reason = $"internal error: {ex.Message}";
            Close(reason, afterFlush: false);
        }
        finally
        {
            _received.Complete();
            ReleaseResources();
            _owner.Release(this);
        }
        reason = CloseReason ?? reason;
        _logger.LogDebugConnectionClosed(Id, RemoteAddress, reason);
        if (_drops[(int)SendClass.OwnGossip] + _drops[(int)SendClass.ForwardedGossip] > 0)
        {
            _logger.LogWarningConnectionDropSummary(RemoteAddress, Info?.Listen.ToString() ?? "?",
                Interlocked.Read(ref _drops[(int)SendClass.OwnGossip]), Interlocked.Read(ref _drops[(int)SendClass.ForwardedGossip]), reason);
        }
        await _owner.OnConnectionEndedAsync(this, reason).ConfigureAwait(false); // never throws
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
            while (_received.TryTakeNext(out var message))
            {
                if (IsClosing)
                {
                    _received.Clear(); // the node already let go of this connection; what still arrives is not delivered
                    continue;
                }
                await _owner.OnFrameAsync(this, message).ConfigureAwait(false);
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

    private void ReleaseResources()
    {
        try
        {
            if (!_abortive)
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        _socket.Dispose();
        _stream.Dispose();
        lock (_lifetimeGate)
        {
            _lifetimeDisposed = true;
            _lifetime.Dispose();
        }
    }

    /// <summary>Cancels the lifetime now (null) or after a delay; safe against a concurrent end of the connection.</summary>
    private void CancelLifetime(TimeSpan? after)
    {
        lock (_lifetimeGate)
        {
            if (_lifetimeDisposed)
            {
                return; // the connection already ended
            }
            try
            {
                if (after is { } delay)
                {
                    _lifetime.CancelAfter(delay);
                }
                else
                {
                    _lifetime.Cancel();
                }
            }
            catch (ObjectDisposedException)
            {
            }
            catch (AggregateException ex)
            {
                // A callback failed; cancellation itself happened. Nothing of ours registers throwing callbacks.
                _logger.LogErrorConnectionFailed(Id, RemoteAddress, ex);
            }
        }
    }

    private bool CanEncode(Message message)
    {
        string? problem;
        try
        {
            var body = FrameCodec.FrameSize(message) - ProtocolLimits.LengthPrefixSize;
            problem = body > _options.MaxFrameBytes
                ? $"its body of {body} bytes exceeds Transport:MaxFrameBytes ({_options.MaxFrameBytes})"
                : null;
        }
        catch (ArgumentException ex)
        {
            problem = ex.Message;
        }
        if (problem is null)
        {
            return true;
        }
        _logger.LogErrorUnsendable(message.Type, RemoteAddress, problem);
        return false;
    }

    private void OnQueueFull(Message message, SendClass sendClass)
    {
        var dropped = Interlocked.Increment(ref _drops[(int)sendClass]);
        _owner.CountDrop(sendClass);
        var capacity = _queues.Capacity(sendClass);
        if (sendClass == SendClass.Control)
        {
            // A control frame is never dropped quietly: a connection that cannot take one more is hopeless.
            var reason = $"control send queue full ({capacity} frames, Transport:ControlQueueCapacity): the remote has stopped reading; a {message.Type} frame could not be queued";
            _logger.LogWarningControlQueueFull(RemoteAddress, Info?.Listen.ToString() ?? "?", capacity, message.Type);
            Close(reason, afterFlush: false);
            return;
        }
        if (dropped == 1 || dropped % DropLogEvery == 0)
        {
            _logger.LogWarningSendQueueFull(RemoteAddress, Info?.Listen.ToString() ?? "?", sendClass, capacity,
                sendClass == SendClass.OwnGossip ? "Transport:OwnGossipQueueCapacity" : "Transport:SendQueueCapacity",
                message.Type, dropped, DropLogEvery);
        }
    }

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
                    if (Info is null && end - start > ProtocolLimits.LengthPrefixSize && buffer[start + ProtocolLimits.LengthPrefixSize] != (byte)MessageType.Hello
                        && Enum.IsDefined((MessageType)buffer[start + ProtocolLimits.LengthPrefixSize]))
                    {
                        return (Reject($"first frame must be Hello, got {(MessageType)buffer[start + ProtocolLimits.LengthPrefixSize]}"), false);
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
                    timeoutReason = _handshakeTimeoutReason;
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
                    return (CloseReason ?? Describe(ex), true);
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
            if (message is not Hello hello)
            {
                return Reject($"first frame must be Hello, got {message.Type}");
            }
            if (hello.Version != ProtocolLimits.Version)
            {
                return Reject($"protocol version {hello.Version} is not supported (this node speaks {ProtocolLimits.Version})");
            }
            if (DialTarget is null)
            {
                _queues.TryEnqueue(_localHello, SendClass.Control);
            }
            _info = new ConnectionInfo(ConnectionId, DialTarget ?? hello.Listen, hello.Role, DialTarget is null, RemoteAddress);
            _logger.LogDebugConnectionUp(Id, RemoteAddress, hello.Role, _info.Listen, DialTarget is null ? "inbound" : "outbound");
            await _owner.OnHandshakeAsync(this).ConfigureAwait(false);
            return null;
        }
        if (message is Hello)
        {
            return Reject("a second Hello on the same connection");
        }
        if (IsClosing)
        {
            return null; // the node already let go of this connection; what still arrives is not delivered
        }
        if (_owner.AnswerAtOnce(this, message) is { } reply)
        {
            // Answered here (a Ping's Pong): the reply goes out ahead of every queued gossip frame and does not wait
            // for whatever the node still has to process. The node never sees the frame.
            if (_queues.TryEnqueue(reply, SendClass.Control) == SendQueues.Outcome.Full)
            {
                OnQueueFull(reply, SendClass.Control);
            }
            else
            {
                _owner.CountEcho();
            }
            return null;
        }
        if (_owner.GoesFirst(message))
        {
            // A liveness reply overtakes the frames still waiting for the node (it only resets a miss count).
            await _owner.OnFrameAsync(this, message).ConfigureAwait(false);
            return null;
        }
        if (await _received.AdmitAsync(message, ReceiveQueue.Cost(frameBytes), _lifetimeToken).ConfigureAwait(false))
        {
            // Nothing waiting: hand it over on this thread. Only if the node makes us wait do later frames queue.
            var delivery = _owner.OnFrameAsync(this, message);
            if (!delivery.IsCompletedSuccessfully)
            {
                _received.BeginDispatching();
                _dispatcher = DispatchQueuedAsync(delivery);
            }
        }
        return null;
    }

    private async Task WriteLoopAsync()
    {
        using var batch = new PooledBufferWriter();
        try
        {
            while (await _queues.WaitToReadAsync(_lifetimeToken).ConfigureAwait(false))
            {
                // Most urgent first, re-checked for every frame: a Pong queued now overtakes the gossip still queued.
                while (batch.WrittenCount < MaxWriteBatchBytes && _queues.TryDequeue(out var message))
                {
                    var before = batch.WrittenCount;
                    FrameCodec.Write(batch, message);
                    _sent.Add(message, batch.WrittenCount - before);
                }
                if (batch.WrittenCount == 0)
                {
                    continue;
                }
                // The heartbeat (CheckDeadlines) closes the connection if this write is still pending at the deadline.
                Volatile.Write(ref _writeDeadline, (_time.GetUtcNow() + _options.FrameTimeout).UtcTicks);
                try
                {
                    await _stream.WriteAsync(batch.WrittenMemory, _lifetimeToken).ConfigureAwait(false);
                }
                finally
                {
                    Volatile.Write(ref _writeDeadline, long.MaxValue);
                }
                batch.Reset(); // the buffer goes back to the pool: an idle connection holds none
            }
            // The queues were completed and drained: half-close, so the remote reads everything and then EOF.
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            Close(ex is OperationCanceledException ? "closed" : Describe(ex), afterFlush: false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorConnectionFailed(Id, RemoteAddress, ex);
            Close($"internal error while sending: {ex.Message}", afterFlush: false);
        }
    }

    private string Reject(string reason)
    {
        _logger.LogWarningRejectedInput(RemoteAddress, reason);
        var kept = $"rejected input: {reason}";
        return Interlocked.CompareExchange(ref _closeReason, kept, null) ?? kept;
    }

    private static string Describe(TimeSpan span) =>
        span.TotalSeconds >= 1 ? $"{span.TotalSeconds:0.###} s" : $"{span.TotalMilliseconds:0} ms";

    private static string Describe(Exception ex) => (ex as SocketException ?? ex.InnerException as SocketException)?.SocketErrorCode switch
    {
        SocketError.ConnectionReset => "connection reset by the remote",
        SocketError.ConnectionAborted => "connection aborted",
        SocketError.Shutdown => "connection shut down",
        _ => ex.Message,
    };
}
