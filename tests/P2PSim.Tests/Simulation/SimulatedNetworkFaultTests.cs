using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Simulation;

namespace P2PSim.Tests.Simulation;

/// <summary>The faults beyond a crash: clean stop, restart on the same endpoint, partition and heal.</summary>
[TestFixture]
public sealed class SimulatedNetworkFaultTests
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(10);
    private static readonly string[] GoodbyeThenClose = ["message Goodbye #2", "closed #2"];
    private static readonly string[] ClosedByRemote = ["connection closed by the remote"];
    private static readonly string[] CutThenUnreachable = ["connection reset (network partition)", "network unreachable (partition)"];

    private SimulatedNetwork _network = null!;

    [SetUp]
    public void SetUp() => _network = new SimulatedNetwork(new SimulatedNetworkOptions { Latency = Latency, EchoPings = false }, seed: 1);

    private (int Index, ScriptedMachine Machine) Started(NodeEndpoint endpoint, NodeRole role = NodeRole.Peer)
    {
        var machine = new ScriptedMachine(endpoint, role);
        var index = _network.Add(machine);
        _network.Start(index);
        return (index, machine);
    }

    private void RunFor(TimeSpan span) => _network.AdvanceTo(_network.Now + span);

    private (ConnectionId A, ConnectionId B) Connect((int Index, ScriptedMachine Machine) a, (int Index, ScriptedMachine Machine) b)
    {
        _network.Apply(a.Index, (m, _) => ((ScriptedMachine)m).DoDial(b.Machine.Self));
        RunFor(Latency * 3);
        return (a.Machine.Connected[^1].Info.Id, b.Machine.Connected[^1].Info.Id);
    }

    [Test]
    public void A_stopping_node_delivers_its_goodbye_before_the_close_and_then_refuses_connections()
    {
        var a = Started(SimulatedAddresses.Peer(0));
        var b = Started(SimulatedAddresses.Peer(1));
        var (aEnd, _) = Connect(a, b);
        a.Machine.OnStop = m => m.DoSend(aEnd, Goodbye.Instance);

        _network.Stop(a.Index, TimeSpan.FromSeconds(2));
        RunFor(Latency * 3);

        Assert.That(b.Machine.Log, Is.EqualTo(GoodbyeThenClose));
        Assert.That(b.Machine.Reasons, Is.EqualTo(ClosedByRemote));
        Assert.That(_network.IsRunning(a.Index), Is.False);
        _network.Apply(b.Index, (m, _) => ((ScriptedMachine)m).DoDial(a.Machine.Self));
        RunFor(Latency * 3);
        Assert.That(b.Machine.DialFailures, Has.Count.EqualTo(1));
    }

    [Test]
    public void A_stop_that_does_not_complete_ends_after_the_grace_period()
    {
        var a = Started(SimulatedAddresses.Peer(0));
        var b = Started(SimulatedAddresses.Peer(1));
        Connect(a, b);
        a.Machine.StopDone = false;
        var stoppedAt = _network.Now;

        _network.Stop(a.Index, TimeSpan.FromSeconds(1));
        RunFor(TimeSpan.FromMilliseconds(900));
        Assert.That(_network.IsRunning(a.Index), Is.True, "still saying goodbye");
        Assert.That(_network.IsStopping(a.Index), Is.True);
        RunFor(TimeSpan.FromMilliseconds(200));

        Assert.That(_network.IsRunning(a.Index), Is.False);
        Assert.That(b.Machine.Closed.Single().At, Is.EqualTo(stoppedAt + TimeSpan.FromSeconds(1) + Latency));
    }

    [Test]
    public void A_restarted_node_answers_on_the_old_endpoint_with_fresh_state_and_the_old_process_stays_dead()
    {
        var seed = Started(SimulatedAddresses.Seed(0), NodeRole.Seed);
        var peer = Started(SimulatedAddresses.Peer(0));
        Connect(peer, seed);
        var wakeAt = _network.Now + TimeSpan.FromMilliseconds(100);
        _network.Apply(seed.Index, (m, _) => ((ScriptedMachine)m).DoWake(wakeAt));
        _network.Crash(seed.Index);

        var fresh = new ScriptedMachine(SimulatedAddresses.Seed(0), NodeRole.Seed);
        var index = _network.Restart(seed.Index, fresh);
        _network.Start(index);
        _network.Apply(peer.Index, (m, _) => ((ScriptedMachine)m).DoDial(fresh.Self));
        RunFor(Latency * 3);

        Assert.That(index, Is.Not.EqualTo(seed.Index));
        Assert.That(_network.IsCrashed(seed.Index), Is.True);
        Assert.That(_network.TryGetNode(SimulatedAddresses.Seed(0), out var now) && now == index, Is.True);
        RunFor(TimeSpan.FromMilliseconds(200));
        Assert.That(seed.Machine.Timers.Concat(fresh.Timers), Is.Empty, "the old process's timer fires for nobody");
        Assert.That(fresh.Connected, Has.Count.EqualTo(1), "the new process accepted the dial");
        Assert.That(seed.Machine.Connected, Has.Count.EqualTo(1), "the old one saw only its first connection");
        Assert.That(() => _network.Restart(index, new ScriptedMachine(SimulatedAddresses.Seed(0), NodeRole.Seed)), Throws.InvalidOperationException);
    }

    [Test]
    public void A_partition_resets_links_across_refuses_dials_across_and_keeps_links_within_a_side_and_to_the_seeds()
    {
        var seed = Started(SimulatedAddresses.Seed(0), NodeRole.Seed);
        var a1 = Started(SimulatedAddresses.Peer(0));
        var a2 = Started(SimulatedAddresses.Peer(1));
        var b1 = Started(SimulatedAddresses.Peer(2));
        var (across, _) = Connect(a1, b1);
        var (within, _) = Connect(a1, a2);
        var (toSeed, _) = Connect(b1, seed);
        _network.Apply(a1.Index, (m, _) => ((ScriptedMachine)m).DoSend(across, new Ping(1)));

        _network.Partition([a1.Index, a2.Index], [b1.Index]);
        _network.Apply(a1.Index, (m, _) => ((ScriptedMachine)m).DoSend(across, new Ping(2)));
        _network.Apply(a1.Index, (m, _) => ((ScriptedMachine)m).DoSend(within, new Ping(3)));
        _network.Apply(b1.Index, (m, _) => ((ScriptedMachine)m).DoSend(toSeed, new Ping(4)));
        _network.Apply(b1.Index, (m, _) => ((ScriptedMachine)m).DoDial(a2.Machine.Self));
        RunFor(Latency * 3);

        Assert.That(b1.Machine.Received, Is.Empty, "what was in flight across the cut is lost");
        Assert.That(a2.Machine.Received.Select(r => r.Message), Is.EqualTo(new[] { new Ping(3) }));
        Assert.That(seed.Machine.Received.Select(r => r.Message), Is.EqualTo(new[] { new Ping(4) }));
        Assert.That(a1.Machine.Closed, Has.Count.EqualTo(1));
        Assert.That(b1.Machine.Closed, Has.Count.EqualTo(1));
        Assert.That(b1.Machine.Reasons, Is.EqualTo(CutThenUnreachable));
        Assert.That(_network.ConnectionsCut, Is.EqualTo(1));

        _network.Heal();
        _network.Apply(b1.Index, (m, _) => ((ScriptedMachine)m).DoDial(a2.Machine.Self));
        RunFor(Latency * 3);
        Assert.That(a2.Machine.Connected.Select(c => c.Info.Listen), Does.Contain(b1.Machine.Self), "after the heal a dial across works");
    }
}
