using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>The process queue budget as a plain object: fair shares, what is refused first, release, thread safety.</summary>
[TestFixture]
public sealed class QueueBudgetTests
{
    private const int Frame = 100;

    /// <summary>Charges frames of <paramref name="size"/> until the budget refuses one; returns how many it took.</summary>
    private static int FillUntilRefused(QueueBudget budget, QueueBudget.Account account, SendClass sendClass, int size = Frame)
    {
        var taken = 0;
        while (budget.TryCharge(account, size, sendClass))
        {
            taken++;
        }
        return taken;
    }

    [Test]
    public void One_busy_queue_gets_at_most_half_of_the_room_and_a_second_one_still_finds_some()
    {
        var budget = new QueueBudget(100_000);
        var ceiling = budget.Ceiling(SendClass.ForwardedGossip);
        var first = budget.Open();
        var second = budget.Open();

        FillUntilRefused(budget, first, SendClass.ForwardedGossip);
        Assert.That(first.Used, Is.InRange(ceiling / 2 - Frame, ceiling / 2), "alone, a queue stops at half of the ceiling");

        FillUntilRefused(budget, second, SendClass.ForwardedGossip);
        using (Assert.EnterMultipleScope())
        {
            // The second queue may hold up to what is left free after it: (ceiling - first) / 2.
            Assert.That(second.Used, Is.InRange((ceiling - first.Used) / 2 - Frame, (ceiling - first.Used) / 2));
            Assert.That(budget.TryCharge(first, Frame, SendClass.ForwardedGossip), Is.False, "the first one got no more meanwhile");
            Assert.That(budget.QueuedBytes, Is.EqualTo(first.Used + second.Used));
            Assert.That(budget.QueuedBytes, Is.LessThan(ceiling), "some room is always left for a newcomer");
        }

        // Once the first queue drains a little, the two converge on equal shares (ceiling / 3 each).
        while (first.Used > ceiling / 3)
        {
            budget.Release(first, Frame);
            FillUntilRefused(budget, second, SendClass.ForwardedGossip);
        }
        Assert.That(second.Used, Is.InRange(ceiling / 3 - 2 * Frame, ceiling / 3 + Frame));
    }

    [Test]
    public void Within_the_budget_a_queue_always_gets_its_guaranteed_share_and_an_empty_queue_one_frame_of_any_size()
    {
        var budget = new QueueBudget(100_000);
        var hog = budget.Open();
        budget.TryCharge(hog, 90_000, SendClass.Control); // past the ceiling of forwarded gossip (75,000)

        var small = budget.Open();
        Assert.That(FillUntilRefused(budget, small, SendClass.ForwardedGossip), Is.EqualTo(QueueBudget.GuaranteedBytes / Frame));
        Assert.That(budget.TryCharge(budget.Open(), 5_000, SendClass.ForwardedGossip), Is.True, "one frame always fits an empty queue");

        budget.TryCharge(hog, 5_000, SendClass.Control); // 100,500: control may go past the budget, gossip may not
        using (Assert.EnterMultipleScope())
        {
            Assert.That(budget.TryCharge(budget.Open(), Frame, SendClass.OwnGossip), Is.False, "past the budget nothing but control gets in");
            Assert.That(budget.TryCharge(small, 1, SendClass.Control), Is.True);
        }
    }

