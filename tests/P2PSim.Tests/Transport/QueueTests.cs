using P2PSim.Protocol;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>The per-connection queues on their own: priorities, bounds, completion.</summary>
[TestFixture]
public sealed class QueueTests
{
    private static P2PSim.Protocol.Gossip Own(int n) => new($"own {n}", 1);

    private static P2PSim.Protocol.Gossip Forwarded(int n) => new($"forwarded {n}", 2);

    [Test]
    public void Frames_are_classified_by_type_and_hops()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(SendClasses.Of(new P2PSim.Protocol.Gossip("x", 1)), Is.EqualTo(SendClass.OwnGossip));
            Assert.That(SendClasses.Of(new P2PSim.Protocol.Gossip("x", 0)), Is.EqualTo(SendClass.OwnGossip));
            Assert.That(SendClasses.Of(new P2PSim.Protocol.Gossip("x", 2)), Is.EqualTo(SendClass.ForwardedGossip));
            Assert.That(SendClasses.Of(new P2PSim.Protocol.Gossip("x", ushort.MaxValue)), Is.EqualTo(SendClass.ForwardedGossip));
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
        var queues = new SendQueues(10, 10, 10);
        queues.TryEnqueue(Forwarded(1), SendClass.ForwardedGossip);
        queues.TryEnqueue(Own(1), SendClass.OwnGossip);
        queues.TryEnqueue(Forwarded(2), SendClass.ForwardedGossip);
        queues.TryEnqueue(new Ping(1), SendClass.Control);
        queues.TryEnqueue(Goodbye.Instance, SendClass.Control);
        queues.TryEnqueue(Own(2), SendClass.OwnGossip);
        queues.TryEnqueue(new Pong(9), SendClass.Control);

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
        var queues = new SendQueues(4, 2, 3);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Enumerable.Range(0, 3).Select(i => queues.TryEnqueue(Forwarded(i), SendClass.ForwardedGossip)), Is.All.EqualTo(SendQueues.Outcome.Queued));
            Assert.That(queues.TryEnqueue(Forwarded(3), SendClass.ForwardedGossip), Is.EqualTo(SendQueues.Outcome.Full));
            // A full forwarded queue does not stop own gossip or control.
            Assert.That(queues.TryEnqueue(Own(0), SendClass.OwnGossip), Is.EqualTo(SendQueues.Outcome.Queued));
            Assert.That(queues.TryEnqueue(Own(1), SendClass.OwnGossip), Is.EqualTo(SendQueues.Outcome.Queued));
            Assert.That(queues.TryEnqueue(Own(2), SendClass.OwnGossip), Is.EqualTo(SendQueues.Outcome.Full));
            Assert.That(Enumerable.Range(0, 4).Select(i => queues.TryEnqueue(new Ping((ulong)i), SendClass.Control)), Is.All.EqualTo(SendQueues.Outcome.Queued));
            Assert.That(queues.TryEnqueue(new Ping(4), SendClass.Control), Is.EqualTo(SendQueues.Outcome.Full));
            Assert.That(queues.TryEnqueue(Goodbye.Instance, SendClass.Control), Is.EqualTo(SendQueues.Outcome.Full), "a Goodbye counts as control");
            Assert.That(queues.Count, Is.EqualTo(9));
            Assert.That(queues.CountOf(SendClass.OwnGossip), Is.EqualTo(2));
        }
        // Room again once the write loop took one.
        Assert.That(queues.TryDequeue(out _), Is.True);
        Assert.That(queues.TryEnqueue(new Ping(5), SendClass.Control), Is.EqualTo(SendQueues.Outcome.Queued));
        Assert.That(queues.Peak, Is.EqualTo(9));
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task A_completed_queue_refuses_new_frames_but_hands_out_what_it_holds(CancellationToken ct)
    {
        var queues = new SendQueues(4, 4, 4);
        queues.TryEnqueue(Own(1), SendClass.OwnGossip);
        queues.Complete();

        Assert.That(queues.TryEnqueue(new Ping(1), SendClass.Control), Is.EqualTo(SendQueues.Outcome.Closed));
        Assert.That(await queues.WaitToReadAsync(ct), Is.True);
        Assert.That(queues.TryDequeue(out var left), Is.True);
        Assert.That(left, Is.EqualTo(Own(1)));
        Assert.That(await queues.WaitToReadAsync(ct), Is.False, "completed and drained");
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task A_waiting_write_loop_wakes_for_a_frame_for_completion_and_for_cancellation(CancellationToken ct)
    {
        var queues = new SendQueues(4, 4, 4);
        var waiting = queues.WaitToReadAsync(ct).AsTask();
        Assert.That(waiting.IsCompleted, Is.False);
        queues.TryEnqueue(Forwarded(1), SendClass.ForwardedGossip);
        Assert.That(await waiting, Is.True);
        queues.TryDequeue(out _);

        var control = queues.WaitToReadAsync(ct).AsTask();
        queues.TryEnqueue(new Ping(1), SendClass.Control);
        Assert.That(control.IsCompleted, Is.True, "a control frame resumes an idle write loop at once, on the caller's thread");
        queues.TryDequeue(out _);

        var completion = queues.WaitToReadAsync(ct).AsTask();
        queues.Complete();
        Assert.That(await completion, Is.False);

        var other = new SendQueues(4, 4, 4);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var cancelled = other.WaitToReadAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task The_receive_queue_keeps_order_and_its_byte_budget_and_always_admits_one_frame(CancellationToken ct)
    {
        var queue = new ReceiveQueue(budgetBytes: 1000);
        await queue.EnqueueAsync(Own(1), 600, ct);
        await queue.EnqueueAsync(Own(2), 300, ct);
        var third = queue.EnqueueAsync(Own(3), 200, ct).AsTask();
        Assert.That(third.IsCompleted, Is.False, "over the budget: the read loop waits");

        Assert.That(queue.TryDequeue(out var first), Is.True);
        await third;
        Assert.That(queue.TryDequeue(out var second), Is.True);
        Assert.That(queue.TryDequeue(out var last), Is.True);
        Assert.That(new[] { first, second, last }, Is.EqualTo(new[] { Own(1), Own(2), Own(3) }));

        // A frame larger than the whole budget still gets through an empty queue (otherwise the link would hang).
        await queue.EnqueueAsync(Own(4), 5000, ct);
        Assert.That(queue.Count, Is.EqualTo(1));
        Assert.That(queue.PeakBytes, Is.EqualTo(5000));
        Assert.That(ReceiveQueue.Cost(5), Is.EqualTo(ReceiveQueue.MinCost));
    }

    [Test]
    [CancelAfter(5_000)]
    public async Task The_receive_queue_releases_a_waiting_reader_on_completion_and_on_clear(CancellationToken ct)
    {
        var queue = new ReceiveQueue(budgetBytes: 100);
        var reading = queue.WaitToReadAsync().AsTask();
        await queue.EnqueueAsync(Own(1), 100, ct);
        Assert.That(await reading, Is.True);

        var blocked = queue.EnqueueAsync(Own(2), 100, ct).AsTask();
        Assert.That(queue.Clear(), Is.EqualTo(1));
        await blocked;
        Assert.That(queue.Count, Is.EqualTo(1), "the waiting frame went in once there was room");

        queue.Complete();
        Assert.That(await queue.WaitToReadAsync(), Is.True, "what is queued is still handed out");
        queue.TryDequeue(out _);
        Assert.That(await queue.WaitToReadAsync(), Is.False);
        await queue.EnqueueAsync(Own(3), 10, ct);
        Assert.That(queue.Count, Is.Zero, "nothing is added after completion");
    }
}
