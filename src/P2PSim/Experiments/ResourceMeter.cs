using System.Diagnostics;

namespace P2PSim.Experiments;

/// <summary>Measures what a run costs the process: wall clock, processor time, memory.</summary>
public sealed class ResourceMeter
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly TimeSpan _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly int[] _collectionsAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    private readonly TimeSpan _pausedAtStart = GC.GetTotalPauseDuration();

    public TimeSpan WallElapsed => _wall.Elapsed;

    /// <summary>
    /// Reads the numbers now. Forces a full garbage collection first, so call it while the
    /// network is still referenced to get the memory the run really holds.
    /// </summary>
    public ResourceReport Finish()
    {
        // Collections and pauses are read before the full collection below, which is ours, not the run's.
        var collections = new GcReport(
            GC.CollectionCount(0) - _collectionsAtStart[0],
            GC.CollectionCount(1) - _collectionsAtStart[1],
            GC.CollectionCount(2) - _collectionsAtStart[2],
            (GC.GetTotalPauseDuration() - _pausedAtStart).TotalSeconds,
            GC.GetTotalAllocatedBytes() / (1024.0 * 1024 * 1024));
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return new ResourceReport(
            WallSeconds: _wall.Elapsed.TotalSeconds,
            CpuSeconds: (process.TotalProcessorTime - _cpuAtStart).TotalSeconds,
            PeakWorkingSetBytes: process.PeakWorkingSet64,
            ManagedHeapBytes: heap,
            Collections: collections);
    }
}
