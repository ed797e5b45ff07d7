using P2PSim.Experiments;
using P2PSim.Experiments.Slices;

namespace P2PSim.Tests.Experiments;

/// <summary>The schedule every slice derives on its own from the settings and the run seed.</summary>
[TestFixture]
public sealed class SliceScheduleTests
{
    private static readonly ExperimentOptions Crash = new() { Peers = 30, Messages = 20, Workload = WorkloadKind.Crash, CrashShare = 0.2, RunSeed = 42 };

    [Test]
    public void Every_slice_derives_the_same_steps_from_the_same_settings()
    {
        var a = SliceSchedule.For(Crash, seeds: 3);
        var b = SliceSchedule.For(Crash with { }, seeds: 3);

        Assert.That(b.Steps.Select(s => (s.At, s.Kind, string.Join(",", s.Targets))), Is.EqualTo(a.Steps.Select(s => (s.At, s.Kind, string.Join(",", s.Targets)))));
        Assert.That(b.HostSeed, Is.EqualTo(a.HostSeed));
        Assert.That(SliceSchedule.For(Crash with { RunSeed = 43 }, 3).Steps.Select(s => string.Join(",", s.Targets)),
            Is.Not.EqualTo(a.Steps.Select(s => string.Join(",", s.Targets))), "another run seed, another draw");
    }

    [Test]
    public void A_crash_schedule_publishes_every_message_and_no_crashed_peer_publishes_after_its_crash()
    {
        var schedule = SliceSchedule.For(Crash, seeds: 3);

        var crash = schedule.Steps.Single(s => s.Kind == StepKind.CrashPeers);
        var publishes = schedule.Steps.Where(s => s.Kind == StepKind.Publish).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(crash.Targets, Is.EqualTo(schedule.Plan.Victims).And.Length.EqualTo(6));
            Assert.That(crash.At, Is.EqualTo(TimeSpan.FromMilliseconds(950)), "half a spacing before message 10");
            Assert.That(publishes, Has.Length.EqualTo(20));
            Assert.That(publishes.All(p => p.Targets.Length == 1), Is.True);
            Assert.That(schedule.Messages, Is.EqualTo(20));
            Assert.That(publishes.Where(p => p.At > crash.At).SelectMany(p => p.Targets).Intersect(crash.Targets), Is.Empty);
        }
    }

    [Test]
    public void With_every_peer_publishing_each_step_counts_the_peers_still_running()
    {
        var schedule = SliceSchedule.For(Crash with { Publishers = PublisherKind.Every, Messages = 4 }, seeds: 3);

        var counts = schedule.Steps.Where(s => s.Kind == StepKind.Publish).Select(s => s.Targets.Length).ToArray();
        Assert.That(string.Join(" ", counts), Is.EqualTo("30 30 24 24"), "6 of the 30 crash before message 2");
        Assert.That(schedule.Messages, Is.EqualTo(108));
    }

    [Test]
    public void Classic_has_no_steps_and_every_peer_originates_its_messages() =>
        Assert.That(SliceSchedule.For(Crash with { Workload = WorkloadKind.Classic, Peer = new() { MessagesPerPeer = 3 } }, 3),
            Has.Property(nameof(SliceSchedule.Steps)).Empty.And.Property(nameof(SliceSchedule.Messages)).EqualTo(90));

    [TestCase(WorkloadKind.SeedCrash)]
    [TestCase(WorkloadKind.Churn)]
    [TestCase(WorkloadKind.Partition)]
    public void Workloads_that_need_the_whole_network_in_one_process_are_not_scheduled_over_slices(WorkloadKind workload) =>
        Assert.That(SliceSchedule.Supports(workload), Is.False);
}
