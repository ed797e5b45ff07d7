using System.Diagnostics.CodeAnalysis;
using P2PSim.Protocol;

namespace P2PSim.Transport;

/// <summary>The priority class of an outbound frame; lower goes first (see TRANSPORT.md).</summary>
public enum SendClass
{
    /// <summary>Everything that is not gossip: Hello, Ping, Pong, Goodbye, Register, PeerList, DeadNode and any later type.</summary>
    Control = 0,

    /// <summary>Gossip this node originated (hops 1).</summary>
    OwnGossip = 1,

    /// <summary>Gossip this node forwards (hops 2 and more).</summary>
    ForwardedGossip = 2,
}

/// <summary>Frames dropped at the send side, per class.</summary>
/// <param name="Control">Control frames that found their queue full; each one also closed its connection.</param>
/// <param name="OwnGossip">Own gossip frames dropped because that connection's own-gossip queue was full.</param>
/// <param name="ForwardedGossip">Forwarded gossip frames dropped because that connection's forwarded-gossip queue was full.</param>
public readonly record struct FrameDrops(long Control, long OwnGossip, long ForwardedGossip)
{
    public long Total => Control + OwnGossip + ForwardedGossip;

    public override string ToString() => $"{Total} (control {Control}, own gossip {OwnGossip}, forwarded gossip {ForwardedGossip})";
}

/// <summary>A snapshot of a transport's counters.</summary>
/// <param name="OpenConnections">Connections past their Hello and not closing.</param>
/// <param name="InboundConnections">Accepted connections holding a slot of Transport:MaxInboundConnections (handshaking or open).</param>
/// <param name="RefusedConnections">Inbound connections refused because every slot was taken.</param>
/// <param name="Dropped">Frames dropped because a send queue was full, per class.</param>
/// <param name="QueuedFrames">Frames waiting in send queues right now, over all connections.</param>
/// <param name="PeakQueuedFrames">Most frames any one connection ever had queued.</param>
/// <param name="ReceivedWaiting">Frames read from connections that the node has not taken yet, over all connections.</param>
/// <param name="PingsEchoed">Pings answered by the transport itself (Transport:EchoPings).</param>
public sealed record TransportStats(
    int OpenConnections,
    int InboundConnections,
    long RefusedConnections,
    FrameDrops Dropped,
    int QueuedFrames,
    int PeakQueuedFrames,
    int ReceivedWaiting,
    long PingsEchoed);

public static class SendClasses
{
    /// <summary>Which queue a message goes to: gossip by its hops, every other type is control.</summary>
    public static SendClass Of(Message message) => message switch
    {
        Protocol.Gossip { Hops: <= 1 } => SendClass.OwnGossip,
        Protocol.Gossip => SendClass.ForwardedGossip,
        _ => SendClass.Control,
    };
}

/// <summary>
/// The outbound queues of one connection: one bounded FIFO per <see cref="SendClass"/>, any number of
/// writers, one reader (the connection's write loop) that always takes from the most urgent non-empty queue.
/// A Goodbye is a control frame (never dropped, counted against the control capacity) that is sent after
/// everything queued before it: it ends the link, and the remote drops the link as soon as it reads it, so a
/// gossip frame it overtook would be lost.
/// </summary>
internal sealed class SendQueues
{
    public enum Outcome
    {
        Queued,
        Full,
        Closed,
    }

    private readonly object _gate = new();
    private const int Trailer = 3; // Goodbye: after everything else

    private readonly Queue<Message>[] _queues = [new(), new(), new(), new()];
    private readonly int[] _capacities;
    private TaskCompletionSource<bool>? _waiter;
    private bool _completed;
    private int _count;
    private int _peak;

    public SendQueues(int control, int ownGossip, int forwardedGossip)
    {
        _capacities = [control, ownGossip, forwardedGossip];
    }

    public int Capacity(SendClass sendClass) => _capacities[(int)sendClass];

    private static int QueueOf(Message message, SendClass sendClass) => message is Goodbye ? Trailer : (int)sendClass;

    /// <summary>Frames waiting right now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Most frames ever waiting at once.</summary>
    public int Peak
    {
        get
        {
            lock (_gate)
            {
                return _peak;
            }
        }
    }

    public int CountOf(SendClass sendClass)
    {
        lock (_gate)
        {
            return _queues[(int)sendClass].Count + (sendClass == SendClass.Control ? _queues[Trailer].Count : 0);
        }
    }

    public Outcome TryEnqueue(Message message, SendClass sendClass)
    {
        TaskCompletionSource<bool>? wake;
        lock (_gate)
        {
            if (_completed)
            {
                return Outcome.Closed;
            }
            var queue = _queues[QueueOf(message, sendClass)];
            var used = sendClass == SendClass.Control ? _queues[(int)SendClass.Control].Count + _queues[Trailer].Count : queue.Count;
            if (used >= _capacities[(int)sendClass])
            {
                return Outcome.Full;
            }
            queue.Enqueue(message);
            _count++;
            _peak = Math.Max(_peak, _count);
            wake = _waiter;
            _waiter = null;
        }
        if (wake is not null)
        {
            if (sendClass == SendClass.Control)
            {
                // An idle write loop resumes right here, on this thread, and puts the frame on the wire now: a
                // Ping or Pong does not wait in the thread pool's queue behind the work of a busy process.
                wake.TrySetResult(true);
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(static w => w.TrySetResult(true), wake, preferLocal: true);
            }
        }
        return Outcome.Queued;
    }

    /// <summary>Takes the oldest frame of the most urgent non-empty class.</summary>
    public bool TryDequeue([NotNullWhen(true)] out Message? message)
    {
        lock (_gate)
        {
            foreach (var queue in _queues)
            {
                if (queue.TryDequeue(out message))
                {
                    _count--;
                    return true;
                }
            }
        }
        message = null;
        return false;
    }

    /// <summary>True when a frame is waiting; false once completed and drained.</summary>
    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TaskCompletionSource<bool> waiter;
            lock (_gate)
            {
                if (_count > 0)
                {
                    return true;
                }
                if (_completed)
                {
                    return false;
                }
                _waiter ??= new TaskCompletionSource<bool>();
                waiter = _waiter;
            }
            // Cancellation resumes the loop on the thread pool, never inline in whoever cancels (it may hold a lock).
            using (cancellationToken.UnsafeRegister(
                static w => ThreadPool.UnsafeQueueUserWorkItem(static x => x.TrySetCanceled(), (TaskCompletionSource<bool>)w!, preferLocal: false), waiter))
            {
                await waiter.Task.ConfigureAwait(false);
            }
        }
    }

    /// <summary>No more frames are accepted; what is queued can still be read.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? wake;
        lock (_gate)
        {
            _completed = true;
            wake = _waiter;
            _waiter = null;
        }
        if (wake is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static w => w.TrySetResult(false), wake, preferLocal: true);
        }
    }
}
