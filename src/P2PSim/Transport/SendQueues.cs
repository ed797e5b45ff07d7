using System.Diagnostics.CodeAnalysis;
using System.Threading.Tasks.Sources;
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

/// <summary>Frames dropped, per class.</summary>
/// <param name="Control">Control frames that found their send queue full; each one also closed its connection.</param>
/// <param name="OwnGossip">Own gossip frames (hops 1) dropped: that connection's own-gossip queue was full, or the process queue budget refused them.</param>
/// <param name="ForwardedGossip">Forwarded gossip frames dropped: that connection's forwarded-gossip queue was full, or the process queue budget refused them.</param>
public readonly record struct FrameDrops(long Control, long OwnGossip, long ForwardedGossip)
{
    public long Total => Control + OwnGossip + ForwardedGossip;

    public override string ToString() => $"{Total} (control {Control}, own gossip {OwnGossip}, forwarded gossip {ForwardedGossip})";
}

/// <summary>A snapshot of a transport's counters.</summary>
/// <param name="OpenConnections">Connections past their Hello and not closing.</param>
/// <param name="InboundConnections">Accepted connections holding a slot of Transport:MaxInboundConnections (handshaking or open).</param>
/// <param name="RefusedConnections">Inbound connections refused because every slot was taken, its remote address held its limit, or the node its share of the open files.</param>
/// <param name="Dropped">Frames dropped, per class: a send queue was full, or the process queue budget refused them (to send or just received).</param>
/// <param name="QueuedFrames">Frames waiting in send queues right now, over all connections.</param>
/// <param name="PeakQueuedFrames">Most frames any one connection ever had queued.</param>
/// <param name="ReceivedWaiting">Frames read from connections that the node has not taken yet, over all connections.</param>
/// <param name="PingsEchoed">Frames answered by the transport itself on the node's behalf (a peer's Ping, with Transport:EchoPings).</param>
/// <param name="Sent">Frames and wire bytes written to sockets so far (every type, Hello included), over every connection this transport had.</param>
/// <param name="Received">Frames and wire bytes decoded from sockets so far, over every connection this transport had.</param>
/// <param name="QueuedBytes">Wire bytes of the frames in this transport's send and receive queues right now (its part of the process budget).</param>
/// <param name="BudgetDrops">The part of <paramref name="Dropped"/> that the process queue budget refused (gossip only, sending and receiving).</param>
/// <param name="Budget">The process queue budget this transport shares with every other transport of the process.</param>
/// <param name="RefusedPerAddress">The part of <paramref name="RefusedConnections"/> refused at Transport:MaxInboundPerAddress.</param>
/// <param name="RefusedForFiles">The part of <paramref name="RefusedConnections"/> refused because the node had used up its share of the process's open files.</param>
/// <param name="OutOfFiles">Accepts and dials that failed because the process had no file left (or its open-file budget refused a dial).</param>
/// <param name="RejectedInputs">Connections closed for bad input (a frame or TLS record refused, a failed handshake, a stall), each also logged (rate-limited).</param>
public sealed record TransportStats(
    int OpenConnections,
    int InboundConnections,
    long RefusedConnections,
    FrameDrops Dropped,
    int QueuedFrames,
    int PeakQueuedFrames,
    int ReceivedWaiting,
    long PingsEchoed,
    WireCounts Sent = default,
    WireCounts Received = default,
    long QueuedBytes = 0,
    FrameDrops BudgetDrops = default,
    BudgetStats Budget = default,
    long RefusedPerAddress = 0,
    long RefusedForFiles = 0,
    long OutOfFiles = 0,
    long RejectedInputs = 0);

/// <summary>Frames and their wire bytes (length prefix included), in all and for gossip alone.</summary>
public readonly record struct WireCounts(long Frames, long Bytes, long GossipFrames, long GossipBytes)
{
    public static WireCounts operator +(WireCounts a, WireCounts b) =>
        new(a.Frames + b.Frames, a.Bytes + b.Bytes, a.GossipFrames + b.GossipFrames, a.GossipBytes + b.GossipBytes);
}

/// <summary>Counts one direction of one connection; written by one loop, read by anyone (tearing-free reads of each field).</summary>
internal sealed class WireCounter
{
    private long _frames;
    private long _bytes;
    private long _gossipFrames;
    private long _gossipBytes;

