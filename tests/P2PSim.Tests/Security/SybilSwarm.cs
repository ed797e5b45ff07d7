using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Tests.Security;

/// <summary>
/// The Sybil attacker of issue 11, written from PROTOCOL.md: fake peers, each with a key of its own on a loopback address
/// of its own, that register at the seeds (so the seeds' dial-back meets the same id and lists them), answer every
/// Hello with a valid HelloProof and every Ping with a Pong, and forward nothing: a neighbour that is alive and useless.
/// Plus dead endpoints registered at the seeds (nobody answers there). Its loops never assert (they run off the test's
/// thread); what they saw is counted.
/// </summary>
internal sealed class SybilSwarm : IAsyncDisposable
{
    private readonly List<Fake> _fakes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly object _gate = new();
    private long _pongs;
    private long _ignored;

    private sealed record Fake(NodeKey Key, TcpListener Listener, NodeEndpoint Endpoint);

    /// <summary>One fake peer listening at each of <paramref name="addresses"/> (port chosen by the system).</summary>
    public static SybilSwarm Start(IEnumerable<IPAddress> addresses)
    {
        var swarm = new SybilSwarm();
        foreach (var address in addresses)
        {
            var listener = new TcpListener(address, 0);
            listener.Start(backlog: 64);
            var fake = new Fake(NodeKey.Generate(), listener, new NodeEndpoint(address, ((IPEndPoint)listener.LocalEndpoint).Port));
            swarm._fakes.Add(fake);
            swarm._loops.Add(swarm.AcceptAsync(fake));
        }
        return swarm;
    }

    public IReadOnlyList<NodeEndpoint> Endpoints => _fakes.Select(f => f.Endpoint).ToArray();

    /// <summary>Pings the fakes answered (they look alive).</summary>
    public long Pongs => Interlocked.Read(ref _pongs);

    /// <summary>Frames the fakes received and dropped (gossip, digests, announcements: all forwarded to no one).</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Registers every fake at every seed, <paramref name="parallel"/> at a time; each waits for its peer list (sent once the seed's dial-back met its id).</summary>
    public Task RegisterAsync(IReadOnlyList<NodeEndpoint> seeds, int parallel, CancellationToken ct) =>
        Parallel.ForEachAsync(_fakes.SelectMany(f => seeds.Select(s => (Fake: f, Seed: s))), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
            async (job, token) =>
            {
                using var client = new TcpClient(new IPEndPoint(job.Fake.Endpoint.Address, 0));
                await client.ConnectAsync(job.Seed.ToIPEndPoint(), token);
                await RegisterAsync(client.GetStream(), job.Fake.Key, job.Fake.Endpoint, token);
            });

