using System.Buffers;

namespace P2PSim.Simulation;

/// <summary>
/// The simulator's agenda: items come out ordered by (time, sequence number), the sequence
/// number being handed out at enqueue, so items due at the same time come out in the order
/// they were scheduled and a run is reproducible.
/// <para>
/// Layout, chosen for cache behaviour at a million pending events: one FIFO bucket per
/// distinct time (FIFO within a bucket is exactly sequence order), plus a small binary
/// min-heap of the distinct times. With a fixed link latency a broadcast puts all its
/// copies in one bucket, so most enqueues append to the bucket used last and most dequeues
/// read the next slot of the current bucket: sequential memory instead of a 20-level heap
/// walk over tens of megabytes. Items are stored inline (no boxing, no per-item
/// allocation); buckets are pooled; a taken slot is cleared so references can be collected.
/// </para>
/// </summary>
public sealed class EventScheduler<T>
    where T : struct
{
    private readonly Dictionary<long, Bucket> _byTime = new();
    private readonly Stack<Bucket> _pool = new();
    private readonly ArrayPool<T> _largeArrays = ArrayPool<T>.Create(maxArrayLength: 1 << 24, maxArraysPerBucket: 64);
    private long[] _times;
    private int _timeCount;
    private Bucket? _lastBucket;
    private long _lastTime;
    private Bucket? _headBucket;
    private long _headTime;

    public EventScheduler(int initialCapacity = 1024)
    {
        _times = new long[Math.Max(4, initialCapacity / 8)];
    }

    /// <summary>Items waiting.</summary>
    public int Count { get; private set; }

    /// <summary>Items ever scheduled (the next sequence number).</summary>
    public long Scheduled { get; private set; }

    /// <summary>Schedules <paramref name="item"/> at <paramref name="time"/>; returns its sequence number.</summary>
    public long Enqueue(long time, in T item)
    {
        Bucket? bucket;
        if (_lastBucket is not null && _lastTime == time)
        {
            bucket = _lastBucket;
        }
        else
        {
            if (!_byTime.TryGetValue(time, out bucket))
            {
                bucket = _pool.Count > 0 ? _pool.Pop() : new Bucket(_largeArrays);
                _byTime.Add(time, bucket);
                PushTime(time);
            }
            _lastBucket = bucket;
            _lastTime = time;
        }
        bucket.Add(item);
        Count++;
        return Scheduled++;
    }

    /// <summary>The time of the earliest item, if any.</summary>
    public bool TryPeekTime(out long time)
    {
        if (_timeCount == 0)
        {
            time = 0;
            return false;
        }
        time = _times[0];
        return true;
    }

    /// <summary>Removes the earliest item (ties: the one scheduled first).</summary>
    public bool TryDequeue(out long time, out T item)
    {
        if (_timeCount == 0)
        {
            time = 0;
            item = default;
            return false;
        }
        time = _times[0];
        if (_headBucket is null || _headTime != time)
        {
            _headBucket = _byTime[time];
            _headTime = time;
        }
        var bucket = _headBucket;
        item = bucket.Take();
        Count--;
        if (bucket.IsEmpty)
        {
            _byTime.Remove(time);
            PopTime();
            if (ReferenceEquals(_lastBucket, bucket))
            {
                _lastBucket = null;
            }
            _headBucket = null;
            bucket.Reset();
            _pool.Push(bucket);
        }
        return true;
    }

    private void PushTime(long time)
    {
        if (_timeCount == _times.Length)
        {
            Array.Resize(ref _times, _times.Length * 2);
        }
        var times = _times;
        var i = _timeCount++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (times[parent] <= time)
            {
                break;
            }
            times[i] = times[parent];
            i = parent;
        }
        times[i] = time;
    }

    private void PopTime()
    {
        var times = _times;
        var last = times[--_timeCount];
        var count = _timeCount;
        if (count == 0)
        {
            return;
        }
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= count)
            {
                break;
            }
            if (child + 1 < count && times[child + 1] < times[child])
            {
                child++;
            }
            if (times[child] >= last)
            {
                break;
            }
            times[i] = times[child];
            i = child;
        }
        times[i] = last;
    }

    /// <summary>
    /// The items due at one time, first in first out. Arrays beyond <see cref="SmallCapacity"/>
    /// (a flood's wave can hold hundreds of thousands of items) come from a shared pool and go
    /// back to it when the bucket empties, so floods do not keep allocating large-object-heap
    /// arrays (each of which counts towards a full collection), and a bucket reused for a lone
    /// timer does not pin a flood-sized array.
    /// </summary>
    private sealed class Bucket(ArrayPool<T> largeArrays)
    {
        private const int SmallCapacity = 1024;

        private T[] _items = new T[8];
        private int _head;
        private int _tail;

        public bool IsEmpty => _head == _tail;

        public void Add(in T item)
        {
            if (_tail == _items.Length)
            {
                if (_head >= _items.Length / 2)
                {
                    // Mostly consumed: slide the rest to the front instead of growing.
                    Array.Copy(_items, _head, _items, 0, _tail - _head);
                    Array.Clear(_items, _tail - _head, _head);
                    _tail -= _head;
                    _head = 0;
                }
                else
                {
                    Grow();
                }
            }
            _items[_tail++] = item;
        }

        public T Take()
        {
            var item = _items[_head];
            _items[_head++] = default;
            return item;
        }

        /// <summary>Called when empty: every used slot has already been cleared by <see cref="Take"/>.</summary>
        public void Reset()
        {
            _head = 0;
            _tail = 0;
            if (_items.Length > SmallCapacity)
            {
                largeArrays.Return(_items);
                _items = new T[8];
            }
        }

        private void Grow()
        {
            var size = _items.Length * 2;
            var bigger = size > SmallCapacity ? largeArrays.Rent(size) : new T[size];
            Array.Copy(_items, _head, bigger, 0, _tail - _head);
            var old = _items;
            _tail -= _head;
            _head = 0;
            _items = bigger;
            if (old.Length > SmallCapacity)
            {
                Array.Clear(old);
                largeArrays.Return(old);
            }
        }
    }
}
