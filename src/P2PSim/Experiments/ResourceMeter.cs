using System.Diagnostics;

namespace P2PSim.Experiments;

/// <summary>
/// Measures what a run costs the process: wall clock, processor time, memory. While the run goes it watches the
/// garbage collector (<see cref="FullCollectionWatch"/>), so the report can say how large the heap grew (an upper bound of
/// the live heap), not only what is left of it at the end. Dispose it when the run ends, whether or not <see cref="Finish"/> was reached.
/// </summary>
public sealed class ResourceMeter : IDisposable
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly TimeSpan _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly int[] _collectionsAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    private readonly TimeSpan _pausedAtStart = GC.GetTotalPauseDuration();
    private readonly FullCollectionWatch _fullCollections = new(TimeProvider.System);

    public TimeSpan WallElapsed => _wall.Elapsed;

    /// <summary>
    /// Reads the numbers now. Forces a full garbage collection first, so call it while the
    /// network is still referenced to get the memory the run really holds.
    /// </summary>
    public ResourceReport Finish()
    {
        // Collections, pauses and the peak are read before the full collection below, which is ours, not the run's.
        var collections = new GcReport(
            GC.CollectionCount(0) - _collectionsAtStart[0],
            GC.CollectionCount(1) - _collectionsAtStart[1],
            GC.CollectionCount(2) - _collectionsAtStart[2],
            (GC.GetTotalPauseDuration() - _pausedAtStart).TotalSeconds,
            GC.GetTotalAllocatedBytes() / (1024.0 * 1024 * 1024));
        var peak = _fullCollections.Stop();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var wall = _wall.Elapsed;
        // the end's forced collection is one more look
        var (peakBytes, peakAt) = peak is { } p && p.Bytes > heap ? p : (heap, wall);
        return new ResourceReport(
            WallSeconds: wall.TotalSeconds,
            CpuSeconds: (process.TotalProcessorTime - _cpuAtStart).TotalSeconds,
            PeakWorkingSetBytes: process.PeakWorkingSet64,
            ManagedHeapBytes: heap,
            Collections: collections)
        {
            PeakLiveHeapBytes = peakBytes,
            PeakLiveHeapSeconds = peakAt.TotalSeconds,
        };
    }

    public void Dispose() => _fullCollections.Stop();
}
