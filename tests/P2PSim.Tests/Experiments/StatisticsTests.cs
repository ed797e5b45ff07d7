using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

[TestFixture]
public sealed class StatisticsTests
{
    private static readonly long[] OneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    [TestCase(0, 1)]
    [TestCase(10, 1)]
    [TestCase(11, 2)]
    [TestCase(50, 5)]
    [TestCase(51, 6)]
    [TestCase(90, 9)]
    [TestCase(99, 10)]
    [TestCase(100, 10)]
    public void Percentiles_use_the_nearest_rank(double percent, long expected) =>
        Assert.That(Statistics.Percentile(OneToTen, percent), Is.EqualTo(expected));

    [Test]
    public void The_median_of_an_even_count_is_the_lower_middle_value() =>
        Assert.That(Statistics.Percentile([1, 2, 3, 4], 50), Is.EqualTo(2));

    [Test]
    public void A_percentile_of_nothing_is_undefined() =>
        Assert.That(Statistics.Percentile([], 50), Is.Null);

    [Test]
    public void A_percentile_outside_0_to_100_is_refused() =>
        Assert.That(() => Statistics.Percentile(OneToTen, 101), Throws.InstanceOf<ArgumentOutOfRangeException>());

    [Test]
    public void Summarise_sorts_and_gives_p50_p99_and_max()
    {
        var values = Enumerable.Range(1, 200).Reverse().Select(i => (long)i).ToArray();

        var (p50, p99, max) = Statistics.Summarise(values);

        Assert.That((p50, p99, max), Is.EqualTo(((long?)100, (long?)198, (long?)200)));
        Assert.That(values, Is.Ordered);
    }

    [Test]
    public void Reliability_is_deliveries_over_expected_and_undefined_when_nothing_was_expected()
    {
        Assert.That(Statistics.Reliability(3, 4), Is.EqualTo(0.75));
        Assert.That(Statistics.Reliability(4, 4), Is.EqualTo(1.0));
        Assert.That(Statistics.Reliability(0, 0), Is.Null);
    }

    [Test]
    public void Rmr_is_transmissions_per_first_receipt_minus_one()
    {
        // A tree over 10 nodes: 9 transmissions, 9 first receipts: no redundancy.
        Assert.That(Statistics.Rmr(9, 9), Is.EqualTo(0.0));
        // 27 copies sent for 9 new receivers: each got 3 copies, 2 of them redundant.
        Assert.That(Statistics.Rmr(27, 9), Is.EqualTo(2.0));
        Assert.That(Statistics.TransmissionsPerDelivery(27, 9), Is.EqualTo(3.0));
        Assert.That(Statistics.Rmr(5, 0), Is.Null);
    }

    [Test]
    public void Mean_and_milliseconds()
    {
        Assert.That(Statistics.Mean([4, 5, 9]), Is.EqualTo(6.0));
        Assert.That(Statistics.Mean([]), Is.Null);
        Assert.That(Statistics.Milliseconds(TimeSpan.FromMilliseconds(1.5).Ticks), Is.EqualTo(1.5));
        Assert.That(Statistics.Milliseconds(null), Is.Null);
    }
}
