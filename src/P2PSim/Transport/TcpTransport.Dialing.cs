using System.Net.Sockets;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Transport;

/// <summary>
/// Dialing: connect within Transport:HandshakeTimeout, then run the connection; a dial that fails is told to the node
/// with the reason in words.
/// </summary>
public sealed partial class TcpTransport
{
    /// <summary>
    /// Where a dial to an endpoint connects (null: to the endpoint itself). The connection keeps the endpoint the node
    /// dialed as the remote's identity, so the node never sees the address change (see Hosting/SeedBook.cs).
    /// </summary>
    private readonly Func<NodeEndpoint, NodeEndpoint>? _dialAddress;

    public void Dial(NodeEndpoint target) => Dial(target, LinkPurpose.Overlay);

    public void Dial(NodeEndpoint target, LinkPurpose purpose)
    {
        var id = Interlocked.Increment(ref _nextId);
        Track(id, DialAsync(id, target, purpose, expected: null));
    }

    public void Dial(NodeEndpoint target, LinkPurpose purpose, NodeId expected)
    {
        var id = Interlocked.Increment(ref _nextId);
        Track(id, DialAsync(id, target, purpose, expected));
    }

    private long _dialsMetOtherId;

    /// <summary>Dials refused because the node at the target gave another id than the one expected there.</summary>
    public long DialsMetOtherId => Interlocked.Read(ref _dialsMetOtherId);

    internal void CountDialMetOtherId() => Interlocked.Increment(ref _dialsMetOtherId);

    /// <summary>
    /// Outgoing connections leave from the bind address when asked to (see the constructor). On Linux the port is then
    /// picked at connect time (IP_BIND_ADDRESS_NO_PORT), so binding first does not use up one ephemeral port per dial.
    /// </summary>
    private void BindForDialing(Socket socket)
    {
        if (_dialFrom is not { } from || from.AddressFamily != socket.AddressFamily)
        {
            return;
        }
        if (OperatingSystem.IsLinux())
        {
            const int SolIp = 0, IpBindAddressNoPort = 24;
            socket.SetRawSocketOption(SolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
        }
        socket.Bind(new System.Net.IPEndPoint(from, 0));
    }

    private string FilesUsedUp() =>
        $"the process's open files are nearly used up ({Files.Held} sockets held by all nodes; the limit is {Files.Limit} (ulimit -n), of which {Files.Reserve / 2} stay for the runtime)";

    private async Task DialAsync(long id, NodeEndpoint target, LinkPurpose purpose, NodeId? expected)
    {
        await Task.Yield();
        if (!OpenFileReserve.Process.TryTake())
        {
            OpenFileReserve.Process.Refuse(_logger, $"a dial to {target}");
            await DialFailedAsync(target, purpose, OpenFileReserve.Process.DialRefusal).ConfigureAwait(false);
            return;
        }
        string failure;
        Socket? socket = null;
        var handedOver = false;
        var charged = false;
        try
        {
            if (!Files.TryTakeDial())
            {
                throw new SocketException((int)SocketError.TooManyOpenSockets, FilesUsedUp());
            }
            charged = true;
            // The node knows the remote as target; where to connect may have moved since (a seed whose name resolves anew).
            var address = _dialAddress?.Invoke(target) ?? target;
            socket = new Socket(address.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            SizeBuffers(socket);
            BindForDialing(socket);
            using (var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stoppingToken))
            {
                await socket.ConnectAsync(address.ToIPEndPoint(), linked.Token).ConfigureAwait(false);
            }
            var hello = purpose.IsOverlay ? _hello! : _hello! with { Purpose = purpose };
            var connection = new TcpConnection(id, socket, target, hello, this, _options, _time, _logger, _stoppingToken, _tls, _noise) { ExpectedId = expected };
            socket = null; // the connection owns it now, and its file: given back to both accounts when it is released
            handedOver = true;
            charged = false;
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
            if (ex is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable } outOfFiles)
            {
                NoteOutOfFiles($"dialing {target}", outOfFiles.Message);
            }
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
            if (!handedOver)
            {
                OpenFileReserve.Process.Return();
            }
            if (charged)
            {
                Files.Give();
            }
        }
        await DialFailedAsync(target, purpose, failure).ConfigureAwait(false);
    }

    /// <summary>Tells the node that a dial failed, and why (unless the transport is stopping).</summary>
    private async Task DialFailedAsync(NodeEndpoint target, LinkPurpose purpose, string failure)
    {
        if (_stoppingToken.IsCancellationRequested)
        {
            return;
        }
        _logger.LogDebugDialFailed(target, failure);
        try
        {
            await CallHandlerAsync(purpose.IsOverlay ? _handler!.OnDialFailedAsync(target, failure) : _handler!.OnDialFailedAsync(target, purpose, failure)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorDialFailed(target, ex);
        }
    }
}
