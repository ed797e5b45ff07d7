using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// The process queue budget (Transport:ProcessQueueBytes) on real loopback sockets: whatever a remote does, the frames
/// queued for it and from it stay within the budget, the budget refuses gossip (forwarded first) and never control, and
/// the connection and its neighbours carry on. Asserted on the transport's counters, never on time.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class QueueBudgetTransportTests
{
    private const long BudgetBytes = 256 * 1024;

    private static P2PSim.Protocol.Gossip Forwarded(int n) => TestGossip.Of($"F{n:D6}".PadRight(1000, '.'), 2);

    private static P2PSim.Protocol.Gossip Own(int n) => TestGossip.Of($"O{n:D6}".PadRight(1000, '.'), 1);

    /// <summary>Queue capacities (frames) so large that only the budget can bind.</summary>
    private static void OnlyTheBudgetBinds(P2PSim.Configuration.TransportOptions o)
    {
        o.ProcessQueueBytes = BudgetBytes;
        o.SendQueueCapacity = 1_000_000;
        o.OwnGossipQueueCapacity = 1_000_000;
        o.SocketBufferBytes = 4096; // small kernel buffers: the queues start filling after a few frames
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_remote_that_stops_reading_cannot_make_the_process_queue_more_than_the_budget(CancellationToken ct)
    {
        await using var local = TestTransport.Start(configure: OnlyTheBudgetBinds);
        await using var other = TestTransport.Start();
        var (stuck, id, listener) = await local.DialRawAsync(ct, receiveBuffer: 4096);
        using var _ = stuck;
        var healthy = await local.ConnectToAsync(other, ct);
        try
        {
            // The remote reads nothing: frames for it pile up (the kernel buffers first) until the budget refuses them.
            var n = 0;
            while (local.Transport.BudgetDrops.ForwardedGossip < 2500)
            {
                local.Transport.Send(id, Forwarded(n++));
            }
            var forwardedHeld = local.Transport.GetStats().QueuedBytes;
            while (local.Transport.BudgetDrops.OwnGossip < 10)
            {
                local.Transport.Send(id, Own(n++));
            }
            Assert.That(local.Transport.Send(id, new Ping(1)), Is.True, "a control frame is never refused by the budget");
            Assert.That(local.Transport.Send(healthy, Forwarded(-1)), Is.True, "the stuck link leaves room for the others");
            await other.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Message is P2PSim.Protocol.Gossip);

            var stats = local.Transport.GetStats();
            TestContext.Out.WriteLine($"{n} frames offered; {stats}");
            using (Assert.EnterMultipleScope())
            {
                Assert.That(stats.Budget.LimitBytes, Is.EqualTo(BudgetBytes));
                Assert.That(stats.Budget.PeakQueuedBytes, Is.LessThanOrEqualTo(BudgetBytes), "never past the budget");
                // One queue alone takes at most half of what its class may use: 3/4 of the budget for forwarded gossip,
                // all of it for own gossip (plus at most one frame and the Ping). The kernel may take a few more frames
                // meanwhile, so only the highest mark is certain.
                Assert.That(forwardedHeld, Is.LessThanOrEqualTo(BudgetBytes * 3 / 8));
                Assert.That(stats.Budget.PeakQueuedBytes, Is.InRange(BudgetBytes * 3 / 8, (BudgetBytes / 2) + 2000));
                Assert.That(stats.Dropped, Is.EqualTo(stats.BudgetDrops), "the queues never filled: every drop was the budget's");
                Assert.That(stats.BudgetDrops.Control, Is.Zero);
                Assert.That(stats.Budget.Drops, Is.EqualTo(stats.BudgetDrops), "this transport owns the budget alone");
                Assert.That(local.Handler.All.OfType<TransportEvent.Closed>(), Is.Empty, "gossip drops do not cost the connection");
            }
            var warnings = local.Log.Warnings.Where(w => w.StartsWith("Process queue budget used up", StringComparison.Ordinal)).ToList();
            Assert.That(warnings.Count(w => w.Contains("ForwardedGossip", StringComparison.Ordinal)), Is.EqualTo(1 + (int)(stats.BudgetDrops.ForwardedGossip / 1000)),
                "logged on the first drop and every 1000th");
            Assert.That(warnings[0], Does.Contain("Transport:ProcessQueueBytes").And.Contain("to send to " + stuck.LocalAddress));

            // The link is cut: what it held goes back to the budget.
            local.Transport.Close(id, "test: cut the stuck link", afterFlush: false);
            await TransportWait.UntilAsync(() => local.Transport.Budget.QueuedBytes == 0, "every byte given back", ct);
            Assert.That(local.Transport.GetStats().QueuedBytes, Is.Zero);
            await TransportWait.UntilAsync(() => local.Log.Warnings.Any(w => w.Contains("because the process queue budget was used up", StringComparison.Ordinal)),
                "the summary of what the link lost", ct);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_remote_that_floods_a_busy_node_cannot_make_it_queue_more_than_the_budget_and_its_Pings_are_still_answered(CancellationToken ct)
    {
        await using var node = TestTransport.Start(configure: OnlyTheBudgetBinds);
        using var flooder = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await flooder.HelloAsync(TestTransport.FakeListen, ct);
        await node.Handler.NextAsync<TransportEvent.Connected>(ct);
        node.Handler.Hold(); // the node takes nothing more for now

        const int flood = 2000; // about 2 MB: eight times the budget
        for (var i = 0; i < flood; i++)
        {
            await flooder.SendAsync(Forwarded(i), ct);
        }
        await flooder.SendAsync(new Ping(7), ct);

        // The read loop kept reading (dropping what the budget refused), so the Ping behind the flood is answered.
        var (pong, _) = await flooder.ReadUntilAsync<Pong>(ct);
        Assert.That(pong, Is.EqualTo(new Pong(7)));
        var stats = node.Transport.GetStats();
        TestContext.Out.WriteLine(stats.ToString());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stats.Budget.PeakQueuedBytes, Is.LessThanOrEqualTo((BudgetBytes * 7 / 16) + 1100), "one queue: at most half of the ceiling of forwarded gossip received, and one frame");
            Assert.That(stats.BudgetDrops.ForwardedGossip, Is.GreaterThan(flood / 2));
            Assert.That(stats.Dropped, Is.EqualTo(stats.BudgetDrops));
        }

        node.Handler.Release();
        var delivered = flood - (int)stats.BudgetDrops.ForwardedGossip;
        await TransportWait.UntilAsync(() => node.Handler.Messages.OfType<P2PSim.Protocol.Gossip>().Count() == delivered, $"the {delivered} frames kept reach the node", ct);
        var order = node.Handler.Messages.OfType<P2PSim.Protocol.Gossip>().Select(g => g.Text[..7]).ToList();
        Assert.That(order, Is.Ordered, "what was kept arrives in order");
        await TransportWait.UntilAsync(() => node.Transport.Budget.QueuedBytes == 0, "every byte given back once the node took the frames", ct);
    }
}
