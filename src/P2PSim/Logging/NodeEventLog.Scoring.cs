using Microsoft.Extensions.Logging;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Logging;

/// <summary>Neighbour scoring against Sybils (<c>Overlay/NeighbourTable.Scoring.cs</c>).</summary>
public static partial class NodeEventLog
{
    private static bool WriteScoring(ILogger logger, NodeEvent e)
    {
        switch (e)
        {
            case NeighbourReplaced r:
                LogWarningNeighbourReplaced(logger, r.Neighbour, r.Why, r.Replacement is { } next ? $"dialing {next} instead" : "no other known peer to dial instead", r.Replaced);
                return true;
            default:
                return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replaced neighbour {Neighbour}: {Why}; said goodbye, not drawn again for a while (Peer:PoorNeighbourFor); {Next} ({Replaced} replaced by this peer)")]
    private static partial void LogWarningNeighbourReplaced(ILogger logger, NodeEndpoint neighbour, string why, string next, long replaced);
}
