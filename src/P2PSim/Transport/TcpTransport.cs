using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Transport;

/// <summary>
/// The real transport: one listening socket per node on loopback (or the configured host),
/// one <see cref="TcpConnection"/> per accepted or dialed connection. Binding and accepting
/// are separate steps, so a port clash fails start-up and port 0 is read back. See TRANSPORT.md.
/// </summary>
public sealed class TcpTransport : ITransport
{
    /// <summary>At most one "refused a connection" line per this interval; the line counts the ones in between.</summary>
    internal static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(1);

    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stoppingToken;
    private readonly ConcurrentDictionary<long, TcpConnection> _connections = new();
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private readonly NodeRole _role;
    private readonly long[] _dropped = new long[3];
    private readonly ConcurrentQueue<TcpConnection> _toFlush = new();
    private readonly object _endedGate = new();
    private WireCounts _endedSent;
    private WireCounts _endedReceived;
    private readonly ITimer _heartbeat;
    private ITransportHandler? _handler;
    private Hello? _hello;
    private Task _acceptLoop = Task.CompletedTask;
    private long _nextId;
    private long _refused;
    private long _refusedSinceLog;
    private DateTimeOffset _lastRefusalLog = DateTimeOffset.MinValue;
    private long _echoed;
    private int _peakQueued;
    private int _inbound;
    private int _stopped;
    private int _disposed;