    public void Add(Message message, int bytes)
    {
        Volatile.Write(ref _frames, _frames + 1);
        Volatile.Write(ref _bytes, _bytes + bytes);
        if (message is Protocol.Gossip)
        {
            Volatile.Write(ref _gossipFrames, _gossipFrames + 1);
            Volatile.Write(ref _gossipBytes, _gossipBytes + bytes);
        }
    }

    public WireCounts Read() => new(Volatile.Read(ref _frames), Volatile.Read(ref _bytes), Volatile.Read(ref _gossipFrames), Volatile.Read(ref _gossipBytes));
}

public static class SendClasses
{
    /// <summary>
    /// Which queue a message goes to: gossip by its hops; a broadcast tree's announcements (IHave) behind all gossip, so
    /// they never overtake the payloads they announce (a peer that hears of a message before its payload arrives would
    /// graft it for nothing); every other type is control.
    /// </summary>
    public static SendClass Of(Message message) => message switch
    {
        Protocol.Gossip { Hops: <= 1 } => SendClass.OwnGossip,
        Protocol.Gossip or IHave => SendClass.ForwardedGossip,
        _ => SendClass.Control,
    };
}

/// <summary>
/// The outbound queues of one connection: one bounded FIFO per <see cref="SendClass"/>, any number of
/// writers, one reader (the connection's write loop) that always takes from the most urgent non-empty queue.
/// A Goodbye is a control frame (never dropped, counted against the control capacity) that is sent after
/// everything queued before it: it ends the link, and the remote drops the link as soon as it reads it, so a
/// gossip frame it overtook would be lost.
/// <para>
/// Waking the write loop: <see cref="TryEnqueue"/> resumes an idle write loop at once, on the
/// caller's thread (the frame is on the wire when it returns, unless the socket is full). With <c>wake: false</c>
/// the frame only waits; <see cref="Wake"/> resumes the loop later, so a node that queues many frames in one step
/// sends them with one write (see <see cref="ITransport.Flush"/>). Waiting allocates nothing: the loop awaits one
/// reusable value-task source.
/// </para>
/// </summary>
internal sealed class SendQueues : IValueTaskSource<bool>
{
    public enum Outcome
    {
        Queued,
        Full,
        OverBudget,
        Closed,
    }

    private readonly object _gate = new();
    private const int Trailer = 3; // Goodbye: after everything else

    private readonly Queue<(Message Message, int Bytes, int Origin)>[] _queues = [new(), new(), new(), new()];
    private readonly int[] _capacities;
    private readonly QueueBudget _budget;
    private readonly QueueBudget.Account _account;
    private ManualResetValueTaskSourceCore<bool> _signal; // continuations run on the thread that wakes the loop
    private bool _waiting;
    private bool _completed;
    private bool _cancelled;
    private CancellationToken _bound;
    private int _count;
    private int _peak;

    /// <summary>Queues of these capacities (frames per class) whose bytes are charged to <paramref name="budget"/>.</summary>
    public SendQueues(int control, int ownGossip, int forwardedGossip, QueueBudget budget)
    {
        _capacities = [control, ownGossip, forwardedGossip];
        _budget = budget;
        _account = budget.Open(QueueSide.Send);
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

    /// <summary>Wire bytes of the frames waiting right now (what they hold of the process budget).</summary>
    public long Bytes => _account.Used;

    public int CountOf(SendClass sendClass)
    {
        lock (_gate)
        {
            return _queues[(int)sendClass].Count + (sendClass == SendClass.Control ? _queues[Trailer].Count : 0);
        }
    }

    /// <summary>
    /// Ties the queues to the connection's lifetime once: when <paramref name="lifetime"/> is cancelled, a waiting
    /// (or the next) <see cref="WaitToReadAsync"/> with that token throws, without registering anything per wait.
    /// </summary>
    public void Bind(CancellationToken lifetime)
    {
        _bound = lifetime;
        // Cancellation resumes the loop on the thread pool, never inline in whoever cancels (it may hold a lock).
        lifetime.UnsafeRegister(static q => ThreadPool.UnsafeQueueUserWorkItem(static x => x.Cancel(), (SendQueues)q!, preferLocal: false), this);
    }

    /// <summary>
    /// Queues a frame of <paramref name="bytes"/> on the wire; with <paramref name="wake"/> an idle write loop resumes now,
    /// on this thread. <see cref="Outcome.Full"/>: its class holds its capacity; <see cref="Outcome.OverBudget"/>: the
    /// process budget refused it (gossip only).
    /// </summary>
    public Outcome TryEnqueue(Message message, SendClass sendClass, int bytes, bool wake = true)
    {
        bool resume;
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
            var origin = sendClass == SendClass.Control ? 0 : QueueBudget.OriginKey(message);
            if (!_budget.TryCharge(_account, bytes, sendClass, message is IHave, origin))
            {
                return Outcome.OverBudget;
            }
            queue.Enqueue((message, bytes, origin));
            _count++;
            _peak = Math.Max(_peak, _count);
            resume = wake && TakeWaiter();
        }
        if (resume)
        {
            _signal.SetResult(true);
        }
        return Outcome.Queued;
    }

