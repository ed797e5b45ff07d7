using Microsoft.Extensions.Time.Testing;
using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.Hosting;

/// <summary>The summary's account of group messages: receipts of the members that were in the group when a message was published and stayed to the end.</summary>
[TestFixture]
public sealed class NetworkStatsGroupTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly NodeEndpoint A = NodeEndpoint.Loopback(6000), B = NodeEndpoint.Loopback(6001), C = NodeEndpoint.Loopback(6002), D = NodeEndpoint.Loopback(6003);

    /// <summary>A group message's id, from its text alone (the statistics read ids, never envelopes).</summary>
    private static MessageId Id(string text) => new P2PSim.Protocol.Gossip(GossipKind.Group, A, 1, 0, 1, text) { Group = "blue" }.Id;

    [Test]
    public void Members_from_the_publication_to_the_end_are_expected_others_are_not()
    {
        var stats = new NetworkStats(new FakeTimeProvider(T0));
        var counters = new[] { A, B, C, D }.ToDictionary(n => n, n => stats.Register(n, NodeRole.Peer));
        void Record(NodeEndpoint node, NodeEvent e) => stats.Record(counters[node], e);
        foreach (var node in new[] { A, B, C })
        {
            Record(node, new GroupJoined(T0, "blue"));
        }
        var first = Id("first");
        Record(A, new GroupEvent(T0.AddSeconds(1), "blue", new GossipOriginated(T0.AddSeconds(1), "first", first, 2)));
        Record(B, new GroupEvent(T0.AddSeconds(1), "blue", new GossipReceived(T0.AddSeconds(1), "first", first, A, A, 1, 1)));
        Record(D, new GroupJoined(T0.AddSeconds(2), "blue")); // late: not expected to have "first"
        Record(C, new GroupLeft(T0.AddSeconds(3), "blue", 1)); // left before the end: not expected either
        var second = Id("second");
        Record(B, new GroupEvent(T0.AddSeconds(4), "blue", new GossipOriginated(T0.AddSeconds(4), "second", second, 2)));
        Record(A, new GroupEvent(T0.AddSeconds(4), "blue", new GossipReceived(T0.AddSeconds(4), "second", second, B, B, 1, 1)));
        stats.MarkEnd(T0.AddSeconds(10));

        var delivery = stats.ComputeGroupDelivery();

        Assert.That(delivery.Messages, Is.EqualTo(2));
        Assert.That((delivery.Expected, delivery.Delivered), Is.EqualTo((3L, 2L)), "first: B; second: A and D (D missed it)");
        Assert.That(delivery.Missing.Single(), Does.Contain($"{D} never received \"second\" of group \"blue\""));
        Assert.That(NetworkStats.FormatGroupDelivery(delivery),
            Is.EqualTo("Group delivery: 2 of 3 expected receipts by members (66.7 %); 1 missing; 0 delivered more than once; by group: \"blue\" 2/3"));
        Assert.That((counters[A].GroupPublished, counters[A].GroupReceived), Is.EqualTo((1, 1L)));
        Assert.That(stats.FormatSummary(), Does.Contain("Group sent Group recv"));
    }

    [Test]
    public void A_death_seen_on_a_groups_links_counts_as_a_detection()
    {
        var stats = new NetworkStats(new FakeTimeProvider(T0));
        var a = stats.Register(A, NodeRole.Peer);
        stats.Register(B, NodeRole.Peer);
        stats.RecordCrash(B, T0);
        stats.Record(a, new GroupEvent(T0.AddSeconds(3), "blue", new NeighbourDead(T0.AddSeconds(3), B, 3, "liveness requests unanswered")));

        var death = stats.ComputeDeaths().Single();
        Assert.That(death.FirstDetection, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(stats.DeathsDetected, Is.EqualTo(1));
    }
}
