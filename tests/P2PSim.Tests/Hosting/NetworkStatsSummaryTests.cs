using P2PSim.Hosting;

namespace P2PSim.Tests.Hosting;

[TestFixture]
public sealed class NetworkStatsSummaryTests
{
    [Test]
    public void With_nothing_expected_the_summary_says_so_instead_of_0_of_0_at_100_percent()
    {
        var line = NetworkStats.FormatDelivery(new Delivery(0, 0, 0, 0, []));
        Assert.That(line, Does.StartWith("Delivery: no receipts expected"));
        Assert.That(line, Does.Not.Contain("0 of 0"));
    }

    [Test]
    public void Otherwise_it_counts_the_receipts()
    {
        Assert.That(NetworkStats.FormatDelivery(new Delivery(3, 10, 9, 1, [])),
            Is.EqualTo("Delivery: 9 of 10 expected receipts (90.0 %); 1 missing; 1 delivered more than once"));
    }
}
