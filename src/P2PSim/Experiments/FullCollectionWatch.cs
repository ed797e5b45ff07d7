namespace P2PSim.Experiments;

/// <summary>
/// The largest heap a full (generation 2) collection left during a run: after each, blocking or background, the heap's
/// size less its free space. This watch reads the last full collection of each kind a few times a second, keeps the
/// largest it sees and notes when it saw it (within its interval), so a report can tell in which phase of a run the
/// heap was largest. It forces no collection (that would stall the run it measures), so it sees the heap only when the
/// collector looks, and null for a run in which no full collection ran; collections from before it started do not
/// count. It is an upper bound of the live heap, not the live heap: a background collection under load runs for
/// seconds, and what was allocated or died meanwhile still counts at its end (a 1,000-peer tcp run read 828 MiB here at
/// 310.2 s; a heap dump 0.3 s later found 390 MB reachable).
/// </summary>
internal sealed class FullCollectionWatch
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly long _startIndex;
    private long? _peak;
    private TimeSpan _peakAt;
    private bool _stopped;

    public FullCollectionWatch(TimeProvider time)
    {
        _time = time;
        _started = time.GetTimestamp();
        _startIndex = Math.Max(GC.GetGCMemoryInfo(GCKind.FullBlocking).Index, GC.GetGCMemoryInfo(GCKind.Background).Index);
        _timer = time.CreateTimer(_ => Sample(), null, Interval, Interval);
    }

    /// <summary>
    /// Looks a last time and stops; the largest live heap seen after a full collection and when it was seen (time since
    /// the watch started), or null if none ran.
    /// </summary>
    public (long Bytes, TimeSpan At)? Stop()
    {
        _timer.Dispose();
        lock (_gate)
        {
            if (!_stopped)
            {
                SampleLocked();
                _stopped = true;
            }
            return _peak is { } peak ? (peak, _peakAt) : null;
        }
    }

    private void Sample()
    {
        lock (_gate)
        {
            if (!_stopped)
            {
                SampleLocked();
            }
        }
    }

    private void SampleLocked()
    {
        foreach (var kind in (ReadOnlySpan<GCKind>)[GCKind.FullBlocking, GCKind.Background])
        {
            var info = GC.GetGCMemoryInfo(kind);
            if (info.Index > _startIndex && info.Generation == 2)
            {
                var live = info.HeapSizeBytes - info.FragmentedBytes;
                if (_peak is not { } p || live > p)
                {
                    _peak = live;
                    _peakAt = _time.GetElapsedTime(_started);
                }
            }
        }
    }
}
