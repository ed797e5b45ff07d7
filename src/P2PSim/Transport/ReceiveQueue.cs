using System.Diagnostics.CodeAnalysis;
using P2PSim.Protocol;

namespace P2PSim.Transport;

/// <summary>
/// The frames one connection has read and decoded but the node has not taken yet, in arrival order,
/// bounded in bytes (Transport:ReceiveQueueBytes). It lets the read loop keep reading while the node
/// is busy, so a Ping is answered and a Pong handed on at once instead of waiting in the socket behind
/// gossip. One writer (the read loop), one reader (the dispatch loop).
/// </summary>
internal sealed class ReceiveQueue(long budgetBytes)
{
    /// <summary>A small frame still costs an object: every frame counts at least this many bytes.</summary>
    public const int MinCost = 64;

    private readonly object _gate = new();
    private readonly Queue<(Message Message, int Cost)> _items = new();
    private TaskCompletionSource? _readWaiter;
    private TaskCompletionSource? _spaceWaiter;
    private long _bytes;
    private long _peakBytes;
    private bool _completed;

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

    /// <summary>Adds a frame, waiting while the budget is used up (a frame is always admitted into an empty queue).</summary>
    public async ValueTask EnqueueAsync(Message message, int cost, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? wait = null;
            TaskCompletionSource? wake = null;
            lock (_gate)
            {
                if (_completed)
                {
                    return;
                }
                if (_items.Count == 0 || _bytes + cost <= budgetBytes)
                {
                    _items.Enqueue((message, cost));
                    _bytes += cost;
                    _peakBytes = Math.Max(_peakBytes, _bytes);
                    wake = _readWaiter;
                    _readWaiter = null;
                }
                else
                {
                    _spaceWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _spaceWaiter.Task;
                }
            }
            if (wait is null)
            {
                wake?.TrySetResult();
                return;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public bool TryDequeue([NotNullWhen(true)] out Message? message)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (!_items.TryDequeue(out var item))
            {
                message = null;
                return false;
            }
            message = item.Message;
            _bytes -= item.Cost;
            wake = _spaceWaiter;
            _spaceWaiter = null;
        }
        wake?.TrySetResult();
        return true;
    }

    /// <summary>True when a frame is waiting; false once completed and empty.</summary>
    public async ValueTask<bool> WaitToReadAsync()
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_items.Count > 0)
                {
                    return true;
                }
                if (_completed)
                {
                    return false;
                }
                _readWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _readWaiter.Task;
            }
            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>Nothing more will be added; the reader still gets what is queued.</summary>
    public void Complete()
    {
        TaskCompletionSource? wakeReader;
        TaskCompletionSource? wakeWriter;
        lock (_gate)
        {
            _completed = true;
            wakeReader = _readWaiter;
            wakeWriter = _spaceWaiter;
            _readWaiter = null;
            _spaceWaiter = null;
        }
        wakeReader?.TrySetResult();
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
            _items.Clear();
            _bytes = 0;
            wake = _spaceWaiter;
            _spaceWaiter = null;
        }
        wake?.TrySetResult();
        return count;
    }
}
