using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using P2PSim.Configuration;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Transport;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// One attacker's connection to one node, on a real socket: it leaves from an address the attacker chooses (all of
/// 127.0.0.0/8 is this machine, so an attacker may use a victim's address too), secures the link as the network's links
/// are, with the project's own code and the attacker's own keys: TLS 1.3 with a certificate bound to the attacker's node
/// key (<see cref="TlsLinks"/>), or Noise XX with a static key that node key signed (<see cref="NoiseLinks"/>,
/// <see cref="NoiseStream"/>; <c>AttackLink.Noise.cs</c>), and speaks frames through the project's
/// <see cref="FrameCodec"/> and <see cref="Handshake"/>: a protocol version bump carries over. Or it does not speak at
/// all, or speaks garbage, as the attack needs. It never throws for the node closing it: a read then returns null and
/// <see cref="Closed"/> completes.
/// </summary>
internal sealed partial class AttackLink : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly Stream _network;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writing = new(1, 1); // the pump's Pongs and the attack's frames: one writer at a time
    private TlsLinks? _tls;
    private Stream _stream;
    private byte[] _buffer = new byte[8192];
    private int _start;
    private int _end;
    private Task? _pump;

    private readonly int _idDifficulty;
    private IdWork? _work;

    private AttackLink(TcpClient client, NodeKey key, TimeProvider time, int idDifficulty)
    {
        _client = client;
        _network = client.GetStream();
        _stream = _network;
        Key = key;
        _time = time;
        _idDifficulty = idDifficulty;
    }

    /// <summary>The attacker's key on this link: its certificate and its Hello's id (a fresh one per link).</summary>
    public NodeKey Key { get; }

    /// <summary>
    /// The work <see cref="Key"/>'s id needs on this network (<c>Security:IdDifficulty</c>), found on first use: what every
    /// id the attacker brings costs it, as it costs an honest node.
    /// </summary>
    public IdWork Work => _work ??= IdWork.Find(Key.Id, _idDifficulty);

    /// <summary>The network's <c>Security:IdDifficulty</c>, which this link's Hellos ask.</summary>
    public int IdDifficulty => _idDifficulty;

    /// <summary>Whether this link runs TLS or Noise (then the Hellos alone finish the handshake: no HelloProof).</summary>
    public bool IsSecured => !ReferenceEquals(_stream, _network);

    /// <summary>Completes when the node has closed the connection (end of stream or reset).</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>
    /// Connects from <paramref name="from"/> to <paramref name="node"/> and secures the link as <paramref name="links"/>
    /// says: the TLS or the Noise handshake (unless <paramref name="raw"/>: the attack sends what it likes as the first
    /// bytes). Null when the node refused or closed the connection before it was up.
    /// </summary>
    public static async Task<AttackLink?> OpenAsync(IPAddress from, NodeEndpoint node, LinkSecurity links, TimeProvider time, CancellationToken ct, bool raw = false, int idDifficulty = 0)
    {
        var key = NodeKey.Generate();
        var client = new TcpClient(new IPEndPoint(from, 0));
        try
        {
            await client.ConnectAsync(node.ToIPEndPoint(), ct).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            client.Dispose();
            key.Dispose();
            return null;
        }
        var link = new AttackLink(client, key, time, idDifficulty);
        var up = raw || links switch
        {
            LinkSecurity.Tls => await link.StartTlsAsync(ct).ConfigureAwait(false),
            LinkSecurity.Noise => await link.StartNoiseAsync(ct).ConfigureAwait(false),
            _ => true,
        };
        if (!up)
        {
            await link.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        return link;
    }

    /// <summary>
    /// Runs a TLS 1.3 client handshake with a certificate bound to <see cref="Key"/> (on a raw link: whatever the node
    /// runs); false when it did not complete within 10 s, and then the connection stays as it is.
    /// </summary>
    public async Task<bool> StartTlsAsync(CancellationToken ct)
    {
        _tls ??= TlsLinks.Create(Key, _time);
        var ssl = new SslStream(_network, leaveInnerStreamOpen: true);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            // Any certificate the node presents will do: the attacker does not care who the node is.
            await ssl.AuthenticateAsClientAsync(_tls.ClientOptions(static (_, certificate, _, _) => certificate is not null), deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            return false;
        }
        _stream = ssl;
        return true;
    }

    /// <summary>
    /// The dialer's side of the handshake under this link's key: a Hello claiming <paramref name="listen"/>, the node's
    /// Hello, and on a plain link its HelloProof and this side's proof (over TLS or Noise the handshake proved both ids).
    /// Returns the node's Hello, or null when the node closed the link instead.
    /// </summary>
    public async Task<Hello?> HandshakeAsync(NodeEndpoint listen, NodeRole role, CancellationToken ct, LinkPurpose purpose = default)
    {
        var ours = new Hello(ProtocolLimits.Version, role, listen, purpose) { Id = Key.Id, Work = Work, Nonce = HelloNonce.NewRandom() };
        if (!await TrySendAsync(ours, ct).ConfigureAwait(false) || await ReadAsync(ct).ConfigureAwait(false) is not Hello theirs)
        {
            return null;
        }
        if (IsSecured)
        {
            return theirs;
        }
        if (await ReadAsync(ct).ConfigureAwait(false) is not HelloProof)
        {
            return null;
        }
        return await TrySendAsync(Handshake.Prove(Key, Handshake.Side.Dialer, theirs), ct).ConfigureAwait(false) ? theirs : null;
    }

    /// <summary>Sends one frame; false when the connection is gone.</summary>
    public Task<bool> TrySendAsync(Message message, CancellationToken ct) => TrySendAsync(FrameCodec.Encode(message), ct);

    /// <summary>Sends raw bytes (inside TLS or Noise when the link is secured); false when the connection is gone.</summary>
    public Task<bool> TrySendAsync(byte[] bytes, CancellationToken ct) => TryWriteAsync(_stream, bytes, ct);

    /// <summary>Sends bytes on the socket itself, past the TLS or Noise layer (a forged record); false when the connection is gone.</summary>
    public Task<bool> TrySendRawAsync(byte[] bytes, CancellationToken ct) => TryWriteAsync(_network, bytes, ct);

    private async Task<bool> TryWriteAsync(Stream stream, byte[] bytes, CancellationToken ct)
    {
        try
        {
            await _writing.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
            }
            finally
            {
                _writing.Release();
            }
            return true;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            _closed.TrySetResult();
            return false;
        }
    }

    /// <summary>The next frame, or null when the node closed the connection, sent what is no frame, or <paramref name="timeout"/> passed.</summary>
    public async Task<Message?> ReadAsync(CancellationToken ct, TimeSpan? timeout = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        deadline.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var status = FrameCodec.TryRead(_buffer.AsSpan(_start, _end - _start), int.MaxValue, out var message, out var consumed, out _);
            if (status == DecodeStatus.Complete)
            {
                _start += consumed;
                return message;
            }
            if (status == DecodeStatus.Invalid)
            {
                return null;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                (_end, _start) = (_end - _start, 0);
            }
            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer.AsMemory(_end), deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
            {
                _closed.TrySetResult();
                return null;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return null;
            }
            if (read == 0)
            {
                _closed.TrySetResult();
                return null;
            }
            _end += read;
        }
    }

    /// <summary>
    /// From now on reads in the background: answers every Ping with its Pong (so the node keeps the link), hands
    /// every Gossip to <paramref name="gossip"/>, drops the rest, and completes <see cref="Closed"/> at the end.
    /// </summary>
    public void StartPump(Action<Protocol.Gossip>? gossip = null)
    {
        _pump ??= Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var message = await ReadAsync(_stop.Token, Timeout.InfiniteTimeSpan).ConfigureAwait(false);
                if (message is null)
                {
                    _closed.TrySetResult();
                    return;
                }
                if (message is Ping ping)
                {
                    await TrySendAsync(new Pong(ping.Sequence), _stop.Token).ConfigureAwait(false);
                }
                else if (message is Protocol.Gossip g)
                {
                    gossip?.Invoke(g);
                }
            }
        });
    }

    /// <summary>Whether the node closes the link within <paramref name="within"/> (reading and dropping what comes meanwhile).</summary>
    public async Task<bool> ClosedWithinAsync(TimeSpan within, CancellationToken ct)
    {
        if (_pump is null)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(within);
            try
            {
                while (!IsClosed)
                {
                    await ReadAsync(limit.Token, Timeout.InfiniteTimeSpan).ConfigureAwait(false);
                }
                return true;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return IsClosed;
            }
        }
        try
        {
            await Closed.WaitAsync(within, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_pump is { } pump)
        {
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _network.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
        _tls?.Dispose();
        _noise?.Dispose();
        Key.Dispose();
        _stop.Dispose();
        _writing.Dispose();
    }
}
