using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Simulation;

/// <summary>The simulator's bookkeeping for one node: its machine, whether it runs, its open connection ends.</summary>
internal sealed class SimNode(int index, NodeMachine machine)
{
    private string? _addressText;

    public int Index { get; } = index;

    public NodeMachine Machine { get; } = machine;

    public NodeEndpoint Endpoint { get; } = machine.Self;

    public NodeRole Role { get; } = machine.Role;

    /// <summary>Started, not crashed, not stopped: accepts connections and handles events.</summary>
    public bool Running => Started && !Crashed && !Stopped;

    public bool Started;

    public bool Crashed;

    /// <summary>Stop was called: it says goodbye and still handles events until <see cref="Stopped"/>.</summary>
    public bool Stopping;

    /// <summary>Went down after a clean stop.</summary>
    public bool Stopped;

    /// <summary>Bumped by every wake request and by a crash; a timer event of an older generation is stale.</summary>
    public int TimerGeneration;

    /// <summary>Dials issued whose outcome has not been handed to the machine yet.</summary>
    public int PendingDials;

    /// <summary>Open connection ends of this node (end numbers), so a crash can reset them.</summary>
    public List<int> OpenEnds { get; } = new(4);

    /// <summary>"ip:port", built once, for <see cref="ConnectionInfo.RemoteAddress"/>.</summary>
    public string AddressText => _addressText ??= Endpoint.ToString();

    public void RemoveEnd(int end)
    {
        var ends = OpenEnds;
        var i = ends.IndexOf(end);
        if (i >= 0)
        {
            ends[i] = ends[^1];
            ends.RemoveAt(ends.Count - 1);
        }
    }
}
