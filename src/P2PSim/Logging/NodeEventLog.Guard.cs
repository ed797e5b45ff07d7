using Microsoft.Extensions.Logging;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Logging;

/// <summary>The seed's registration guard and judged reporters (<c>SeedMachine.Guard.cs</c>).</summary>
public static partial class NodeEventLog
{
    private static bool WriteGuard(ILogger logger, NodeEvent e)
    {
        switch (e)
        {
            case PeerAwaitingDialBack p:
                LogDebugPeerAwaitingDialBack(logger, p.Peer, p.RemoteAddress, p.PeerListSent.Count);
                return true;
            case PeerNotListed n:
                LogWarningPeerNotListed(logger, n.Peer, n.Reason, n.NotListed, LeftOut(n.HeldBack));
                return true;
            case RegistrationOverCap r:
                LogWarningRegistrationOverCap(logger, r.Peer, r.Cap, r.Refused, LeftOut(r.HeldBack));
                return true;
            case DeadNodeInconclusive i:
                LogWarningDeadNodeInconclusive(logger, i.Report, i.RemoteAddress, i.Report.Dead, i.Reason);
                return true;
            case DeadNodeIgnored d:
                LogWarningDeadNodeIgnored(logger, d.Report, d.RemoteAddress, d.Reason, d.Ignored, LeftOut(d.HeldBack));
                return true;
            case ReporterIgnored r:
                LogWarningReporterIgnored(logger, r.Reporter, r.Refuted, r.Until);
                return true;
            default:
                return false;
        }
    }

    private static string LeftOut(int count) => count == 0 ? "" : $" ({count} more such lines left out since the last one)";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registered {Peer} from {Remote} and sent it a peer list of {Count}; it is listed once this seed's own dial to it proves the same id")]
    private static partial void LogDebugPeerAwaitingDialBack(ILogger logger, NodeEndpoint peer, string remote, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not listing {Peer}: this seed's dial to it failed ({Reason}); it stays registered but is handed to no one ({Count} not listed in all){HeldBack}")]
    private static partial void LogWarningPeerNotListed(ILogger logger, NodeEndpoint peer, string reason, long count, string heldBack);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused the registration of {Peer}: its address holds {Cap} registered endpoints already (Seed:MaxRegistrationsPerAddress); {Count} refused in all; connection closed{HeldBack}")]
    private static partial void LogWarningRegistrationOverCap(ILogger logger, NodeEndpoint peer, int cap, long count, string heldBack);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Received \"{Report}\" from {Remote}: the check of {Dead} was turned away ({Reason}); something listens there, so it is no death and the peer stays listed")]
    private static partial void LogWarningDeadNodeInconclusive(ILogger logger, DeadNode report, string remote, NodeEndpoint dead, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored \"{Report}\" from {Remote}: {Reason} ({Count} reports ignored in all){HeldBack}")]
    private static partial void LogWarningDeadNodeIgnored(ILogger logger, DeadNode report, string remote, string reason, long count, string heldBack);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring the dead-node reports of {Reporter} until {Until:HH:mm:ss}: {Refuted} of its reports were refuted by this seed's own checks")]
    private static partial void LogWarningReporterIgnored(ILogger logger, NodeEndpoint reporter, int refuted, DateTimeOffset until);
}