    /// <summary>
    /// Binds the listening socket now (throws <see cref="SocketException"/> if the port is taken).
    /// <paramref name="loggerFor"/> gets the bound endpoint, so a node's log is named after its real port.
    /// </summary>
    public TcpTransport(NodeEndpoint bindTo, NodeRole role, TransportOptions options, TimeProvider time, Func<NodeEndpoint, ILogger> loggerFor)
    {
        _role = role;
        _options = options;
        _time = time;
        _stoppingToken = _stopping.Token;
        _listener = new Socket(bindTo.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            SizeBuffers(_listener); // accepted sockets inherit them
            _listener.Bind(bindTo.ToIPEndPoint());
            _listener.Listen(1024);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        LocalEndpoint = NodeEndpoint.From((System.Net.IPEndPoint)_listener.LocalEndPoint!);
        _logger = loggerFor(LocalEndpoint);
        HeartbeatInterval = HeartbeatFor(options);
        _heartbeat = time.CreateTimer(static t => ((TcpTransport)t!).CheckDeadlines(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// How often the deadlines of every connection (handshake, frame, idle, write) are checked: an eighth of the
    /// shortest timeout, between 10 ms and 1 s. A timeout fires at most this much late; nothing is armed per read.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; }

    internal static TimeSpan HeartbeatFor(TransportOptions options)
    {
        var shortest = new[] { options.HandshakeTimeout, options.FrameTimeout, options.IdleTimeout }.Min();
        return TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 8, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
    }

    public NodeEndpoint LocalEndpoint { get; }

    public int OpenConnections => _connections.Values.Count(c => c.Info is not null && !c.IsClosing);

    /// <summary>Accepted connections holding a slot of Transport:MaxInboundConnections right now.</summary>
    public int InboundConnections => Volatile.Read(ref _inbound);

    public long DroppedFrames => Drops.Total;

    public FrameDrops Drops => new(
        Interlocked.Read(ref _dropped[(int)SendClass.Control]),
        Interlocked.Read(ref _dropped[(int)SendClass.OwnGossip]),
        Interlocked.Read(ref _dropped[(int)SendClass.ForwardedGossip]));

    public TransportStats GetStats()
    {
        var queued = 0;
        var waiting = 0;
        var peak = Volatile.Read(ref _peakQueued);
        WireCounts sent, received;
        lock (_endedGate)
        {
            (sent, received) = (_endedSent, _endedReceived);
        }
        foreach (var connection in _connections.Values)
        {
            queued += connection.QueuedFrames;
            waiting += connection.ReceivedWaiting;
            peak = Math.Max(peak, connection.PeakQueuedFrames);
            sent += connection.Sent;
            received += connection.Received;
        }
        return new TransportStats(OpenConnections, InboundConnections, Interlocked.Read(ref _refused), Drops, queued, peak, waiting, Interlocked.Read(ref _echoed), sent, received);
    }

    public void Start(ITransportHandler handler)
    {
        _handler = handler;
        _hello = new Hello(ProtocolLimits.Version, _role, LocalEndpoint);
        _logger.LogInformationListening(LocalEndpoint);
        _acceptLoop = AcceptLoopAsync();
        _heartbeat.Change(HeartbeatInterval, HeartbeatInterval);
    }

    public void Dial(NodeEndpoint target)
    {
        var id = Interlocked.Increment(ref _nextId);
        Track(id, DialAsync(id, target));
    }

    public bool Send(ConnectionId connection, Message message) =>
        _connections.TryGetValue(connection.Value, out var c) && c.Info is not null && c.TrySend(message);

    public bool Queue(ConnectionId connection, Message message)
    {
        if (!_connections.TryGetValue(connection.Value, out var c) || c.Info is null || !c.TrySend(message, wake: false))
        {
            return false;
        }
        if (c.MarkForFlush())
        {
            _toFlush.Enqueue(c);
        }
        return true;
    }

    public void Flush()
    {
        while (_toFlush.TryDequeue(out var connection))
        {
            connection.Flush();
        }
    }

    public void Close(ConnectionId connection, string reason, bool afterFlush)
    {
        if (_connections.TryGetValue(connection.Value, out var c))
        {
            c.Close(reason, afterFlush);
        }
    }

    public async Task ShutdownAsync(TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        _listener.Dispose();
        Flush();
        foreach (var connection in _connections.Values)
        {
            connection.Close("node shutting down", afterFlush: true);
        }
        try
        {
            await Task.WhenAll(_running.Values.Append(_acceptLoop)).WaitAsync(grace, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Whatever did not finish in the grace period is cut off.
        }
        // From here on nothing waits for the node any more (its loop may be the one waiting for us).
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var connection in _connections.Values)
        {
            connection.Close("node shutting down", afterFlush: false);
        }
        await Task.WhenAll(_running.Values.Append(_acceptLoop)).ConfigureAwait(false);
        _heartbeat.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        _listener.Dispose();
        // Reset every socket first, so no connection ends with a clean FIN because it saw the transport stop.
        foreach (var connection in _connections.Values)
        {
            connection.Abort("node crashed");
        }
        _stopping.Cancel();
        foreach (var connection in _connections.Values)
        {
            connection.Abort("node crashed"); // one that was still being set up when the loop above ran
        }
        _heartbeat.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await ShutdownAsync(TimeSpan.Zero).ConfigureAwait(false);
        // After an Abort, ShutdownAsync returned at once: wait for the connections to finish before disposing what they use.
        await Task.WhenAll(_running.Values.Append(_acceptLoop)).ConfigureAwait(false);
        await _heartbeat.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void CheckDeadlines()
    {
        try
        {
            var now = _time.GetUtcNow().UtcTicks;
            foreach (var connection in _connections.Values)
            {
                connection.CheckDeadlines(now);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorConnectionFailed(0, "heartbeat", ex);
        }
    }

    internal void CountDrop(SendClass sendClass) => Interlocked.Increment(ref _dropped[(int)sendClass]);

    internal void CountEcho() => Interlocked.Increment(ref _echoed);

    internal ValueTask OnHandshakeAsync(TcpConnection connection) => CallHandlerAsync(_handler!.OnConnectedAsync(connection.Info!));

    internal Message? AnswerAtOnce(TcpConnection connection, Message message) => _handler!.AnswerAtOnce(connection.Info!, message);

    internal bool GoesFirst(Message message) => _handler!.GoesFirst(message);

    internal ValueTask OnFrameAsync(TcpConnection connection, Message message) => CallHandlerAsync(_handler!.OnMessageAsync(connection.ConnectionId, message));

    /// <summary>Called exactly once when a connection has ended and released its socket: frees its slot.</summary>
    internal void Release(TcpConnection connection)
    {
        if (!_connections.TryRemove(connection.Id, out _))
        {
            return;
        }
        lock (_endedGate)
        {
            _endedSent += connection.Sent;
            _endedReceived += connection.Received;
        }
        InterlockedMax(ref _peakQueued, connection.PeakQueuedFrames);
        if (connection.DialTarget is null)
        {
            Interlocked.Decrement(ref _inbound);
        }
    }

    /// <summary>Tells the node a connection ended (or a dial failed). Never throws.</summary>
    internal async ValueTask OnConnectionEndedAsync(TcpConnection connection, string reason)
    {
        if (_stoppingToken.IsCancellationRequested)
        {
            return; // a crashed or fully stopped node hears nothing more
        }
        try
        {
            if (connection.Info is not null)
            {
                await CallHandlerAsync(_handler!.OnClosedAsync(connection.ConnectionId, reason)).ConfigureAwait(false);
            }
            else if (connection.DialTarget is { } target)
            {
                _logger.LogDebugDialFailed(target, reason);
                await CallHandlerAsync(_handler!.OnDialFailedAsync(target, reason)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorConnectionFailed(connection.Id, connection.RemoteAddress, ex);
        }
    }

    /// <summary>
    /// Waits for the node to take an event (back-pressure on the reader), but never past the transport's stop:
    /// during shutdown the node's loop is busy waiting for the transport and would never take it.
    /// </summary>
    private ValueTask CallHandlerAsync(ValueTask pending)
    {
        if (pending.IsCompletedSuccessfully)
        {
            return ValueTask.CompletedTask;
        }
        return WaitAsync(pending.AsTask());

        async ValueTask WaitAsync(Task task)
        {
            try
            {
                await task.WaitAsync(_stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stoppingToken.IsCancellationRequested)
            {
                // Abandoned: observe whatever it ends with, so nothing goes unobserved.
                _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        await Task.Yield();
        while (!_stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException
                || (ex is SocketException && Volatile.Read(ref _stopped) != 0))
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted
                or SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Transient accept errors (e.g. a connection reset before accept) cost nothing.
                continue;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogErrorAcceptFailed(LocalEndpoint, ex);
                return;
            }
            try
            {
                Accept(socket);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogErrorAcceptFailed(LocalEndpoint, ex);
                socket.Dispose();
                return;
            }
        }
    }

    private void Accept(Socket socket)
    {
        var held = Interlocked.Increment(ref _inbound);
        if (held > _options.MaxInboundConnections)
        {
            Interlocked.Decrement(ref _inbound);
            var refused = Interlocked.Increment(ref _refused);
            _refusedSinceLog++;
            var now = _time.GetUtcNow();
            if (now - _lastRefusalLog >= RefusalLogInterval)
            {
                string remote;
                try
                {
                    remote = socket.RemoteEndPoint?.ToString() ?? "unknown";
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    remote = "unknown";
                }
                _logger.LogWarningInboundLimit(remote, held - 1, _options.MaxInboundConnections, refused, _refusedSinceLog - 1);
                _lastRefusalLog = now;
                _refusedSinceLog = 0;
            }
            socket.Dispose();
            return;
        }
        var id = Interlocked.Increment(ref _nextId);
        TcpConnection connection;
        try
        {
            connection = new TcpConnection(id, socket, null, _hello!, this, _options, _time, _logger, _stoppingToken);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Reset before we even looked at it: free the slot, nothing else to do.
            Interlocked.Decrement(ref _inbound);
            socket.Dispose();
            return;
        }
        _connections[id] = connection;
        if (Volatile.Read(ref _stopped) != 0)
        {
            connection.Close("node shutting down", afterFlush: false);
        }
        Track(id, connection.RunAsync());
    }

    private async Task DialAsync(long id, NodeEndpoint target)
    {
        await Task.Yield();
        string? failure = null;
        Socket? socket = null;
        try
        {
            socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            SizeBuffers(socket);
            using (var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stoppingToken))
            {
                await socket.ConnectAsync(target.ToIPEndPoint(), linked.Token).ConfigureAwait(false);
            }
            var connection = new TcpConnection(id, socket, target, _hello!, this, _options, _time, _logger, _stoppingToken);
            socket = null; // the connection owns it now
            _connections[id] = connection;
            if (Volatile.Read(ref _stopped) != 0)
            {
                connection.Close("node shutting down", afterFlush: false);
            }
            await connection.RunAsync().ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            failure = ex switch
            {
                SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
                SocketException se => se.Message,
                ObjectDisposedException => "connection reset while it was being set up",
                _ => "connect timed out (Transport:HandshakeTimeout)",
            };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorDialFailed(target, ex);
            failure = $"internal error: {ex.Message}";
        }
        finally
        {
            socket?.Dispose();
        }
        if (_stoppingToken.IsCancellationRequested)
        {
            return;
        }
        _logger.LogDebugDialFailed(target, failure);
        try
        {
            await CallHandlerAsync(_handler!.OnDialFailedAsync(target, failure)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorDialFailed(target, ex);
        }
    }

    private void Track(long id, Task task)
    {
        _running[id] = task;
        _ = task.ContinueWith(
            static (t, state) =>
            {
                var (running, key) = ((ConcurrentDictionary<long, Task>, long))state!;
                running.TryRemove(key, out _);
                _ = t.Exception; // RunAsync and DialAsync never throw; observe anyway
            },
            (_running, id),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void SizeBuffers(Socket socket)
    {
        if (_options.SocketBufferBytes > 0)
        {
            socket.SendBufferSize = _options.SocketBufferBytes;
            socket.ReceiveBufferSize = _options.SocketBufferBytes;
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }
}
