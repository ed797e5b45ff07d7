using Microsoft.Extensions.Logging;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Logging;

/// <summary>
/// Turns every <see cref="NodeEvent"/> into one log line. The wording is what a user reads
/// in the console and in <c>Log_{port}.txt</c>.
/// </summary>
public static partial class NodeEventLog
{
    public static void Write(ILogger logger, NodeEvent e) => Write(logger, e, violations: null);

    /// <param name="violations">Limits this node's protocol-violation lines (null: every one is written).</param>
    public static void Write(ILogger logger, NodeEvent e, LogRateLimit? violations)
    {
        switch (e)
        {
            case GroupEvent g:
                WriteGroup(logger, g, violations);
                break;
            case GroupJoined j:
                LogInformationGroupJoined(logger, j.Group);
                break;
            case GroupLeft l:
                LogInformationGroupLeft(logger, l.Group, new Plural(l.Neighbours, "neighbour"));
                break;
            case GroupMembersReceived m:
                LogInformationGroupMembersReceived(logger, m.Group, m.Seed, new Plural(m.Members.Count, "member"), new EndpointList(m.Members));
                break;
            case GroupLinkRefused r:
                LogInformationGroupLinkRefused(logger, r.Group, r.Peer);
                break;
            case GroupMemberJoined j when j.Again:
                LogDebugGroupMemberJoinedAgain(logger, j.Peer, j.Group, j.MembersSent.Count);
                break;
            case GroupMemberJoined j:
                LogInformationGroupMemberJoined(logger, j.Peer, j.Group, new Plural(j.Members, "member"), new Plural(j.MembersSent.Count, "member"), new EndpointList(j.MembersSent));
                break;
            case GroupMemberLeft l:
                LogInformationGroupMemberLeft(logger, l.Peer, l.Group, new Plural(l.Members, "member"));
                break;
            case PeerRegistered r when r.Again:
                LogDebugPeerRegisteredAgain(logger, r.Peer, r.RemoteAddress, r.PeerListSent.Count);
                break;
            case PeerRegistered r:
                LogInformationPeerRegistered(logger, "Registered", r.Peer, r.RemoteAddress, r.PeerListSent.Count, new EndpointList(r.PeerListSent));
                break;
            case DeadNodeReceived d when d.RelayedBy is { } by && d.Removed && d.Confirmation is { } confirmation:
                LogWarningRelayedDeadNodeConfirmed(logger, d.Report, by, d.Report.Dead, confirmation, d.PeersLeft);
                break;
            case DeadNodeReceived d when d.RelayedBy is { } by && d.Confirmation is { } confirmation:
                LogInformationRelayedDeadNodeGoneMeanwhile(logger, d.Report, by, d.Report.Dead, confirmation);
                break;
            case DeadNodeReceived d when d.RelayedBy is { } by:
                LogInformationRelayedDeadNodeIgnored(logger, d.Report, by, d.Report.Dead);
                break;
            case DeadNodeChecking c when c.RelayedBy is { } by:
                LogInformationRelayedDeadNodeChecking(logger, c.Report, by, c.AlreadyChecking ? "already checking" : "checking", c.Report.Dead);
                break;
            case DeadNodeRefuted r when r.RelayedBy is { } by:
                LogWarningRelayedDeadNodeRefuted(logger, r.Report, by, r.Report.Dead);
                break;
            case DeadNodeRelayed r:
                LogInformationDeadNodeRelayed(logger, r.Report, r.Seeds.Count, new EndpointList(r.Seeds));
                break;
            case DeadNodeRelayFailed f:
                LogWarningDeadNodeRelayFailed(logger, f.Reports.Count, f.Seed, f.Reason,
                    f.RetryAt is { } retryAt ? $"next try at {new LocalTime(retryAt)}" : "skipping that seed");
                break;
            case DeadNodeReceived d when d.Removed && d.Confirmation is { } confirmation:
                LogWarningDeadNodeConfirmed(logger, d.Report, d.RemoteAddress, d.Report.Dead, confirmation, d.PeersLeft);
                break;
            case DeadNodeReceived d when d.Removed:
                LogWarningDeadNodeRemoved(logger, d.Report, d.RemoteAddress, d.Report.Dead, d.PeersLeft);
                break;
            case DeadNodeReceived d when d.Confirmation is { } confirmation:
                LogInformationDeadNodeGoneMeanwhile(logger, d.Report, d.RemoteAddress, d.Report.Dead, confirmation);
                break;
            case DeadNodeReceived d:
                LogInformationDeadNodeIgnored(logger, d.Report, d.RemoteAddress, d.Report.Dead);
                break;
            case DeadNodeChecking c when c.AlreadyChecking:
                LogInformationDeadNodeAlreadyChecking(logger, c.Report, c.RemoteAddress, c.Report.Dead);
                break;
            case DeadNodeChecking c:
                LogInformationDeadNodeChecking(logger, c.Report, c.RemoteAddress, c.Report.Dead);
                break;
            case DeadNodeRefuted r:
                LogWarningDeadNodeRefuted(logger, r.Report, r.RemoteAddress, r.Report.Dead);
                break;
            case DeadNodeRejected r:
                LogWarningDeadNodeRejected(logger, r.Report, r.RemoteAddress, r.Reason);
                break;
            case RequestRejected r:
                LogWarningRequestRejected(logger, r.Request, r.Claimed, r.RemoteAddress, r.Reason);
                break;
            case PeerDeregistered p:
                LogInformationPeerDeregistered(logger, p.Peer, p.PeersLeft);
                break;
            case PeerExpired x:
                LogWarningPeerExpired(logger, x.Peer, new LocalTime(x.LastRegistered), Math.Round((x.At - x.LastRegistered).TotalSeconds, 1), x.PeersLeft);
                break;
            case RegisteredWithSeed r:
                LogInformationRegisteredWithSeed(logger, r.Seed, r.PeerList.Count, new EndpointList(r.PeerList));
                break;
            case SeedRegistrationFailed f:
                LogWarningRegistrationFailed(logger, f.Seed, f.Reason);
                break;
            case RegistrationFinished f when f.Seeds.Count >= f.Wanted:
                LogInformationRegistrationFinished(logger, f.Seeds.Count, f.Configured, new EndpointList(f.Seeds));
                break;
            case RegistrationFinished f:
                LogWarningRegistrationShort(logger, f.Seeds.Count, f.Wanted, f.Configured, new EndpointList(f.Seeds));
                break;
            case NeighboursChosen n:
                LogInformationNeighboursChosen(logger, n.Known.Count, new EndpointList(n.Known), new Plural(n.Chosen.Count, "neighbour"), new EndpointList(n.Chosen));
                break;
            case NeighbourConnected n:
                LogInformationNeighbourConnected(logger, n.Neighbour, n.Reconnected ? "reconnected" : n.Inbound ? "connected to us" : "connected", new Plural(n.Neighbours, "neighbour"));
                break;
            case NeighbourDialFailed f:
                LogWarningNeighbourDialFailed(logger, f.Neighbour, f.Reason);
                break;
            case NeighbourConnectionLost l:
                LogWarningConnectionLost(logger, l.Neighbour, l.Reason);
                break;
            case NeighbourLeft l:
                LogInformationNeighbourLeft(logger, l.Neighbour, new Plural(l.Neighbours, "neighbour"));
                break;
            case OverlayRepair r when r.Dialing.Count == 0 && r.Trigger == "liveness round":
                LogDebugOverlayRepairAsking(logger, new Plural(r.Neighbours, "neighbour"), r.Minimum, new Plural(r.SeedsAsked.Count, "seed"));
                break;
            case OverlayRepair r:
                LogInformationOverlayRepair(logger, new Plural(r.Neighbours, "neighbour"), r.Minimum, r.Trigger, new EndpointList(r.Dialing), new Plural(r.SeedsAsked.Count, "seed"));
                break;
            case SeedRefreshed r when r.FailedAttempts > 0:
                LogInformationSeedBack(logger, r.Seed, r.FailedAttempts, r.PeerList.Count, new EndpointList(r.PeerList));
                break;
            case SeedRefreshed r:
                LogDebugSeedRefreshed(logger, r.Seed, r.PeerList.Count);
                break;
            case ReregistrationFailed f:
                LogWarningReregistrationFailed(logger, f.Seed, f.Reason, f.Failures,
                    f.SeedsReachable == 0 ? "no registered seed is reachable" : $"{f.SeedsReachable} registered seeds reachable",
                    f.RetryAt is { } at ? $"next try at {new LocalTime(at)}" : "not retrying on its own (Peer:ReregisterInterval is 0)");
                break;
            case SeedFailover f:
                LogWarningSeedFailover(logger, f.Seed, f.Reason, f.Reachable, f.Wanted, new EndpointList(f.Unreachable));
                break;
            case DeadNodeReportRedirected r when r.Substitute is { } substitute:
                LogWarningDeadNodeReportRedirected(logger, r.Report, r.FailedSeed, substitute);
                break;
            case DeadNodeReportRedirected r:
                LogWarningDeadNodeReportStuck(logger, r.Report, r.FailedSeed);
                break;
            case CatchUpRequested c when c.Wanted > 0:
                LogInformationCatchUpRequested(logger, c.Neighbour, c.Offered, c.Wanted);
                break;
            case CatchUpRequested c:
                LogDebugCatchUpNothingMissing(logger, c.Neighbour, c.Offered);
                break;
            case CatchUpReasked c when c.LostWith is { } lost:
                LogInformationCatchUpReaskedLinkLost(logger, c.Neighbour, c.Wanted, lost);
                break;
            case CatchUpReasked c:
                LogInformationCatchUpReaskedUnanswered(logger, c.Neighbour, c.Wanted);
                break;
            case CatchUpServed c:
                LogInformationCatchUpServed(logger, c.Sent, c.Requested, c.Neighbour);
                break;
            case GossipOriginated g:
                LogInformationGossipOriginated(logger, new LogText(g.Text), g.SentTo, new ShortId(g.Id));
                break;
            case GossipRefused g:
                LogWarningGossipRefused(logger, new ShortId(g.Id), g.Origin, g.From, g.Reason);
                break;
            case GossipThrottled t:
                LogWarningGossipThrottled(logger, new Plural(t.Count, "new message"), t.Origin, t.From, t.Total);
                break;
            case GossipForged f when f.Violation:
                break; // the protocol violation that closes the sender's link says it: one line, rate-limited
            case GossipForged f when violations is null || violations.TryTake(f.At, out _):
                LogWarningGossipForged(logger, new ShortId(f.Id), f.Origin, f.From, f.Reason);
                break;
            case GossipForged:
                break; // over the violations' limit: counted all the same
            case GossipReceived g when g.OriginUnverified:
                LogInformationGossipReceivedUnverified(logger, new LogText(g.Text), g.OriginLabel, g.From, new LocalTime(g.At), g.Hops, g.ForwardedTo, new ShortId(g.Id));
                break;
            case OriginUnverified u when u.Dropped && (violations is null || violations.TryTake(u.At, out _)):
                LogWarningOriginUnverifiedDropped(logger, new ShortId(u.Id), u.Origin, u.OriginId.Short, u.From);
                break;
            case OriginUnverified:
                break; // delivered: its receipt line marks the origin; or over the violations' limit: counted all the same
            case GossipReceived g when g.CatchUp:
                LogInformationGossipCaughtUp(logger, new LogText(g.Text), g.From, new LocalTime(g.At), g.Hops, g.ForwardedTo, new ShortId(g.Id));
                break;
            case GossipReceived g when g.Grafted:
                LogInformationGossipGrafted(logger, new LogText(g.Text), g.From, new LocalTime(g.At), g.Hops, g.ForwardedTo, new ShortId(g.Id));
                break;
            case GossipReceived g:
                LogInformationGossipReceived(logger, new LogText(g.Text), g.From, new LocalTime(g.At), g.Hops, g.ForwardedTo, new ShortId(g.Id));
                break;
            case DuplicateDropped d:
                LogDebugDuplicateDropped(logger, new ShortId(d.Id), d.From);
                break;
            case LivenessMissed m:
                LogInformationLivenessMissed(logger, m.Neighbour, m.Missed, m.Limit);
                break;
            case NeighbourDead d:
                LogWarningNeighbourDead(logger, d.Neighbour, d.Missed, d.Reason);
                break;
            case DeadNodeReportSent s:
                LogWarningDeadNodeReportSent(logger, s.Report, s.Seed);
                break;
            case SeedUnreachable u:
                LogWarningSeedUnreachable(logger, u.What, u.Seed, u.Reason, u.WillRetry ? "will retry" : "giving up");
                break;
            case Leaving l:
                LogInformationLeaving(logger, new Plural(l.Neighbours, "neighbour"), new Plural(l.Seeds, "seed"));
                break;
            case ProtocolViolation v when violations is null:
                LogWarningProtocolViolation(logger, v.RemoteAddress, v.Reason);
                break;
            case ProtocolViolation v when violations.TryTake(v.At, out var suppressed):
                if (suppressed == 0)
                {
                    LogWarningProtocolViolation(logger, v.RemoteAddress, v.Reason);
                }
                else
                {
                    LogWarningProtocolViolationAfterSuppressed(logger, v.RemoteAddress, v.Reason, new Plural(suppressed, "line"));
                }
                break;
            case ProtocolViolation:
                break; // over the limit: counted, and said with the next line written
            case DialMetOtherId d when violations is null || violations.TryTake(d.At, out _):
                LogWarningDialMetOtherId(logger, d.Target, d.Expected.Short, d.Met.Short);
                break;
            case DialMetOtherId:
                break; // over the violations' limit: counted all the same
            case TreeLinkChanged t:
                LogDebugTreeLinkChanged(logger, t.Neighbour, t.Eager ? "a tree link (messages pushed over it)" : "lazy (message ids announced over it)");
                break;
            default:
                if (!WritePrivate(logger, e) && !WriteGuard(logger, e) && !WriteGroupKeys(logger, e) && !WriteScoring(logger, e))
                {
                    LogDebugOther(logger, e);
                }
                break;
        }
    }

    
    [LoggerMessage(Level = LogLevel.Information, Message = "{What} peer {Peer} (from {Remote}); sent it the peer list ({Count}): {Peers}")]
    private static partial void LogInformationPeerRegistered(ILogger logger, string what, NodeEndpoint peer, string remote, int count, EndpointList peers);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registered again peer {Peer} (from {Remote}); sent it the peer list ({Count})")]
    private static partial void LogDebugPeerRegisteredAgain(ILogger logger, NodeEndpoint peer, string remote, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Confirmed \"{Report}\" (reported from {Remote}): {Dead} does not answer ({Confirmation}); removed it from the peer list ({Left} left)")]
    private static partial void LogWarningDeadNodeConfirmed(ILogger logger, DeadNode report, string remote, NodeEndpoint dead, string confirmation, int left);

    [LoggerMessage(Level = LogLevel.Information, Message = "Confirmed \"{Report}\" (reported from {Remote}): {Dead} does not answer ({Confirmation}), and it had already left the peer list")]
    private static partial void LogInformationDeadNodeGoneMeanwhile(ILogger logger, DeadNode report, string remote, NodeEndpoint dead, string confirmation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received \"{Report}\" from {Remote}: checking {Dead} before removing it")]
    private static partial void LogInformationDeadNodeChecking(ILogger logger, DeadNode report, string remote, NodeEndpoint dead);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received \"{Report}\" from {Remote}: already checking {Dead}")]
    private static partial void LogInformationDeadNodeAlreadyChecking(ILogger logger, DeadNode report, string remote, NodeEndpoint dead);

    [LoggerMessage(Level = LogLevel.Warning, Message = "False report \"{Report}\" from {Remote}: {Dead} answered the check; it stays in the peer list")]
    private static partial void LogWarningDeadNodeRefuted(ILogger logger, DeadNode report, string remote, NodeEndpoint dead);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Confirmed \"{Report}\" (relayed by seed {Seed}): {Dead} does not answer ({Confirmation}); removed it from the peer list ({Left} left)")]
    private static partial void LogWarningRelayedDeadNodeConfirmed(ILogger logger, DeadNode report, NodeEndpoint seed, NodeEndpoint dead, string confirmation, int left);

    [LoggerMessage(Level = LogLevel.Information, Message = "Confirmed \"{Report}\" (relayed by seed {Seed}): {Dead} does not answer ({Confirmation}), and it had already left the peer list")]
    private static partial void LogInformationRelayedDeadNodeGoneMeanwhile(ILogger logger, DeadNode report, NodeEndpoint seed, NodeEndpoint dead, string confirmation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received \"{Report}\" relayed by seed {Seed}: {Dead} is not in the peer list (already removed or never registered here)")]
    private static partial void LogInformationRelayedDeadNodeIgnored(ILogger logger, DeadNode report, NodeEndpoint seed, NodeEndpoint dead);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received \"{Report}\" relayed by seed {Seed}: {What} {Dead} before removing it")]
    private static partial void LogInformationRelayedDeadNodeChecking(ILogger logger, DeadNode report, NodeEndpoint seed, string what, NodeEndpoint dead);

    [LoggerMessage(Level = LogLevel.Warning, Message = "False report \"{Report}\" relayed by seed {Seed}: {Dead} answered the check; it stays in the peer list")]
    private static partial void LogWarningRelayedDeadNodeRefuted(ILogger logger, DeadNode report, NodeEndpoint seed, NodeEndpoint dead);

    [LoggerMessage(Level = LogLevel.Information, Message = "Relaying the confirmed \"{Report}\" to the {Count} other seeds: {Seeds}")]
    private static partial void LogInformationDeadNodeRelayed(ILogger logger, DeadNode report, int count, EndpointList seeds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not relay {Count} dead-node reports to seed {Seed}: {Reason}; {Next}")]
    private static partial void LogWarningDeadNodeRelayFailed(ILogger logger, int count, NodeEndpoint seed, string reason, string next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected \"{Report}\" from {Remote}: {Reason}; the peer list is unchanged")]
    private static partial void LogWarningDeadNodeRejected(ILogger logger, DeadNode report, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Request} for {Claimed} from {Remote}: {Reason}; connection closed")]
    private static partial void LogWarningRequestRejected(ILogger logger, P2PSim.Protocol.MessageType request, NodeEndpoint claimed, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Received \"{Report}\" from {Remote}: removed {Dead} from the peer list ({Left} left)")]
    private static partial void LogWarningDeadNodeRemoved(ILogger logger, DeadNode report, string remote, NodeEndpoint dead, int left);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received \"{Report}\" from {Remote}: {Dead} is not in the peer list (already removed or never registered)")]
    private static partial void LogInformationDeadNodeIgnored(ILogger logger, DeadNode report, string remote, NodeEndpoint dead);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer {Peer} left cleanly; removed from the peer list ({Left} left)")]
    private static partial void LogInformationPeerDeregistered(ILogger logger, NodeEndpoint peer, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped {Count} of origins publishing faster than Gossip:OriginRate allows (the last of {Origin}, received from {From}); {Total} so far")]
    private static partial void LogWarningGossipThrottled(ILogger logger, Plural count, NodeEndpoint origin, NodeEndpoint from, long total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused the link dialled to {Target}: expected id {Expected}… there, the node that answered proved id {Met}… (an impostor, or another node now at that endpoint); connection closed")]
    private static partial void LogWarningDialMetOtherId(ILogger logger, NodeEndpoint target, string expected, string met);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped message [{Id}] naming {Origin} as its origin, received from {From}, as forged: {Reason}; the link stays (the sender may have forwarded it unknowing)")]
    private static partial void LogWarningGossipForged(ILogger logger, ShortId id, NodeEndpoint origin, NodeEndpoint from, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped message [{Id}] from origin {Origin}, received from {From}: {Reason}")]
    private static partial void LogWarningGossipRefused(ILogger logger, ShortId id, NodeEndpoint origin, NodeEndpoint from, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed {Peer} from the peer list: no registration since {Last} ({Seconds} s; it crashed unnoticed or cannot reach this seed), {Left} left")]
    private static partial void LogWarningPeerExpired(ILogger logger, NodeEndpoint peer, LocalTime last, double seconds, int left);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered with seed {Seed}; received its peer list ({Count}): {Peers}")]
    private static partial void LogInformationRegisteredWithSeed(ILogger logger, NodeEndpoint seed, int count, EndpointList peers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register with seed {Seed}: {Reason}")]
    private static partial void LogWarningRegistrationFailed(ILogger logger, NodeEndpoint seed, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered with {Count} of {Configured} seeds: {Seeds}")]
    private static partial void LogInformationRegistrationFinished(ILogger logger, int count, int configured, EndpointList seeds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registered with only {Count} of the {Wanted} seeds needed ({Configured} configured): {Seeds}; retrying the others")]
    private static partial void LogWarningRegistrationShort(ILogger logger, int count, int wanted, int configured, EndpointList seeds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer list union ({KnownCount}): {Known}; chose {Chosen}: {ChosenPeers}")]
    private static partial void LogInformationNeighboursChosen(ILogger logger, int knownCount, EndpointList known, Plural chosen, EndpointList chosenPeers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Neighbour {Neighbour} {How}; {Count}")]
    private static partial void LogInformationNeighbourConnected(ILogger logger, NodeEndpoint neighbour, string how, Plural count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not connect to peer {Neighbour}: {Reason}; trying another")]
    private static partial void LogWarningNeighbourDialFailed(ILogger logger, NodeEndpoint neighbour, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to neighbour {Neighbour} ({Reason}); retrying every liveness round")]
    private static partial void LogWarningConnectionLost(ILogger logger, NodeEndpoint neighbour, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Neighbour {Neighbour} said goodbye (clean leave, not a death); {Count}")]
    private static partial void LogInformationNeighbourLeft(ILogger logger, NodeEndpoint neighbour, Plural count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Only {Neighbours} (minimum {Minimum}) after {Trigger}: dialing {Dialing}; asked {Seeds} for fresh peer lists")]
    private static partial void LogInformationOverlayRepair(ILogger logger, Plural neighbours, int minimum, string trigger, EndpointList dialing, Plural seeds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Only {Neighbours} (minimum {Minimum}) and no other peer known: asked {Seeds} for fresh peer lists")]
    private static partial void LogDebugOverlayRepairAsking(ILogger logger, Plural neighbours, int minimum, Plural seeds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered again with seed {Seed} after {Failures} failed attempts; received its peer list ({Count}): {Peers}")]
    private static partial void LogInformationSeedBack(ILogger logger, NodeEndpoint seed, int failures, int count, EndpointList peers);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registered again with seed {Seed}; received its peer list ({Count})")]
    private static partial void LogDebugSeedRefreshed(ILogger logger, NodeEndpoint seed, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register again with seed {Seed}: {Reason} (attempt {Failures}); {Reachable}; keeping the neighbours and gossiping; {Next}")]
    private static partial void LogWarningReregistrationFailed(ILogger logger, NodeEndpoint seed, string reason, int failures, string reachable, string next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Switching seeds: registering with seed {Seed} because {Reason}; {Reachable} of the {Wanted} seeds wanted answer (unreachable: {Unreachable})")]
    private static partial void LogWarningSeedFailover(ILogger logger, NodeEndpoint seed, string reason, int reachable, int wanted, EndpointList unreachable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not deliver \"{Report}\" to seed {Seed}; sending it to seed {Substitute} instead")]
    private static partial void LogWarningDeadNodeReportRedirected(ILogger logger, DeadNode report, NodeEndpoint seed, NodeEndpoint substitute);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not deliver \"{Report}\" to seed {Seed}, and no other configured seed is left to send it to")]
    private static partial void LogWarningDeadNodeReportStuck(ILogger logger, DeadNode report, NodeEndpoint seed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catch-up: {Neighbour} offered {Offered} recent messages; asked for the {Wanted} not seen yet")]
    private static partial void LogInformationCatchUpRequested(ILogger logger, NodeEndpoint neighbour, int offered, int wanted);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Catch-up: {Neighbour} offered {Offered} recent messages; all seen already")]
    private static partial void LogDebugCatchUpNothingMissing(ILogger logger, NodeEndpoint neighbour, int offered);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catch-up: asked {Neighbour} for {Wanted} messages it offered; the link to {LostWith}, asked for them first, was lost")]
    private static partial void LogInformationCatchUpReaskedLinkLost(ILogger logger, NodeEndpoint neighbour, int wanted, NodeEndpoint lostWith);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catch-up: asked {Neighbour} for {Wanted} messages it offered; the neighbour asked for them first did not send them within a liveness interval")]
    private static partial void LogInformationCatchUpReaskedUnanswered(ILogger logger, NodeEndpoint neighbour, int wanted);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catch-up: sent {Sent} of the {Requested} messages {Neighbour} asked for")]
    private static partial void LogInformationCatchUpServed(ILogger logger, int sent, int requested, NodeEndpoint neighbour);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received gossip \"{Text}\" from {From} at {LocalTime} by catch-up (hop {Hops}), forwarded to {Count} [{Id}]")]
    private static partial void LogInformationGossipCaughtUp(ILogger logger, LogText text, NodeEndpoint from, LocalTime localTime, int hops, int count, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received gossip \"{Text}\" from {From} at {LocalTime} by graft (asked for after an announcement; hop {Hops}), forwarded to {Count} [{Id}]")]
    private static partial void LogInformationGossipGrafted(ILogger logger, LogText text, NodeEndpoint from, LocalTime localTime, int hops, int count, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Originated gossip \"{Text}\", sent to {Count} neighbours [{Id}]")]
    private static partial void LogInformationGossipOriginated(ILogger logger, LogText text, int count, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received gossip \"{Text}\" from origin {Origin} via {From} at {LocalTime} (hop {Hops}), forwarded to {Count} [{Id}]")]
    private static partial void LogInformationGossipReceivedUnverified(ILogger logger, LogText text, string origin, NodeEndpoint from, LocalTime localTime, int hops, int count, ShortId id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped message [{Id}] naming {Origin} (id {OriginId}…) as its origin, received from {From}: nobody vouches for that endpoint (no known id there, no attestation from a seed this peer knows; Security:UnverifiedOrigins=drop); the link stays")]
    private static partial void LogWarningOriginUnverifiedDropped(ILogger logger, ShortId id, NodeEndpoint origin, string originId, NodeEndpoint from);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received gossip \"{Text}\" from {From} at {LocalTime} (hop {Hops}), forwarded to {Count} [{Id}]")]
    private static partial void LogInformationGossipReceived(ILogger logger, LogText text, NodeEndpoint from, LocalTime localTime, int hops, int count, ShortId id);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped duplicate [{Id}] from {From}")]
    private static partial void LogDebugDuplicateDropped(ILogger logger, ShortId id, NodeEndpoint from);

    [LoggerMessage(Level = LogLevel.Information, Message = "Neighbour {Neighbour} missed liveness round {Missed} of {Limit}")]
    private static partial void LogInformationLivenessMissed(ILogger logger, NodeEndpoint neighbour, int missed, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Neighbour {Neighbour} is dead after {Missed} missed liveness rounds ({Reason})")]
    private static partial void LogWarningNeighbourDead(ILogger logger, NodeEndpoint neighbour, int missed, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting \"{Report}\" to seed {Seed}")]
    private static partial void LogWarningDeadNodeReportSent(ILogger logger, DeadNode report, NodeEndpoint seed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not deliver {What} to seed {Seed}: {Reason}; {Next}")]
    private static partial void LogWarningSeedUnreachable(ILogger logger, string what, NodeEndpoint seed, string reason, string next);

    [LoggerMessage(Level = LogLevel.Information, Message = "Leaving: goodbye to {Neighbours} and {Seeds}")]
    private static partial void LogInformationLeaving(ILogger logger, Plural neighbours, Plural seeds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected input from {Remote}: {Reason}; connection closed")]
    private static partial void LogWarningProtocolViolation(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Link to {Neighbour} is now {State}")]
    private static partial void LogDebugTreeLinkChanged(ILogger logger, NodeEndpoint neighbour, string state);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Event}")]
    private static partial void LogDebugOther(ILogger logger, NodeEvent @event);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected input from {Remote}: {Reason}; connection closed (and {Suppressed} like it since the last one, not logged: too many at once)")]
    private static partial void LogWarningProtocolViolationAfterSuppressed(ILogger logger, string remote, string reason, Plural suppressed);

    // ---- groups ----

    /// <summary>
    /// An event of one of the peer's groups: a message published or received gets a line of its own; anything else
    /// (a group neighbour connected, died, a repair) is written as the whole network's event is, after <c>Group "name": </c>.
    /// </summary>
    private static void WriteGroup(ILogger logger, GroupEvent g, LogRateLimit? violations)
    {
        switch (g.Event)
        {
            case GossipOriginated o:
                LogInformationGroupMessagePublished(logger, g.Group, new LogText(o.Text), new Plural(o.SentTo, "neighbour"), new ShortId(o.Id));
                break;
            case GossipReceived r:
                LogInformationGroupMessageReceived(logger, g.Group, new LogText(r.Text), r.OriginUnverified ? $"{r.From} (origin {r.OriginLabel})" : r.From.ToString(), new LocalTime(r.At), r.CatchUp ? " by catch-up" : r.Grafted ? " by graft" : "",
                    r.Hops, r.ForwardedTo, new ShortId(r.Id));
                break;
            case NeighboursChosen n:
                LogInformationGroupNeighboursChosen(logger, g.Group, n.Known.Count, new EndpointList(n.Known), new Plural(n.Chosen.Count, "neighbour"), new EndpointList(n.Chosen));
                break;
            case OverlayRepair r when r.Dialing.Count == 0 && r.Trigger == "liveness round":
                LogDebugGroupRepairAsking(logger, g.Group, new Plural(r.Neighbours, "neighbour"), r.Minimum, new Plural(r.SeedsAsked.Count, "seed"));
                break;
            case OverlayRepair r:
                LogInformationGroupRepair(logger, g.Group, new Plural(r.Neighbours, "neighbour"), r.Minimum, r.Trigger, new EndpointList(r.Dialing), new Plural(r.SeedsAsked.Count, "seed"));
                break;
            default:
                Write(new GroupLogger(logger, g.Group), g.Event, violations);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Group \"{Group}\": members known ({KnownCount}): {Known}; chose {Chosen}: {ChosenPeers}")]
    private static partial void LogInformationGroupNeighboursChosen(ILogger logger, string group, int knownCount, EndpointList known, Plural chosen, EndpointList chosenPeers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group \"{Group}\": only {Neighbours} (minimum {Minimum}) after {Trigger}: dialing {Dialing}; asked {Seeds} for the group's members")]
    private static partial void LogInformationGroupRepair(ILogger logger, string group, Plural neighbours, int minimum, string trigger, EndpointList dialing, Plural seeds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Group \"{Group}\": only {Neighbours} (minimum {Minimum}) and no other member known: asked {Seeds} for the group's members")]
    private static partial void LogDebugGroupRepairAsking(ILogger logger, string group, Plural neighbours, int minimum, Plural seeds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group \"{Group}\": published \"{Text}\", sent to {Count} [{Id}]")]
    private static partial void LogInformationGroupMessagePublished(ILogger logger, string group, LogText text, Plural count, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group \"{Group}\": received \"{Text}\" from {From} at {LocalTime}{How} (hop {Hops}), forwarded to {Count} [{Id}]")]
    private static partial void LogInformationGroupMessageReceived(ILogger logger, string group, LogText text, string from, LocalTime localTime, string how, int hops, int count, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Joined group \"{Group}\"; asking the seeds for its members")]
    private static partial void LogInformationGroupJoined(ILogger logger, string group);

    [LoggerMessage(Level = LogLevel.Information, Message = "Left group \"{Group}\": goodbye to {Neighbours} there; telling the seeds")]
    private static partial void LogInformationGroupLeft(ILogger logger, string group, Plural neighbours);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group \"{Group}\": seed {Seed} named {Count}: {Members}")]
    private static partial void LogInformationGroupMembersReceived(ILogger logger, string group, NodeEndpoint seed, Plural count, EndpointList members);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group \"{Group}\": refused a link from {Peer}: not a member of the group (said goodbye on it)")]
    private static partial void LogInformationGroupLinkRefused(ILogger logger, string group, NodeEndpoint peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer {Peer} joined group \"{Group}\" ({Members} here); sent it {Count}: {Sent}")]
    private static partial void LogInformationGroupMemberJoined(ILogger logger, NodeEndpoint peer, string group, Plural members, Plural count, EndpointList sent);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Peer {Peer} joined group \"{Group}\" again; sent it {Count} members")]
    private static partial void LogDebugGroupMemberJoinedAgain(ILogger logger, NodeEndpoint peer, string group, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer {Peer} left group \"{Group}\" ({Members} left here)")]
    private static partial void LogInformationGroupMemberLeft(ILogger logger, NodeEndpoint peer, string group, Plural members);

    /// <summary>Writes through <paramref name="inner"/>, each line after <c>Group "name": </c>: a group's events in the words of the whole network's.</summary>
    private sealed class GroupLogger(ILogger inner, string group) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, (s, e) => $"Group \"{group}\": {formatter(s, e)}");
    }
}

/// <summary>A list of endpoints, formatted only when a line is written (at most 50 shown).</summary>
public readonly struct EndpointList(IReadOnlyCollection<NodeEndpoint> endpoints)
{
    public override string ToString() =>
        endpoints.Count == 0 ? "(none)" : string.Join(", ", endpoints.Take(50)) + (endpoints.Count > 50 ? $", ... ({endpoints.Count - 50} more)" : "");
}

/// <summary>The first hex digits of a message id, formatted only when a line is written.</summary>
public readonly struct ShortId(P2PSim.Gossip.MessageId id)
{
    public override string ToString() => id.Short;
}

/// <summary>A time of day in local time, formatted only when a line is written.</summary>
public readonly struct LocalTime(DateTimeOffset at)
{
    public override string ToString() => at.ToLocalTime().ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
}
