using P2PSim.Nodes;

namespace P2PSim.Hosting;

/// <summary>
/// Sees every event of every node in this process as it happens (on that node's loop, so
/// implementations must be thread-safe and quick). <see cref="NetworkStats"/> and the
/// experiment recorder are observers.
/// </summary>
public interface INodeEventObserver
{
    void OnNodeEvent(NodeService node, NodeEvent nodeEvent);
}
