using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>One thing a transport reported to its node.</summary>
public abstract record TransportEvent
{
    public sealed record Connected(ConnectionInfo Info) : TransportEvent;

    public sealed record DialFailed(NodeEndpoint Target, string Reason, LinkPurpose Purpose = default) : TransportEvent;

    public sealed record Received(ConnectionId Connection, Message Message) : TransportEvent;

    public sealed record Closed(ConnectionId Connection, string Reason) : TransportEvent;
}

/// <summary>
/// A stand-in for the node: records every event. <see cref="Hold"/> makes it stop taking messages (as a busy
/// node does: the transport then waits), <see cref="Release"/> lets them through again.
/// </summary>
public sealed class RecordingHandler : ITransportHandler
{
    private readonly Channel<TransportEvent> _events = Channel.CreateUnbounded<TransportEvent>();
    private readonly ConcurrentQueue<TransportEvent> _all = new();
    private volatile TaskCompletionSource? _gate;

    public IReadOnlyCollection<TransportEvent> All => _all;

    public IEnumerable<Message> Messages => _all.OfType<TransportEvent.Received>().Select(r => r.Message);

    /// <summary>Non-Pong messages wait (the Pong lane of the real node is not held up).</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    /// <summary>Never completes another call at all: a node whose loop is stuck for good.</summary>
    public bool Frozen { get; set; }

    public ValueTask OnConnectedAsync(ConnectionInfo connection) => Record(new TransportEvent.Connected(connection), held: false);

    public ValueTask OnDialFailedAsync(NodeEndpoint target, string reason) => Record(new TransportEvent.DialFailed(target, reason), held: false);

    public ValueTask OnDialFailedAsync(NodeEndpoint target, LinkPurpose purpose, string reason) => Record(new TransportEvent.DialFailed(target, reason, purpose), held: false);

    public ValueTask OnMessageAsync(ConnectionId connection, Message message) => Record(new TransportEvent.Received(connection, message), held: message is not Pong);

    public ValueTask OnClosedAsync(ConnectionId connection, string reason) => Record(new TransportEvent.Closed(connection, reason), held: false);

    /// <summary>Whether the node's ping rule applies (<c>Transport:EchoPings</c>), as in a real node.</summary>
    public bool EchoPings { get; init; } = true;

    public Message? AnswerAtOnce(ConnectionInfo connection, Message message) => NodeRuntime.AnswerAtOnce(message, connection.Role, EchoPings);

    public bool GoesFirst(Message message) => NodeRuntime.GoesFirst(message);

    private async ValueTask Record(TransportEvent e, bool held)
    {
        if (Frozen)
        {
            await new TaskCompletionSource().Task.ConfigureAwait(false);
        }
        if (held && _gate is { } gate)
        {
            await gate.Task.ConfigureAwait(false);
        }
        _all.Enqueue(e);
        _events.Writer.TryWrite(e);
    }

    /// <summary>The next event of type <typeparamref name="T"/> matching <paramref name="match"/>, skipping others.</summary>
    public async Task<T> NextAsync<T>(CancellationToken ct, Func<T, bool>? match = null, int timeoutMs = 10_000) where T : TransportEvent
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeoutMs);
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(deadline.Token).ConfigureAwait(false);
                if (e is T t && (match?.Invoke(t) ?? true))
                {
                    return t;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"no {typeof(T).Name} within {timeoutMs} ms; seen: {string.Join(", ", _all.TakeLast(5))}");
            throw;
        }
    }
}

/// <summary>Log lines written through an <see cref="ILogger"/>, kept for assertions.</summary>
public sealed class CapturingLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _lines = new();

    public IEnumerable<(LogLevel Level, string Text)> Lines => _lines;

    public IEnumerable<string> Warnings => _lines.Where(l => l.Level == LogLevel.Warning).Select(l => l.Text);

    public IEnumerable<string> Errors => _lines.Where(l => l.Level >= LogLevel.Error).Select(l => l.Text);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue((logLevel, formatter(state, exception) + (exception is null ? string.Empty : $" [{exception.GetType().Name}: {exception.Message}]")));
}

