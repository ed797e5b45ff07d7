using System.Collections.Concurrent;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Experiments;

/// <summary>
/// Hands the node events of a tcp experiment to its <see cref="ExperimentRecorder"/> (they come from every node's
/// loop). A node's loop never waits for another: it puts its event on a lock-free queue, and whichever thread holds
/// the recorder's lock at the time applies the queued events, in order (flat combining); a reader applies them all first. One lock
/// that every node took for every receipt cost a fifth of the process's busy time in the 500-peer classic run, most
/// of it spinning. Events of a node it has not been told about yet (the host starts its nodes before the experiment
/// knows which is which) wait until <see cref="Map"/> names the node.
/// </summary>
internal sealed class ExperimentObserver(ExperimentRecorder recorder) : INodeEventObserver
{
    /// <summary>The most queued events a node's loop applies for others when it hands in one of its own.</summary>
    private const int MaxBatch = 256;

    private readonly object _gate = new();
    private readonly ConcurrentQueue<(NodeService Node, NodeEvent Event)> _pending = new();
    private readonly List<(NodeService Node, NodeEvent Event)> _early = [];
    private readonly Dictionary<NodeService, int> _peerIndex = [];
    private readonly Dictionary<NodeService, int> _seedIndex = [];

    /// <summary>Names a node (before it starts, or with its events so far waiting here) as peer or seed number <paramref name="index"/>.</summary>
    public void Map(NodeService node, int index)
    {
        lock (_gate)
        {
            Drain();
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
        _pending.Enqueue((node, nodeEvent));
        // A node's loop applies at most a batch of what is queued, and only when nobody else is at it: the rest waits
        // for the next event or for the next reader, who applies everything first.
        if (Monitor.TryEnter(_gate))
        {
            try
            {
                Drain(MaxBatch);
            }
            finally
            {
                Monitor.Exit(_gate);
            }
        }
    }

    public T Read<T>(Func<ExperimentRecorder, T> read)
    {
        lock (_gate)
        {
            Drain();
            return read(recorder);
        }
    }

    public void Write(Action<ExperimentRecorder> write)
    {
        lock (_gate)
        {
            Drain();
            write(recorder);
        }
    }

    /// <summary>Under the lock: applies queued events, at most <paramref name="max"/> of them.</summary>
    private void Drain(int max = int.MaxValue)
    {
        while (max-- > 0 && _pending.TryDequeue(out var queued))
        {
            if (!Route(queued.Node, queued.Event))
            {
                _early.Add(queued);
            }
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
