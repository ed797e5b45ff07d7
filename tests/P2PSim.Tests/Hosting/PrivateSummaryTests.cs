using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.Hosting;

/// <summary>The summary's account of private messages.</summary>
[TestFixture]
public sealed class PrivateSummaryTests
{
    private static readonly DateTimeOffset At = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly NodeEndpoint A = NodeEndpoint.Loopback(6001);
    private static readonly NodeEndpoint B = NodeEndpoint.Loopback(6002);
    private static readonly NodeEndpoint Seed = NodeEndpoint.Loopback(5000);

    [Test]
    public void Sent_delivered_relayed_undeliverable_and_pending_are_counted_from_the_events()
    {
        var stats = new NetworkStats(TimeProvider.System);
        var a = stats.Register(A, NodeRole.Peer);
        var b = stats.Register(B, NodeRole.Peer);
        var ids = Enumerable.Range(1, 4).Select(i => new MessageId((ulong)i, 0, 0, 0)).ToArray();
        foreach (var id in ids)
        {
            stats.Record(a, new PrivateSent(At, id, B, "x"));
        }
        stats.Record(b, new PrivateDelivered(At, ids[0], A, "x", null, At));
        stats.Record(a, new PrivateAcknowledged(At, ids[0], B, 1, null, TimeSpan.Zero));
        stats.Record(b, new PrivateDelivered(At, ids[1], A, "x", Seed, At));
        stats.Record(a, new PrivateAcknowledged(At, ids[1], B, 2, Seed, TimeSpan.Zero));
        stats.Record(a, new PrivateUndeliverable(At, ids[2], B, 4, "no acknowledgement"));

        Assert.That(stats.Private, Is.EqualTo(new PrivateDelivery(Sent: 4, Acknowledged: 2, Relayed: 1, Undeliverable: 1, Received: 2)));
        Assert.That(stats.Private.Pending, Is.EqualTo(1));
        Assert.That(stats.FormatSummary(), Does.Contain("Private messages: 4 sent, 2 delivered and acknowledged (1 relayed by a seed), 1 undeliverable, 1 still awaiting the acknowledgement"));
    }

    [Test]
    public void A_run_without_private_messages_has_no_such_line() =>
        Assert.That(new NetworkStats(TimeProvider.System).FormatSummary(), Does.Not.Contain("Private messages"));

    [Test]
    public void One_slice_of_a_network_says_what_happened_here() =>
        Assert.That(NetworkStats.FormatPrivate(new PrivateDelivery(2, 2, 0, 0, 3), oneSlice: true),
            Is.EqualTo("Private messages: 2 sent here, 2 delivered and acknowledged, 0 undeliverable; 3 received here"));
}