/// <summary>A started <see cref="TcpTransport"/> on an OS-assigned loopback port, with its handler and log.</summary>
public sealed class TestTransport : IAsyncDisposable
{
    private TestTransport(TcpTransport transport, RecordingHandler handler, CapturingLogger log, TransportOptions options)
    {
        Transport = transport;
        Handler = handler;
        Log = log;
        Options = options;
    }

    public TcpTransport Transport { get; }

    public RecordingHandler Handler { get; }

    public CapturingLogger Log { get; }

    public TransportOptions Options { get; }

    public NodeEndpoint Endpoint => Transport.LocalEndpoint;

    /// <summary>The listening endpoint a raw remote claims in its Hello.</summary>
    public static readonly NodeEndpoint FakeListen = NodeEndpoint.Loopback(65001);

    /// <summary>This transport dials a raw listener that answers the Hello and then does what the test says.</summary>
    public async Task<(RawPeer Remote, ConnectionId Id, TcpListener Listener)> DialRawAsync(CancellationToken ct, int? receiveBuffer = null)
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        if (receiveBuffer is { } size)
        {
            listener.Server.ReceiveBufferSize = size;
        }
        listener.Start();
        Transport.Dial(NodeEndpoint.From((System.Net.IPEndPoint)listener.LocalEndpoint));
        var remote = RawPeer.Accepted(await listener.AcceptTcpClientAsync(ct));
        await remote.AcceptHelloAsync(FakeListen, ct);
        var connected = await Handler.NextAsync<TransportEvent.Connected>(ct);
        return (remote, connected.Info.Id, listener);
    }

    /// <summary>This transport dials <paramref name="other"/>; returns this side's connection once both ends have it.</summary>
    public async Task<ConnectionId> ConnectToAsync(TestTransport other, CancellationToken ct)
    {
        Transport.Dial(other.Endpoint);
        var id = (await Handler.NextAsync<TransportEvent.Connected>(ct)).Info.Id;
        await other.Handler.NextAsync<TransportEvent.Connected>(ct);
        return id;
    }

    /// <summary>
    /// <paramref name="bindTo"/>: another loopback address (it then dials from it too); <paramref name="capPerAddress"/>: hold
    /// at most Transport:MaxInboundPerAddress from one address; <paramref name="files"/>: an open-file budget of its own;
    /// <paramref name="tls"/>, <paramref name="noise"/>: every link runs over TLS or Noise (the transport owns it); <paramref name="idDifficulty"/>: the id work
    /// it asks of every remote (Security:IdDifficulty), and does for its own id; 0: none.
    /// </summary>
    public static TestTransport Start(NodeRole role = NodeRole.Peer, Action<TransportOptions>? configure = null, System.Net.IPAddress? bindTo = null,
        bool capPerAddress = false, FileBudget? files = null, TlsLinks? tls = null, int idDifficulty = 0, NoiseLinks? noise = null)
    {
        var options = new TransportOptions
        {
            HandshakeTimeout = TimeSpan.FromSeconds(5),
            IdleTimeout = TimeSpan.FromSeconds(30),
            FrameTimeout = TimeSpan.FromSeconds(10),
            ShutdownGrace = TimeSpan.FromMilliseconds(500),
        };
        configure?.Invoke(options);
        var key = idDifficulty > 0 ? tls?.Key ?? noise?.Key ?? NodeKey.Generate() : null;
        var work = key is null ? IdWork.None : IdWork.Find(key.Id, idDifficulty);
        var log = new CapturingLogger();
        var transport = new TcpTransport(new NodeEndpoint(bindTo ?? System.Net.IPAddress.Loopback, 0), role, options, TimeProvider.System, _ => log,
            dialFromBindAddress: bindTo is not null, capPerAddress: capPerAddress, files: files, tls: tls, key: key, idWork: work, noise: noise);
        var handler = new RecordingHandler { EchoPings = options.EchoPings };
        transport.Start(handler);
        return new TestTransport(transport, handler, log, options);
    }

    public async ValueTask DisposeAsync()
    {
        Handler.Frozen = false;
        Handler.Release();
        await Transport.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A hand-driven remote: a raw socket that speaks frames, or does not, as a test needs.</summary>
public sealed class RawPeer : IDisposable
{
    private byte[] _buffer = [];
    private int _start;
    private int _end;

    private RawPeer(TcpClient client)
    {
        Client = client;
        Stream = client.GetStream();
    }

    public TcpClient Client { get; }

    public NetworkStream Stream { get; }

    public string LocalAddress => Client.Client.LocalEndPoint!.ToString()!;

    /// <summary>Connects; <paramref name="receiveBuffer"/> shrinks the kernel buffer (a slow reader fills up sooner).</summary>
    /// <summary>A connection that leaves from <paramref name="from"/> (a node's own loopback address: only its id tells the two apart).</summary>
    public static async Task<RawPeer> ConnectFromAsync(System.Net.IPAddress from, NodeEndpoint node, CancellationToken ct)
    {
        var client = new TcpClient(new System.Net.IPEndPoint(from, 0));
        await client.ConnectAsync(node.ToIPEndPoint(), ct).ConfigureAwait(false);
        return new RawPeer(client);
    }

    public static async Task<RawPeer> ConnectAsync(NodeEndpoint node, CancellationToken ct, int? receiveBuffer = null)
    {
        var client = new TcpClient(System.Net.Sockets.AddressFamily.InterNetwork);
        if (receiveBuffer is { } size)
        {
            client.ReceiveBufferSize = size;
        }
        await client.ConnectAsync(node.ToIPEndPoint(), ct).ConfigureAwait(false);
        return new RawPeer(client);
    }

    public static RawPeer Accepted(TcpClient client) => new(client);

    public Task SendAsync(Message message, CancellationToken ct) => SendAsync(FrameCodec.Encode(message), ct);

    public async Task SendAsync(byte[] bytes, CancellationToken ct) => await Stream.WriteAsync(bytes, ct).ConfigureAwait(false);

    /// <summary>This raw peer's key: its Hello claims the id, its HelloProof signs with it.</summary>
    public NodeKey Key { get; } = NodeKey.Generate();

    /// <summary>
    /// The dialer's side of the whole handshake: this peer's Hello (its id, a fresh nonce), the node's Hello and
    /// HelloProof (checked), this peer's proof. Returns the node's Hello; the node has the connection soon after.
    /// </summary>
    public async Task<Hello> HelloAsync(NodeEndpoint listen, CancellationToken ct, NodeRole role = NodeRole.Peer, LinkPurpose purpose = default, int idDifficulty = 0)
    {
        var ours = new Hello(ProtocolLimits.Version, role, listen, purpose) { Id = Key.Id, Work = IdWork.Find(Key.Id, idDifficulty), Nonce = HelloNonce.NewRandom() };
        await SendAsync(ours, ct).ConfigureAwait(false);
        var theirs = await ReadAsync(ct).ConfigureAwait(false) as Hello ?? throw new AssertionException("the node did not answer with a Hello");
        var proof = await ReadAsync(ct).ConfigureAwait(false) as HelloProof ?? throw new AssertionException("the node did not send its HelloProof");
        Assert.That(Handshake.Verifies(proof, Handshake.Side.Acceptor, theirs, ours), "the node's HelloProof verifies");
        await SendAsync(Handshake.Prove(Key, Handshake.Side.Dialer, theirs), ct).ConfigureAwait(false);
        return theirs;
    }

    /// <summary>The acceptor's side of the whole handshake, for a connection a node dialed: its Hello, this peer's Hello and proof, its proof (checked).</summary>
    public async Task<Hello> AcceptHelloAsync(NodeEndpoint listen, CancellationToken ct, NodeRole role = NodeRole.Peer)
    {
        var theirs = await ReadAsync(ct).ConfigureAwait(false) as Hello ?? throw new AssertionException("the dialer did not speak first with a Hello");
        var ours = new Hello(ProtocolLimits.Version, role, listen, theirs.Purpose) { Id = Key.Id, Nonce = HelloNonce.NewRandom() };
        await SendAsync(ours, ct).ConfigureAwait(false);
        await SendAsync(Handshake.Prove(Key, Handshake.Side.Acceptor, theirs), ct).ConfigureAwait(false);
        var proof = await ReadAsync(ct).ConfigureAwait(false) as HelloProof ?? throw new AssertionException("the dialer did not send its HelloProof");
        Assert.That(Handshake.Verifies(proof, Handshake.Side.Dialer, theirs, ours), "the dialer's HelloProof verifies");
        return theirs;
    }

    /// <summary>The next frame, or null when the node closed the connection (EOF or reset).</summary>
    public async Task<Message?> ReadAsync(CancellationToken ct, int timeoutMs = 10_000)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeoutMs);
        while (true)
        {
            var status = FrameCodec.TryRead(_buffer.AsSpan(_start, _end - _start), ProtocolLimits.DefaultMaxFrameLength, out var message, out var consumed, out var error);
            if (status == DecodeStatus.Complete)
            {
                _start += consumed;
                return message;
            }
            Assert.That(status, Is.Not.EqualTo(DecodeStatus.Invalid), error);
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(4096, _buffer.Length * 2)); // small until a test reads big frames
            }
            int read;
            try
            {
                read = await Stream.ReadAsync(_buffer.AsMemory(_end), deadline.Token).ConfigureAwait(false);
            }
            catch (IOException)
            {
                return null;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Assert.Fail($"no frame within {timeoutMs} ms");
                throw;
            }
            if (read == 0)
            {
                return null;
            }
            _end += read;
        }
    }

    /// <summary>Reads until a frame matching <paramref name="match"/> arrives; returns it and everything before it.</summary>
    public async Task<(T Found, List<Message> Before)> ReadUntilAsync<T>(CancellationToken ct, Func<T, bool>? match = null, int timeoutMs = 10_000) where T : Message
    {
        var before = new List<Message>();
        while (true)
        {
            var message = await ReadAsync(ct, timeoutMs).ConfigureAwait(false);
            if (message is null)
            {
                Assert.Fail($"the connection closed before a {typeof(T).Name} arrived ({before.Count} frames before)");
                throw new InvalidOperationException();
            }
            if (message is T t && (match?.Invoke(t) ?? true))
            {
                return (t, before);
            }
            before.Add(message);
        }
    }

    /// <summary>Waits until the node closes the connection (EOF or reset), reading and discarding what comes first.</summary>
    public async Task ExpectClosedAsync(CancellationToken ct, int timeoutMs = 10_000)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeoutMs);
        var scratch = new byte[4096];
        try
        {
            while (await Stream.ReadAsync(scratch, deadline.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (IOException)
        {
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"the node did not close the connection within {timeoutMs} ms");
        }
    }

    public static byte[] Frame(int length, params byte[] body)
    {
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, length);
        body.CopyTo(frame, 4);
        return frame;
    }

    public void Dispose()
    {
        Client.Dispose();
        Key.Dispose();
    }
}

/// <summary>Small waits with a deadline, for transport counters.</summary>
public static class TransportWait
{
    public static Task UntilAsync(Func<bool> condition, string what, CancellationToken ct, int withinMs = 10_000) =>
        Eventually.HoldsAsync(() => condition() ? null : what, TimeSpan.FromMilliseconds(withinMs), ct);
}
