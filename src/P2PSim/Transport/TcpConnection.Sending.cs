using System.Net.Sockets;
using P2PSim.Protocol;

namespace P2PSim.Transport;

/// <summary>
/// Sending: queueing a frame in its class's send queue (refusing what cannot be encoded, counting and logging what a
/// full queue drops), flushing, and the write loop, the only writer of the socket.
/// </summary>
internal sealed partial class TcpConnection
{
    /// <summary>After the first drop on a connection, one warning per this many further drops of the same class.</summary>
    public const int DropLogEvery = 1000;

    private const int MaxWriteBatchBytes = 64 * 1024;

    private int _flushPending;

    /// <summary>Queues a frame in its class's queue and puts it on the wire now. See <see cref="ITransport.Send"/>.</summary>
    public bool TrySend(Message message) => TrySend(message, wake: true);

    /// <summary>
    /// Queues a frame; with <paramref name="wake"/> false it waits for <see cref="Flush"/> (see <see cref="ITransport.Queue"/>).
    /// </summary>
    public bool TrySend(Message message, bool wake)
    {
        if (IsClosing)
        {
            return false;
        }
        if (!TryMeasure(message, out var bytes))
        {
            return false;
        }
        var sendClass = SendClasses.Of(message);
        switch (_queues.TryEnqueue(message, sendClass, bytes, wake))
        {
            case SendQueues.Outcome.Queued:
                return true;
            case SendQueues.Outcome.Full:
                OnQueueFull(message, sendClass);
                return false;
            case SendQueues.Outcome.OverBudget:
                OnOverBudget(message, sendClass, sending: true);
                return false;
            default:
                return false; // closing: the node hears OnClosed
        }
    }

    /// <summary>Marks the connection for the next flush; true the first time since the last one (the caller lists it then).</summary>
    public bool MarkForFlush() => Interlocked.Exchange(ref _flushPending, 1) == 0;

    /// <summary>Resumes the write loop, on this thread, for the frames queued without a wake.</summary>
    public void Flush()
    {
        Volatile.Write(ref _flushPending, 0);
        _queues.Wake();
    }

    /// <summary>The frame's size on the wire; false (logged) when it cannot be encoded or is too large.</summary>
    private bool TryMeasure(Message message, out int bytes)
    {
        string? problem;
        bytes = 0;
        try
        {
            bytes = FrameCodec.FrameSize(message);
            var body = bytes - ProtocolLimits.LengthPrefixSize;
            problem = body > _options.MaxFrameBytes
                ? $"its body of {body} bytes exceeds Transport:MaxFrameBytes ({_options.MaxFrameBytes})"
                : null;
        }
        catch (ArgumentException ex)
        {
            problem = ex.Message;
        }
        if (problem is null)
        {
            return true;
        }
        _logger.LogErrorUnsendable(message.Type, RemoteAddress, problem);
        return false;
    }

    private void OnQueueFull(Message message, SendClass sendClass)
    {
        var dropped = Interlocked.Increment(ref _drops[(int)sendClass]);
        _owner.CountDrop(sendClass, budget: false);
        var capacity = _queues.Capacity(sendClass);
        if (sendClass == SendClass.Control)
        {
            // A control frame is never dropped quietly: a connection that cannot take one more is hopeless.
            var reason = $"control send queue full ({capacity} frames, Transport:ControlQueueCapacity): the remote has stopped reading; a {message.Type} frame could not be queued";
            _logger.LogWarningControlQueueFull(RemoteAddress, Info?.Listen.ToString() ?? "?", capacity, message.Type);
            Close(reason, afterFlush: false);
            return;
        }
        if (dropped == 1 || dropped % DropLogEvery == 0)
        {
            _logger.LogWarningSendQueueFull(RemoteAddress, Info?.Listen.ToString() ?? "?", sendClass, capacity,
                sendClass == SendClass.OwnGossip ? "Transport:OwnGossipQueueCapacity" : "Transport:SendQueueCapacity",
                message.Type, dropped, DropLogEvery);
        }
    }

    /// <summary>
    /// The process queue budget refused a gossip frame: to send (it is not queued) or just received (it is not handed to
    /// the node). Counted as a drop of its class, logged on the first drop of the class and every 1000th.
    /// </summary>
    private void OnOverBudget(Message message, SendClass sendClass, bool sending)
    {
        var dropped = Interlocked.Increment(ref _budgetDrops[(int)sendClass]);
        _owner.CountDrop(sendClass, budget: true);
        if (dropped == 1 || dropped % DropLogEvery == 0)
        {
            var budget = _owner.Budget;
            _logger.LogWarningQueueBudgetUsedUp(budget.QueuedBytes, budget.LimitBytes, message.Type, sending ? "to send to" : "received from",
                RemoteAddress, Info?.Listen.ToString() ?? "?", dropped, sendClass, DropLogEvery);
        }
    }

    private async Task WriteLoopAsync()
    {
        using var batch = new PooledBufferWriter();
        try
        {
            while (await _queues.WaitToReadAsync(_lifetimeToken).ConfigureAwait(false))
            {
                // Most urgent first, re-checked for every frame: a Pong queued now overtakes the gossip still queued.
                while (batch.WrittenCount < MaxWriteBatchBytes && _queues.TryDequeue(out var message))
                {
                    var before = batch.WrittenCount;
                    FrameCodec.Write(batch, message);
                    _sent.Add(message, batch.WrittenCount - before);
                }
                if (batch.WrittenCount == 0)
                {
                    continue;
                }
                // The heartbeat (CheckDeadlines) closes the connection if this write is still pending at the deadline.
                Volatile.Write(ref _writeDeadline, (_time.GetUtcNow() + _options.FrameTimeout).UtcTicks);
                try
                {
                    await _stream.WriteAsync(batch.WrittenMemory, _lifetimeToken).ConfigureAwait(false);
                }
                finally
                {
                    Volatile.Write(ref _writeDeadline, long.MaxValue);
                }
                batch.Reset(); // the buffer goes back to the pool: an idle connection holds none
            }
            // The queues were completed and drained: half-close, so the remote reads everything and then EOF. No TLS
            // close_notify before it (as Noise has none): SslStream.ShutdownAsync while the read loop is inside a read
            // corrupts the native heap (.NET 10, OpenSSL 3; TRANSPORT.md, "Closing"); the frames' own Goodbye ends a link.
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            Close(ex is OperationCanceledException ? "closed" : Describe(ex), afterFlush: false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogErrorConnectionFailed(Id, RemoteAddress, ex);
            Close($"internal error while sending: {ex.Message}", afterFlush: false);
        }
    }
}
