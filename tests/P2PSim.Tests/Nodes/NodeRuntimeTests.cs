using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.Simulation;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>
/// The runtime every driver runs a node with: it carries out the machine's actions in order through the host, answers
/// a peer's Ping itself, and says which frames overtake the queue.
/// </summary>
[TestFixture]
public sealed class NodeRuntimeTests
{
    private static readonly ConnectionId Link = new(7);

    private static (ScriptedMachine Machine, RecordingHost Host, NodeRuntime Runtime) Running(bool echoPings = true)
    {
        var machine = new ScriptedMachine(PeerAt(1), NodeRole.Peer);
        var host = new RecordingHost();
        return (machine, host, new NodeRuntime(machine, host, echoPings));
    }

    [Test]
    public void The_actions_of_one_input_are_carried_out_in_the_order_the_machine_produced_them()
    {
        var (machine, host, runtime) = Running();
        var missed = new LivenessMissed(T0, PeerAt(2), 1, 3);
        NodeAction[] produced =
        [
            new Report(missed),
            new Send(Link, new Ping(3)),
            new Dial(PeerAt(3)),
            new WakeAt(T0 + TimeSpan.FromSeconds(10)),
            new Close(Link, "test"),
        ];

        runtime.Apply((_, _) =>
        {
            machine.DoReport(missed);
            machine.DoSend(Link, new Ping(3));
            machine.DoDial(PeerAt(3));
            machine.DoWake(T0 + TimeSpan.FromSeconds(10));
            machine.DoClose(Link);
        }, T0);

        Assert.That(host.Calls, Is.EqualTo(produced));
        Assert.That(machine.PendingActions, Is.Empty, "the runtime drained the outbox");
    }

    [Test]
    public void Each_input_reaches_the_machine_and_its_actions_are_carried_out_before_it_returns()
    {
        var (machine, host, runtime) = Running();
        machine.WakeAgainAtNow = 1;

        runtime.OnTimer(T0);
        var afterTimer = host.Calls.ToArray();
        runtime.OnMessage(Link, Goodbye.Instance, NodeRole.Peer, T0);
        runtime.OnClosed(Link, "connection reset", T0);

        Assert.That(afterTimer, Is.EqualTo(new[] { new WakeAt(T0) }));
        Assert.That(machine.Timers, Is.EqualTo(new[] { T0 }));
        Assert.That(machine.Log, Is.EqualTo(new[] { $"message Goodbye {Link}", $"closed {Link}" }));
    }

    [Test]
    public void A_Ping_from_a_peer_is_answered_at_once_and_never_reaches_the_machine()
    {
        var (machine, host, runtime) = Running();

        runtime.OnMessage(Link, new Ping(41), NodeRole.Peer, T0);

        Assert.That(host.Calls, Is.EqualTo(new[] { new Send(Link, new Pong(41)) }));
        Assert.That(machine.Received, Is.Empty);
    }

    [Test]
    public void A_Ping_from_a_seed_goes_to_the_machine_unanswered()
    {
        var (machine, host, runtime) = Running();

        runtime.OnMessage(Link, new Ping(41), NodeRole.Seed, T0);

        Assert.That(host.Calls, Is.Empty);
        Assert.That(machine.Received.Select(r => r.Message), Is.EqualTo(new[] { new Ping(41) }));
    }

    [Test]
    public void With_the_echo_off_the_machine_gets_a_peers_Ping_and_answers_it_in_turn()
    {
        var (machine, host, runtime) = Running(echoPings: false);

        runtime.OnMessage(Link, new Ping(41), NodeRole.Peer, T0);

        Assert.That(host.Calls, Is.Empty);
        Assert.That(machine.Received.Select(r => r.Message), Is.EqualTo(new[] { new Ping(41) }));
    }

    [Test]
    public void AnswerAtOnce_answers_only_a_peers_Ping_with_the_echo_on()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(NodeRuntime.AnswerAtOnce(new Ping(9), NodeRole.Peer, echoPings: true), Is.EqualTo(new Pong(9)));
            Assert.That(NodeRuntime.AnswerAtOnce(new Ping(9), NodeRole.Seed, echoPings: true), Is.Null);
            Assert.That(NodeRuntime.AnswerAtOnce(new Ping(9), NodeRole.Peer, echoPings: false), Is.Null);
            Assert.That(NodeRuntime.AnswerAtOnce(new Pong(9), NodeRole.Peer, echoPings: true), Is.Null);
            Assert.That(NodeRuntime.AnswerAtOnce(Goodbye.Instance, NodeRole.Peer, echoPings: true), Is.Null);
        }
    }

    private static IEnumerable<TestCaseData> Frames()
    {
        yield return new TestCaseData(new Pong(1), true).SetName("A Pong goes first");
        yield return new TestCaseData(new Ping(1), false).SetName("A Ping waits its turn");
        yield return new TestCaseData(TestGossip.Of("1:127.0.0.1:10002:1", 1), false).SetName("Gossip waits its turn");
        yield return new TestCaseData(Goodbye.Instance, false).SetName("A Goodbye waits its turn");
        yield return new TestCaseData(new PeerList([PeerAt(2)]), false).SetName("A PeerList waits its turn");
    }

    [TestCaseSource(nameof(Frames))]
    public void Only_liveness_replies_overtake_the_frames_already_waiting(Message frame, bool first) =>
        Assert.That(NodeRuntime.GoesFirst(frame), Is.EqualTo(first));

    [Test]
    public void Actions_produced_before_the_machine_throws_are_still_carried_out()
    {
        var (machine, host, runtime) = Running();
        var leaving = new Leaving(T0, 1, 1);
        machine.OnStop = m =>
        {
            m.DoSend(Link, Goodbye.Instance);
            m.DoReport(leaving);
            throw new InvalidOperationException("boom");
        };

        Assert.That(() => runtime.Stop(T0), Throws.InvalidOperationException.With.Message.EqualTo("boom"));
        var afterThrow = host.Calls.ToArray();
        runtime.OnTimer(T0);

        Assert.That(afterThrow, Is.EqualTo(new NodeAction[] { new Send(Link, Goodbye.Instance), new Report(leaving) }));
        Assert.That(host.Calls, Has.Count.EqualTo(2), "nothing was left behind to be carried out twice");
    }
}
