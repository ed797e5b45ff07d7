using Microsoft.Extensions.Time.Testing;
using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// The security counts of the demo summary (dials refused for another id, neighbours replaced, group keys and the
/// messages held for them) are in every report too, counted from the same events and said in the same words.
/// </summary>
[TestFixture]
public sealed class SecurityCountsReportTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
    private static readonly NodeEndpoint A = NodeEndpoint.Loopback(6100), B = NodeEndpoint.Loopback(6101), S = NodeEndpoint.Loopback(6000);

    /// <summary>What a run's nodes report that these counts count: two refused dials (a peer's, a seed's), a replacement, keys, three held messages.</summary>
    private static IEnumerable<(NodeEndpoint Node, NodeEvent Event)> Events()
    {
        var key = new GroupKeyId(1, 2);
        var other = new NodeId(5, 6, 7, 8);
        var held = new MessageId(9, 9, 9, 1);
        var late = new MessageId(9, 9, 9, 2);
        yield return (A, new DialMetOtherId(T0, B, new NodeId(1, 2, 3, 4), other));
        yield return (S, new DialMetOtherId(T0, A, new NodeId(1, 1, 1, 1), other));
        yield return (A, new NeighbourReplaced(T0.AddSeconds(1), B, "delivered nothing", null, 1));
        yield return (A, new GroupEvent(T0, "blue", new GroupKeyMade(T0, key)));
        yield return (B, new GroupEvent(T0, "blue", new GroupMessageHeld(T0, held, A, key)));
        yield return (B, new GroupEvent(T0, "blue", new GroupMessageHeld(T0, late, A, key)));
        yield return (B, new GroupEvent(T0, "blue", new GroupMessageHeld(T0, new MessageId(9, 9, 9, 3), A, new GroupKeyId(3, 4))));
        yield return (B, new GroupEvent(T0.AddSeconds(1), "blue", new GroupKeyLearned(T0.AddSeconds(1), key, A, 1)));
        yield return (B, new GroupEvent(T0.AddSeconds(1), "blue", new GossipReceived(T0.AddSeconds(1), "held", held, A, A, 1, 0) { AfterKey = true }));
        yield return (B, new GroupEvent(T0.AddSeconds(1), "blue", new GossipReceived(T0.AddSeconds(1), "late", late, A, A, 1, 0) { AfterKey = true }));
        yield return (B, new GroupEvent(T0.AddSeconds(61), "blue", new GroupMessageUnread(T0.AddSeconds(61), new MessageId(9, 9, 9, 3), A, "its key did not come")));
        yield return (B, new GroupEvent(T0.AddSeconds(2), "blue", new GossipReceived(T0.AddSeconds(2), "plain", new MessageId(9, 9, 9, 4), A, A, 1, 0)));
    }

    private static readonly SecurityCounts Expected = new(
        DialsRefusedForAnotherId: 2, NeighboursReplaced: 1, GroupKeysMade: 1, GroupKeysLearned: 1, GroupMessagesHeld: 3, GroupMessagesRead: 2, GroupMessagesUnread: 1);

    [Test]
    public void The_summary_and_the_report_count_the_same_events_alike_and_say_them_in_the_same_words()
    {
        var stats = new NetworkStats(new FakeTimeProvider(T0));
        var counters = new Dictionary<NodeEndpoint, NetworkStats.NodeCounters>
        {
            [A] = stats.Register(A, NodeRole.Peer), [B] = stats.Register(B, NodeRole.Peer), [S] = stats.Register(S, NodeRole.Seed),
        };
        var recorder = new ExperimentRecorder([A, B], seedCount: 1, T0);
        foreach (var (node, e) in Events())
        {
            stats.Record(counters[node], e);
            if (node == S)
            {
                recorder.RecordSeedEvent(0, e);
            }
            else
            {
                recorder.RecordPeerEvent(node == A ? 0 : 1, e);
            }
        }
        stats.MarkEnd(T0.AddSeconds(70));

        Assert.That(stats.Security, Is.EqualTo(Expected), "the summary's counts");
        Assert.That(recorder.Security, Is.EqualTo(Expected), "the report's counts, from the same events");
        var summary = stats.FormatSummary();
        var text = TextOf(Report() with { Security = recorder.Security });
        Assert.Multiple(() =>
        {
            Assert.That(summary, Does.Contain("Dials refused for another id: 2 ("));
            Assert.That(summary, Does.Contain("Neighbours replaced: 1 ("));
            Assert.That(summary, Does.Contain("Group keys made / learned (GroupKey frames): 1 / 1; group messages held for their key / read / unread: 3 / 2 / 1"));
            Assert.That(counters[B].GroupReceived, Is.EqualTo(3), "a message read when its key came is a first receipt as any other");
            Assert.That(text, Does.Match(@"\n  dials refused for another id +2\n"));
            Assert.That(text, Does.Match(@"\n  neighbours replaced +1\n"));
            Assert.That(text, Does.Match(@"\n  group keys made / learned \(GroupKey frames\) +1 / 1\n"));
            Assert.That(text, Does.Match(@"\n  group messages held for their key / read / unread +3 / 2 / 1\n"));
        });
    }

    [Test]
    public void A_report_says_its_security_counts_in_a_security_section_of_its_text_and_its_json()
    {
        var report = Report() with { Security = Expected };

        var text = TextOf(report);
        var json = ReportWriter.ToJson(report);

        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("\nSecurity\n"));
            Assert.That(text.IndexOf("\nSecurity\n", StringComparison.Ordinal), Is.LessThan(text.IndexOf("dials refused for another id", StringComparison.Ordinal)));
            Assert.That(json, Does.Contain("\"security\": {"));
            Assert.That(json, Does.Contain("\"dialsRefusedForAnotherId\": 2,"));
            Assert.That(json, Does.Contain("\"neighboursReplaced\": 1,"));
            Assert.That(json, Does.Contain("\"groupKeysMade\": 1,"));
            Assert.That(json, Does.Contain("\"groupKeysLearned\": 1,"));
            Assert.That(json, Does.Contain("\"groupMessagesHeld\": 3,"));
            Assert.That(json, Does.Contain("\"groupMessagesRead\": 2,"));
            Assert.That(json, Does.Contain("\"groupMessagesUnread\": 1"));
            Assert.That(json, Does.Not.Contain("Line\""), "the summary's sentences are not fields");
            Assert.That(P2PSim.Experiments.Reports.ReportFile.Parse(json).Report!.Security, Is.EqualTo(Expected), "read back as written");
        });
    }

    [Test]
    public void A_simulated_groups_run_reports_the_keys_its_members_made_and_passed_on()
    {
        var report = new SimulatedExperiment(new ExperimentOptions
        {
            Seeds = 3,
            Peers = 60,
            RunSeed = 5,
            Workload = WorkloadKind.Groups,
            Messages = 20,
            Spacing = TimeSpan.FromMilliseconds(50),
            Groups = 2,
            GroupShare = 0.4,
            HtmlReport = false,
        }).Run();

        var s = report.Security!;
        Assert.Multiple(() =>
        {
            Assert.That(report.Groups!.Reliability, Is.EqualTo(1.0));
            Assert.That(s.GroupKeysMade, Is.InRange(2, 20), "at least one key a group, made by a member that published holding none");
            Assert.That(s.GroupKeysLearned, Is.GreaterThanOrEqualTo(2 * (24 - 1)), "every other member of each group (24 of 60) got its group's key over a link");
            Assert.That(s.GroupMessagesRead + s.GroupMessagesUnread, Is.LessThanOrEqualTo(s.GroupMessagesHeld), "only held messages are read late or unread");
            Assert.That(s.GroupMessagesUnread, Is.Zero, "every key came");
            Assert.That(s.DialsRefusedForAnotherId, Is.Zero, "no node at a listed endpoint proved another id");
            Assert.That(s.NeighboursReplaced, Is.Zero, "the simulator does not score");
        });
    }

    /// <summary>A small simulated report to write.</summary>
    private static ExperimentReport Report() =>
        new SimulatedExperiment(new ExperimentOptions { Peers = 8, RunSeed = 3, Workload = WorkloadKind.Burst, Messages = 2, HtmlReport = false }).Run();

    private static string TextOf(ExperimentReport report)
    {
        var text = new StringWriter();
        ReportWriter.WriteText(text, report);
        return text.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
