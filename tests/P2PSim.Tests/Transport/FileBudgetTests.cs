using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>The process's open-file budget on values: the reserve, the guaranteed share, the dynamic threshold, dials.</summary>
[TestFixture]
public sealed class FileBudgetTests
{
    [Test]
    public void The_reserve_is_the_runtimes_overhead_and_a_sixteenth_of_the_limit_at_most_half_of_it()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new FileBudget(20_000).Reserve, Is.EqualTo(200 + 1250));
            Assert.That(new FileBudget(1_500).Reserve, Is.EqualTo(200 + 93));
            Assert.That(new FileBudget(300).Reserve, Is.EqualTo(150));
            Assert.That(new FileBudget(null).Usable, Is.EqualTo(long.MaxValue), "an unknown limit refuses nothing");
        });
    }

    [Test]
    public void One_busy_node_gets_at_most_half_of_what_is_free_and_every_node_its_guaranteed_share()
    {
        var files = new FileBudget(400); // usable 200
        var busy = 0;
        while (files.TryTakeInbound(busy))
        {
            busy++;
        }
        Assert.That(busy, Is.EqualTo(100), "admitted while q + 1 <= 200 - (q + 1): half of the usable files");
        var second = 0;
        while (files.TryTakeInbound(second))
        {
            second++;
        }
        Assert.That(second, Is.EqualTo(50), "a second busy node: half of what the first left free");
        Assert.That(files.TryTakeInbound(0), Is.True, "a node that holds nothing still gets in");
        Assert.That(files.RefusedInbound, Is.EqualTo(2));
    }

    [Test]
    public void Nothing_beyond_the_usable_files_is_taken_for_inbound_and_dials_may_use_half_of_the_reserve()
    {
        var files = new FileBudget(400);
        for (var i = 0; i < 200; i++)
        {
            files.Take();
        }
        Assert.That(files.TryTakeInbound(0), Is.False, "the reserve is not for accepted connections, guaranteed share or not");
        var dials = 0;
        while (files.TryTakeDial())
        {
            dials++;
        }
        Assert.That(dials, Is.EqualTo(100), "half of the reserve of 200");
        files.Give();
        Assert.That(files.TryTakeDial(), Is.True, "a file given back is there again");
    }
}
