using P2PSim.Configuration;
using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>The groups workload on both networks: every member gets every message, nobody else a copy, at a tree's cost.</summary>
[TestFixture]
[Parallelizable] // the simulated runs; the tcp one below runs alone (see Parallelism.cs)
public sealed class GroupsWorkloadTests
{
    private static ExperimentOptions Options(int peers, Routing routing = Routing.Flood) => new()
    {
        Seeds = 3,
        Peers = peers,
        RunSeed = 5,
        Workload = WorkloadKind.Groups,
        Messages = 60,
        Spacing = TimeSpan.FromMilliseconds(50),
        Groups = 4,
        GroupShare = 0.3,
        GroupChanges = 12,
        Gossip = new GossipOptions { Routing = routing },
        HtmlReport = false,
    };

    [TestCase(Routing.Flood)]
    [TestCase(Routing.Tree)]
    [TestCase(Routing.Spanning)]
    public void On_the_simulated_network_every_member_gets_every_message_and_no_copy_leaks(Routing routing)
    {
        var report = new SimulatedExperiment(Options(200, routing)).Run();

        var groups = report.Groups!;
        Assert.Multiple(() =>
        {
            Assert.That(report.Workload, Is.EqualTo("groups"));
            Assert.That(groups.Groups, Is.EqualTo(4));
            Assert.That(groups.MembersAtStartMean, Is.EqualTo(60));
            Assert.That(groups.MessagesPublished, Is.EqualTo(60));
            Assert.That(groups.MembershipChanges, Is.EqualTo(12));
            Assert.That(groups.ExpectedDeliveries, Is.GreaterThan(60 * 50), "about 60 members a group");
            Assert.That(groups.Reliability, Is.EqualTo(1.0));
            Assert.That(groups.LeakedCopies, Is.Zero, "no payload copy reached a node outside its group");
            Assert.That(groups.ReceiptsByNonMembers, Is.Zero);
            Assert.That(groups.RepeatedReceipts, Is.Zero);
            Assert.That(groups.ReceiptLatencyP50Ms, Is.GreaterThan(0));
            Assert.That(report.Delivery.MessagesPublished, Is.Zero, "no broadcast in this workload");
        });
        if (routing != Routing.Flood)
        {
            Assert.That(groups.TransmissionsPerDelivery, Is.LessThan(1.5), "each group's own tree: about one copy per member");
        }
    }

    [Test]
    public void Two_simulated_runs_with_the_same_seed_give_the_same_report()
    {
        var first = new SimulatedExperiment(Options(80)).Run();
        var second = new SimulatedExperiment(Options(80)).Run();

        Assert.That(ReportWriter.ToDeterministicJson(second), Is.EqualTo(ReportWriter.ToDeterministicJson(first)));
        Assert.That(ReportWriter.ToJson(first), Does.Contain("\"leakedCopies\": 0"));
    }

    [Test]
    public void Other_workloads_have_no_group_section_in_their_report() =>
        Assert.That(ReportWriter.ToJson(new SimulatedExperiment(Options(30) with { Workload = WorkloadKind.Burst, Messages = 3 }).Run()), Does.Not.Contain("\"groups\""));

    [Test]
    [NonParallelizable] // real sockets and liveness in real time
    [CancelAfter(90_000)]
    public async Task On_tcp_every_member_gets_every_message_and_no_receipt_is_a_non_members(CancellationToken ct)
    {
        var options = Options(40, Routing.Tree) with
        {
            Peer = new PeerOptions { LivenessInterval = TimeSpan.FromSeconds(1), RegistrationTimeout = TimeSpan.FromSeconds(2), RetryInterval = TimeSpan.FromMilliseconds(200) },
            DrainTimeout = TimeSpan.FromSeconds(20),
        };

        var report = await new TcpExperiment(options).RunAsync(cancellationToken: ct);

        var groups = report.Groups!;
        Assert.Multiple(() =>
        {
            Assert.That(groups.MessagesPublished, Is.EqualTo(60));
            Assert.That(groups.Reliability, Is.EqualTo(1.0));
            Assert.That(groups.ReceiptsByNonMembers, Is.Zero);
            Assert.That(groups.LeakedCopies, Is.Null, "tcp cannot see frames on their way");
            Assert.That(report.Security!.GroupKeysMade, Is.GreaterThanOrEqualTo(4), "a key at least for each of the 4 groups, in the tcp report too");
            Assert.That(report.Security.GroupKeysLearned, Is.GreaterThan(report.Security.GroupKeysMade), "passed on to the other members over GroupKey frames");
            Assert.That(report.Security.GroupMessagesUnread, Is.Zero, "every key came");
        });
    }
}
