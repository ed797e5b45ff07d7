using System.Buffers;
using System.Buffers.Binary;
using P2PSim.Security;

namespace P2PSim.Transport;

/// <summary>
/// A link after its Noise handshake, as a <see cref="Stream"/>: the connection reads and writes its frames through it
/// exactly as through an SslStream. On the wire every record is a 2-byte big-endian length, then that many bytes of
/// ChaCha20-Poly1305 ciphertext (at most 65,535, the 16-byte tag included), as libp2p-noise sends them; a write is cut
/// into as many records as it needs. A record that does not open, one shorter than its tag, or the connection ending in
/// the middle of one throws <see cref="NoiseRecordException"/> (the connection closes with one rate-limited line).
/// Buffers come from the shared pool and go back whenever no record is half-read, so an idle link holds none.
/// One reader and one writer at a time (the connection's read and write loops), each with its own cipher.
/// </summary>
internal sealed class NoiseStream : Stream
{
    /// <summary>Largest record after its length prefix: ciphertext and tag.</summary>
    public const int MaxRecordBytes = ushort.MaxValue;

    /// <summary>Largest plaintext of one record.</summary>
    public const int MaxPlaintextBytes = MaxRecordBytes - NoiseCipher.TagSize;

    private const int HeaderSize = 2;
    private const int InitialBufferSize = 4 * 1024;

    private readonly Stream _inner;
    private readonly NoiseCipher _send;
    private readonly NoiseCipher _receive;
    private byte[]? _raw; // record bytes read but not opened yet
    private int _rawStart;
    private int _rawEnd;
    private byte[]? _plain; // an opened record the reader's buffer had no room for
    private int _plainStart;
    private int _plainEnd;

