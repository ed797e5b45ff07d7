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
/// are separate steps, so a port clash fails start-up and port 0 is read back.
/// </summary>
public sealed class TcpTransport : ITransport
{
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, TcpConnection> _connections = new();
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private readonly NodeRole _role;
    private ITransportHandler? _handler;
    private Hello? _hello;
    private Task _acceptLoop = Task.CompletedTask;
    private long _nextId;
    private long _dropped;
    private int _inbound;
    private int _stopped;

    /// <summary>
    /// Binds the listening socket now (throws <see cref="SocketException"/> if the port is taken).
    /// <paramref name="loggerFor"/> gets the bound endpoint, so a node's log is named after its real port.
    /// </summary>
    public TcpTransport(NodeEndpoint bindTo, NodeRole role, TransportOptions options, TimeProvider time, Func<NodeEndpoint, ILogger> loggerFor)
    {
        _role = role;
        _options = options;
        _time = time;
        _listener = new Socket(bindTo.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
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
    }

    public NodeEndpoint LocalEndpoint { get; }

    public int OpenConnections => _connections.Values.Count(c => c.Info is not null && !c.IsClosing);

    public long DroppedFrames => Interlocked.Read(ref _dropped);

    public void Start(ITransportHandler handler)
    {
        _handler = handler;
        _hello = new Hello(ProtocolLimits.Version, _role, LocalEndpoint);
        _logger.LogInformationListening(LocalEndpoint);
        _acceptLoop = AcceptLoopAsync();
    }

    public void Dial(NodeEndpoint target)
    {
        var id = Interlocked.Increment(ref _nextId);
        Track(id, DialAsync(id, target));
    }

    public bool Send(ConnectionId connection, Message message) =>
        _connections.TryGetValue(connection.Value, out var c) && c.Info is not null && c.TrySend(message);

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
        foreach (var connection in _connections.Values)
        {
            connection.Close("node shutting down", afterFlush: true);
        }
        var all = Task.WhenAll(_running.Values.Append(_acceptLoop));
        try
        {
            await all.WaitAsync(grace, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Whatever did not finish in the grace period is cut off.
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var connection in _connections.Values)
        {
            connection.Close("node shutting down", afterFlush: false);
        }
        await Task.WhenAll(_running.Values.Append(_acceptLoop)).ConfigureAwait(false);
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        _stopping.Cancel();
        _listener.Dispose();
        foreach (var connection in _connections.Values)
        {
            connection.Abort("node crashed");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(TimeSpan.Zero).ConfigureAwait(false);
        _stopping.Dispose();
    }

    internal void CountDrop() => Interlocked.Increment(ref _dropped);

    internal ValueTask OnHandshakeAsync(TcpConnection connection) => _handler!.OnConnectedAsync(connection.Info!);

    internal ValueTask OnFrameAsync(TcpConnection connection, Message message) => _handler!.OnMessageAsync(connection.ConnectionId, message);

    internal async ValueTask OnConnectionEndedAsync(TcpConnection connection, string reason)
    {
        _connections.TryRemove(connection.Id, out _);
        if (connection.DialTarget is null)
        {
            Interlocked.Decrement(ref _inbound);
        }
        if (Volatile.Read(ref _stopped) != 0 && _stopping.IsCancellationRequested)
        {
            return; // a crashed or fully stopped node hears nothing more
        }
        if (connection.Info is not null)
        {
            await _handler!.OnClosedAsync(connection.ConnectionId, reason).ConfigureAwait(false);
        }
        else if (connection.DialTarget is { } target)
        {
            _logger.LogDebugDialFailed(target, reason);
            await _handler!.OnDialFailedAsync(target, reason).ConfigureAwait(false);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException
                || (ex is SocketException && Volatile.Read(ref _stopped) != 0))
            {
                return;
            }
            catch (SocketException ex)
            {
                // Transient accept errors (e.g. a connection reset before accept) cost nothing.
                if (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.TooManyOpenSockets)
                {
                    continue;
                }
                _logger.LogErrorAcceptFailed(LocalEndpoint, ex);
                return;
            }
            if (Interlocked.Increment(ref _inbound) > _options.MaxInboundConnections)
            {
                Interlocked.Decrement(ref _inbound);
                _logger.LogWarningInboundLimit(socket.RemoteEndPoint?.ToString() ?? "unknown", _options.MaxInboundConnections, _options.MaxInboundConnections);
                socket.Dispose();
                continue;
            }
            var id = Interlocked.Increment(ref _nextId);
            var connection = new TcpConnection(id, socket, null, _hello!, this, _options, _time, _logger, _stopping.Token);
            _connections[id] = connection;
            Track(id, connection.RunAsync());
        }
    }

    private async Task DialAsync(long id, NodeEndpoint target)
    {
        await Task.Yield();
        var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
            await socket.ConnectAsync(target.ToIPEndPoint(), linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Dispose();
            if (_stopping.IsCancellationRequested)
            {
                return;
            }
            var reason = ex switch
            {
                SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
                SocketException se => se.Message,
                _ => "connect timed out (Transport:HandshakeTimeout)",
            };
            _logger.LogDebugDialFailed(target, reason);
            await _handler!.OnDialFailedAsync(target, reason).ConfigureAwait(false);
            return;
        }
        var connection = new TcpConnection(id, socket, target, _hello!, this, _options, _time, _logger, _stopping.Token);
        _connections[id] = connection;
        if (Volatile.Read(ref _stopped) != 0)
        {
            connection.Close("node shutting down", afterFlush: false);
        }
        await connection.RunAsync().ConfigureAwait(false);
    }

    private void Track(long id, Task task)
    {
        _running[id] = task;
        _ = task.ContinueWith(
            static (t, state) =>
            {
                var (running, key) = ((ConcurrentDictionary<long, Task>, long))state!;
                running.TryRemove(key, out _);
            },
            (_running, id),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
