using System.Net.Sockets;

namespace P2PSim.Transport;

/// <summary>
/// Closing: exactly once, keeping the first reason; after a flush or at once; a reset (RST) for a crash; the deadlines
/// the transport's heartbeat checks; and releasing the socket and the lifetime when the connection has ended.
/// </summary>
internal sealed partial class TcpConnection
{
    private readonly object _lifetimeGate = new();
    private bool _lifetimeDisposed;
    private volatile bool _abortive;

    /// <summary>
    /// Called by the transport's heartbeat: closes the connection when its pending read (handshake, frame in
    /// progress, idle) or write has passed its deadline. No timer is armed per read or write.
    /// </summary>
    public void CheckDeadlines(long nowTicks)
    {
        var read = Volatile.Read(ref _readDeadline);
        if (nowTicks >= read && Interlocked.CompareExchange(ref _readDeadline, long.MaxValue, read) == read)
        {
            var reason = _handshaking ? RejectTls(_readTimeoutReason ?? "TLS handshake timed out") : Reject(_readTimeoutReason ?? "read timed out");
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
        _tls?.Dispose();
        _noise?.Dispose();
        _socket.Dispose();
        _network.Dispose();
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
}