    /// <summary>
    /// Takes over both ciphers (from <see cref="NoiseHandshake.Split"/>); leaves <paramref name="inner"/> open. A cipher
    /// without a key is refused: Noise's CipherState passes bytes through unencrypted then, as in a handshake's first message.
    /// </summary>
    public NoiseStream(Stream inner, NoiseCipher send, NoiseCipher receive)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (send is not { HasKey: true } || receive is not { HasKey: true })
        {
            throw new ArgumentException("A Noise record stream needs both transport ciphers keyed (from a completed handshake's Split).");
        }
        _inner = inner;
        _send = send;
        _receive = receive;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        while (true)
        {
            if (_plain is not null)
            {
                return TakePlain(buffer.Span);
            }
            if (TryOpenRecord(buffer.Span, out var delivered))
            {
                if (delivered > 0)
                {
                    return delivered;
                }
                continue; // an empty record, or one parked in _plain
            }
            if (_raw is null)
            {
                // Wait for bytes without holding a buffer (a zero-byte read), then take one from the pool.
                await _inner.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                _raw = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
                _rawStart = _rawEnd = 0;
            }
            MakeRoom();
            var read = await _inner.ReadAsync(_raw.AsMemory(_rawEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_rawEnd == _rawStart)
                {
                    ReleaseRaw();
                    return 0; // the remote ended the connection between records
                }
                throw new NoiseRecordException($"the connection ended in the middle of a Noise record ({_rawEnd - _rawStart} bytes of it arrived)");
            }
            _rawEnd += read;
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }
        var records = (buffer.Length + MaxPlaintextBytes - 1) / MaxPlaintextBytes;
        var size = buffer.Length + (records * (HeaderSize + NoiseCipher.TagSize));
        var output = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Seal(buffer.Span, output);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(output);
            throw;
        }
        return WriteSealedAsync(output, size, cancellationToken);
    }

    private async ValueTask WriteSealedAsync(byte[] output, int size, CancellationToken cancellationToken)
    {
        try
        {
            await _inner.WriteAsync(output.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    private void Seal(ReadOnlySpan<byte> data, Span<byte> output)
    {
        try
        {
            while (!data.IsEmpty)
            {
                var chunk = data[..Math.Min(data.Length, MaxPlaintextBytes)];
                BinaryPrimitives.WriteUInt16BigEndian(output, (ushort)(chunk.Length + NoiseCipher.TagSize));
                var written = _send.Encrypt([], chunk, output[HeaderSize..]);
                output = output[(HeaderSize + written)..];
                data = data[chunk.Length..];
            }
        }
        catch (NoiseException ex)
        {
            throw new NoiseRecordException(ex.Message, ex);
        }
    }

    /// <summary>Opens the record at the front of the raw bytes when all of it is there; false when more must be read.</summary>
    private bool TryOpenRecord(Span<byte> destination, out int delivered)
    {
        delivered = 0;
        if (_raw is null || _rawEnd - _rawStart < HeaderSize)
        {
            return false;
        }
        var length = BinaryPrimitives.ReadUInt16BigEndian(_raw.AsSpan(_rawStart));
        if (length < NoiseCipher.TagSize)
        {
            throw new NoiseRecordException($"a Noise record of {length} bytes, shorter than its {NoiseCipher.TagSize}-byte tag");
        }
        if (_rawEnd - _rawStart < HeaderSize + length)
        {
            return false;
        }
        var ciphertext = _raw.AsSpan(_rawStart + HeaderSize, length);
        var plainLength = length - NoiseCipher.TagSize;
        bool opened;
        try
        {
            if (destination.Length >= plainLength)
            {
                opened = _receive.TryDecrypt([], ciphertext, destination, out delivered);
            }
            else
            {
                _plain = ArrayPool<byte>.Shared.Rent(plainLength);
                opened = _receive.TryDecrypt([], ciphertext, _plain, out _plainEnd);
                _plainStart = 0;
                if (!opened || _plainEnd == 0)
                {
                    ReleasePlain();
                }
            }
        }
        catch (NoiseException ex)
        {
            throw new NoiseRecordException(ex.Message, ex);
        }
        if (!opened)
        {
            throw new NoiseRecordException($"a Noise record of {length} bytes does not decrypt (a changed byte, or not sealed with this link's key)");
        }
        _rawStart += HeaderSize + length;
        if (_rawStart == _rawEnd)
        {
            ReleaseRaw(); // nothing half-read: an idle link holds no buffer
        }
        return true;
    }

    /// <summary>Room for the rest of the record at the front: compacted, or a larger buffer (never past one whole record).</summary>
    private void MakeRoom()
    {
        var buffered = _rawEnd - _rawStart;
        var needed = buffered >= HeaderSize ? HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(_raw.AsSpan(_rawStart)) : InitialBufferSize;
        needed = Math.Max(needed, Math.Min(InitialBufferSize, HeaderSize + MaxRecordBytes));
        if (_raw!.Length - _rawStart >= needed && _rawEnd < _raw.Length)
        {
            return;
        }
        var target = _raw.Length >= needed ? _raw : ArrayPool<byte>.Shared.Rent(needed);
        Buffer.BlockCopy(_raw, _rawStart, target, 0, buffered);
        if (!ReferenceEquals(target, _raw))
        {
            ArrayPool<byte>.Shared.Return(_raw);
            _raw = target;
        }
        _rawStart = 0;
        _rawEnd = buffered;
    }

    private int TakePlain(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _plainEnd - _plainStart);
        _plain.AsSpan(_plainStart, count).CopyTo(destination);
        _plainStart += count;
        if (_plainStart == _plainEnd)
        {
            ReleasePlain();
        }
        return count;
    }

    private void ReleaseRaw()
    {
        if (_raw is { } raw)
        {
            _raw = null;
            _rawStart = _rawEnd = 0;
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    private void ReleasePlain()
    {
        if (_plain is { } plain)
        {
            _plain = null;
            _plainStart = _plainEnd = 0;
            ArrayPool<byte>.Shared.Return(plain);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("A Noise link is read asynchronously.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A Noise link is written asynchronously.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReleaseRaw();
            ReleasePlain();
            _send.Dispose();
            _receive.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>A Noise record refused after the handshake (it does not open, is too short, or was cut off), or a used-up nonce.</summary>
internal sealed class NoiseRecordException : IOException
{
    public NoiseRecordException(string message) : base(message)
    {
    }

    public NoiseRecordException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