    /// <summary>
    /// Registers <paramref name="count"/> endpoints where nobody listens at every seed, from addresses of
    /// <paramref name="block"/> (127.b.0.1, 127.b.0.2, ...), <paramref name="perAddress"/> endpoints from each.
    /// </summary>
    public static Task RegisterDeadAsync(IReadOnlyList<NodeEndpoint> seeds, byte block, int count, int perAddress, int parallel, CancellationToken ct) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count).SelectMany(i => seeds.Select(s => (Index: i, Seed: s))),
            new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
            async (job, token) =>
            {
                var host = (job.Index / perAddress) + 1;
                var address = new IPAddress([127, block, (byte)(host >> 8), (byte)host]);
                var dead = new NodeEndpoint(address, 40_000 + (job.Index % perAddress)); // nothing listens on 127.block.*
                using var key = NodeKey.Generate();
                using var client = new TcpClient(new IPEndPoint(address, 0));
                await client.ConnectAsync(job.Seed.ToIPEndPoint(), token);
                await RegisterAsync(client.GetStream(), key, dead, token);
            });

    /// <summary>The dialer's handshake claiming <paramref name="listen"/> with <paramref name="key"/>, a Register, and the seed's answer (a peer list, or the seed closes).</summary>
    private static async Task RegisterAsync(NetworkStream stream, NodeKey key, NodeEndpoint listen, CancellationToken ct)
    {
        var reader = new FrameReader(stream);
        var ours = new Hello(ProtocolLimits.Version, NodeRole.Peer, listen) { Id = key.Id, Nonce = HelloNonce.NewRandom() };
        await stream.WriteAsync(FrameCodec.Encode(ours), ct);
        var theirs = await reader.ReadAsync(ct) as Hello ?? throw new InvalidOperationException($"the seed did not answer {listen}'s Hello");
        _ = await reader.ReadAsync(ct); // its HelloProof
        await stream.WriteAsync(FrameCodec.Encode(Handshake.Prove(key, Handshake.Side.Dialer, theirs)), ct);
        await stream.WriteAsync(FrameCodec.Encode(Register.Instance), ct);
        _ = await reader.ReadAsync(ct); // the peer list, sent once the dial-back is done (or null: refused)
    }

    private async Task AcceptAsync(Fake fake)
    {
        try
        {
            while (true)
            {
                var client = await fake.Listener.AcceptTcpClientAsync(_stop.Token);
                lock (_gate)
                {
                    _loops.Add(ServeAsync(fake, client));
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>The acceptor's handshake with the fake's key, then a Pong for every Ping and nothing else, until the dialer closes.</summary>
    private async Task ServeAsync(Fake fake, TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var reader = new FrameReader(stream);
            if (await reader.ReadAsync(_stop.Token) is not Hello theirs)
            {
                return;
            }
            var ours = new Hello(ProtocolLimits.Version, NodeRole.Peer, fake.Endpoint, theirs.Purpose) { Id = fake.Key.Id, Nonce = HelloNonce.NewRandom() };
            await stream.WriteAsync(FrameCodec.Encode(ours), _stop.Token);
            await stream.WriteAsync(FrameCodec.Encode(Handshake.Prove(fake.Key, Handshake.Side.Acceptor, theirs)), _stop.Token);
            while (await reader.ReadAsync(_stop.Token) is { } message)
            {
                if (message is Ping ping)
                {
                    await stream.WriteAsync(FrameCodec.Encode(new Pong(ping.Sequence)), _stop.Token);
                    Interlocked.Increment(ref _pongs);
                }
                else
                {
                    Interlocked.Increment(ref _ignored);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or InvalidDataException or ObjectDisposedException)
        {
            // The dialer went away, or the swarm stops.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var fake in _fakes)
        {
            fake.Listener.Stop();
            fake.Key.Dispose();
        }
        Task[] loops;
        lock (_gate)
        {
            loops = [.. _loops];
        }
        await Task.WhenAll(loops);
        _stop.Dispose();
    }

    /// <summary>Whole frames from a stream; null at its end. Bad bytes throw <see cref="InvalidDataException"/> (no test assertion off the test's thread).</summary>
    private sealed class FrameReader(Stream stream)
    {
        private byte[] _buffer = new byte[4096];
        private int _end;

        public async Task<Message?> ReadAsync(CancellationToken ct)
        {
            while (true)
            {
                var status = FrameCodec.TryRead(_buffer.AsSpan(0, _end), ProtocolLimits.DefaultMaxFrameLength, out var message, out var consumed, out var error);
                if (status == DecodeStatus.Complete)
                {
                    Buffer.BlockCopy(_buffer, consumed, _buffer, 0, _end - consumed);
                    _end -= consumed;
                    return message;
                }
                if (status == DecodeStatus.Invalid)
                {
                    throw new InvalidDataException(error);
                }
                if (_end == _buffer.Length)
                {
                    var length = _end >= ProtocolLimits.LengthPrefixSize ? BinaryPrimitives.ReadInt32BigEndian(_buffer) : 0;
                    Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, length + ProtocolLimits.LengthPrefixSize));
                }
                var read = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
                if (read == 0)
                {
                    return null;
                }
                _end += read;
            }
        }
    }
}
