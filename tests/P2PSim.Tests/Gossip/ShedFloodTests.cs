using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.Nodes;
using P2PSim.Transport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Gossip;

/// <summary>
/// A flooder is cut off for what it sent, not for what the process queue budget left of it: a neighbour's own gossip
/// frames that its link read but the budget dropped before the node saw them are counted by the receive queue, handed
/// to the node in order, and charged to the neighbour's allowance (strikes when beyond it).
/// </summary>
[TestFixture]
public sealed class ShedFloodTests
{
    private static readonly NodeEndpoint Flooder = PeerAt(2);
    private static readonly NodeEndpoint Honest = PeerAt(3);

    /// <summary>Gossip:OriginBurst, by default.</summary>
    private static readonly int Burst = new P2PSim.Configuration.GossipOptions().OriginBurst;

    private static P2PSim.Protocol.Gossip Message(NodeEndpoint origin, ulong sequence) =>
        new(GossipKind.Gossip, origin, sequence, T0.ToUnixTimeMilliseconds(), 1, $"{T0.ToUnixTimeMilliseconds()}:{origin.Address}:{origin.Port}:{sequence}");

    [Test]
    public void A_flood_the_budget_shed_before_the_peer_saw_it_still_gets_the_flooder_disconnected()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3));
        peer.Take();

        // The peer saw 10 of the flooder's messages; its link carried its burst and 100 more, which the budget dropped.
        for (ulong i = 1; i <= 10; i++)
        {
            peer.Receive(Flooder, Message(Flooder, i));
        }
        Assert.That(peer.Take().ReportsOf<GossipReceived>(), Has.Length.EqualTo(10), "what the peer saw was within the allowance");
        peer.Machine.OnOwnGossipShed(peer.Connections[Flooder], Burst - 10 + Dissemination.FloodStrikes - 1, peer.Now);
        var before = peer.Take();
        Assert.That(before.Closes(), Is.Empty, "one strike short: the link stays");
        peer.Machine.OnOwnGossipShed(peer.Connections[Flooder], 1, peer.Now);
        var last = peer.Take();

        Assert.That(last.ReportsOf<ProtocolViolation>().Single().Reason,
            Does.Contain($"published faster than Gossip:OriginRate (100 a second after {Burst} at once) allows: {Dissemination.FloodStrikes} of its messages dropped"));
        Assert.That(last.Closes().Single().Connection, Is.EqualTo(peer.Connections[Flooder]));
        Assert.That(peer.Machine.Neighbours, Is.EqualTo(new[] { Honest }), "the flooder is no neighbour any more");
        Assert.That(before.Concat(last).ReportsOf<GossipThrottled>().Sum(t => t.Count), Is.EqualTo(Dissemination.FloodStrikes), "each shed message beyond the allowance counted as throttled");
    }

    [Test]
    public void Own_messages_shed_within_the_allowance_cost_an_honest_neighbour_nothing_but_their_place_in_it()
    {
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3));
        peer.Take();

        peer.Machine.OnOwnGossipShed(peer.Connections[Honest], 50, peer.Now);
        var shed = peer.Take();
        peer.Receive(Honest, Message(Honest, 51));

        Assert.That(shed.Closes(), Is.Empty);
        Assert.That(shed.ReportsOf<GossipThrottled>(), Is.Empty, "within the allowance");
        Assert.That(peer.Take().ReportsOf<GossipReceived>().Single().Origin, Is.EqualTo(Honest), "its next message is taken");
        Assert.That(peer.Machine.Neighbours, Does.Contain(Honest));
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task The_receive_queue_counts_the_own_frames_the_budget_refuses_and_its_dispatcher_hands_the_count_on_before_it_stops(CancellationToken ct)
    {
        var budget = new QueueBudget(100_000);
        budget.TryCharge(budget.Open(), 99_000, SendClass.Control);
        var queue = new ReceiveQueue(capacityBytes: 100_000, budget);
        queue.BeginDispatching(); // the node is busy with a frame: what comes now is queued or shed

        Assert.That(await queue.AdmitAsync(Message(Flooder, 1), 500, ct, countShed: true), Is.EqualTo(ReceiveQueue.Admission.Queued), "its guaranteed share");
        Assert.That(await queue.AdmitAsync(Message(Flooder, 2), 500, ct, countShed: true), Is.EqualTo(ReceiveQueue.Admission.OverBudget));
        Assert.That(await queue.AdmitAsync(Message(Flooder, 3), 500, ct, countShed: true), Is.EqualTo(ReceiveQueue.Admission.OverBudget));
        Assert.That(await queue.AdmitAsync(Message(Honest, 1), 500, ct, countShed: false), Is.EqualTo(ReceiveQueue.Admission.OverBudget), "a forwarded frame is not counted");

        Assert.That(queue.TryTakeNext(out var first, out var shed), Is.True);
        Assert.That(((first as P2PSim.Protocol.Gossip)?.Id, shed), Is.EqualTo((Message(Flooder, 1).Id, 2)), "the next frame, and the own frames shed meanwhile (not the forwarded one)");
        Assert.That(await queue.AdmitAsync(Message(Flooder, 4), 1_200, ct, countShed: true), Is.EqualTo(ReceiveQueue.Admission.OverBudget), "shed while the node still takes the first (the queue empty)");
        Assert.That(queue.TryTakeNext(out var none, out shed), Is.True, "the queue is empty, but a count is left: the dispatcher goes on");
        Assert.That((none, shed), Is.EqualTo(((Message?)null, 1)));
        Assert.That(queue.TryTakeNext(out _, out shed), Is.False, "nothing left: the dispatcher is done");
        Assert.That(shed, Is.Zero);
        Assert.That(await queue.AdmitAsync(Message(Flooder, 5), 500, ct, countShed: true), Is.EqualTo(ReceiveQueue.Admission.Deliver), "the read loop delivers inline again");
    }
}