    /// <summary>Resumes an idle write loop (on this thread) if frames are waiting for it.</summary>
    public void Wake()
    {
        bool resume;
        lock (_gate)
        {
            resume = _count > 0 && TakeWaiter();
        }
        if (resume)
        {
            _signal.SetResult(true);
        }
    }

    /// <summary>Takes the oldest frame of the most urgent non-empty class.</summary>
    public bool TryDequeue([NotNullWhen(true)] out Message? message)
    {
        lock (_gate)
        {
            foreach (var queue in _queues)
            {
                if (queue.TryDequeue(out var item))
                {
                    _count--;
                    _budget.Release(_account, item.Bytes, item.Origin);
                    queue.TrimWhenDrained();
                    message = item.Message;
                    return true;
                }
            }
        }
        message = null;
        return false;
    }

    /// <summary>True when a frame is waiting; false once completed and drained. One waiter at a time (the write loop).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }
            if (_completed)
            {
                return new ValueTask<bool>(false);
            }
            if (_cancelled || cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken.IsCancellationRequested ? cancellationToken : new CancellationToken(true));
            }
            _signal.Reset();
            _waiting = true;
        }
        var wait = new ValueTask<bool>(this, _signal.Version);
        if (!cancellationToken.CanBeCanceled || cancellationToken == _bound)
        {
            return wait;
        }
        return WaitWithTokenAsync(wait, cancellationToken);
    }

    private async ValueTask<bool> WaitWithTokenAsync(ValueTask<bool> wait, CancellationToken cancellationToken)
    {
        using (cancellationToken.UnsafeRegister(
            static q => ThreadPool.UnsafeQueueUserWorkItem(static x => x.Cancel(), (SendQueues)q!, preferLocal: false), this))
        {
            return await wait.ConfigureAwait(false);
        }
    }

    /// <summary>No more frames are accepted; what is queued can still be read.</summary>
    public void Complete()
    {
        bool resume;
        bool framesLeft;
        lock (_gate)
        {
            _completed = true;
            framesLeft = _count > 0; // only the write loop takes frames, and it is waiting: this stays true until it runs
            resume = TakeWaiter();
        }
        if (resume)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Queues._signal.SetResult(state.FramesLeft), (Queues: this, FramesLeft: framesLeft), preferLocal: true);
        }
    }

    /// <summary>
    /// Throws away every frame still queued and gives its bytes back to the budget (the connection has ended); from
    /// then on nothing is accepted. Returns how many frames.
    /// </summary>
    public int Discard()
    {
        lock (_gate)
        {
            _completed = true;
            var discarded = _count;
            foreach (var queue in _queues)
            {
                foreach (var item in queue)
                {
                    _budget.ReleaseOrigin(item.Origin, item.Bytes);
                }
                queue.Clear();
            }
            _count = 0;
            _budget.ReleaseAll(_account);
            return discarded;
        }
    }

    private void Cancel()
    {
        bool resume;
        lock (_gate)
        {
            _cancelled = true;
            resume = TakeWaiter();
        }
        if (resume)
        {
            _signal.SetException(new OperationCanceledException("The connection is closing."));
        }
    }

    /// <summary>Under the lock: true when the write loop is waiting (it is then no longer marked as waiting).</summary>
    private bool TakeWaiter()
    {
        if (!_waiting)
        {
            return false;
        }
        _waiting = false;
        return true;
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _signal.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _signal.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _signal.OnCompleted(continuation, state, token, flags);
}

internal static class QueueTrimming
{
    /// <summary>A drained queue keeps an array of this many slots at most; a larger one (left by a backlog) is given back.</summary>
    public const int KeptSlots = 256;

    /// <summary>Gives back the array a backlog left behind, once the queue is empty: an idle connection holds no large arrays.</summary>
    public static void TrimWhenDrained<T>(this Queue<T> queue)
    {
        if (queue.Count == 0 && queue.EnsureCapacity(0) > KeptSlots)
        {
            queue.TrimExcess();
        }
    }
}
