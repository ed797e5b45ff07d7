using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace P2PSim.Transport;

/// <summary>
/// Accepting: the accept loop and what an accepted connection must pass before it is read at all, in this order:
/// the node's limit (Transport:MaxInboundConnections), the limit per remote address (Transport:MaxInboundPerAddress,
/// where nodes have addresses of their own) and the node's share of the process's open files (<see cref="FileBudget"/>).
/// One that fails is closed at once, unread, counted and logged at most once per <see cref="RefusalLogInterval"/> for
/// each of the three. An accept the operating system fails for want of files (EMFILE) is counted, logged the same way,
/// and retried after a pause that doubles up to a second, so a process out of files neither spins nor stops accepting.
/// Before all of them, the process must have a file left beyond the runtime's reserve (<see cref="OpenFileReserve"/>,
/// which counts the files really open, log files included).
/// </summary>
public sealed partial class TcpTransport
{
    /// <summary>At most one "refused a connection" line per this interval and reason; the line counts the ones in between.</summary>
    internal static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(1);

    /// <summary>First pause after an accept failed for want of files or buffers; doubled on each further failure, up to <see cref="AcceptRetryMax"/>.</summary>
    internal static readonly TimeSpan AcceptRetryFirst = TimeSpan.FromMilliseconds(5);

    internal static readonly TimeSpan AcceptRetryMax = TimeSpan.FromSeconds(1);

    private readonly int _maxPerAddress;
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly ConcurrentDictionary<long, IPAddress> _inboundFrom = new();
    private readonly RefusalLog[] _refusalLogs = [new(), new(), new(), new()];
    private long _refused;
    private long _refusedPerAddress;
    private long _refusedForFiles;
    private long _outOfFiles;
    private int _inbound;

    private enum Refusal
    {
        NodeLimit,
        PerAddress,
        FileShare,
        OutOfFiles,
    }

    /// <summary>Accepted connections holding a slot of Transport:MaxInboundConnections right now.</summary>
    public int InboundConnections => Volatile.Read(ref _inbound);

    /// <summary>Connections refused because their remote address held Transport:MaxInboundPerAddress already (part of <see cref="TransportStats.RefusedConnections"/>).</summary>
    public long RefusedPerAddress => Interlocked.Read(ref _refusedPerAddress);

    /// <summary>Connections refused because the node had used up its share of the process's open files (part of <see cref="TransportStats.RefusedConnections"/>).</summary>
    public long RefusedForFiles => Interlocked.Read(ref _refusedForFiles);

    /// <summary>Accepts and dials the operating system failed because the process had no file left (EMFILE, ENFILE, ENOBUFS).</summary>
    public long OutOfFiles => Interlocked.Read(ref _outOfFiles);

    /// <summary>Accepted connections from <paramref name="address"/> held now (counted only where the per-address limit applies).</summary>
    public int InboundFrom(IPAddress address)
    {
        lock (_perAddress)
        {
            return _perAddress.GetValueOrDefault(address);
        }
    }

