using System.Net;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// The process queue budget's fairness among origins (QueueBudget.Origins.cs): while one origin's frames hold the room,
/// a frame of an origin that holds little is still admitted, within the budget; without a heavy origin nothing changes.
/// </summary>
[TestFixture]
public sealed class QueueBudgetOriginTests
{
    private const int Frame = 100;

    private static readonly int Flooder = QueueBudget.OriginKey(new NodeEndpoint(IPAddress.Parse("127.66.0.2"), 45000));
    private static readonly int Honest = QueueBudget.OriginKey(new NodeEndpoint(IPAddress.Parse("127.2.0.7"), 40001));

    private static int Fill(QueueBudget budget, QueueBudget.Account account, int origin, SendClass sendClass = SendClass.ForwardedGossip)
    {
        var taken = 0;
        while (budget.TryCharge(account, Frame, sendClass, origin: origin))
        {
            taken++;
        }
        return taken;
    }

    [Test]
    public void A_light_origin_still_gets_room_on_a_queue_a_heavy_origin_filled_and_the_heavy_one_gets_none()
    {
        var budget = new QueueBudget(100_000);
        var link = budget.Open();
        var other = budget.Open();
        Fill(budget, link, Flooder);
        Fill(budget, other, Flooder);
        Assert.That(budget.OriginBytes(Flooder), Is.GreaterThan(budget.LightOriginBytes), "the flooder is heavy");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(budget.TryCharge(link, Frame, SendClass.ForwardedGossip, origin: Flooder), Is.False, "the heavy origin is held to the shares");
            Assert.That(budget.TryCharge(link, Frame, SendClass.ForwardedGossip, origin: Honest), Is.True, "a light origin is let past them");
            Assert.That(budget.TryCharge(link, Frame, SendClass.ForwardedGossip, announcement: true, origin: 0), Is.False, "announcements are not");
            Assert.That(budget.AdmittedBesideHeavy, Is.EqualTo(1));
            Assert.That(budget.OriginBytes(Honest), Is.EqualTo(Frame));
        }
    }

    [Test]
    public void A_light_origin_gets_at_most_its_light_share_and_never_more_than_the_budget()
    {
        var budget = new QueueBudget(100_000);
        var link = budget.Open();
        Fill(budget, link, Flooder);
        Fill(budget, budget.Open(), Flooder);

        var taken = Fill(budget, link, Honest);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(budget.OriginBytes(Honest), Is.EqualTo(taken * Frame).And.InRange(budget.LightOriginBytes - Frame, budget.LightOriginBytes));
            Assert.That(budget.AdmittedBesideHeavy, Is.EqualTo(taken), "every one of them past the shares");
            Assert.That(budget.QueuedBytes, Is.LessThanOrEqualTo(budget.LimitBytes));
        }
    }

    [Test]
    public void Without_a_heavy_origin_the_shares_decide_as_before()
    {
        var budget = new QueueBudget(100_000);
        var link = budget.Open();
        var origins = Enumerable.Range(0, 1000).Select(i => QueueBudget.OriginKey(new NodeEndpoint(IPAddress.Loopback, 30000 + i))).ToArray();
        var taken = 0;
        while (budget.TryCharge(link, Frame, SendClass.ForwardedGossip, origin: origins[taken % origins.Length]))
        {
            taken++;
        }

        var ceiling = budget.Ceiling(SendClass.ForwardedGossip);
        Assert.That(link.Used, Is.InRange(ceiling / 2 - Frame, ceiling / 2), "many light origins on one queue: half of the ceiling, as without origins");
        Assert.That(budget.AdmittedBesideHeavy, Is.Zero);
    }

    [Test]
    public void An_origin_is_light_again_once_its_frames_leave_their_queues()
    {
        var budget = new QueueBudget(100_000);
        using var queues = new QueuesOf(budget);
        var flood = new P2PSim.Protocol.Gossip(GossipKind.Gossip, new NodeEndpoint(IPAddress.Parse("127.66.0.2"), 45000), 1, 0, 2, "flood");
        while (queues.Send.TryEnqueue(flood, SendClass.ForwardedGossip, Frame, wake: false) == SendQueues.Outcome.Queued)
        {
        }
        var key = QueueBudget.OriginKey(flood);
        Assert.That(budget.OriginBytes(key), Is.EqualTo(queues.Send.Bytes).And.GreaterThan(budget.LightOriginBytes));

        queues.Send.TryDequeue(out _);
        Assert.That(budget.OriginBytes(key), Is.EqualTo(queues.Send.Bytes), "a frame sent gives its origin's bytes back");
        queues.Send.Discard();
        Assert.That(budget.OriginBytes(key), Is.Zero, "a connection that ends gives back all of them");
        Assert.That(budget.QueuedBytes, Is.Zero);
    }

    [Test]
    public void The_origin_key_depends_on_the_address_and_port_only_and_is_never_zero()
    {
        var a = new NodeEndpoint(IPAddress.Parse("127.2.0.7"), 40001);
        Assert.That(QueueBudget.OriginKey(a), Is.EqualTo(QueueBudget.OriginKey(new NodeEndpoint(IPAddress.Parse("127.2.0.7"), 40001))));
        Assert.That(QueueBudget.OriginKey(a), Is.Not.EqualTo(QueueBudget.OriginKey(a with { Port = 40002 })));
        Assert.That(QueueBudget.OriginKey(new Ping(1)), Is.Zero, "control frames have no origin");
        Assert.That(Enumerable.Range(0, 5000).Select(i => QueueBudget.OriginKey(new NodeEndpoint(IPAddress.Loopback, i))), Has.None.EqualTo(0));
    }

    [Test]
    public void A_gossip_frame_counts_under_its_origins_endpoint_and_id_so_naming_anothers_endpoint_under_ones_own_id_counts_apart()
    {
        var victim = new NodeEndpoint(IPAddress.Parse("127.2.0.7"), 40001);
        var real = P2PSim.Tests.TestSupport.TestGossip.Of("1:127.2.0.7:40001:1") with { OriginId = new NodeId(1, 2, 3, 4) };
        var forged = real with { OriginId = new NodeId(5, 6, 7, 8), Sequence = 2 };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(QueueBudget.OriginKey(real), Is.EqualTo(QueueBudget.OriginKey(victim, new NodeId(1, 2, 3, 4))));
            Assert.That(QueueBudget.OriginKey(real), Is.EqualTo(QueueBudget.OriginKey(real with { Sequence = 9 })), "one origin, one key");
            Assert.That(QueueBudget.OriginKey(forged), Is.Not.EqualTo(QueueBudget.OriginKey(real)),
                "a flood that names the victim's endpoint under the flooder's id is not counted as the victim's (its frames would be shed)");
        }
    }

    /// <summary>One connection's send queues on <paramref name="budget"/>.</summary>
    private sealed class QueuesOf(QueueBudget budget) : IDisposable
    {
        public SendQueues Send { get; } = new(control: 1024, ownGossip: 1024, forwardedGossip: 4096, budget);

        public void Dispose() => Send.Discard();
    }
}
