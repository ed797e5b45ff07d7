using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Simulation;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Simulation;

[TestFixture]
public sealed class SimulatedNetworkTests
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(10);
    private static readonly DateTimeOffset T0 = SimulatedNetwork.Epoch;

    private SimulatedNetwork _network = null!;
    private List<(int Node, NodeEvent Event)> _events = null!;

    /// <summary>The scripted machines send Pings as plain frames, so the runtime's ping echo is off in these driver tests (but one).</summary>
    [SetUp]
    public void SetUp()
    {
        _events = [];
        _network = NewNetwork(new SimulatedNetworkOptions { Latency = Latency, EchoPings = false });
    }

    private SimulatedNetwork NewNetwork(SimulatedNetworkOptions options, int seed = 1) =>
        new(options, seed, new Sink(_events));

    private static (int Index, ScriptedMachine Machine) AddStarted(SimulatedNetwork network, NodeEndpoint endpoint, NodeRole role = NodeRole.Peer)
    {
        var machine = new ScriptedMachine(endpoint, role);
        var index = network.Add(machine);
        network.Start(index);
        return (index, machine);
    }

    private static void RunAll(SimulatedNetwork network)
    {
        while (network.Step())
        {
        }
    }

    /// <summary>Dials a to b and runs until both sides are connected; returns (a's end, b's end).</summary>
    private static (ConnectionId A, ConnectionId B) Connect(SimulatedNetwork network, (int Index, ScriptedMachine Machine) a, (int Index, ScriptedMachine Machine) b)
    {
        network.Apply(a.Index, (m, _) => ((ScriptedMachine)m).DoDial(b.Machine.Self));
        RunAll(network);
        return (a.Machine.Connected[^1].Info.Id, b.Machine.Connected[^1].Info.Id);
    }

    [Test]
    public void A_dial_connects_both_sides_after_one_latency_each_seeing_the_others_listening_endpoint_and_role()
    {
        var seed = AddStarted(_network, SimulatedAddresses.Seed(0), NodeRole.Seed);
        var peer = AddStarted(_network, SimulatedAddresses.Peer(0));

        _network.Apply(peer.Index, (m, _) => ((ScriptedMachine)m).DoDial(seed.Machine.Self));
        RunAll(_network);

        var (dialerAt, dialerSide) = peer.Machine.Connected.Single();
        var (acceptorAt, acceptorSide) = seed.Machine.Connected.Single();
        Assert.That(dialerAt, Is.EqualTo(T0 + Latency));
        Assert.That(acceptorAt, Is.EqualTo(T0 + Latency));
        Assert.That(dialerSide.Listen, Is.EqualTo(seed.Machine.Self));
        Assert.That(dialerSide.Role, Is.EqualTo(NodeRole.Seed));
        Assert.That(dialerSide.Inbound, Is.False);
        Assert.That(acceptorSide.Listen, Is.EqualTo(peer.Machine.Self));
        Assert.That(acceptorSide.Role, Is.EqualTo(NodeRole.Peer));
        Assert.That(acceptorSide.Inbound, Is.True);
        Assert.That(dialerSide.Id, Is.Not.EqualTo(acceptorSide.Id));
        Assert.That(_network.PendingDials(peer.Index), Is.Zero);
    }

    [Test]
    public void With_ping_echo_a_peers_Ping_is_answered_by_the_runtime_and_a_seeds_Ping_reaches_the_machine()
    {
        var network = NewNetwork(new SimulatedNetworkOptions { Latency = Latency });
        var a = AddStarted(network, SimulatedAddresses.Peer(0));
        var b = AddStarted(network, SimulatedAddresses.Peer(1));
        var seed = AddStarted(network, SimulatedAddresses.Seed(0), NodeRole.Seed);
        var (aEnd, _) = Connect(network, a, b);
        var (seedEnd, _) = Connect(network, seed, b);

        network.Apply(a.Index, (m, _) => ((ScriptedMachine)m).DoSend(aEnd, new Ping(7)));
        network.Apply(seed.Index, (m, _) => ((ScriptedMachine)m).DoSend(seedEnd, new Ping(8)));
        RunAll(network);

        Assert.That(b.Machine.Received.Select(r => r.Message), Is.EqualTo(new Message[] { new Ping(8) }), "only the seed's Ping reaches the peer's machine");
        Assert.That(a.Machine.Received.Select(r => r.Message), Is.EqualTo(new Message[] { new Pong(7) }), "the peer's Ping was answered, once");
        Assert.That(seed.Machine.Received, Is.Empty, "the machine, which did not answer, decides about the seed's Ping");
    }

    [Test]
    public void A_dial_to_a_crashed_or_unknown_endpoint_fails_after_one_latency()
    {
        var a = AddStarted(_network, SimulatedAddresses.Peer(0));
        var b = AddStarted(_network, SimulatedAddresses.Peer(1));
        _network.Crash(b.Index);

        _network.Apply(a.Index, (m, _) => ((ScriptedMachine)m).DoDial(b.Machine.Self));
        _network.Apply(a.Index, (m, _) => ((ScriptedMachine)m).DoDial(SimulatedAddresses.Peer(99)));
        Assert.That(_network.PendingDials(a.Index), Is.EqualTo(2));
        RunAll(_network);

        Assert.That(a.Machine.DialFailures.Select(f => (f.At, f.Target)), Is.EqualTo(new[]
        {
            (T0 + Latency, b.Machine.Self),
            (T0 + Latency, SimulatedAddresses.Peer(99)),
        }));
        Assert.That(b.Machine.Connected, Is.Empty);
        Assert.That(_network.Counters.DialsFailed, Is.EqualTo(2));
    }

    [Test]
    public void A_node_that_was_added_but_not_started_refuses_connections()
    {
        var a = AddStarted(_network, SimulatedAddresses.Peer(0));
        var idle = new ScriptedMachine(SimulatedAddresses.Peer(1), NodeRole.Peer);
        _network.Add(idle);

        _network.Apply(a.Index, (m, _) => ((ScriptedMachine)m).DoDial(idle.Self));
        RunAll(_network);

        Assert.That(a.Machine.DialFailures, Has.Count.EqualTo(1));
    }

    [Test]
    public void Messages_arrive_after_the_latency_in_the_order_sent_even_with_jitter()
    {
        var network = NewNetwork(new SimulatedNetworkOptions { Latency = Latency, Jitter = Latency * 5, EchoPings = false }, seed: 3);
        var a = AddStarted(network, SimulatedAddresses.Peer(0));
        var b = AddStarted(network, SimulatedAddresses.Peer(1));
        var (aEnd, _) = Connect(network, a, b);
        var sentAt = network.Now;

        for (ulong i = 0; i < 200; i++)
        {
            var sequence = i;
            network.Apply(a.Index, (m, _) => ((ScriptedMachine)m).DoSend(aEnd, new Ping(sequence)));
            network.AdvanceTo(network.Now + TimeSpan.FromMilliseconds(1));
        }
        RunAll(network);

        var received = b.Machine.Received;
        Assert.That(received.Select(r => ((Ping)r.Message).Sequence), Is.EqualTo(Enumerable.Range(0, 200).Select(i => (ulong)i)));
        Assert.That(received.Select(r => r.At), Is.Ordered);
        Assert.That(received[0].At - sentAt, Is.GreaterThanOrEqualTo(Latency));
        var delays = received.Select((r, i) => r.At - (sentAt + TimeSpan.FromMilliseconds(i))).ToList();
        Assert.That(delays.Distinct().Count(), Is.GreaterThan(10), "the jitter should vary the delays");
    }

    [Test]
    public void A_close_reaches_the_other_side_after_one_latency_behind_what_was_sent_before_it()
    {
        var a = AddStarted(_network, SimulatedAddresses.Peer(0));
        var b = AddStarted(_network, SimulatedAddresses.Peer(1));
        var (aEnd, bEnd) = Connect(_network, a, b);
        var t = _network.Now;

        _network.Apply(a.Index, (m, _) =>
        {
            var s = (ScriptedMachine)m;
            s.DoSend(aEnd, new Ping(1));
            s.DoClose(aEnd);
            s.DoSend(aEnd, new Ping(2)); // after its own close: ignored
        });
        RunAll(_network);

        Assert.That(b.Machine.Log, Is.EqualTo(new[] { $"message Ping {bEnd}", $"closed {bEnd}" }));
        Assert.That(b.Machine.Closed.Single().At, Is.EqualTo(t + Latency));
        Assert.That(a.Machine.Closed, Is.Empty, "a node does not hear about its own closes");
        Assert.That(_network.Counters.SendsOnClosed, Is.EqualTo(1));
    }

    [Test]
    public void A_crash_resets_every_connection_and_what_is_sent_to_the_crashed_node_is_lost()
    {
        var victim = AddStarted(_network, SimulatedAddresses.Peer(0));
        var b = AddStarted(_network, SimulatedAddresses.Peer(1));
        var c = AddStarted(_network, SimulatedAddresses.Peer(2));
        var (_, bEnd) = Connect(_network, victim, b);
        var (_, cEnd) = Connect(_network, victim, c);
        _network.Apply(b.Index, (m, _) => ((ScriptedMachine)m).DoSend(bEnd, new Ping(7)));
        var crashAt = _network.Now;

        _network.Crash(victim.Index);
        RunAll(_network);

        Assert.That(b.Machine.Closed.Select(x => (x.At, x.Id)), Is.EqualTo(new[] { (crashAt + Latency, bEnd) }));
        Assert.That(c.Machine.Closed.Select(x => (x.At, x.Id)), Is.EqualTo(new[] { (crashAt + Latency, cEnd) }));
        Assert.That(victim.Machine.Received, Is.Empty);
        Assert.That(_network.IsRunning(victim.Index), Is.False);
        Assert.That(_network.Counters.MessagesDropped, Is.EqualTo(1));
    }

    [Test]
    public void Only_the_latest_wake_request_fires()
    {
        var a = AddStarted(_network, SimulatedAddresses.Peer(0));

        _network.Apply(a.Index, (m, now) =>
        {
            var s = (ScriptedMachine)m;
            s.DoWake(now + TimeSpan.FromSeconds(5));
            s.DoWake(now + TimeSpan.FromSeconds(2));
        });
        RunAll(_network);

        Assert.That(a.Machine.Timers, Is.EqualTo(new[] { T0 + TimeSpan.FromSeconds(2) }));
    }

    [Test]
    public void A_timer_that_keeps_asking_for_now_moves_forward_by_the_minimum_delay()
    {
        var a = AddStarted(_network, SimulatedAddresses.Peer(0));
        a.Machine.WakeAgainAtNow = 3;

        _network.Apply(a.Index, (m, now) => ((ScriptedMachine)m).DoWake(now));
        RunAll(_network);

        Assert.That(a.Machine.Timers, Is.EqualTo(new[] { T0, T0.AddMilliseconds(1), T0.AddMilliseconds(2), T0.AddMilliseconds(3) }));
    }

    [Test]
    public void Counters_count_frames_bytes_and_gossip_payloads()
    {
        var a = AddStarted(_network, SimulatedAddresses.Peer(0));
        var b = AddStarted(_network, SimulatedAddresses.Peer(1));
        var (aEnd, _) = Connect(_network, a, b);
        var gossip = TestGossip.Of("946684800000:10.1.0.1:6000:1", 1);

        _network.Apply(a.Index, (m, _) =>
        {
            var s = (ScriptedMachine)m;
            s.DoSend(aEnd, gossip);
            s.DoSend(aEnd, new Ping(1));
        });
        Assert.That(_network.Counters.PayloadsInFlight, Is.EqualTo(1));
        RunAll(_network);

        var counters = _network.Counters;
        Assert.That(counters.MessagesSent, Is.EqualTo(2));
        Assert.That(counters.PayloadTransmissions, Is.EqualTo(1));
        Assert.That(counters.PayloadBytes, Is.EqualTo(FrameCodec.FrameSize(gossip)));
        Assert.That(counters.BytesSent, Is.EqualTo(FrameCodec.FrameSize(gossip) + FrameCodec.FrameSize(new Ping(1))));
        Assert.That(counters.MessagesDelivered, Is.EqualTo(2));
        Assert.That(counters.PayloadsInFlight, Is.Zero);
        Assert.That(counters.MessagesInFlight, Is.Zero);
    }

    [Test]
    public void Loss_of_gossip_only_drops_payloads_and_keeps_control_traffic()
    {
        var network = NewNetwork(new SimulatedNetworkOptions { Latency = Latency, LossProbability = 1.0, EchoPings = false });
        var a = AddStarted(network, SimulatedAddresses.Peer(0));
        var b = AddStarted(network, SimulatedAddresses.Peer(1));
        var (aEnd, _) = Connect(network, a, b);

        network.Apply(a.Index, (m, _) =>
        {
            var s = (ScriptedMachine)m;
            s.DoSend(aEnd, TestGossip.Of("946684800000:10.1.0.1:6000:1", 1));
            s.DoSend(aEnd, new Ping(1));
        });
        RunAll(network);

        Assert.That(b.Machine.Received.Select(r => r.Message.Type), Is.EqualTo(new[] { MessageType.Ping }));
        Assert.That(network.Counters.MessagesLost, Is.EqualTo(1));
        Assert.That(network.Counters.PayloadTransmissions, Is.EqualTo(1), "a lost payload was still transmitted");
    }

    [Test]
    public void Reports_reach_the_sink_with_the_node_index()
    {
        var a = AddStarted(_network, SimulatedAddresses.Peer(0));
        var b = AddStarted(_network, SimulatedAddresses.Peer(1));

        _network.Apply(b.Index, (m, now) => ((ScriptedMachine)m).DoReport(new Leaving(now, 0, 0)));

        Assert.That(_events.Select(e => e.Node), Is.EqualTo(new[] { b.Index }));
        Assert.That(a.Index, Is.Not.EqualTo(b.Index));
    }

    [Test]
    public void Calling_into_the_network_from_inside_a_node_event_is_refused()
    {
        var reentrant = new ReentrantSink();
        var network = new SimulatedNetwork(new SimulatedNetworkOptions(), 1, reentrant);
        var a = new ScriptedMachine(SimulatedAddresses.Peer(0), NodeRole.Peer);
        reentrant.Network = network;
        network.Add(a);
        network.Start(0);

        Assert.That(() => network.Apply(0, (m, now) => ((ScriptedMachine)m).DoReport(new Leaving(now, 0, 0))), Throws.InvalidOperationException);
    }

    [Test]
    public void Two_nodes_cannot_share_an_endpoint()
    {
        _network.Add(new ScriptedMachine(SimulatedAddresses.Peer(0), NodeRole.Peer));

        Assert.That(() => _network.Add(new ScriptedMachine(SimulatedAddresses.Peer(0), NodeRole.Peer)), Throws.ArgumentException);
    }

    [Test]
    public void Synthetic_endpoints_are_distinct_for_many_nodes()
    {
        var endpoints = Enumerable.Range(0, 100_000).Select(SimulatedAddresses.Peer)
            .Concat(Enumerable.Range(0, 1000).Select(SimulatedAddresses.Seed))
            .ToList();

        Assert.That(endpoints.Distinct().Count(), Is.EqualTo(endpoints.Count));
        Assert.That(SimulatedAddresses.Seed(0).ToString(), Is.EqualTo("10.0.0.1:5000"));
        Assert.That(SimulatedAddresses.Peer(0).ToString(), Is.EqualTo("10.1.0.1:6000"));
    }

    private sealed class Sink(List<(int, NodeEvent)> events) : INodeEventSink
    {
        public void OnNodeEvent(int node, NodeEvent nodeEvent) => events.Add((node, nodeEvent));
    }

    private sealed class ReentrantSink : INodeEventSink
    {
        public SimulatedNetwork? Network { get; set; }

        public void OnNodeEvent(int node, NodeEvent nodeEvent) => Network!.Crash(node);
    }
}
