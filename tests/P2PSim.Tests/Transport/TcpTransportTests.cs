using System.Net.Sockets;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// The TCP transport against real loopback sockets, driven by hand: send priorities and bounds, what happens
/// when a queue is full, the transport-level Ping echo, the inbound connection limit, and closing and shutting
/// down under load without hanging, throwing or leaving a task exception unobserved.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class TcpTransportTests
{
    private static readonly NodeEndpoint FakeListen = TestTransport.FakeListen;

    private static P2PSim.Protocol.Gossip Forwarded(int n, int size = 1000) => TestGossip.Of($"F{n:D6}".PadRight(size, '.'), 2);

    private static P2PSim.Protocol.Gossip Own(int n) => TestGossip.Of($"O{n:D6}".PadRight(1000, '.'), 1);

    [Test]
    [CancelAfter(30_000)]
    public async Task Frames_and_bytes_are_counted_on_both_ends_and_kept_after_the_connection_ends(CancellationToken ct)
    {
        await using var a = TestTransport.Start();
        await using var b = TestTransport.Start();
        var id = await a.ConnectToAsync(b, ct);

        var frames = new List<Message> { new Hello(ProtocolLimits.Version, NodeRole.Peer, a.Endpoint), new HelloProof(new byte[ProtocolLimits.SignatureSize]) };
        for (var i = 0; i < 20; i++)
        {
            var gossip = Forwarded(i, 10 + i);
            frames.Add(gossip);
            Assert.That(i % 2 == 0 ? a.Transport.Send(id, gossip) : a.Transport.Queue(id, gossip), Is.True);
        }
        a.Transport.Flush();
        frames.Add(Goodbye.Instance);
        a.Transport.Send(id, Goodbye.Instance);
        await b.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Message is Goodbye);

        var gossipFrames = frames.OfType<P2PSim.Protocol.Gossip>().ToList();
        var expected = new WireCounts(frames.Count, frames.Sum(FrameCodec.FrameSize), gossipFrames.Count, gossipFrames.Sum(FrameCodec.FrameSize));
        Assert.That(a.Transport.GetStats().Sent, Is.EqualTo(expected), "everything a wrote, its Hello included");
        await TransportWait.UntilAsync(() => b.Transport.GetStats().Received == expected, "b decoded exactly what a wrote", ct);

        a.Transport.Close(id, "done", afterFlush: false);
        await TransportWait.UntilAsync(() => a.Transport.GetStats().OpenConnections == 0 && b.Transport.GetStats().InboundConnections == 0, "both ends released", ct);
        Assert.That(a.Transport.GetStats().Sent, Is.EqualTo(expected), "an ended connection's counts stay in the totals");
        Assert.That(b.Transport.GetStats().Received, Is.EqualTo(expected));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Two_transports_connect_and_deliver_every_frame_in_order(CancellationToken ct)
    {
        await using var a = TestTransport.Start();
        await using var b = TestTransport.Start();
        a.Transport.Dial(b.Endpoint);
        var atA = await a.Handler.NextAsync<TransportEvent.Connected>(ct);
        var atB = await b.Handler.NextAsync<TransportEvent.Connected>(ct);
        Assert.That(atA.Info.Listen, Is.EqualTo(b.Endpoint));
        Assert.That(atB.Info.Listen, Is.EqualTo(a.Endpoint));
        Assert.That(atB.Info.Inbound, Is.True);

        for (var i = 0; i < 2000; i++)
        {
            Assert.That(a.Transport.Send(atA.Info.Id, i % 3 == 0 ? Own(i) : Forwarded(i, 50)), Is.True);
        }
        a.Transport.Send(atA.Info.Id, Goodbye.Instance);
        await b.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Message is Goodbye);
        Assert.That(b.Handler.Messages.Last(), Is.EqualTo(Goodbye.Instance), "the Goodbye comes after every frame queued before it");

        var texts = b.Handler.Messages.OfType<P2PSim.Protocol.Gossip>().Select(g => int.Parse(g.Text[1..7], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(texts, Has.Count.EqualTo(2000));
        // Within a class the order is kept; across classes own gossip may overtake forwarded gossip.
        Assert.That(texts.Where(i => i % 3 == 0), Is.Ordered);
        Assert.That(texts.Where(i => i % 3 != 0), Is.Ordered);
        Assert.That(a.Transport.DroppedFrames, Is.Zero);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task When_the_remote_stops_reading_frames_queue_by_priority_and_overflowing_gossip_is_dropped_counted_and_logged(CancellationToken ct)
    {
        await using var local = TestTransport.Start(configure: o =>
        {
            o.SendQueueCapacity = 100;
            o.OwnGossipQueueCapacity = 20;
            o.ControlQueueCapacity = 16;
            o.SocketBufferBytes = 4096; // small kernel buffers: the queues fill after a few frames
        });
        var (remote, id, listener) = await local.DialRawAsync(ct, receiveBuffer: 4096);
        using var _ = remote;
        try
        {
            // The remote does not read: the kernel buffers fill, then the forwarded-gossip queue, then frames drop.
            var forwardedAccepted = 0;
            var n = 0;
            var quietLooks = 0;
            await TransportWait.UntilAsync(() =>
            {
                var accepted = 0;
                while (local.Transport.Send(id, Forwarded(n++)))
                {
                    accepted++;
                }
                forwardedAccepted += accepted;
                quietLooks = accepted == 0 ? quietLooks + 1 : 0;
                // The write loop took nothing over several looks in a row: it is stuck on the full socket (one quiet
                // look can be a write loop that a busy machine did not schedule for 25 ms).
                return quietLooks >= 8;
            }, "the write loop is stuck", ct);
            while (local.Transport.Drops.ForwardedGossip < 2500)
            {
                Assert.That(local.Transport.Send(id, Forwarded(n++)), Is.False);
            }
            var ownAccepted = 0;
            for (var i = 0; i < 25; i++)
            {
                ownAccepted += local.Transport.Send(id, Own(i)) ? 1 : 0;
            }
            Assert.That(local.Transport.Send(id, new Ping(77)), Is.True, "a control frame still finds room");
            var stats = local.Transport.GetStats();
            Assert.That(stats.QueuedFrames, Is.EqualTo(100 + 20 + 1), "every queue holds exactly its capacity");
            Assert.That(stats.Dropped, Is.EqualTo(new FrameDrops(0, 5, local.Transport.Drops.ForwardedGossip)));
            Assert.That(ownAccepted, Is.EqualTo(20));

            // Now the remote reads everything that was accepted.
            var frames = new List<Message>();
            while (frames.Count < forwardedAccepted + ownAccepted + 1)
            {
                var message = await remote.ReadAsync(ct);
                Assert.That(message, Is.Not.Null, $"closed after {frames.Count} frames");
                frames.Add(message!);
            }
            var ping = frames.FindIndex(m => m is Ping);
            var firstOwn = frames.FindIndex(m => m is P2PSim.Protocol.Gossip { Hops: 1 });
            var lastOwn = frames.FindLastIndex(m => m is P2PSim.Protocol.Gossip { Hops: 1 });
            var lastForwarded = frames.FindLastIndex(m => m is P2PSim.Protocol.Gossip { Hops: 2 });
            Assert.Multiple(() =>
            {
                Assert.That(ping, Is.LessThan(firstOwn), "the Ping overtakes the gossip that was waiting");
                Assert.That(lastOwn, Is.LessThan(lastForwarded), "own gossip overtakes forwarded gossip");
                Assert.That(lastForwarded - ping, Is.GreaterThanOrEqualTo(100), "the whole forwarded queue was still behind the Ping");
                var forwardedOrder = frames.OfType<P2PSim.Protocol.Gossip>().Where(g => g.Hops == 2).Select(g => g.Text[..7]).ToList();
                Assert.That(forwardedOrder, Is.Ordered, "FIFO within a class");
                Assert.That(forwardedOrder, Has.Count.EqualTo(forwardedAccepted));
            });

            // Logged: the first drop of each class, then every 1000th, never each one.
            var warnings = local.Log.Warnings.Where(w => w.Contains("is full", StringComparison.Ordinal)).ToList();
            Assert.That(warnings.Count(w => w.Contains("ForwardedGossip", StringComparison.Ordinal)), Is.EqualTo(1 + (int)(local.Transport.Drops.ForwardedGossip / 1000)));
            Assert.That(warnings.Count(w => w.Contains("OwnGossip", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(warnings[0], Does.Contain("Transport:SendQueueCapacity").And.Contain("dropped a Gossip frame").And.Contain(remote.LocalAddress));
            Assert.That(local.Handler.All.OfType<TransportEvent.Closed>(), Is.Empty, "full gossip queues do not cost the connection");
        }
        finally
        {
            listener.Stop();
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_full_control_queue_closes_the_connection_with_a_clear_reason(CancellationToken ct)
    {
        await using var local = TestTransport.Start(configure: o =>
        {
            o.SendQueueCapacity = 10;
            o.ControlQueueCapacity = 8;
            o.SocketBufferBytes = 4096;
        });
        var (remote, id, listener) = await local.DialRawAsync(ct, receiveBuffer: 4096);
        using var _ = remote;
        try
        {
            // Top the forwarded queue up until the write loop takes nothing more: the kernel buffers are full.
            var n = 0;
            await TransportWait.UntilAsync(() =>
            {
                var accepted = 0;
                while (local.Transport.Send(id, Forwarded(n++)))
                {
                    accepted++;
                }
                return accepted == 0;
            }, "the write loop is stuck", ct);
            var sent = 0;
            while (local.Transport.Send(id, new Ping((ulong)sent)))
            {
                sent++;
            }
            Assert.That(sent, Is.EqualTo(8));
            var closed = await local.Handler.NextAsync<TransportEvent.Closed>(ct);
            Assert.That(closed.Reason, Does.Contain("control send queue full (8 frames, Transport:ControlQueueCapacity)"));
            Assert.That(local.Transport.Drops.Control, Is.EqualTo(1));
            Assert.That(local.Log.Warnings, Has.Some.Contains("Control send queue to").And.Contains("closing the connection"));
            Assert.That(local.Log.Warnings, Has.Some.Contains("after dropping 0 own and"), "a summary of what the connection lost");
            await remote.ExpectClosedAsync(ct);
            Assert.That(local.Transport.Send(id, new Ping(99)), Is.False, "gone");
        }
        finally
        {
            listener.Stop();
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_frame_that_cannot_be_encoded_is_refused_with_an_error_and_the_connection_carries_on(CancellationToken ct)
    {
        await using var a = TestTransport.Start();
        await using var b = TestTransport.Start();
        a.Transport.Dial(b.Endpoint);
        var id = (await a.Handler.NextAsync<TransportEvent.Connected>(ct)).Info.Id;

        Assert.That(a.Transport.Send(id, TestGossip.Of(new string('x', ProtocolLimits.MaxPayloadBytes + 1), 1)), Is.False);
        Assert.That(a.Log.Errors, Has.Some.Contains("Cannot send a Gossip frame"));
        Assert.That(a.Transport.Send(id, new Ping(5)), Is.True);
        // The Ping comes back as a Pong from b's transport: the link works.
        var pong = await a.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Message is Pong);
        Assert.That(pong.Message, Is.EqualTo(new Pong(5)));
    }

    [TestCase(true)]
    [TestCase(false)]
    [CancelAfter(30_000)]
    public async Task Every_Ping_gets_exactly_one_Pong_from_the_transport_or_else_reaches_the_node(bool echo, CancellationToken ct)
    {
        await using var node = TestTransport.Start(configure: o => o.EchoPings = echo);
        using var peer = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await peer.HelloAsync(FakeListen, ct);
        var id = (await node.Handler.NextAsync<TransportEvent.Connected>(ct)).Info.Id;

        await peer.SendAsync(new Ping(41), ct);
        await peer.SendAsync(TestGossip.Of("marker", 1), ct);
        await node.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Message is P2PSim.Protocol.Gossip);
        if (echo)
        {
            Assert.That(node.Handler.Messages.OfType<Ping>(), Is.Empty, "an echoed Ping never reaches the node");
            Assert.That(node.Transport.GetStats().PingsEchoed, Is.EqualTo(1));
        }
        else
        {
            Assert.That(node.Handler.Messages.OfType<Ping>().Single(), Is.EqualTo(new Ping(41)), "the node gets it and answers itself");
            node.Transport.Send(id, new Pong(41));
        }
        // A second Ping/Pong pair is the barrier: anything sent before its Pong has arrived by then.
        await peer.SendAsync(new Ping(42), ct);
        if (!echo)
        {
            await node.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Message is Ping);
            node.Transport.Send(id, new Pong(42));
        }
        var (_, before) = await peer.ReadUntilAsync<Pong>(ct, p => p.Sequence == 42);
        Assert.That(before, Is.EqualTo(new Message[] { new Pong(41) }), "one Pong for the first Ping, nothing else");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_Ping_from_a_seed_is_left_to_the_node(CancellationToken ct)
    {
        await using var node = TestTransport.Start();
        using var seed = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await seed.HelloAsync(FakeListen, ct, NodeRole.Seed);
        await node.Handler.NextAsync<TransportEvent.Connected>(ct);
        await seed.SendAsync(new Ping(3), ct);
        var received = await node.Handler.NextAsync<TransportEvent.Received>(ct);
        Assert.That(received.Message, Is.EqualTo(new Ping(3)), "the conversation rules (a peer does not take Pings from seeds) stay the node's");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_Ping_is_answered_at_once_while_the_node_is_stuck_behind_a_backlog_and_a_Pong_overtakes_it(CancellationToken ct)
    {
        // Within the connection's receive queue (Transport:ReceiveQueueBytes, 256 KiB): 1000 frames of 140 bytes (an
        // envelope is 124 bytes besides its payload since version 5), so the reader keeps reading past them to the Ping.
        const int Backlog = 1000;
        await using var node = TestTransport.Start();
        using var peer = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await peer.HelloAsync(FakeListen, ct);
        await node.Handler.NextAsync<TransportEvent.Connected>(ct);
        node.Handler.Hold(); // the node takes nothing more for now

        for (var i = 0; i < Backlog; i++)
        {
            await peer.SendAsync(TestGossip.Of($"backlog {i}", 2), ct);
        }
        await peer.SendAsync(new Ping(7), ct);
        await peer.SendAsync(new Pong(8), ct);

        var (pong, _) = await peer.ReadUntilAsync<Pong>(ct, timeoutMs: 5_000);
        Assert.That(pong, Is.EqualTo(new Pong(7)));
        var overtaking = await node.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Message is Pong);
        Assert.That(overtaking.Message, Is.EqualTo(new Pong(8)));
        Assert.That(node.Handler.Messages.OfType<P2PSim.Protocol.Gossip>().Count(), Is.LessThanOrEqualTo(1), "the backlog is still waiting for the node");

        node.Handler.Release();
        await TransportWait.UntilAsync(() => node.Handler.Messages.OfType<P2PSim.Protocol.Gossip>().Count() == Backlog, $"all {Backlog} gossip frames delivered", ct);
        var order = node.Handler.Messages.OfType<P2PSim.Protocol.Gossip>().Select(g => g.Text).ToList();
        Assert.That(order, Is.EqualTo(Enumerable.Range(0, Backlog).Select(i => $"backlog {i}")), "in order, none lost");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task What_arrived_before_the_remote_closed_reaches_the_node_before_the_close(CancellationToken ct)
    {
        await using var node = TestTransport.Start();
        using var peer = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await peer.HelloAsync(FakeListen, ct);
        await node.Handler.NextAsync<TransportEvent.Connected>(ct);
        node.Handler.Hold();
        for (var i = 0; i < 50; i++)
        {
            await peer.SendAsync(TestGossip.Of($"m{i}", 2), ct);
        }
        await peer.SendAsync(Goodbye.Instance, ct);
        peer.Client.Client.Shutdown(SocketShutdown.Send);
        await TransportWait.UntilAsync(() => node.Transport.GetStats().ReceivedWaiting == 50, "everything read while the node is busy (one frame is in its hands)", ct);
        node.Handler.Release();

        var closed = await node.Handler.NextAsync<TransportEvent.Closed>(ct);
        var events = node.Handler.All.ToList();
        var closedAt = events.IndexOf(closed);
        Assert.That(events.Take(closedAt).OfType<TransportEvent.Received>().Count(), Is.EqualTo(51));
        Assert.That(events[closedAt - 1], Is.EqualTo(new TransportEvent.Received(closed.Connection, Goodbye.Instance)));
        Assert.That(closed.Reason, Is.EqualTo("closed by the remote"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task The_idle_and_frame_timeouts_still_fire_after_frames_have_flowed(CancellationToken ct)
    {
        await using var node = TestTransport.Start(configure: o =>
        {
            o.IdleTimeout = TimeSpan.FromMilliseconds(500);
            o.FrameTimeout = TimeSpan.FromMilliseconds(300);
        });
        using var quiet = await RawPeer.ConnectAsync(node.Endpoint, ct);
        using var stalling = await RawPeer.ConnectAsync(node.Endpoint, ct);
        foreach (var (client, port) in new[] { (quiet, 65011), (stalling, 65012) })
        {
            await client.HelloAsync(NodeEndpoint.Loopback(port), ct);
            for (var i = 0; i < 5; i++)
            {
                await client.SendAsync(TestGossip.Of($"m{i}", 2), ct);
                await node.Handler.NextAsync<TransportEvent.Received>(ct); // each frame is its own read
            }
        }
        var half = FrameCodec.Encode(TestGossip.Of("cut short", 2));
        await stalling.SendAsync(half[..8], ct);

        await quiet.ExpectClosedAsync(ct, timeoutMs: 5_000);
        await stalling.ExpectClosedAsync(ct, timeoutMs: 5_000);
        Assert.That(node.Log.Warnings, Has.Some.Contains($"Rejected input from {quiet.LocalAddress}: nothing received for 500 ms (Transport:IdleTimeout)"));
        Assert.That(node.Log.Warnings, Has.Some.Contains($"Rejected input from {stalling.LocalAddress}: frame not completed within 300 ms (Transport:FrameTimeout)"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_write_that_stalls_after_earlier_writes_went_through_closes_the_connection(CancellationToken ct)
    {
        await using var local = TestTransport.Start(configure: o =>
        {
            o.FrameTimeout = TimeSpan.FromMilliseconds(500);
            o.SocketBufferBytes = 4096;
        });
        var (remote, id, listener) = await local.DialRawAsync(ct, receiveBuffer: 4096); // the Hello was written and read
        using var _ = remote;
        try
        {
            local.Transport.Send(id, new Ping(1));
            Assert.That(await remote.ReadAsync(ct), Is.EqualTo(new Ping(1)), "a second write went through");
            for (var i = 0; i < 2000 && local.Transport.Send(id, Forwarded(i)); i++)
            {
            }
            var closed = await local.Handler.NextAsync<TransportEvent.Closed>(ct);
            Assert.That(closed.Reason, Is.EqualTo("sending stalled for 500 ms (Transport:FrameTimeout)"));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_connection_closes_once_and_keeps_its_first_reason(CancellationToken ct)
    {
        await using var a = TestTransport.Start();
        await using var b = TestTransport.Start();
        var id = await a.ConnectToAsync(b, ct);
        for (var i = 0; i < 500; i++)
        {
            a.Transport.Send(id, Forwarded(i, 100));
        }

        a.Transport.Close(id, "first reason", afterFlush: true);
        a.Transport.Close(id, "second reason", afterFlush: false);
        a.Transport.Close(id, "third reason", afterFlush: true);

        var closed = await a.Handler.NextAsync<TransportEvent.Closed>(ct);
        Assert.That(closed.Reason, Is.EqualTo("first reason"));
        await b.Handler.NextAsync<TransportEvent.Closed>(ct);
        await TransportWait.UntilAsync(() => a.Transport.GetStats().OpenConnections == 0 && b.Transport.GetStats().InboundConnections == 0, "both ends released", ct);
        Assert.That(a.Handler.All.OfType<TransportEvent.Closed>().Count(), Is.EqualTo(1));
        Assert.That(b.Handler.All.OfType<TransportEvent.Closed>().Count(), Is.EqualTo(1));
        Assert.That(a.Transport.Send(id, new Ping(1)), Is.False);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task The_inbound_limit_counts_open_and_handshaking_connections_and_frees_the_slots_of_ended_ones(CancellationToken ct)
    {
        await using var node = TestTransport.Start(configure: o =>
        {
            o.MaxInboundConnections = 3;
            o.HandshakeTimeout = TimeSpan.FromMilliseconds(600);
        });
        using var speaking = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await speaking.HelloAsync(FakeListen, ct);
        await node.Handler.NextAsync<TransportEvent.Connected>(ct);
        var idle = new List<RawPeer>();
        try
        {
            idle.Add(await RawPeer.ConnectAsync(node.Endpoint, ct));
            idle.Add(await RawPeer.ConnectAsync(node.Endpoint, ct));
            await TransportWait.UntilAsync(() => node.Transport.InboundConnections == 3, "three slots taken", ct);

            using var refused = await RawPeer.ConnectAsync(node.Endpoint, ct);
            await refused.ExpectClosedAsync(ct, timeoutMs: 3_000);
            Assert.That(node.Transport.GetStats().RefusedConnections, Is.EqualTo(1));
            Assert.That(node.Log.Warnings, Has.Some.Contains("Refused a connection from").And.Contains("the limit is 3 (Transport:MaxInboundConnections)"));

            // The idle ones are cut at the handshake timeout, and their slots come back.
            foreach (var client in idle)
            {
                await client.ExpectClosedAsync(ct, timeoutMs: 5_000);
            }
            await TransportWait.UntilAsync(() => node.Transport.InboundConnections == 1, "only the real connection is left", ct);

            // A connection the remote closes frees its slot too.
            speaking.Dispose();
            await node.Handler.NextAsync<TransportEvent.Closed>(ct);
            await TransportWait.UntilAsync(() => node.Transport.InboundConnections == 0, "no slot held", ct);

            var again = new List<RawPeer>();
            for (var i = 0; i < 3; i++)
            {
                var client = await RawPeer.ConnectAsync(node.Endpoint, ct);
                again.Add(client);
                await client.HelloAsync(NodeEndpoint.Loopback(65010 + i), ct);
            }
            for (var i = 0; i < 3; i++)
            {
                await node.Handler.NextAsync<TransportEvent.Connected>(ct);
            }
            Assert.That(node.Transport.GetStats().RefusedConnections, Is.EqualTo(1), "all three accepted again");
            again.ForEach(c => c.Dispose());
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Shutdown_ends_within_its_grace_even_when_the_node_never_takes_another_event(CancellationToken ct)
    {
        await using var a = TestTransport.Start();
        var b = TestTransport.Start(configure: o => o.ReceiveQueueBytes = 4096);
        var id = await a.ConnectToAsync(b, ct);
        b.Handler.Frozen = true; // b's node loop is stuck (or busy in ShutdownAsync itself, as the real node is)
        for (var i = 0; i < 3000; i++)
        {
            a.Transport.Send(id, Forwarded(i, 200));
        }
        await TransportWait.UntilAsync(() => b.Transport.GetStats().ReceivedWaiting > 0, "b's node stopped taking frames", ct);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var shutdown = b.Transport.ShutdownAsync(TimeSpan.FromMilliseconds(300));
        Assert.That(await Task.WhenAny(shutdown, Task.Delay(TimeSpan.FromSeconds(10), ct)), Is.SameAs(shutdown), "ShutdownAsync hung");
        await shutdown;
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(b.Transport.GetStats().InboundConnections, Is.Zero);
        await b.Transport.DisposeAsync();
        await a.Handler.NextAsync<TransportEvent.Closed>(ct);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Churn_aborts_and_disposal_leave_no_unobserved_task_exception(CancellationToken ct)
    {
        var unobserved = new List<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            lock (unobserved)
            {
                unobserved.Add(e.Exception);
            }
        }
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            for (var round = 0; round < 5; round++)
            {
                var hub = TestTransport.Start(configure: o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
                var spokes = Enumerable.Range(0, 4).Select(_ => TestTransport.Start()).ToList();
                foreach (var spoke in spokes)
                {
                    spoke.Transport.Dial(hub.Endpoint);
                    spoke.Transport.Dial(NodeEndpoint.Loopback(1)); // refused
                }
                foreach (var spoke in spokes)
                {
                    var id = (await spoke.Handler.NextAsync<TransportEvent.Connected>(ct)).Info.Id;
                    for (var i = 0; i < 200; i++)
                    {
                        spoke.Transport.Send(id, Forwarded(i, 100));
                    }
                }
                using (var garbage = await RawPeer.ConnectAsync(hub.Endpoint, ct))
                {
                    await garbage.SendAsync(RawPeer.Frame(-1, 1), ct);
                }
                using (var silent = await RawPeer.ConnectAsync(hub.Endpoint, ct))
                {
                    silent.Client.Client.LingerState = new LingerOption(true, 0); // reset on dispose
                }
                // Half crash abruptly, half shut down gracefully, the hub too; then dispose everything twice.
                for (var i = 0; i < spokes.Count; i++)
                {
                    if (i % 2 == 0)
                    {
                        spokes[i].Transport.Abort();
                    }
                    else
                    {
                        await spokes[i].Transport.ShutdownAsync(TimeSpan.FromMilliseconds(100));
                    }
                }
                hub.Transport.Abort();
                foreach (var t in spokes.Append(hub))
                {
                    await t.DisposeAsync();
                    await t.Transport.DisposeAsync();
                    t.Transport.Dial(hub.Endpoint); // after disposal: ignored, never thrown
                    Assert.That(t.Transport.Send(new ConnectionId(1), new Ping(1)), Is.False);
                }
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            lock (unobserved)
            {
                Assert.That(unobserved, Is.Empty);
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }
}
