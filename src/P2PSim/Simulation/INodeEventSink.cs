using P2PSim.Nodes;

namespace P2PSim.Simulation;

/// <summary>
/// Receives every <see cref="Report"/> a simulated node emits, in virtual-time order,
/// synchronously on the simulation thread. An implementation must not call back into the
/// <see cref="SimulatedNetwork"/> (schedule a callback instead).
/// </summary>
public interface INodeEventSink
{
    /// <param name="node">The node's index in the network (the order of <see cref="SimulatedNetwork.Add"/>).</param>
    void OnNodeEvent(int node, NodeEvent nodeEvent);
}