    private async Task AcceptLoopAsync()
    {
        await Task.Yield();
        var pause = TimeSpan.Zero;
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
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue; // reset before accept: costs nothing
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // The connection waits in the backlog and the next accept would fail at once again: pause (as Go's net/http does).
                NoteOutOfFiles($"accepting a connection on {LocalEndpoint}", ex.Message);
                pause = pause == TimeSpan.Zero ? AcceptRetryFirst : TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, AcceptRetryMax.Ticks));
                try
                {
                    await Task.Delay(pause, _time, _stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogErrorAcceptFailed(LocalEndpoint, ex);
                return;
            }
            pause = TimeSpan.Zero;
            if (!OpenFileReserve.Process.TryTake())
            {
                OpenFileReserve.Process.Refuse(_logger, $"a connection from {RemoteOf(socket)} to {LocalEndpoint}");
                socket.Dispose();
                continue;
            }
            try
            {
                Accept(socket);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogErrorAcceptFailed(LocalEndpoint, ex);
                socket.Dispose();
                OpenFileReserve.Process.Return();
                return;
            }
        }
    }

    private void Accept(Socket socket)
    {
        IPAddress? from;
        try
        {
            from = (socket.RemoteEndPoint as IPEndPoint)?.Address;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            socket.Dispose(); // reset before we even looked at it
            OpenFileReserve.Process.Return();
            return;
        }
        var held = Interlocked.Increment(ref _inbound);
        if (held > _options.MaxInboundConnections)
        {
            Refuse(socket, Refusal.NodeLimit, held - 1);
            return;
        }
        if (_maxPerAddress > 0 && from is not null && !TryTakeAddress(from))
        {
            Refuse(socket, Refusal.PerAddress, held - 1, from);
            return;
        }
        if (!Files.TryTakeInbound(held - 1))
        {
            if (_maxPerAddress > 0 && from is not null)
            {
                GiveAddress(from);
            }
            Refuse(socket, Refusal.FileShare, held - 1);
            return;
        }
        var id = Interlocked.Increment(ref _nextId);
        if (_maxPerAddress > 0 && from is not null)
        {
            _inboundFrom[id] = from;
        }
        TcpConnection connection;
        try
        {
            connection = new TcpConnection(id, socket, null, _hello!, this, _options, _time, _logger, _stoppingToken, _tls, _noise);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Reset before we even looked at it: free the slots, nothing else to do.
            Files.Give();
            ReleaseInbound(id);
            socket.Dispose();
            OpenFileReserve.Process.Return();
            return;
        }
        _connections[id] = connection;
        if (Volatile.Read(ref _stopped) != 0)
        {
            connection.Close("node shutting down", afterFlush: false);
        }
        Track(id, connection.RunAsync());
    }

    private static string RemoteOf(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint?.ToString() ?? "unknown";
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return "unknown";
        }
    }

    /// <summary>Frees an accepted connection's slot of the node and of its remote address.</summary>
    private void ReleaseInbound(long id)
    {
        Interlocked.Decrement(ref _inbound);
        if (_inboundFrom.TryRemove(id, out var from))
        {
            GiveAddress(from);
        }
    }

    private bool TryTakeAddress(IPAddress from)
    {
        lock (_perAddress)
        {
            var held = _perAddress.GetValueOrDefault(from);
            if (held >= _maxPerAddress)
            {
                return false;
            }
            _perAddress[from] = held + 1;
            return true;
        }
    }

    private void GiveAddress(IPAddress from)
    {
        lock (_perAddress)
        {
            if (_perAddress.TryGetValue(from, out var held))
            {
                if (held <= 1)
                {
                    _perAddress.Remove(from); // the table holds only addresses with connections: it cannot grow without end
                }
                else
                {
                    _perAddress[from] = held - 1;
                }
            }
        }
    }

    /// <summary>Closes an accepted connection unread, counts it, and logs it (at most once per second for each reason).</summary>
    private void Refuse(Socket socket, Refusal why, int held, IPAddress? from = null)
    {
        Interlocked.Decrement(ref _inbound);
        var refused = Interlocked.Increment(ref _refused);
        switch (why)
        {
            case Refusal.PerAddress:
                Interlocked.Increment(ref _refusedPerAddress);
                break;
            case Refusal.FileShare:
                Interlocked.Increment(ref _refusedForFiles);
                break;
        }
        if (_refusalLogs[(int)why].Due(_time.GetUtcNow(), out var unlogged))
        {
            var remote = RemoteOf(socket);
            switch (why)
            {
                case Refusal.NodeLimit:
                    _logger.LogWarningInboundLimit(remote, held, _options.MaxInboundConnections, refused, unlogged);
                    break;
                case Refusal.PerAddress:
                    _logger.LogWarningAddressLimit(remote, _maxPerAddress, from!, refused, unlogged);
                    break;
                default:
                    _logger.LogWarningFileShare(remote, held, Files.Held, Files.Usable, Files.Limit ?? 0, Files.Reserve, refused, unlogged);
                    break;
            }
        }
        socket.Dispose();
        OpenFileReserve.Process.Return();
    }

    /// <summary>Counts an accept or dial the operating system failed for want of files, and logs it at most once per second.</summary>
    private void NoteOutOfFiles(string doing, string error)
    {
        var total = Interlocked.Increment(ref _outOfFiles);
        if (_refusalLogs[(int)Refusal.OutOfFiles].Due(_time.GetUtcNow(), out var unlogged))
        {
            _logger.LogWarningOutOfFiles(doing, error, Files.Held, Files.Limit ?? 0, total, unlogged);
        }
    }

    /// <summary>Rate limit of one kind of refusal line: at most one per <see cref="RefusalLogInterval"/>, counting the ones left out.</summary>
    private sealed class RefusalLog
    {
        private readonly Lock _gate = new();
        private DateTimeOffset _last = DateTimeOffset.MinValue;
        private long _since;

        /// <summary>True when a line is due now; <paramref name="unlogged"/>: how many were left out since the last line.</summary>
        public bool Due(DateTimeOffset now, out long unlogged)
        {
            lock (_gate)
            {
                if (now - _last < RefusalLogInterval)
                {
                    _since++;
                    unlogged = 0;
                    return false;
                }
                unlogged = _since;
                _since = 0;
                _last = now;
                return true;
            }
        }
    }
}
