using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>The per-connection queues on their own: priorities, bounds, completion.</summary>
[TestFixture]
public sealed class QueueTests
{
    private static P2PSim.Protocol.Gossip Own(int n) => TestGossip.Of($"own {n}", 1);

    private static P2PSim.Protocol.Gossip Forwarded(int n) => TestGossip.Of($"forwarded {n}", 2);

    private const ReceiveQueue.Admission Deliver = ReceiveQueue.Admission.Deliver;
    private const ReceiveQueue.Admission Queued = ReceiveQueue.Admission.Queued;
    private const ReceiveQueue.Admission Closed = ReceiveQueue.Admission.Closed;

    /// <summary>A budget these tests never reach (the budget's own rules are in QueueBudgetTests).</summary>
    private static QueueBudget Unlimited() => new(long.MaxValue / 2);

    [Test]
    public void Frames_are_classified_by_type_and_hops()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(SendClasses.Of(TestGossip.Of("x", 1)), Is.EqualTo(SendClass.OwnGossip));
            Assert.That(SendClasses.Of(TestGossip.Of("x", 0)), Is.EqualTo(SendClass.OwnGossip));
            Assert.That(SendClasses.Of(TestGossip.Of("x", 2)), Is.EqualTo(SendClass.ForwardedGossip));
            Assert.That(SendClasses.Of(TestGossip.Of("x", ushort.MaxValue)), Is.EqualTo(SendClass.ForwardedGossip));
            foreach (var control in new Message[] { new Ping(1), new Pong(1), Goodbye.Instance, Register.Instance, new PeerList([]),
                new DeadNode(NodeEndpoint.Loopback(1), 0, NodeEndpoint.Loopback(2)), new Hello(1, NodeRole.Peer, NodeEndpoint.Loopback(3)) })
            {
                Assert.That(SendClasses.Of(control), Is.EqualTo(SendClass.Control), control.Type.ToString());
            }
        }
    }

    [Test]
    public void Control_goes_before_own_gossip_which_goes_before_forwarded_gossip_each_in_order()
    {
        var queues = new SendQueues(10, 10, 10, Unlimited());
        queues.Put(Forwarded(1), SendClass.ForwardedGossip);
        queues.Put(Own(1), SendClass.OwnGossip);
        queues.Put(Forwarded(2), SendClass.ForwardedGossip);
        queues.Put(new Ping(1), SendClass.Control);
        queues.Put(Goodbye.Instance, SendClass.Control);
        queues.Put(Own(2), SendClass.OwnGossip);
        queues.Put(new Pong(9), SendClass.Control);

        var order = new List<Message>();
        while (queues.TryDequeue(out var message))
        {
            order.Add(message);
        }

        // A Goodbye ends the link: it never overtakes what was queued before it (the remote drops the link when it reads it).
        Assert.That(order, Is.EqualTo(new Message[] { new Ping(1), new Pong(9), Own(1), Own(2), Forwarded(1), Forwarded(2), Goodbye.Instance }));
    }

    [Test]
    public void Each_class_is_bounded_on_its_own()
    {
        var queues = new SendQueues(4, 2, 3, Unlimited());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Enumerable.Range(0, 3).Select(i => queues.Put(Forwarded(i), SendClass.ForwardedGossip)), Is.All.EqualTo(SendQueues.Outcome.Queued));
            Assert.That(queues.Put(Forwarded(3), SendClass.ForwardedGossip), Is.EqualTo(SendQueues.Outcome.Full));
            // A full forwarded queue does not stop own gossip or control.
            Assert.That(queues.Put(Own(0), SendClass.OwnGossip), Is.EqualTo(SendQueues.Outcome.Queued));
            Assert.That(queues.Put(Own(1), SendClass.OwnGossip), Is.EqualTo(SendQueues.Outcome.Queued));
            Assert.That(queues.Put(Own(2), SendClass.OwnGossip), Is.EqualTo(SendQueues.Outcome.Full));
            Assert.That(Enumerable.Range(0, 4).Select(i => queues.Put(new Ping((ulong)i), SendClass.Control)), Is.All.EqualTo(SendQueues.Outcome.Queued));
            Assert.That(queues.Put(new Ping(4), SendClass.Control), Is.EqualTo(SendQueues.Outcome.Full));
            Assert.That(queues.Put(Goodbye.Instance, SendClass.Control), Is.EqualTo(SendQueues.Outcome.Full), "a Goodbye counts as control");
            Assert.That(queues.Count, Is.EqualTo(9));
            Assert.That(queues.CountOf(SendClass.OwnGossip), Is.EqualTo(2));
        }
        // Room again once the write loop took one.
        Assert.That(queues.TryDequeue(out _), Is.True);
        Assert.That(queues.Put(new Ping(5), SendClass.Control), Is.EqualTo(SendQueues.Outcome.Queued));
        Assert.That(queues.Peak, Is.EqualTo(9));
    }

    [Test]
    public void Send_queues_charge_the_process_budget_give_it_back_frame_by_frame_and_all_at_once_when_discarded()
    {
        var budget = new QueueBudget(10_000);
        var queues = new SendQueues(100, 100, 100, budget);
        var other = budget.Open();
        budget.TryCharge(other, 7_400, SendClass.Control); // the rest of the process holds almost all of it

        Assert.That(queues.TryEnqueue(Own(1), SendClass.OwnGossip, 400), Is.EqualTo(SendQueues.Outcome.Queued), "within the guaranteed share");
        Assert.That(queues.TryEnqueue(Forwarded(1), SendClass.ForwardedGossip, 400), Is.EqualTo(SendQueues.Outcome.OverBudget));
        Assert.That(queues.TryEnqueue(Own(2), SendClass.OwnGossip, 400), Is.EqualTo(SendQueues.Outcome.Queued), "own gossip has room up to the whole budget");
        Assert.That(queues.TryEnqueue(new Ping(1), SendClass.Control, 13), Is.EqualTo(SendQueues.Outcome.Queued));
        Assert.That((queues.Count, queues.Bytes, budget.QueuedBytes), Is.EqualTo((3, 813L, 8_213L)));

        Assert.That(queues.TryDequeue(out var first), Is.True);
        Assert.That(first, Is.EqualTo(new Ping(1)));
        Assert.That((queues.Bytes, budget.QueuedBytes), Is.EqualTo((800L, 8_200L)), "a frame taken by the write loop gives its bytes back");

        Assert.That(queues.Discard(), Is.EqualTo(2));
        Assert.That((queues.Count, queues.Bytes, budget.QueuedBytes), Is.EqualTo((0, 0L, 7_400L)), "the connection ended: everything goes back");
        Assert.That(queues.TryEnqueue(Own(3), SendClass.OwnGossip, 10), Is.EqualTo(SendQueues.Outcome.Closed));
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task The_receive_queue_drops_gossip_the_budget_refuses_but_always_takes_control(CancellationToken ct)
    {
        var budget = new QueueBudget(100_000);
        budget.TryCharge(budget.Open(), 99_000, SendClass.Control);
        var queue = new ReceiveQueue(capacityBytes: 100_000, budget);
        queue.BeginDispatching();

        Assert.That(await queue.AdmitAsync(Forwarded(1), 500, ct), Is.EqualTo(Queued), "its guaranteed share");
        Assert.That(await queue.AdmitAsync(Forwarded(2), 100, ct), Is.EqualTo(ReceiveQueue.Admission.OverBudget));
        Assert.That(await queue.AdmitAsync(Own(1), 100, ct), Is.EqualTo(ReceiveQueue.Admission.OverBudget));
        Assert.That(await queue.AdmitAsync(new Ping(1), 64, ct), Is.EqualTo(Queued), "control is never dropped");
        Assert.That((queue.Count, queue.Bytes, budget.QueuedBytes), Is.EqualTo((2, 564L, 99_564L)));

        Assert.That(queue.TryTakeNext(out _), Is.True);
        Assert.That(queue.Bytes, Is.EqualTo(64), "a frame the node took gives its bytes back");
        Assert.That(queue.Clear(), Is.EqualTo(1));
        Assert.That((queue.Bytes, budget.QueuedBytes), Is.EqualTo((0L, 99_000L)));
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task A_completed_queue_refuses_new_frames_but_hands_out_what_it_holds(CancellationToken ct)
    {
        var queues = new SendQueues(4, 4, 4, Unlimited());
        queues.Put(Own(1), SendClass.OwnGossip);
        queues.Complete();

        Assert.That(queues.Put(new Ping(1), SendClass.Control), Is.EqualTo(SendQueues.Outcome.Closed));
        Assert.That(await queues.WaitToReadAsync(ct), Is.True);
        Assert.That(queues.TryDequeue(out var left), Is.True);
        Assert.That(left, Is.EqualTo(Own(1)));
        Assert.That(await queues.WaitToReadAsync(ct), Is.False, "completed and drained");
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task A_waiting_write_loop_wakes_for_a_frame_for_completion_and_for_cancellation(CancellationToken ct)
    {
        var queues = new SendQueues(4, 4, 4, Unlimited());
        var waiting = queues.WaitToReadAsync(ct).AsTask();
        Assert.That(waiting.IsCompleted, Is.False);
        queues.Put(Forwarded(1), SendClass.ForwardedGossip);
        Assert.That(await waiting, Is.True);
        queues.TryDequeue(out _);

        var control = queues.WaitToReadAsync(ct).AsTask();
        queues.Put(new Ping(1), SendClass.Control);
        Assert.That(control.IsCompleted, Is.True, "a control frame resumes an idle write loop at once, on the caller's thread");
        queues.TryDequeue(out _);

        var completion = queues.WaitToReadAsync(ct).AsTask();
        queues.Complete();
        Assert.That(await completion, Is.False);

        var other = new SendQueues(4, 4, 4, Unlimited());
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var cancelled = other.WaitToReadAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task The_receive_queue_hands_a_frame_to_the_reader_itself_while_nothing_waits(CancellationToken ct)
    {
        var queue = new ReceiveQueue(capacityBytes: 1000, Unlimited());
        Assert.That(await queue.AdmitAsync(Own(1), 100, ct), Is.EqualTo(Deliver), "idle: the read loop delivers it on its own thread");
        Assert.That(await queue.AdmitAsync(Own(2), 100, ct), Is.EqualTo(Deliver));
        Assert.That(queue.Count, Is.Zero);

        // The node made a delivery wait: from now on frames queue, in order, until the dispatcher has emptied the queue.
        queue.BeginDispatching();
        Assert.That(await queue.AdmitAsync(Own(3), 100, ct), Is.EqualTo(Queued));
        Assert.That(await queue.AdmitAsync(Own(4), 100, ct), Is.EqualTo(Queued));
        Assert.That(queue.TryTakeNext(out var third), Is.True);
        Assert.That(await queue.AdmitAsync(Own(5), 100, ct), Is.EqualTo(Queued), "still dispatching: behind the frames waiting");
        Assert.That(queue.TryTakeNext(out var fourth), Is.True);
        Assert.That(queue.TryTakeNext(out var fifth), Is.True);
        Assert.That(new[] { third, fourth, fifth }, Is.EqualTo(new[] { Own(3), Own(4), Own(5) }));
        Assert.That(queue.TryTakeNext(out _), Is.False, "empty: the dispatcher lets go");
        Assert.That(await queue.AdmitAsync(Own(6), 100, ct), Is.EqualTo(Deliver), "and the read loop delivers inline again");
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task The_receive_queue_keeps_its_byte_budget_and_always_admits_one_frame(CancellationToken ct)
    {
        var queue = new ReceiveQueue(capacityBytes: 1000, Unlimited());
        queue.BeginDispatching();
        Assert.That(await queue.AdmitAsync(Own(1), 600, ct), Is.EqualTo(Queued));
        Assert.That(await queue.AdmitAsync(Own(2), 300, ct), Is.EqualTo(Queued));
        var third = queue.AdmitAsync(Own(3), 200, ct).AsTask();
        Assert.That(third.IsCompleted, Is.False, "over the budget: the read loop waits");

        Assert.That(queue.TryTakeNext(out var first), Is.True);
        Assert.That(await third, Is.EqualTo(Queued), "queued once there was room");
        Assert.That(queue.TryTakeNext(out var second), Is.True);
        Assert.That(queue.TryTakeNext(out var last), Is.True);
        Assert.That(new[] { first, second, last }, Is.EqualTo(new[] { Own(1), Own(2), Own(3) }));

        // A frame larger than the whole budget still gets through an empty queue (otherwise the link would hang).
        queue.BeginDispatching();
        Assert.That(await queue.AdmitAsync(Own(4), 5000, ct), Is.EqualTo(Queued));
        Assert.That(queue.Count, Is.EqualTo(1));
        Assert.That(queue.PeakBytes, Is.EqualTo(5000));
        Assert.That(ReceiveQueue.Cost(5), Is.EqualTo(ReceiveQueue.MinCost));
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task The_receive_queue_releases_a_waiting_read_loop_on_clear_and_on_completion(CancellationToken ct)
    {
        var queue = new ReceiveQueue(capacityBytes: 100, Unlimited());
        queue.BeginDispatching();
        await queue.AdmitAsync(Own(1), 100, ct);
        var blocked = queue.AdmitAsync(Own(2), 100, ct).AsTask();
        Assert.That(blocked.IsCompleted, Is.False);
        Assert.That(queue.Clear(), Is.EqualTo(1));
        await blocked;
        Assert.That(queue.Count, Is.EqualTo(1), "the waiting frame went in once there was room");

        var waiting = queue.AdmitAsync(Own(3), 100, ct).AsTask();
        queue.Complete();
        Assert.That(await waiting, Is.EqualTo(Closed), "completion releases the read loop; the frame is not taken");
        Assert.That(queue.TryTakeNext(out var left), Is.True, "what is queued is still handed out");
        Assert.That(left, Is.EqualTo(Own(2)));
        Assert.That(queue.TryTakeNext(out _), Is.False);
        Assert.That(await queue.AdmitAsync(Own(4), 10, ct), Is.EqualTo(Closed), "nothing is added or delivered after completion");
        Assert.That(queue.Count, Is.Zero);
    }
}

internal static class SendQueuesTestExtensions
{
    /// <summary>Queues a frame with its real size on the wire, as the connection does.</summary>
    public static SendQueues.Outcome Put(this SendQueues queues, Message message, SendClass sendClass) =>
        queues.TryEnqueue(message, sendClass, FrameCodec.FrameSize(message));
}
