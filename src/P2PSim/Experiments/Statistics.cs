namespace P2PSim.Experiments;

/// <summary>
/// The arithmetic behind an <see cref="ExperimentReport"/>, as pure functions on plain values
/// so each definition can be checked by hand. Undefined results (a ratio over zero, a
/// percentile of nothing) are null rather than NaN, and show as "-" in the text report.
/// </summary>
public static class Statistics
{
    /// <summary>
    /// The nearest-rank percentile of values sorted ascending: the smallest value such that at
    /// least <paramref name="percent"/>% of the values are less than or equal to it
    /// (rank = ceil(p/100 * n), at least 1). p50 of {1,2,3,4} is 2; p100 is the maximum.
    /// </summary>
    public static long? Percentile(ReadOnlySpan<long> sorted, double percent)
    {
        if (double.IsNaN(percent) || percent is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "A percentile is between 0 and 100.");
        }
        if (sorted.IsEmpty)
        {
            return null;
        }
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    /// <summary>Sorts <paramref name="values"/> in place and returns p50, p99 and the maximum.</summary>
    public static (long? P50, long? P99, long? Max) Summarise(Span<long> values)
    {
        values.Sort();
        ReadOnlySpan<long> sorted = values;
        return (Percentile(sorted, 50), Percentile(sorted, 99), sorted.IsEmpty ? null : sorted[^1]);
    }

    /// <summary>The percentiles a <see cref="CdfReport"/> holds: enough points to draw a distribution, few enough to keep a report small.</summary>
    public static IReadOnlyList<double> CdfPercents { get; } = [0, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 100];

    /// <summary>
    /// The nearest-rank percentiles (<see cref="CdfPercents"/>) of ticks sorted ascending, as milliseconds: a cumulative
    /// distribution drawn from a handful of points instead of every sample. Null for no values.
    /// </summary>
    public static CdfReport? Cdf(ReadOnlySpan<long> sortedTicks)
    {
        if (sortedTicks.IsEmpty)
        {
            return null;
        }
        var ms = new double[CdfPercents.Count];
        for (var i = 0; i < ms.Length; i++)
        {
            ms[i] = Milliseconds(Percentile(sortedTicks, CdfPercents[i]))!.Value;
        }
        return new CdfReport([.. CdfPercents], ms);
    }

    /// <summary>Arithmetic mean; null for no values.</summary>
    public static double? Mean(ReadOnlySpan<int> values)
    {
        if (values.IsEmpty)
        {
            return null;
        }
        long sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }
        return (double)sum / values.Length;
    }

    /// <summary>Reliability: deliveries that happened over deliveries that should have happened. Null when none were expected.</summary>
    public static double? Reliability(long delivered, long expected) =>
        expected <= 0 ? null : (double)delivered / expected;

    /// <summary>Payload transmissions per first receipt (how many copies were sent for each peer that got a message).</summary>
    public static double? TransmissionsPerDelivery(long transmissions, long firstReceipts) =>
        firstReceipts <= 0 ? null : (double)transmissions / firstReceipts;

    /// <summary>
    /// Relative Message Redundancy (Plumtree, Leitão et al. 2007): <c>m / (n - 1) - 1</c>, where
    /// m is the payload transmissions and n the nodes that got the message, its origin included.
    /// Here <paramref name="firstReceipts"/> counts first receipts, which exclude the origin, so
    /// it is n - 1: RMR = transmissions / firstReceipts - 1. Zero means every copy reached a new
    /// node (a tree); flooding a graph of mean degree d gives roughly d - 1.
    /// </summary>
    public static double? Rmr(long transmissions, long firstReceipts) =>
        firstReceipts <= 0 ? null : ((double)transmissions / firstReceipts) - 1;

    /// <summary>Virtual or wall ticks as milliseconds.</summary>
    public static double? Milliseconds(long? ticks) => ticks is { } t ? t / (double)TimeSpan.TicksPerMillisecond : null;
}
