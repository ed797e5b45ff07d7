using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Transport;

/// <summary>
/// One TCP connection. It owns its socket: one read loop decodes frames and one write loop
/// drains a bounded send queue; nothing else writes the socket. The first frame each way is
/// a Hello. Every read has a deadline (handshake, idle, or frame-in-progress). It closes
/// exactly once and keeps the first reason.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync disposes the socket, stream and token source when the connection ends.")]
internal sealed class TcpConnection
{
    private const int InitialBufferSize = 8 * 1024;
    private const int MaxWriteBatchBytes = 64 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly TcpTransport _owner;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Message> _outbound;
    private readonly CancellationTokenSource _lifetime;
    private readonly Hello _localHello;
    private readonly TaskCompletionSource _flushed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DateTimeOffset _startedAt;
    private int _closeRequested;
    private string? _closeReason;
    private bool _abortive;
    private long _dropped;

    public TcpConnection(long id, Socket socket, NodeEndpoint? dialTarget, Hello localHello, TcpTransport owner,
        TransportOptions options, TimeProvider time, ILogger logger, CancellationToken transportStopping)
    {
        Id = id;
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: false);
        DialTarget = dialTarget;
        _localHello = localHello;
        _owner = owner;
        _options = options;
        _time = time;
        _logger = logger;
        RemoteAddress = socket.RemoteEndPoint?.ToString() ?? "unknown";
        _outbound = Channel.CreateBounded<Message>(new BoundedChannelOptions(options.SendQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of blocking; we count and log
        });
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(transportStopping);
        _startedAt = time.GetUtcNow();
    }

    public long Id { get; }

    public ConnectionId ConnectionId => new(Id);

    public string RemoteAddress { get; }

    /// <summary>Set when we dialed: the endpoint we asked for.</summary>
    public NodeEndpoint? DialTarget { get; }

    /// <summary>Set once the remote's Hello arrived.</summary>
    public ConnectionInfo? Info { get; private set; }

    public bool IsClosing => Volatile.Read(ref _closeRequested) != 0;

    public bool TrySend(Message message)
    {
        if (IsClosing)
        {
            return false;
        }
        if (_outbound.Writer.TryWrite(message))
        {
            return true;
        }
        if (!IsClosing)
        {
            var dropped = Interlocked.Increment(ref _dropped);
            _owner.CountDrop();
            _logger.LogWarningSendQueueFull(RemoteAddress, _options.SendQueueCapacity, message.Type, dropped);
        }
        return false;
    }

    /// <summary>Closes once. After a flush: queued frames are sent, then FIN, then we wait (bounded) for the remote's FIN.</summary>
    public void Close(string reason, bool afterFlush)
    {
        if (Interlocked.CompareExchange(ref _closeRequested, 1, 0) != 0)
        {
            if (!afterFlush)
            {
                try
                {
                    _lifetime.Cancel(); // an abort overrides a graceful close in progress
                }
                catch (ObjectDisposedException)
                {
                }
            }
            return;
        }
        _closeReason = reason;
        _outbound.Writer.TryComplete();
        try
        {
            if (!afterFlush)
            {
                _lifetime.Cancel();
            }
            else
            {
                // Never wait for the remote longer than the grace period.
                _lifetime.CancelAfter(_options.ShutdownGrace);
            }
        }
        catch (ObjectDisposedException)
        {
            // The connection already ended on its own.
        }
    }

    /// <summary>Resets the connection (RST), as a crashed process would.</summary>
    public void Abort(string reason)
    {
        _abortive = true;
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        Close(reason, afterFlush: false);
    }

    /// <summary>Runs the connection to its end: handshake, frames, close. Never throws.</summary>
    public async Task RunAsync()
    {
        if (DialTarget is not null)
        {
            _outbound.Writer.TryWrite(_localHello);
        }
        var writer = WriteLoopAsync();
        string reason;
        try
        {
            reason = await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorConnectionFailed(Id, RemoteAddress, ex);
            reason = $"internal error: {ex.Message}";
        }
        Close(reason, afterFlush: false);
        await writer.ConfigureAwait(false);
        try
        {
            if (!_abortive)
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        _socket.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _lifetime.Dispose();
        _logger.LogDebugConnectionClosed(Id, RemoteAddress, _closeReason ?? reason);
        await _owner.OnConnectionEndedAsync(this, _closeReason ?? reason).ConfigureAwait(false);
    }

    private async Task<string> ReadLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        var start = 0;
        var end = 0;
        DateTimeOffset? frameStarted = null;
        using var timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token, timeout.Token);
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
                        return Reject($"first frame must be Hello, got {(MessageType)buffer[start + ProtocolLimits.LengthPrefixSize]}");
                    }
                    var status = FrameCodec.TryRead(buffer.AsSpan(start, end - start), _options.MaxFrameBytes, out var message, out var consumed, out var error);
                    if (status == DecodeStatus.Invalid)
                    {
                        return Reject(error!);
                    }
                    if (status == DecodeStatus.Incomplete)
                    {
                        break;
                    }
                    start += consumed;
                    frameStarted = null;
                    var problem = await DispatchAsync(message!).ConfigureAwait(false);
                    if (problem is not null)
                    {
                        return problem;
                    }
                }
                if (start == end)
                {
                    start = end = 0;
                }
                // Make room: compact, and grow up to the frame's declared size (already checked against the maximum).
                var needed = end - start >= ProtocolLimits.LengthPrefixSize
                    ? ProtocolLimits.LengthPrefixSize + BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start))
                    : InitialBufferSize;
                if (start > 0 && buffer.Length - end < Math.Min(needed, InitialBufferSize))
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (needed > buffer.Length - start)
                {
                    // Grow with the data that actually arrived (at most doubling), not with what the prefix claims.
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(needed, Math.Max(buffer.Length * 2, InitialBufferSize)));
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
                    timeoutReason = $"no Hello within {Describe(_options.HandshakeTimeout)} (Transport:HandshakeTimeout)";
                }
                else if (end > start)
                {
                    frameStarted ??= now;
                    limit = _options.FrameTimeout - (now - frameStarted.Value);
                    timeoutReason = $"frame not completed within {Describe(_options.FrameTimeout)} (Transport:FrameTimeout)";
                }
                else
                {
                    limit = _options.IdleTimeout;
                    timeoutReason = $"nothing received for {Describe(_options.IdleTimeout)} (Transport:IdleTimeout)";
                }
                if (limit <= TimeSpan.Zero)
                {
                    return Reject(timeoutReason);
                }
                timeout.CancelAfter(limit);
                int read;
                try
                {
                    read = await _stream.ReadAsync(buffer.AsMemory(end), linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_lifetime.IsCancellationRequested)
                {
                    return Reject(timeoutReason);
                }
                catch (OperationCanceledException)
                {
                    return _closeReason ?? "closed";
                }
                catch (IOException ex)
                {
                    return _closeReason ?? Describe(ex);
                }
                catch (SocketException ex)
                {
                    return _closeReason ?? Describe(ex);
                }
                catch (ObjectDisposedException)
                {
                    return _closeReason ?? "closed";
                }
                if (!timeout.TryReset())
                {
                    return Reject(timeoutReason);
                }
                if (read == 0)
                {
                    if (end > start)
                    {
                        return Reject($"connection closed in the middle of a frame ({end - start} bytes of it received)");
                    }
                    return _closeReason ?? "closed by the remote";
                }
                end += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Handles one decoded frame; returns a reason to close, or null to go on.</summary>
    private async ValueTask<string?> DispatchAsync(Message message)
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
                _outbound.Writer.TryWrite(_localHello);
            }
            Info = new ConnectionInfo(ConnectionId, DialTarget ?? hello.Listen, hello.Role, DialTarget is null, RemoteAddress);
            _logger.LogDebugConnectionUp(Id, RemoteAddress, hello.Role, Info.Listen, DialTarget is null ? "inbound" : "outbound");
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
        await _owner.OnFrameAsync(this, message).ConfigureAwait(false);
        return null;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new ArrayBufferWriter<byte>(InitialBufferSize);
        using var timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token, timeout.Token);
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_lifetime.Token).ConfigureAwait(false))
            {
                while (batch.WrittenCount < MaxWriteBatchBytes && reader.TryRead(out var message))
                {
                    FrameCodec.Write(batch, message);
                }
                timeout.CancelAfter(_options.FrameTimeout);
                await _stream.WriteAsync(batch.WrittenMemory, linked.Token).ConfigureAwait(false);
                if (!timeout.TryReset())
                {
                    Close($"sending stalled for {Describe(_options.FrameTimeout)} (Transport:FrameTimeout)", afterFlush: false);
                    return;
                }
                if (batch.Capacity > 4 * MaxWriteBatchBytes)
                {
                    batch = new ArrayBufferWriter<byte>(InitialBufferSize);
                }
                else
                {
                    batch.ResetWrittenCount();
                }
            }
            // The queue was completed and drained: half-close, so the remote reads everything and then EOF.
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_lifetime.IsCancellationRequested)
        {
            Close($"sending stalled for {Describe(_options.FrameTimeout)} (Transport:FrameTimeout)", afterFlush: false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            Close(ex is OperationCanceledException ? "closed" : Describe(ex), afterFlush: false);
        }
        finally
        {
            _flushed.TrySetResult();
        }
    }

    private string Reject(string reason)
    {
        _logger.LogWarningRejectedInput(RemoteAddress, reason);
        _closeReason ??= $"rejected input: {reason}";
        return _closeReason;
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
