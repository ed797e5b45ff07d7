using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Simulation;

namespace P2PSim.Tests.Simulation;

/// <summary>
/// The simulator's side of a dial that expects an id (protocol version 6): the handshake is not modelled, a node's id
/// stands for what it would prove, and a node with another id is refused as on real sockets.
/// </summary>
[TestFixture]
public sealed class ExpectedIdSimTests
{
    private static readonly NodeId Expected = new(1, 2, 3, 4);

    private readonly List<(int Node, NodeEvent Event)> _events = [];

    private (SimulatedNetwork Network, (int Index, ScriptedMachine Machine) Dialer, (int Index, ScriptedMachine Machine) Target) TwoNodes(NodeId targetId)
    {
        var network = new SimulatedNetwork(new SimulatedNetworkOptions { Latency = TimeSpan.FromMilliseconds(10), EchoPings = false }, 1, new Sink(_events));
        var dialer = new ScriptedMachine(SimulatedAddresses.Peer(0), NodeRole.Peer) { Id = new NodeId(9, 9, 9, 9) };
        var target = new ScriptedMachine(SimulatedAddresses.Peer(1), NodeRole.Peer) { Id = targetId };
        var (d, t) = (network.Add(dialer), network.Add(target));
        network.Start(d);
        network.Start(t);
        return (network, (d, dialer), (t, target));
    }

    private static void RunAll(SimulatedNetwork network)
    {
        while (network.Step())
        {
        }
    }

    [Test]
    public void A_node_with_another_id_than_the_dial_expects_is_refused_and_never_sees_the_link()
    {
        var (network, dialer, target) = TwoNodes(new NodeId(5, 6, 7, 8));

        network.Apply(dialer.Index, (m, _) => ((ScriptedMachine)m).DoDial(target.Machine.Self, Expected));
        RunAll(network);

        var refused = _events.Select(e => e.Event).OfType<DialMetOtherId>().Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That((refused.Target, refused.Expected, refused.Met), Is.EqualTo((target.Machine.Self, Expected, new NodeId(5, 6, 7, 8))));
            Assert.That(dialer.Machine.DialFailures.Select(f => f.Target), Is.EqualTo(new[] { target.Machine.Self }));
            Assert.That(dialer.Machine.Reasons.Single(), Does.Contain("not the expected"));
            Assert.That(dialer.Machine.DialsMetOtherId, Is.EqualTo(1));
            Assert.That(target.Machine.Connected, Is.Empty, "the node there never had the link");
            Assert.That(network.Counters.DialsFailed, Is.EqualTo(1));
        }
    }

    [Test]
    public void A_node_with_the_expected_id_is_linked()
    {
        var (network, dialer, target) = TwoNodes(Expected);

        network.Apply(dialer.Index, (m, _) => ((ScriptedMachine)m).DoDial(target.Machine.Self, Expected));
        RunAll(network);

        Assert.That((dialer.Machine.Connected.Count, target.Machine.Connected.Count), Is.EqualTo((1, 1)));
    }

    private sealed class Sink(List<(int, NodeEvent)> events) : INodeEventSink
    {
        public void OnNodeEvent(int node, NodeEvent nodeEvent) => events.Add((node, nodeEvent));
    }
}
