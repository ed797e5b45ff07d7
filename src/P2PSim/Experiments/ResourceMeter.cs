using System.Diagnostics;

namespace P2PSim.Experiments;

/// <summary>Measures what a run costs the process: wall clock, processor time, memory.</summary>
public sealed class ResourceMeter
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly TimeSpan _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;

    public TimeSpan WallElapsed => _wall.Elapsed;

    /// <summary>
    /// Reads the numbers now. Forces a full garbage collection first, so call it while the
    /// network is still referenced to get the memory the run really holds.
    /// </summary>
    public ResourceReport Finish()
    {
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return new ResourceReport(
            WallSeconds: _wall.Elapsed.TotalSeconds,
            CpuSeconds: (process.TotalProcessorTime - _cpuAtStart).TotalSeconds,
            PeakWorkingSetBytes: process.PeakWorkingSet64,
            ManagedHeapBytes: heap);
    }
}