    [Test]
    public void Forwarded_gossip_is_refused_first_own_gossip_next_and_control_never()
    {
        var budget = new QueueBudget(10_000);
        var busy = budget.Open();
        var queue = budget.Open();
        Assert.That(budget.TryCharge(queue, QueueBudget.GuaranteedBytes, SendClass.OwnGossip), Is.True, "within its guaranteed share");
        Assert.That(budget.TryCharge(busy, 7_000, SendClass.Control), Is.True);

        // 7,512 bytes queued: past the forwarded ceiling (three quarters, 7,500), under the budget.
        using (Assert.EnterMultipleScope())
        {
            Assert.That(budget.TryCharge(queue, Frame, SendClass.ForwardedGossip), Is.False, "forwarded gossip is refused first");
            Assert.That(budget.TryCharge(queue, Frame, SendClass.OwnGossip), Is.True, "own gossip still gets in");
        }

        Assert.That(budget.TryCharge(busy, 5_000, SendClass.Control), Is.True, "control is admitted even past the budget");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(budget.QueuedBytes, Is.EqualTo(12_612));
            Assert.That(budget.TryCharge(queue, Frame, SendClass.OwnGossip), Is.False, "past the budget own gossip is refused too");
            Assert.That(budget.TryCharge(queue, Frame, SendClass.Control), Is.True);
            Assert.That(budget.Drops, Is.EqualTo(new FrameDrops(0, 1, 1)), "each refusal counted in its class");
            Assert.That(budget.GetStats(), Is.EqualTo(new BudgetStats(10_000, 12_712, 12_712, new FrameDrops(0, 1, 1))));
        }
    }

    [Test]
    public void Forwarded_gossip_still_to_be_sent_is_refused_before_forwarded_gossip_that_already_arrived()
    {
        var budget = new QueueBudget(10_000);
        var sending = budget.Open(QueueSide.Send);
        var receiving = budget.Open(QueueSide.Receive);
        budget.TryCharge(sending, QueueBudget.GuaranteedBytes, SendClass.ForwardedGossip);
        budget.TryCharge(receiving, QueueBudget.GuaranteedBytes, SendClass.ForwardedGossip);
        budget.TryCharge(budget.Open(), 6_000, SendClass.Control); // 7,024 queued: the budget's 3/4 is 7,500, its 7/8 8,750

        using (Assert.EnterMultipleScope())
        {
            Assert.That(budget.Ceiling(SendClass.ForwardedGossip, QueueSide.Receive), Is.EqualTo(8_750));
            Assert.That(budget.TryCharge(sending, Frame, SendClass.ForwardedGossip), Is.False, "not sent yet: nothing is lost by refusing it");
            Assert.That(budget.TryCharge(receiving, Frame, SendClass.ForwardedGossip), Is.True, "it crossed the wire already");
        }
    }

    [Test]
    public void Released_bytes_go_back_to_the_budget_and_a_closed_queue_gives_back_all_it_held()
    {
        var budget = new QueueBudget(100_000);
        var a = budget.Open();
        var b = budget.Open();
        budget.TryCharge(a, 300, SendClass.OwnGossip);
        budget.TryCharge(a, 200, SendClass.ForwardedGossip);
        budget.TryCharge(b, 700, SendClass.Control);

        budget.Release(a, 300); // the write loop took a frame
        Assert.That((a.Used, b.Used, budget.QueuedBytes), Is.EqualTo((200L, 700L, 900L)));

        Assert.That(budget.ReleaseAll(b), Is.EqualTo(700), "the connection ended: what its queue held goes back at once");
        Assert.That(budget.ReleaseAll(b), Is.Zero, "and only once");
        budget.Release(a, 200);
        Assert.That((a.Used, budget.QueuedBytes, budget.PeakQueuedBytes), Is.EqualTo((0L, 0L, 1200L)), "the peak stays");
    }

    [Test]
    public void The_count_never_goes_negative_a_release_of_more_than_was_charged_is_refused()
    {
        var budget = new QueueBudget(100_000);
        var account = budget.Open();
        budget.TryCharge(account, 100, SendClass.OwnGossip);

        Assert.That(() => budget.Release(account, 101), Throws.InvalidOperationException.With.Message.Contains("released twice or never charged"));
        Assert.That(() => budget.Release(new QueueBudget(10).Open(), 0), Throws.ArgumentException, "an account of another budget");
        Assert.That(() => budget.TryCharge(account, -1, SendClass.Control), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That((account.Used, budget.QueuedBytes), Is.EqualTo((100L, 100L)), "nothing changed");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Parallel_charges_and_releases_keep_every_count_exact_and_the_total_within_its_bound(CancellationToken ct)
    {
        const long limit = 64 * 1024;
        const int threads = 8;
        const int maxFrame = 200;
        var budget = new QueueBudget(limit);
        var shared = budget.Open(); // every thread uses this one too: no update may get lost
        var accounts = Enumerable.Range(0, threads).Select(_ => budget.Open()).ToArray();
        var highest = 0L;

        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            var random = new Random(t);
            var held = new Stack<(QueueBudget.Account Account, int Bytes)>();
            for (var i = 0; i < 200_000 && !ct.IsCancellationRequested; i++)
            {
                var account = random.Next(4) == 0 ? shared : accounts[t];
                var size = random.Next(40, maxFrame + 1);
                if (budget.TryCharge(account, size, random.Next(2) == 0 ? SendClass.OwnGossip : SendClass.ForwardedGossip))
                {
                    held.Push((account, size));
                }
                if (held.Count > 0 && random.Next(3) == 0)
                {
                    var (from, bytes) = held.Pop();
                    budget.Release(from, bytes);
                }
                Interlocked.Exchange(ref highest, Math.Max(Interlocked.Read(ref highest), budget.QueuedBytes));
            }
            while (held.TryPop(out var frame))
            {
                budget.Release(frame.Account, frame.Bytes);
            }
        }, ct)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(budget.QueuedBytes, Is.Zero, "every charge was released exactly once");
            Assert.That(accounts.Append(shared).Select(a => a.Used), Is.All.Zero);
            Assert.That(budget.PeakQueuedBytes, Is.LessThanOrEqualTo(limit), "gossip never takes the total past the budget");
            Assert.That(highest, Is.LessThanOrEqualTo(budget.PeakQueuedBytes));
            Assert.That(budget.PeakQueuedBytes, Is.GreaterThan(limit / 2), "the hammer did press on the budget");
            Assert.That(budget.Drops.Total, Is.GreaterThan(0));
        }
    }

    [TestCase(0, 1, QueueBudget.MinimumDefaultBytes)]
    [TestCase(0, 1003, QueueBudget.MinimumDefaultBytes)]
    [TestCase(0, 5003, 5003 * QueueBudget.DefaultBytesPerNode)]
    [TestCase(123_456, 5003, 123_456)]
    public void The_default_budget_grows_with_the_nodes_of_the_process_and_a_setting_wins(long configured, int nodes, long expected) =>
        Assert.That(QueueBudget.BytesFor(configured, nodes), Is.EqualTo(expected));
}
