using P2PSim.Nodes;

namespace P2PSim.Experiments;

/// <summary>What the attack workload reads from the node events: protocol violations, and forgeries whose link stays.</summary>
public sealed partial class ExperimentRecorder
{
    /// <summary>Connections the nodes closed as protocol violations (a forgery among them), seeds and peers.</summary>
    public long Violations { get; private set; }

    /// <summary>Messages dropped as forged whose link stayed (validly signed, naming an endpoint the receiver knows by another id).</summary>
    public long ForgedQuietly { get; private set; }

    private void CountRefusal(NodeEvent nodeEvent)
    {
        _security.Count(nodeEvent);
        switch (nodeEvent)
        {
            case ProtocolViolation or GroupEvent { Event: ProtocolViolation }:
                Violations++;
                break;
            case GossipForged { Violation: false } or GroupEvent { Event: GossipForged { Violation: false } }:
                ForgedQuietly++;
                break;
        }
    }
}
