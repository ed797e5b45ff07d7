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
internal sealed partial class TcpConnection
{
    private readonly Socket _socket;
    private readonly NetworkStream _network;
    private Stream _stream; // the socket's stream, or the TLS or Noise stream over it once its handshake is done
    private readonly TcpTransport _owner;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SendQueues _queues;
    private readonly ReceiveQueue _received;
    private readonly CancellationTokenSource _lifetime;
    private readonly CancellationToken _lifetimeToken;
    private readonly Hello _localHello;
    private readonly DateTimeOffset _startedAt;
    private readonly long[] _drops = new long[3];
    private readonly long[] _budgetDrops = new long[3];
    private Task _dispatcher = Task.CompletedTask;
    private readonly WireCounter _sent = new();
    private readonly WireCounter _receivedCount = new();
    private long _readDeadline = long.MaxValue; // UTC ticks; checked by the transport's heartbeat (CheckDeadlines)
    private long _writeDeadline = long.MaxValue;
    private volatile string? _readTimeoutReason;
    private readonly string _handshakeTimeoutReason;
    private readonly string _proofTimeoutReason;
    private readonly string _tlsTimeoutReason;
    private readonly string _frameTimeoutReason;
    private readonly string _idleTimeoutReason;
    private readonly string _stalledReason;
    private int _closeRequested;
    private string? _closeReason;
    private volatile ConnectionInfo? _info;
    private Hello? _remoteHello; // the read loop's own: the remote's Hello, until its HelloProof verifies

    public TcpConnection(long id, Socket socket, NodeEndpoint? dialTarget, Hello localHello, TcpTransport owner,
        TransportOptions options, TimeProvider time, ILogger logger, CancellationToken transportStopping, TlsLinks? tls = null, NoiseLinks? noise = null)
    {
        Id = id;
        _socket = socket;
        RemoteAddress = socket.RemoteEndPoint?.ToString() ?? "unknown"; // throws on a socket already reset: the caller handles it
        _socket.NoDelay = true;
        _network = new NetworkStream(socket, ownsSocket: false);
        _stream = _network;
        _tlsLinks = tls;
        _noiseLinks = noise;
        DialTarget = dialTarget;
        _localHello = localHello with { Nonce = HelloNonce.NewRandom() }; // fresh for every connection: the remote signs it
        _owner = owner;
        _options = options;
        _time = time;
        _logger = logger;
        _queues = new SendQueues(options.ControlQueueCapacity, options.OwnGossipQueueCapacity, options.SendQueueCapacity, owner.Budget);
        _received = new ReceiveQueue(options.ReceiveQueueBytes, owner.Budget);
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(transportStopping);
        _lifetimeToken = _lifetime.Token;
        _queues.Bind(_lifetimeToken);
        _tlsTimeoutReason = $"TLS handshake not completed within {Describe(options.HandshakeTimeout)} (Transport:HandshakeTimeout)";
        _handshakeTimeoutReason = $"no Hello within {Describe(options.HandshakeTimeout)} (Transport:HandshakeTimeout)";
        _proofTimeoutReason = $"no HelloProof within {Describe(options.HandshakeTimeout)} (Transport:HandshakeTimeout)";
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

    /// <summary>A dial's: the id the node expects at <see cref="DialTarget"/> (null: any). A Hello with another id is refused.</summary>
    public Security.NodeId? ExpectedId { get; init; }

    /// <summary>Set when a dial was refused because the remote's Hello gave another id than <see cref="ExpectedId"/>.</summary>
    public Security.NodeId? MetOtherId { get; private set; }

    /// <summary>What this side's Hello says the connection is for (for an accepted one: the overlay until the dialer's Hello says otherwise).</summary>
    public LinkPurpose LocalPurpose => _localHello.Purpose;

    /// <summary>Set once the remote's Hello arrived and its HelloProof verified.</summary>
    public ConnectionInfo? Info => _info;

    public bool IsClosing => Volatile.Read(ref _closeRequested) != 0;

    /// <summary>Frames waiting in this connection's send queues.</summary>
    public int QueuedFrames => _queues.Count;

    /// <summary>Most frames ever waiting in this connection's send queues at once.</summary>
    public int PeakQueuedFrames => _queues.Peak;

    /// <summary>Wire bytes of the frames in this connection's send and receive queues (what it holds of the process budget).</summary>
    public long QueuedBytes => _queues.Bytes + _received.Bytes;

    /// <summary>Frames read from this connection that the node has not taken yet.</summary>
    public int ReceivedWaiting => _received.Count;

    /// <summary>Frames and bytes this connection wrote so far.</summary>
    public WireCounts Sent => _sent.Read();

    /// <summary>Frames and bytes this connection decoded so far.</summary>
    public WireCounts Received => _receivedCount.Read();

    /// <summary>The reason this connection closed (or is closing) for; null while open.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>Runs the connection to its end: handshake, frames, close. Never throws.</summary>
    public async Task RunAsync()
    {
        string reason;
        try
        {
            // Over TLS or Noise the handshake comes first; a link that fails it never reaches the node (a dial is told it failed).
            if (await SecureLinkAsync().ConfigureAwait(false) is { } insecure)
            {
                reason = insecure;
                Close(reason, afterFlush: false);
            }
            else
            {
                reason = await RunFramesAsync().ConfigureAwait(false);
            }
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
            _received.Clear(); // what is still queued either way gives its bytes back to the process budget
            _queues.Discard();
            ReleaseResources();
            _owner.Release(this);
        }
        reason = CloseReason ?? reason;
        _logger.LogDebugConnectionClosed(Id, RemoteAddress, reason);
        var own = Interlocked.Read(ref _drops[(int)SendClass.OwnGossip]) + Interlocked.Read(ref _budgetDrops[(int)SendClass.OwnGossip]);
        var forwarded = Interlocked.Read(ref _drops[(int)SendClass.ForwardedGossip]) + Interlocked.Read(ref _budgetDrops[(int)SendClass.ForwardedGossip]);
        if (own + forwarded > 0)
        {
            _logger.LogWarningConnectionDropSummary(RemoteAddress, Info?.Listen.ToString() ?? "?", own, forwarded, reason,
                Interlocked.Read(ref _budgetDrops[(int)SendClass.OwnGossip]) + Interlocked.Read(ref _budgetDrops[(int)SendClass.ForwardedGossip]));
        }
        await _owner.OnConnectionEndedAsync(this, reason).ConfigureAwait(false); // never throws
    }

    /// <summary>The Hello each way, then frames both ways until the connection ends; says why it ended.</summary>
    private async Task<string> RunFramesAsync()
    {
        if (DialTarget is not null)
        {
            _queues.TryEnqueue(_localHello, SendClass.Control, FrameCodec.FrameSize(_localHello));
        }
        var writer = WriteLoopAsync();
        string reason;
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
        return reason;
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
