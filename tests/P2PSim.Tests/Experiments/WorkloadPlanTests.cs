using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>What each workload will do, decided before the run.</summary>
[TestFixture]
public sealed class WorkloadPlanTests
{
    private static ExperimentOptions Hundred(WorkloadKind workload) => new() { Peers = 100, Workload = workload };

    private static WorkloadPlan Plan(ExperimentOptions options, int seed = 1) =>
        WorkloadPlan.For(options.WorkloadToRun(), options.Seeds, options.Peers, new Random(seed));

    private static StepKind[] Kinds(WorkloadPlan plan) => plan.Steps.Select(s => s.Kind).ToArray();

    [Test]
    public void A_crash_comes_half_a_spacing_before_the_middle_message()
    {
        var plan = Plan(Hundred(WorkloadKind.Crash) with { Messages = 10, Spacing = TimeSpan.FromMilliseconds(100), CrashShare = 0.3 });

        var crash = plan.Steps.Single(s => s.Kind == StepKind.CrashPeers);
        Assert.That(crash.At, Is.EqualTo(TimeSpan.FromMilliseconds(450)));
        Assert.That(Kinds(plan).ToList().IndexOf(StepKind.CrashPeers), Is.EqualTo(5), "after messages 0-4, before message 5");
        Assert.That(crash.Targets, Is.EqualTo(plan.Victims).And.Length.EqualTo(30).And.Unique.And.Ordered);
    }

    [Test]
    public void With_no_spacing_the_crash_still_falls_between_the_two_halves()
    {
        var plan = Plan(Hundred(WorkloadKind.Crash) with { Messages = 4, Spacing = TimeSpan.Zero });

        Assert.That(Kinds(plan), Is.EqualTo(new[] { StepKind.Publish, StepKind.Publish, StepKind.CrashPeers, StepKind.Publish, StepKind.Publish }));
    }

    [Test]
    public void Churn_holds_back_the_last_peers_and_alternates_leaves_and_joins_over_the_burst()
    {
        var plan = Plan(Hundred(WorkloadKind.Churn) with { Messages = 100, ChurnLeaveShare = 0.1, ChurnCrashShare = 0.5, ChurnJoinShare = 0.2 });

        var churn = plan.Steps.Where(s => s.Kind != StepKind.Publish).ToArray();
        Assert.That(plan.InitialPeers, Is.EqualTo(80));
        Assert.That(churn.Where(s => s.Kind == StepKind.JoinPeer).Select(s => s.Targets[0]), Is.EqualTo(Enumerable.Range(80, 20)));
        Assert.That(plan.Victims.Concat(plan.Leavers), Has.All.LessThan(80));
        Assert.That(plan.Victims.Concat(plan.Leavers), Is.Unique);
        Assert.That((plan.Victims.Length, plan.Leavers.Length), Is.EqualTo((5, 5)));
        Assert.That(churn.Take(20).Select(s => s.Kind == StepKind.JoinPeer), Is.EqualTo(Enumerable.Range(0, 20).Select(i => i % 2 == 1)), "leave, join, leave, join...");
        Assert.That(plan.ChurnInterval, Is.EqualTo(TimeSpan.FromSeconds(10) / 31));
        Assert.That(churn[^1].At, Is.LessThan(TimeSpan.FromSeconds(10)), "all within the burst");
        Assert.That(plan.OriginsStay, Is.True);
    }

    [Test]
    public void A_partition_splits_every_peer_into_two_sides_and_heals_after_its_duration()
    {
        var plan = Plan(Hundred(WorkloadKind.Partition) with { Messages = 10, PartitionShare = 0.3, PartitionDuration = TimeSpan.FromSeconds(7) });

        var split = plan.Steps.Single(s => s.Kind == StepKind.Partition);
        var heal = plan.Steps.Single(s => s.Kind == StepKind.Heal);
        Assert.That(split.Targets, Has.Length.EqualTo(30));
        Assert.That(split.Targets.Concat(split.Others).Order(), Is.EqualTo(Enumerable.Range(0, 100)));
        Assert.That(heal.At - split.At, Is.EqualTo(TimeSpan.FromSeconds(7)));
        Assert.That(plan.Steps[^1], Is.SameAs(heal), "the heal may come after the last message");
    }

    [Test]
    public void A_seed_crash_restarts_the_same_seeds()
    {
        var plan = Plan(Hundred(WorkloadKind.SeedCrash) with { Seeds = 5, Messages = 10, SeedCrashes = 2, SeedRestartAfter = TimeSpan.FromSeconds(3) });

        var crash = plan.Steps.Single(s => s.Kind == StepKind.CrashSeeds);
        var restart = plan.Steps.Single(s => s.Kind == StepKind.RestartSeeds);
        Assert.That(crash.Targets, Has.Length.EqualTo(2).And.All.InRange(0, 4));
        Assert.That(restart.Targets, Is.EqualTo(crash.Targets));
        Assert.That(restart.At - crash.At, Is.EqualTo(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public void The_same_random_seed_gives_the_same_plan()
    {
        var workload = Hundred(WorkloadKind.Churn) with { Messages = 20, ChurnLeaveShare = 0.3, ChurnJoinShare = 0.3 };

        var first = Plan(workload, seed: 4).Steps.Select(s => (s.At, s.Kind, s.Targets.FirstOrDefault())).ToArray();
        var second = Plan(workload, seed: 4).Steps.Select(s => (s.At, s.Kind, s.Targets.FirstOrDefault())).ToArray();

        Assert.That(second, Is.EqualTo(first));
        Assert.That(Plan(workload, seed: 4).Leavers, Is.Not.EqualTo(Plan(workload, seed: 5).Leavers));
    }
}
