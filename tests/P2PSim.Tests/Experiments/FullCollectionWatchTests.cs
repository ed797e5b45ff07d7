using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// The report's peak live heap: memory a run held under overload and let go before its end must still show, or a run
/// that drains before it is measured would look cheap.
/// </summary>
[NonParallelizable] // other tests' heaps must not come and go inside its window
public sealed class FullCollectionWatchTests
{
    private const int Held = 64 * 1024 * 1024;

    [Test]
    public void Memory_held_at_a_full_collection_and_let_go_before_the_end_still_counts_in_the_peak()
    {
        using var meter = new ResourceMeter();
        var held = GC.AllocateUninitializedArray<byte>(Held);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true); // as the collector does on its own when a heap grows
        GC.KeepAlive(held);
        held = null;

        var report = meter.Finish();

        Assert.Multiple(() =>
        {
            Assert.That(report.PeakLiveHeapBytes, Is.GreaterThanOrEqualTo((long)Held), "the 64 MiB alive at the full collection");
            Assert.That(report.PeakLiveHeapBytes, Is.GreaterThanOrEqualTo(report.ManagedHeapBytes));
            Assert.That(report.PeakLiveHeapSeconds, Is.InRange(0, report.WallSeconds), "the peak was seen during the run");
        });
    }

    [Test]
    public void A_full_collection_from_before_the_meter_started_does_not_count()
    {
        var earlier = GC.AllocateUninitializedArray<byte>(Held);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        GC.KeepAlive(earlier);
        earlier = null;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true); // let go before the meter starts

        using var meter = new ResourceMeter();
        var report = meter.Finish();

        // Other tests may run alongside and hold memory of their own, but none holds 64 MiB at the end of this one.
        Assert.That(report.PeakLiveHeapBytes, Is.LessThan(report.ManagedHeapBytes + Held), "the earlier 64 MiB is not this run's");
    }
}
