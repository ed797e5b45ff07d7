using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Transport;

/// <summary>
/// The real transport: one listening socket per node on loopback (or the configured host),
/// one <see cref="TcpConnection"/> per accepted or dialed connection. Binding and accepting
/// are separate steps, so a port clash fails start-up and port 0 is read back. See TRANSPORT.md.
/// </summary>
public sealed partial class TcpTransport : ITransport
{
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stoppingToken;
    private readonly ConcurrentDictionary<long, TcpConnection> _connections = new();
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private readonly NodeRole _role;
    private readonly ConcurrentQueue<TcpConnection> _toFlush = new();
    private readonly ITimer _heartbeat;
    private ITransportHandler? _handler;
    private Hello? _hello;
    private readonly System.Net.IPAddress? _dialFrom;
    private readonly bool _acceptsConnections;
    private readonly TlsLinks? _tls;
    private readonly NoiseLinks? _noise;
    private Task _acceptLoop = Task.CompletedTask;
    private long _nextId;
    private int _stopped;
    private int _disposed;

    /// <summary>
    /// Binds the listening socket now (throws <see cref="SocketException"/> if the port is taken).
    /// <paramref name="loggerFor"/> gets the bound endpoint, so a node's log is named after its real port.
    /// <paramref name="budget"/> is the process's queue budget, shared by every transport of the process; null gives
    /// this transport a budget of its own (Transport:ProcessQueueBytes, or the default for one node).
    /// </summary>
    /// <remarks>
    /// <paramref name="announce"/>: the address this node gives as its own (its Hello, hence its registrations) when that
    /// is not the bind address (a slice listening on 0.0.0.0, or behind an address the others reach it by); null: the
    /// bound address. <paramref name="dialFromBindAddress"/>: outgoing connections leave from the bind address, so a
    /// seed sees them come from the address the node claims (on Linux 127.0.0.2 dialing 127.0.0.3 would otherwise leave
    /// from 127.0.0.1, and the seed refuses a registration claiming another address).
    /// <paramref name="acceptsConnections"/> false: a node that cannot be dialled from outside, as behind a NAT
    /// (<c>Private:NotDialablePeers</c>): its port is bound (its identity, read back as usual) but never listens, so every
    /// dial to it is refused by the operating system before any byte is exchanged; its own dials work as usual.
    /// <paramref name="capPerAddress"/>: hold at most <c>Transport:MaxInboundPerAddress</c> accepted connections from one
    /// remote IP address; only meaningful where every node has an address of its own (<c>Network:AddressPerNode</c>), as
    /// one shared address stands for many honest nodes. <paramref name="files"/>: the process's open files, shared by every
    /// transport (null: <see cref="FileBudget.Process"/>).
    /// <paramref name="key"/>: the node's key, whose id its Hello claims and whose signature proves it (PROTOCOL.md,
    /// "Identity and signatures"); null: a fresh one (a transport started on its own).
    /// <paramref name="tls"/>: every link runs over TLS 1.3 with this node's certificate (<c>Security:Links=tls</c>); the
    /// transport owns it from here on. Null: plain TCP (or Noise).
    /// <paramref name="noise"/>: every link runs over Noise XX with this node's static key (<c>Security:Links=noise</c>);
    /// the transport owns it from here on.
    /// <paramref name="idWork"/>: the proof of work of the key's id that the Hello carries, and the difficulty every remote's
    /// id must meet (<c>Security:IdDifficulty</c>; PROTOCOL.md, <i>Ids cost work</i>); default: difficulty 0, none asked.
    /// </remarks>
    public TcpTransport(NodeEndpoint bindTo, NodeRole role, TransportOptions options, TimeProvider time, Func<NodeEndpoint, ILogger> loggerFor,
        QueueBudget? budget = null, System.Net.IPAddress? announce = null, bool dialFromBindAddress = false, Func<NodeEndpoint, NodeEndpoint>? dialAddress = null,
        bool acceptsConnections = true, bool capPerAddress = false, FileBudget? files = null, NodeKey? key = null, TlsLinks? tls = null, IdWork idWork = default, NoiseLinks? noise = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Files = files ?? FileBudget.Process;
        _maxPerAddress = capPerAddress ? options.MaxInboundPerAddress : 0;
        Key = key ?? tls?.Key ?? noise?.Key ?? NodeKey.Generate();
        if (tls is not null && noise is not null)
        {
            throw new ArgumentException("A transport's links are TLS or Noise, not both.", nameof(noise));
        }
        if (noise is not null && noise.LocalId != Key.Id)
        {
            throw new ArgumentException($"The Noise static key is bound to node {noise.LocalId.Short}, the Hello would claim node {Key.Id.Short}: one key for both.", nameof(noise));
        }
        if (tls is not null && tls.LocalId != Key.Id)
        {
            throw new ArgumentException($"The TLS certificate is bound to node {tls.LocalId.Short}, the Hello would claim node {Key.Id.Short}: one key for both.", nameof(tls));
        }
        if (!IdWork.Meets(Key.Id, idWork.Nonce, idWork.Difficulty))
        {
            throw new ArgumentException($"The work nonce {idWork.Nonce} does not give id {Key.Id.Short}… {idWork.Difficulty} zero bits.", nameof(idWork));
        }
        Work = idWork;
        Budget = budget ?? new QueueBudget(QueueBudget.BytesFor(options.ProcessQueueBytes, nodes: 1));
        _role = role;
        _options = options;
        _time = time;
        _stoppingToken = _stopping.Token;
        _listener = new Socket(bindTo.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            SizeBuffers(_listener); // accepted sockets inherit them
            _listener.Bind(bindTo.ToIPEndPoint());
            if (acceptsConnections)
            {
                _listener.Listen(1024);
            }
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        Files.Take(); // the listening socket; given back when the transport stops
        var bound = NodeEndpoint.From((System.Net.IPEndPoint)_listener.LocalEndPoint!);
        LocalEndpoint = announce is null ? bound : bound with { Address = announce };
        _dialFrom = dialFromBindAddress ? bindTo.Address : null;
        _dialAddress = dialAddress;
        _acceptsConnections = acceptsConnections;
        _tls = tls;
        _noise = noise;
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

    /// <summary>The node's key: its Hello says its id, its HelloProof signs with it.</summary>
    public NodeKey Key { get; }

    /// <summary>Whether every link of this transport runs over TLS or Noise (<c>Security:Links=tls</c> or <c>noise</c>).</summary>
    public bool Encrypted => _tls is not null || _noise is not null;

    /// <summary>
    /// The node id the remote of an open connection proved with its TLS certificate; null on a plain link or an unknown
    /// connection.
    /// </summary>
    public P2PSim.Security.NodeId? AuthenticatedId(ConnectionId connection) =>
        _connections.TryGetValue(connection.Value, out var c) ? c.AuthenticatedId : null;

    /// <summary>Every open connection past its Hello: the remote's endpoint and the node id its TLS certificate proved (null on plain links).</summary>
    internal IReadOnlyList<(NodeEndpoint Remote, P2PSim.Security.NodeId? Id)> Links() =>
        [.. _connections.Select(static p => p.Value).Where(static c => c.Info is not null).Select(static c => (c.Info!.Listen, c.AuthenticatedId))];

    /// <summary>The queue budget this transport's connections charge (see <see cref="QueueBudget"/>).</summary>
    public QueueBudget Budget { get; }

    /// <summary>The process's open files, which this transport's sockets charge (see <see cref="FileBudget"/>).</summary>
    public FileBudget Files { get; }

    public void Start(ITransportHandler handler)
    {
        _handler = handler;
        _hello = new Hello(ProtocolLimits.Version, _role, LocalEndpoint) { Id = Key.Id, Work = Work }; // each connection adds a fresh nonce
        if (!_acceptsConnections)
        {
            _logger.LogInformationNotDialable(LocalEndpoint, Key.Id.Short);
        }
        else
        {
            _logger.LogInformationListening(LocalEndpoint, Key.Id.Short);
            _acceptLoop = AcceptLoopAsync();
        }
        _heartbeat.Change(HeartbeatInterval, HeartbeatInterval);
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
        CloseListener();
        Flush();
        foreach (var (_, connection) in _connections)
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
        foreach (var (_, connection) in _connections)
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
        CloseListener();
        // Reset every socket first, so no connection ends with a clean FIN because it saw the transport stop.
        foreach (var (_, connection) in _connections)
        {
            connection.Abort("node crashed");
        }
        _stopping.Cancel();
        foreach (var (_, connection) in _connections)
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
        _tls?.Dispose();
        _noise?.Dispose();
    }

    /// <summary>Closes the listening socket (once: only the first stop gets here) and gives its file back.</summary>
    private void CloseListener()
    {
        _listener.Dispose();
        Files.Give();
    }

    private void CheckDeadlines()
    {
        try
        {
            var now = _time.GetUtcNow().UtcTicks;
            foreach (var (_, connection) in _connections) // the enumerator: .Values would take every lock and copy, every heartbeat
            {
                connection.CheckDeadlines(now);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorConnectionFailed(0, "heartbeat", ex);
        }
    }

    internal ValueTask OnHandshakeAsync(TcpConnection connection) => CallHandlerAsync(_handler!.OnConnectedAsync(connection.Info!));

    internal Message? AnswerAtOnce(TcpConnection connection, Message message) => _handler!.AnswerAtOnce(connection.Info!, message);

    internal bool GoesFirst(Message message) => _handler!.GoesFirst(message);

    internal ValueTask OnFrameAsync(TcpConnection connection, Message message) => CallHandlerAsync(_handler!.OnMessageAsync(connection.ConnectionId, message));

    internal ValueTask OnOwnGossipShedAsync(TcpConnection connection, int frames) => CallHandlerAsync(_handler!.OnOwnGossipShedAsync(connection.ConnectionId, frames));

    /// <summary>Called exactly once when a connection has ended and released its socket: frees its slot.</summary>
    internal void Release(TcpConnection connection)
    {
        if (!_connections.TryRemove(connection.Id, out _))
        {
            return;
        }
        OpenFileReserve.Process.Return(); // its socket is closed
        lock (_endedGate)
        {
            _endedSent += connection.Sent;
            _endedReceived += connection.Received;
        }
        InterlockedMax(ref _peakQueued, connection.PeakQueuedFrames);
        Files.Give();
        if (connection.DialTarget is null)
        {
            ReleaseInbound(connection.Id);
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
            else if (connection.DialTarget is { } target && connection is { ExpectedId: { } expected, MetOtherId: { } met })
            {
                await CallHandlerAsync(_handler!.OnDialMetOtherIdAsync(target, connection.LocalPurpose, expected, met, reason)).ConfigureAwait(false);
            }
            else if (connection.DialTarget is { } dialled)
            {
                reason = DialFailure.TurnedAway(reason); // it connected: something listens there (see DialFailure)
                _logger.LogDebugDialFailed(dialled, reason);
                var purpose = connection.LocalPurpose;
                await CallHandlerAsync(purpose.IsOverlay ? _handler!.OnDialFailedAsync(dialled, reason) : _handler!.OnDialFailedAsync(dialled, purpose, reason)).ConfigureAwait(false);
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
}
