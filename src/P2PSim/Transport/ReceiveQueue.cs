using System.Diagnostics.CodeAnalysis;
using P2PSim.Protocol;

namespace P2PSim.Transport;

/// <summary>
/// The frames one connection has read and decoded but the node has not taken yet, in arrival order,
/// bounded in bytes (Transport:ReceiveQueueBytes). It lets the read loop keep reading while the node
/// is busy, so a Ping is answered and a Pong handed on at once instead of waiting in the socket behind
/// gossip. One writer (the read loop), one reader (the dispatcher).
/// <para>
/// The common case costs nothing: while no frame is waiting and no delivery is under way, <see cref="AdmitAsync"/>
/// tells the read loop to hand the frame to the node itself, on its own thread. Only when the node makes it wait
/// does the queue fill; the read loop then starts a dispatcher (<see cref="BeginDispatching"/>), which delivers the
/// queued frames one at a time, in order, and lets go (<see cref="TryTakeNext"/> returns false) once it has emptied
/// the queue. Admitting and letting go happen under one lock, so no frame is ever left behind.
/// </para>
/// <para>
/// Every queued frame is charged to the process budget (<see cref="QueueBudget"/>) until the dispatcher takes it. A
/// gossip frame the budget refuses is not queued: the read loop drops it (counted) and keeps reading, so a Ping behind
/// it is still answered. Control frames are always admitted by the budget. The refused frames the read loop marks as
/// the remote's own messages (<c>countShed</c>) are counted, and the dispatcher hands the count on with its next turn
/// (<see cref="TryTakeNext(out Message?, out int)"/>): the node judges a flooder by what it sent, not by what the budget
/// left of it.
/// </para>
/// </summary>
internal sealed class ReceiveQueue(long capacityBytes, QueueBudget budget)
{
    public enum Admission
    {
        /// <summary>Nothing is waiting and no delivery is under way: the read loop hands the frame to the node itself.</summary>
        Deliver,

        /// <summary>Queued behind the frames waiting; the dispatcher delivers it.</summary>
        Queued,

        /// <summary>The process budget refused this gossip frame: it is dropped.</summary>
        OverBudget,

        /// <summary>The queue was completed: the frame goes nowhere.</summary>
        Closed,
    }

    /// <summary>A small frame still costs an object: every frame counts at least this many bytes.</summary>
    public const int MinCost = 64;

    private readonly object _gate = new();
    private readonly Queue<(Message Message, int Cost, int Origin)> _items = new();
    private readonly QueueBudget.Account _account = budget.Open(QueueSide.Receive);
    private TaskCompletionSource? _spaceWaiter;
    private long _bytes;
    private long _peakBytes;
    private bool _dispatching;
    private bool _completed;
    private int _shed;

    public static int Cost(int frameBytes) => Math.Max(frameBytes, MinCost);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Most bytes ever waiting at once.</summary>
    public long PeakBytes
    {
        get
        {
            lock (_gate)
            {
                return _peakBytes;
            }
        }
    }

    /// <summary>Bytes waiting right now (what this queue holds of the process budget).</summary>
    public long Bytes => _account.Used;

    /// <summary>
    /// Takes a frame from the read loop: see <see cref="Admission"/>. While this connection's frames fill its capacity
    /// (Transport:ReceiveQueueBytes) this waits for room (a frame always fits into an empty queue). A frame the budget
    /// refuses is counted for the node when <paramref name="countShed"/> (the remote's own gossip).
    /// </summary>
    public async ValueTask<Admission> AdmitAsync(Message message, int cost, CancellationToken cancellationToken, bool countShed = false)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_completed)
                {
                    return Admission.Closed;
                }
                if (!_dispatching && _items.Count == 0)
                {
                    return Admission.Deliver;
                }
                if (_items.Count == 0 || _bytes + cost <= capacityBytes)
                {
                    var origin = QueueBudget.OriginKey(message);
                    if (!budget.TryCharge(_account, cost, SendClasses.Of(message), message is IHave, origin))
                    {
                        _shed += countShed ? 1 : 0; // refused only while dispatching: the dispatcher takes the count
                        return Admission.OverBudget;
                    }
                    _items.Enqueue((message, cost, origin));
                    _bytes += cost;
                    _peakBytes = Math.Max(_peakBytes, _bytes);
                    return Admission.Queued;
                }
                _spaceWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _spaceWaiter.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>An inline delivery is still under way: frames read from now on queue up until the dispatcher has delivered them.</summary>
    public void BeginDispatching()
    {
        lock (_gate)
        {
            _dispatching = true;
        }
    }

    /// <summary>The dispatcher's next frame; false (and the dispatcher is done) once the queue is empty. Drops the shed count.</summary>
    public bool TryTakeNext([NotNullWhen(true)] out Message? message)
    {
        while (TryTakeNext(out message, out _))
        {
            if (message is not null)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The dispatcher's next turn: the frames the budget refused and counted since the last turn (<paramref name="shed"/>,
    /// then reset), and the next frame, or null when only a count is left. False (and the dispatcher is done) once the
    /// queue is empty and nothing is counted, so no count is ever left behind.
    /// </summary>
    public bool TryTakeNext(out Message? message, out int shed)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            shed = _shed;
            _shed = 0;
            if (!_items.TryDequeue(out var item))
            {
                message = null;
                if (shed > 0)
                {
                    return true; // the count first; the dispatcher comes back for the rest
                }
                _dispatching = false;
                return false;
            }
            message = item.Message;
            _bytes -= item.Cost;
            budget.Release(_account, item.Cost, item.Origin);
            _items.TrimWhenDrained();
            wake = _spaceWaiter;
            _spaceWaiter = null;
        }
        wake?.TrySetResult();
        return true;
    }

    /// <summary>Nothing more will be added; the dispatcher still gets what is queued.</summary>
    public void Complete()
    {
        TaskCompletionSource? wakeWriter;
        lock (_gate)
        {
            _completed = true;
            wakeWriter = _spaceWaiter;
            _spaceWaiter = null;
        }
        wakeWriter?.TrySetResult();
    }

    /// <summary>Drops everything still queued (the node let go of the connection); returns how many frames.</summary>
    public int Clear()
    {
        TaskCompletionSource? wake;
        int count;
        lock (_gate)
        {
            count = _items.Count;
            foreach (var item in _items)
            {
                budget.ReleaseOrigin(item.Origin, item.Cost);
            }
            _items.Clear();
            _items.TrimWhenDrained();
            _bytes = 0;
            _shed = 0;
            budget.ReleaseAll(_account);
            wake = _spaceWaiter;
            _spaceWaiter = null;
        }
        wake?.TrySetResult();
        return count;
    }
}
