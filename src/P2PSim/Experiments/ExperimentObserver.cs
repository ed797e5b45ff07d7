using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Experiments;

/// <summary>
/// Hands the node events of a tcp experiment to its <see cref="ExperimentRecorder"/> under one lock (they come from
/// every node's loop). Events of a node it has not been told about yet (the host starts its nodes before the
/// experiment knows which is which) wait until <see cref="Map"/> names the node.
/// </summary>
internal sealed class ExperimentObserver(ExperimentRecorder recorder) : INodeEventObserver
{
    private readonly object _gate = new();
    private readonly List<(NodeService Node, NodeEvent Event)> _early = [];
    private readonly Dictionary<NodeService, int> _peerIndex = [];
    private readonly Dictionary<NodeService, int> _seedIndex = [];
    /// <summary>Names a node (before it starts, or with its events so far waiting here) as peer or seed number <paramref name="index"/>.</summary>
    public void Map(NodeService node, int index)
    {
        lock (_gate)
        {
            (node.Role == NodeRole.Seed ? _seedIndex : _peerIndex)[node] = index;
            for (var i = 0; i < _early.Count; i++)
            {
                if (_early[i].Node == node)
                {
                    Route(node, _early[i].Event);
                }
            }
            _early.RemoveAll(e => e.Node == node);
        }
    }

    public void OnNodeEvent(NodeService node, NodeEvent nodeEvent)
    {
        lock (_gate)
        {
            if (!Route(node, nodeEvent))
            {
                _early.Add((node, nodeEvent));
            }
        }
    }

    public T Read<T>(Func<ExperimentRecorder, T> read)
    {
        lock (_gate)
        {
            return read(recorder);
        }
    }

    public void Write(Action<ExperimentRecorder> write)
    {
        lock (_gate)
        {
            write(recorder);
        }
    }

    private bool Route(NodeService node, NodeEvent e)
    {
        if (_peerIndex.TryGetValue(node, out var peer))
        {
            recorder.RecordPeerEvent(peer, e);
            return true;
        }
        if (_seedIndex.TryGetValue(node, out var seed))
        {
            recorder.RecordSeedEvent(seed, e);
            return true;
        }
        return false;
    }
}
