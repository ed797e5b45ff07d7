using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Protocol;

namespace P2PSim.Tests.Hosting;

public sealed class GroupLedgerTests
{
    private static readonly NodeEndpoint Publisher = NodeEndpoint.Loopback(6000);
    private static readonly NodeEndpoint Member = NodeEndpoint.Loopback(6001);
    private static readonly NodeEndpoint LateJoiner = NodeEndpoint.Loopback(6002);
    private static readonly NodeEndpoint Leaver = NodeEndpoint.Loopback(6003);
    private static readonly NodeEndpoint Crashed = NodeEndpoint.Loopback(6004);
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Only_members_from_publication_to_the_end_are_expected_and_a_second_receipt_is_a_repeat()
    {
        var ledger = new GroupLedger();
        var id = new MessageId(1, 2, 3, 4);
        foreach (var node in new[] { Publisher, Member, Leaver, Crashed })
        {
            ledger.Joined(node, "blue", T0);
        }
        ledger.Published(id, Publisher, "blue", T0.AddSeconds(1), "hello");
        ledger.Joined(LateJoiner, "blue", T0.AddSeconds(2));
        ledger.Left(Leaver, "blue");
        ledger.Received(id, Member);
        ledger.Received(id, Member);
        ledger.Received(id, LateJoiner);

        var delivery = ledger.Compute(node => node != Crashed);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((delivery.Messages, delivery.Expected, delivery.Delivered, delivery.Repeated), Is.EqualTo((1, 1L, 1L, 1L)));
            Assert.That(delivery.Groups.Single(), Is.EqualTo(new GroupDelivery.OfGroup("blue", 1, 1, 1)));
            Assert.That(delivery.Missing, Is.Empty);
        }
    }

    [Test]
    public void A_member_that_never_received_is_named_and_a_restart_ends_its_membership()
    {
        var ledger = new GroupLedger();
        ledger.Joined(Publisher, "red", T0);
        ledger.Joined(Member, "red", T0);
        ledger.Joined(Leaver, "red", T0);
        ledger.Restarted(Leaver);
        ledger.Published(new MessageId(9, 9, 9, 9), Publisher, "red", T0.AddSeconds(1), "lost");

        var delivery = ledger.Compute(_ => true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((delivery.Expected, delivery.Delivered), Is.EqualTo((1L, 0L)), "the restarted member is not expected");
            Assert.That(delivery.Missing, Is.EqualTo(new[] { $"{Member} never received \"lost\" of group \"red\"" }));
        }
    }
}
