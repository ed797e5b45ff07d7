using System.Net.Sockets;

namespace P2PSim.Transport;

/// <summary>
/// Accepting: the accept loop, and the limit on accepted connections held at once (Transport:MaxInboundConnections);
/// one beyond it is closed at once, counted and logged at most once per <see cref="RefusalLogInterval"/>.
/// </summary>
public sealed partial class TcpTransport
{
    /// <summary>At most one "refused a connection" line per this interval; the line counts the ones in between.</summary>
    internal static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(1);

    private long _refused;
    private long _refusedSinceLog;
    private DateTimeOffset _lastRefusalLog = DateTimeOffset.MinValue;
    private int _inbound;

    /// <summary>Accepted connections holding a slot of Transport:MaxInboundConnections right now.</summary>
    public int InboundConnections => Volatile.Read(ref _inbound);

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
            connection = new TcpConnection(id, socket, null, _hello!, this, _options, _time, _logger, _stoppingToken, _tls);
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
}
