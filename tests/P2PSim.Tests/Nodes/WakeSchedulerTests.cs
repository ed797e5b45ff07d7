using P2PSim.Nodes;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>The one timer a node's parts share: a wake-up is asked for only when the earliest deadline moves.</summary>
[TestFixture]
public sealed class WakeSchedulerTests
{
    private static readonly DateTimeOffset Soon = T0 + TimeSpan.FromSeconds(1);
    private static readonly DateTimeOffset Later = T0 + TimeSpan.FromSeconds(5);

    /// <summary>A scheduler that has asked for a wake-up at <see cref="Soon"/>; the outbox is empty.</summary>
    private static (PartBench Part, WakeScheduler Wake) AskedForSoon()
    {
        var part = new PartBench();
        var wake = new WakeScheduler(part.Outbox);
        wake.Request(Soon);
        part.Take();
        return (part, wake);
    }

    [Test]
    public void Each_change_of_the_earliest_deadline_asks_for_one_wake_up()
    {
        var part = new PartBench();
        var wake = new WakeScheduler(part.Outbox);

        wake.Request(Later);
        var first = part.Take();
        wake.Request(Soon);
        var earlier = part.Take();
        wake.Request(Later);
        var laterAgain = part.Take();

        Assert.That(first, Is.EqualTo(new[] { new WakeAt(Later) }));
        Assert.That(earlier, Is.EqualTo(new[] { new WakeAt(Soon) }));
        Assert.That(laterAgain, Is.EqualTo(new[] { new WakeAt(Later) }), "the driver keeps only the latest request, so a later one is asked for too");
        Assert.That(wake.Requested, Is.EqualTo(Later));
    }

    [Test]
    public void An_unchanged_deadline_or_none_asks_for_nothing()
    {
        var (part, wake) = AskedForSoon();

        wake.Request(Soon);
        wake.Request(null);

        Assert.That(part.Take(), Is.Empty);
        Assert.That(wake.Requested, Is.EqualTo(Soon), "no deadline leaves the pending request as it is");
    }

    [Test]
    public void After_the_timer_fired_the_same_deadline_is_asked_for_anew()
    {
        var (part, wake) = AskedForSoon();

        wake.Fired();
        var afterFiring = wake.Requested;
        wake.Request(Soon);

        Assert.That(afterFiring, Is.Null);
        Assert.That(part.Take(), Is.EqualTo(new[] { new WakeAt(Soon) }));
    }

    [Test]
    public void With_no_deadline_at_all_nothing_is_asked_for()
    {
        var part = new PartBench();
        var wake = new WakeScheduler(part.Outbox);

        wake.Request(null);

        Assert.That(part.Take(), Is.Empty);
        Assert.That(wake.Requested, Is.Null);
    }

    [Test]
    public void Earliest_is_the_earlier_deadline_and_ignores_a_missing_one()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(WakeScheduler.Earliest(Soon, Later), Is.EqualTo(Soon));
            Assert.That(WakeScheduler.Earliest(Later, Soon), Is.EqualTo(Soon));
            Assert.That(WakeScheduler.Earliest(Later, null), Is.EqualTo(Later));
            Assert.That(WakeScheduler.Earliest(null, Later), Is.EqualTo(Later));
            Assert.That(WakeScheduler.Earliest(null, null), Is.Null);
        }
    }
}
