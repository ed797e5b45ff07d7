using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Transport;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// One attacker's connection to one node, on a real socket: it leaves from an address the attacker chooses (all of
/// 127.0.0.0/8 is this machine, so an attacker may use a victim's address too), runs TLS 1.3 with a certificate bound to
/// the attacker's own key when the network's links are TLS (<see cref="TlsLinks"/>, the project's own), and speaks frames
/// through the project's <see cref="FrameCodec"/> and <see cref="Handshake"/>: a protocol version bump carries over. Or it
/// does not speak at all, or speaks garbage, as the attack needs. It never throws for the node closing it: a read then
/// returns null and <see cref="Closed"/> completes.
/// </summary>
internal sealed class AttackLink : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly TlsLinks? _tls;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Stream _stream;
    private byte[] _buffer = new byte[8192];
    private int _start;
    private int _end;
    private Task? _pump;

    private readonly int _idDifficulty;
    private IdWork? _work;

    private AttackLink(TcpClient client, NodeKey key, TlsLinks? tls, int idDifficulty)
    {
        _client = client;
        _stream = client.GetStream();
        Key = key;
        _tls = tls;
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

    /// <summary>Whether this link runs TLS (then the Hellos alone finish the handshake: no HelloProof).</summary>
    public bool IsTls => _tls is not null;

    /// <summary>Completes when the node has closed the connection (end of stream or reset).</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>
    /// Connects from <paramref name="from"/> to <paramref name="node"/>; with <paramref name="tls"/> also runs the TLS
    /// handshake (unless <paramref name="skipTls"/>: the attack sends what it likes as the first bytes). Null when the node
    /// refused or closed the connection before it was up.
    /// </summary>
    public static async Task<AttackLink?> OpenAsync(IPAddress from, NodeEndpoint node, bool tls, TimeProvider time, CancellationToken ct, bool skipTls = false, int idDifficulty = 0)
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
        var link = new AttackLink(client, key, tls && !skipTls ? TlsLinks.Create(key, time) : null, idDifficulty);
        if (link._tls is { } links)
        {
            var ssl = new SslStream(link._stream, leaveInnerStreamOpen: false);
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                deadline.CancelAfter(TimeSpan.FromSeconds(10));
                // Any certificate the node presents will do: the attacker does not care who the node is.
                await ssl.AuthenticateAsClientAsync(links.ClientOptions(static (_, certificate, _, _) => certificate is not null), deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                await link.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            link._stream = ssl;
        }
        return link;
    }

    /// <summary>
    /// The dialer's side of the handshake under this link's key: a Hello claiming <paramref name="listen"/>, the node's
    /// Hello, and on a plain link its HelloProof and this side's proof (over TLS the certificates proved both ids).
    /// Returns the node's Hello, or null when the node closed the link instead.
    /// </summary>
    public async Task<Hello?> HandshakeAsync(NodeEndpoint listen, NodeRole role, CancellationToken ct, LinkPurpose purpose = default)
    {
        var ours = new Hello(ProtocolLimits.Version, role, listen, purpose) { Id = Key.Id, Work = Work, Nonce = HelloNonce.NewRandom() };
        if (!await TrySendAsync(ours, ct).ConfigureAwait(false) || await ReadAsync(ct).ConfigureAwait(false) is not Hello theirs)
        {
            return null;
        }
        if (_tls is not null)
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

    /// <summary>Sends raw bytes (inside TLS when the link is TLS); false when the connection is gone.</summary>
    public async Task<bool> TrySendAsync(byte[] bytes, CancellationToken ct)
    {
        try
        {
            await _stream.WriteAsync(bytes, ct).ConfigureAwait(false);
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
        _client.Dispose();
        _tls?.Dispose();
        Key.Dispose();
        _stop.Dispose();
    }
}
