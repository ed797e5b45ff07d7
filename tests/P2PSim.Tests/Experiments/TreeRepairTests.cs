using P2PSim.Experiments;
using P2PSim.Simulation;

namespace P2PSim.Tests.Experiments;

/// <summary><see cref="TreeRepair.Measure"/> on values: publish steps 100 ms apart, a crash at 450 ms.</summary>
[TestFixture]
public sealed class TreeRepairTests
{
    private static readonly DateTimeOffset T0 = SimulatedNetwork.Epoch;
    private static readonly DateTimeOffset CrashAt = Ms(450);

    private static DateTimeOffset Ms(double ms) => T0 + TimeSpan.FromMilliseconds(ms);

    /// <summary>Ten steps at 0, 100, ... 900 ms; before step i, 100 i payloads had been sent for 90 i first receipts.</summary>
    private static PublishMark[] Steps() => [.. Enumerable.Range(0, 10).Select(i => new PublishMark(Ms(100 * i), 100L * i, 90L * i))];

    /// <summary>One message per step after the crash (500 to 900 ms), by push unless listed.</summary>
    private static (DateTimeOffset, bool)[] Messages(params int[] pulledAtMs) =>
        [.. Enumerable.Range(5, 5).Select(i => (Ms(100 * i), !pulledAtMs.Contains(100 * i)))];

    [Test]
    public void The_tree_is_repaired_at_the_first_step_from_which_every_message_came_by_push()
    {
        var outcome = TreeRepair.Measure(CrashAt, Steps(), Messages(500, 700), transmissions: 1100, receipts: 1000);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.RepairedAfter, Is.EqualTo(TimeSpan.FromMilliseconds(800 - 450)), "700 ms still needed a graft; 800 and 900 did not");
            Assert.That(outcome.RmrAfterRepair, Is.EqualTo(((1100.0 - 800) / (1000 - 720)) - 1).Within(1e-12), "payloads and receipts from the mark of the 800 ms step on");
            Assert.That((outcome.MessagesAfterCrash, outcome.MessagesAfterRepair), Is.EqualTo((5, 2)));
        });
    }

    [Test]
    public void A_crash_that_needed_no_graft_is_repaired_at_the_first_step_after_it()
    {
        var outcome = TreeRepair.Measure(CrashAt, Steps(), Messages(), transmissions: 1000, receipts: 1000);

        Assert.That(outcome.RepairedAfter, Is.EqualTo(TimeSpan.FromMilliseconds(50)));
        Assert.That(outcome.MessagesAfterRepair, Is.EqualTo(5));
    }

    [Test]
    public void A_tree_whose_last_message_still_needed_a_graft_was_not_repaired()
    {
        var outcome = TreeRepair.Measure(CrashAt, Steps(), Messages(900), transmissions: 1000, receipts: 1000);

        Assert.That(outcome, Is.EqualTo(new TreeRepairOutcome(null, null, 5, 0)));
    }

    [Test]
    public void One_message_of_a_step_that_needed_a_graft_spoils_the_whole_step()
    {
        (DateTimeOffset, bool)[] messages = [.. Messages(), (Ms(900), false)]; // a second message at 900 ms

        var outcome = TreeRepair.Measure(CrashAt, Steps(), messages, transmissions: 1000, receipts: 1000);

        Assert.That(outcome.RepairedAfter, Is.Null);
        Assert.That(outcome.MessagesAfterCrash, Is.EqualTo(6));
    }

    [Test]
    public void A_message_belongs_to_the_last_step_at_or_before_its_origination()
    {
        // tcp: a message is originated a little after its step began
        (DateTimeOffset, bool)[] messages = [(Ms(503), true), (Ms(612), false), (Ms(705), true), (Ms(801), true), (Ms(902), true)];

        var outcome = TreeRepair.Measure(CrashAt, Steps(), messages, transmissions: 1000, receipts: 1000);

        Assert.That(outcome.RepairedAfter, Is.EqualTo(TimeSpan.FromMilliseconds(700 - 450)));
        Assert.That(outcome.MessagesAfterRepair, Is.EqualTo(3));
    }

    [Test]
    public void Without_a_step_after_the_crash_there_is_nothing_to_measure()
    {
        var outcome = TreeRepair.Measure(Ms(950), Steps(), [], transmissions: 1000, receipts: 1000);

        Assert.That(outcome, Is.EqualTo(new TreeRepairOutcome(null, null, 0, 0)));
    }
}
