using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Simulation;

/// <summary>What the simulated network does for a node's runtime: each action becomes a scheduled event.</summary>
public sealed partial class SimulatedNetwork
{
    /// <summary>
    /// One node's side of the network, for the <see cref="NodeRuntime"/>: every action lands here, tagged with the node.
    /// A struct made per input: the runtime's generic code calls it directly, no allocation, no virtual call.
    /// </summary>
    private readonly struct NodeHost(SimulatedNetwork network, int node) : INodeHost
    {
        public void Dial(NodeEndpoint target) => network.DoDial(network._nodes[node], target);

        public void Dial(NodeEndpoint target, LinkPurpose purpose) => network.DoDial(network._nodes[node], target, purpose);

        public void Dial(NodeEndpoint target, LinkPurpose purpose, Security.NodeId expected) => network.DoDial(network._nodes[node], target, purpose, expected);

        public void Send(ConnectionId connection, Message message) => network.DoSend(node, connection, message);

        public void Close(ConnectionId connection, string reason, bool afterFlush) => network.DoClose(network._nodes[node], connection);

        public void WakeAt(DateTimeOffset due) => network.DoWake(network._nodes[node], due);

        public void Report(NodeEvent e) => network._sink?.OnNodeEvent(node, e);
    }
}
