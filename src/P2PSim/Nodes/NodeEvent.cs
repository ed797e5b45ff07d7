using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// Something that happened in a node, as a value: the driver turns each into a log line
/// and the statistics read them. <see cref="At"/> is the node's time when it happened.
/// </summary>
public abstract record NodeEvent(DateTimeOffset At);

// ---- Seed ----

/// <summary>A peer registered (or registered again) and was sent the peer list.</summary>
public sealed record PeerRegistered(DateTimeOffset At, NodeEndpoint Peer, string RemoteAddress, bool Again, IReadOnlyList<NodeEndpoint> PeerListSent) : NodeEvent(At);

/// <summary>
/// The verdict on a dead-node report: <paramref name="Removed"/> says whether the peer was removed from the list.
/// A listed peer is removed only once the seed's own check confirmed it: <paramref name="Confirmation"/> is why the
/// check failed (for example "connection refused"); null when the reported peer was not in the list at all.
/// <paramref name="RelayedBy"/>: the seed that relayed the report (null: a peer reported it to this seed).
/// </summary>
public sealed record DeadNodeReceived(DateTimeOffset At, DeadNode Report, string RemoteAddress, bool Removed, int PeersLeft, string? Confirmation = null, NodeEndpoint? RelayedBy = null) : NodeEvent(At);

/// <summary>
/// A dead-node report was accepted and the seed is checking the reported peer itself (dialing it) before removing it.
/// <paramref name="RelayedBy"/>: the seed that relayed the report (null: a peer reported it to this seed).
/// </summary>
public sealed record DeadNodeChecking(DateTimeOffset At, DeadNode Report, string RemoteAddress, bool AlreadyChecking, NodeEndpoint? RelayedBy = null) : NodeEvent(At);

/// <summary>The seed's check reached the reported peer: the report was false and the peer stays listed.</summary>
public sealed record DeadNodeRefuted(DateTimeOffset At, DeadNode Report, string RemoteAddress, NodeEndpoint? RelayedBy = null) : NodeEvent(At);

/// <summary>A death a peer reported was confirmed here; the report is being relayed to <paramref name="Seeds"/>, the other configured seeds.</summary>
public sealed record DeadNodeRelayed(DateTimeOffset At, DeadNode Report, IReadOnlyList<NodeEndpoint> Seeds) : NodeEvent(At);

/// <summary>
/// Relayed reports could not be delivered to <paramref name="Seed"/>; tried again at <paramref name="RetryAt"/>, or (null)
/// given up: that seed is skipped.
/// </summary>
public sealed record DeadNodeRelayFailed(DateTimeOffset At, NodeEndpoint Seed, IReadOnlyList<DeadNode> Reports, string Reason, DateTimeOffset? RetryAt) : NodeEvent(At);

/// <summary>A dead-node report from a sender the seed does not take reports from (not a registered peer, or a forged endpoint); nothing changed.</summary>
public sealed record DeadNodeRejected(DateTimeOffset At, DeadNode Report, string RemoteAddress, string Reason) : NodeEvent(At);

/// <summary>A <c>Register</c> or <c>Goodbye</c> claiming an endpoint the connection does not come from was refused; the connection is closed.</summary>
public sealed record RequestRejected(DateTimeOffset At, MessageType Request, NodeEndpoint Claimed, string RemoteAddress, string Reason) : NodeEvent(At);

/// <summary>
/// A listed peer had not registered since <paramref name="LastRegistered"/>, longer than the seed keeps a silent peer
/// (<c>Seed:ExpireAfterMissedRegistrations</c>), and was removed: it crashed unnoticed, or cannot reach this seed.
/// </summary>
public sealed record PeerExpired(DateTimeOffset At, NodeEndpoint Peer, DateTimeOffset LastRegistered, int PeersLeft) : NodeEvent(At);

/// <summary>A registered peer said goodbye and was removed from the list.</summary>
public sealed record PeerDeregistered(DateTimeOffset At, NodeEndpoint Peer, int PeersLeft) : NodeEvent(At);

// ---- Peer: registration and overlay ----

/// <summary>A seed answered the registration with its peer list.</summary>
public sealed record RegisteredWithSeed(DateTimeOffset At, NodeEndpoint Seed, IReadOnlyList<NodeEndpoint> PeerList) : NodeEvent(At);

/// <summary>Registration with one seed did not work.</summary>
public sealed record SeedRegistrationFailed(DateTimeOffset At, NodeEndpoint Seed, string Reason) : NodeEvent(At);

/// <summary>The registration round ended: with how many seeds, of how many wanted.</summary>
public sealed record RegistrationFinished(DateTimeOffset At, IReadOnlyList<NodeEndpoint> Seeds, int Wanted, int Configured) : NodeEvent(At);

/// <summary>The union of the peer lists, and the neighbours chosen from it.</summary>
public sealed record NeighboursChosen(DateTimeOffset At, IReadOnlyList<NodeEndpoint> Known, IReadOnlyList<NodeEndpoint> Chosen) : NodeEvent(At);

/// <summary>A neighbour connection is up (dialed by us, or accepted).</summary>
public sealed record NeighbourConnected(DateTimeOffset At, NodeEndpoint Neighbour, bool Inbound, bool Reconnected, int Neighbours) : NodeEvent(At);

/// <summary>A dial to a chosen neighbour failed.</summary>
public sealed record NeighbourDialFailed(DateTimeOffset At, NodeEndpoint Neighbour, string Reason) : NodeEvent(At);

/// <summary>The connection to a neighbour broke; it is retried until it counts as dead.</summary>
public sealed record NeighbourConnectionLost(DateTimeOffset At, NodeEndpoint Neighbour, string Reason) : NodeEvent(At);

/// <summary>A neighbour said goodbye (a clean leave, never reported as a death).</summary>
public sealed record NeighbourLeft(DateTimeOffset At, NodeEndpoint Neighbour, int Neighbours) : NodeEvent(At);

/// <summary>
/// Self-healing: fewer than <paramref name="Minimum"/> neighbours (connected or reconnecting) were left after
/// <paramref name="Trigger"/>, so the peer dialed <paramref name="Dialing"/> and asked <paramref name="SeedsAsked"/> for
/// fresh peer lists; or (trigger "neighbours declared dead that the seeds still list") it dials former neighbours again.
/// </summary>
public sealed record OverlayRepair(DateTimeOffset At, string Trigger, int Neighbours, int Minimum, IReadOnlyList<NodeEndpoint> Dialing, IReadOnlyList<NodeEndpoint> SeedsAsked) : NodeEvent(At);

/// <summary>A registered seed answered a registration again (periodic, or asked for fresh peers); after <paramref name="FailedAttempts"/> failed ones.</summary>
public sealed record SeedRefreshed(DateTimeOffset At, NodeEndpoint Seed, IReadOnlyList<NodeEndpoint> PeerList, int FailedAttempts) : NodeEvent(At);

/// <summary>
/// Registering again with a seed the peer had registered with failed (the seed is down or restarting); the peer keeps its
/// neighbours and keeps gossiping, and tries again at <paramref name="RetryAt"/> (null: not on its own).
/// <paramref name="SeedsReachable"/> counts the registered seeds whose latest registration worked.
/// </summary>
public sealed record ReregistrationFailed(DateTimeOffset At, NodeEndpoint Seed, string Reason, int Failures, DateTimeOffset? RetryAt, int SeedsReachable) : NodeEvent(At);

/// <summary>
/// Failover: the peer registers with <paramref name="Seed"/>, a configured seed it was not registered with, because
/// <paramref name="Reason"/>. <paramref name="Unreachable"/>: its registered seeds that failed
/// <see cref="PeerMachine.FailoverAfterFailures"/> or more re-registrations in a row; <paramref name="Reachable"/> of the
/// <paramref name="Wanted"/> seeds it wants (a majority) answer.
/// </summary>
public sealed record SeedFailover(DateTimeOffset At, NodeEndpoint Seed, string Reason, IReadOnlyList<NodeEndpoint> Unreachable, int Reachable, int Wanted) : NodeEvent(At);

/// <summary>
/// A dead-node report could not be delivered to <paramref name="FailedSeed"/>; it goes to <paramref name="Substitute"/>
/// instead (null: no other configured seed is left to try).
/// </summary>
public sealed record DeadNodeReportRedirected(DateTimeOffset At, DeadNode Report, NodeEndpoint FailedSeed, NodeEndpoint? Substitute) : NodeEvent(At);

// ---- Peer: gossip ----

/// <summary>This peer created a gossip message and sent it to <paramref name="SentTo"/> neighbours.</summary>
public sealed record GossipOriginated(DateTimeOffset At, string Text, MessageId Id, int SentTo) : NodeEvent(At);

/// <summary>
/// First receipt of a gossip message that <paramref name="Origin"/> created, from neighbour <paramref name="From"/>;
/// forwarded (pushed) to <paramref name="ForwardedTo"/> neighbours. <paramref name="CatchUp"/>: it came because this peer
/// asked for it (Want). <paramref name="Grafted"/>: on a broadcast tree, it came because this peer heard of it by
/// announcement and asked for it (Graft); otherwise it came by push.
/// </summary>
public sealed record GossipReceived(DateTimeOffset At, string Text, MessageId Id, NodeEndpoint Origin, NodeEndpoint From, int Hops, int ForwardedTo, bool CatchUp = false, bool Grafted = false) : NodeEvent(At)
{
    /// <summary>A group message that came before its key, was held, and is read now that the key came (<see cref="Groups.GroupKeyring"/>).</summary>
    public bool AfterKey { get; init; }

    /// <summary>
    /// Nobody vouched for <see cref="Origin"/> (version 8: not a known id's endpoint, no attestation from a seed this peer
    /// knows): wherever the origin is shown it is marked <c>(unverified)</c>; an <see cref="OriginUnverified"/> came first.
    /// </summary>
    public bool OriginUnverified { get; init; }

    /// <summary>The origin as a log line or report shows it: its endpoint, marked <c>(unverified)</c> where nobody vouched for it.</summary>
    public string OriginLabel => OriginUnverified ? $"{Origin} (unverified)" : Origin.ToString();
}

/// <summary>
/// A message new to this peer whose origin endpoint nobody vouches for (protocol version 8): <paramref name="Origin"/> is
/// not the endpoint of an id this peer knows, and no attestation in the message from a seed it knows covers it.
/// <paramref name="Dropped"/>: <c>Security:UnverifiedOrigins=drop</c> dropped it unrecorded and unforwarded; otherwise it
/// is delivered, marked (<see cref="GossipReceived.OriginUnverified"/>). Counted by the demo summary and the reports.
/// </summary>
/// <paramref name="BadAttestation"/>: an attestation in it from a seed this peer knows did not verify (a restarted seed's
/// new key, or a forgery; nobody is blamed).
public sealed record OriginUnverified(DateTimeOffset At, MessageId Id, NodeEndpoint Origin, Security.NodeId OriginId, NodeEndpoint From, bool Dropped, bool BadAttestation = false) : NodeEvent(At);

/// <summary>
/// A received message was dropped without being recorded or forwarded: <paramref name="Reason"/> says why (its timestamp
/// is older than the Message List remembers, so it may be a replay of a message seen and forgotten; or too far ahead).
/// </summary>
public sealed record GossipRefused(DateTimeOffset At, MessageId Id, NodeEndpoint Origin, NodeEndpoint From, string Reason) : NodeEvent(At);

/// <summary>
/// A message was dropped as forged, unrecorded and not forwarded: its signature does not verify for the origin id it
/// names (a forgery, or a message altered on its way), a hop-1 copy names another id than its sender proved, or it names
/// an origin endpoint with another id than the one this peer knows it by. <paramref name="Violation"/>: the sender's link
/// is closed for it as a protocol violation (which writes the log line); otherwise the link stays (the sender may be an
/// honest forwarder that could not tell) and this event is the line, rate-limited as violation lines are.
/// </summary>
public sealed record GossipForged(DateTimeOffset At, MessageId Id, NodeEndpoint Origin, NodeEndpoint From, string Reason, bool Violation) : NodeEvent(At);

/// <summary>
/// New messages were dropped because their origin published faster than <c>Gossip:OriginRate</c> allows (reported at
/// most once a second): <paramref name="Count"/> since the last report, the last of <paramref name="Origin"/>'s from
/// <paramref name="From"/>; <paramref name="Total"/> so far on this overlay.
/// </summary>
public sealed record GossipThrottled(DateTimeOffset At, NodeEndpoint Origin, NodeEndpoint From, long Count, long Total) : NodeEvent(At);

/// <summary>
/// Tree and spanning routing: the link to <paramref name="Neighbour"/> became a tree link (<paramref name="Eager"/>: this
/// peer pushes payloads over it) or a lazy one (it only announces message ids over it), or it is new and starts so.
/// Reported only by a peer built to (<c>PeerMachine</c>'s <c>reportTreeLinks</c>: the TCP shell, for the live view).
/// </summary>
public sealed record TreeLinkChanged(DateTimeOffset At, NodeEndpoint Neighbour, bool Eager) : NodeEvent(At);

/// <summary>A neighbour's digest offered <paramref name="Offered"/> message ids; this peer asked for the <paramref name="Wanted"/> it had not seen.</summary>
public sealed record CatchUpRequested(DateTimeOffset At, NodeEndpoint Neighbour, int Offered, int Wanted) : NodeEvent(At);

/// <summary>
/// Catch-up asked <paramref name="Neighbour"/>, whose digest had offered them, for <paramref name="Wanted"/> messages
/// asked of another neighbour before: the link to <paramref name="LostWith"/> was lost before it delivered them, or (null)
/// the neighbour asked did not deliver them within one liveness interval.
/// </summary>
public sealed record CatchUpReasked(DateTimeOffset At, NodeEndpoint Neighbour, int Wanted, NodeEndpoint? LostWith) : NodeEvent(At);

/// <summary>A neighbour asked for <paramref name="Requested"/> messages; <paramref name="Sent"/> of them were still in the history and were sent.</summary>
public sealed record CatchUpServed(DateTimeOffset At, NodeEndpoint Neighbour, int Requested, int Sent) : NodeEvent(At);

/// <summary>A message seen before arrived again and was dropped.</summary>
public sealed record DuplicateDropped(DateTimeOffset At, MessageId Id, NodeEndpoint From) : NodeEvent(At);

// ---- Peer: liveness ----

/// <summary>A liveness request went unanswered (or the neighbour could not be reached) this round.</summary>
public sealed record LivenessMissed(DateTimeOffset At, NodeEndpoint Neighbour, int Missed, int Limit) : NodeEvent(At);

/// <summary>A neighbour is declared dead and dropped.</summary>
public sealed record NeighbourDead(DateTimeOffset At, NodeEndpoint Neighbour, int Missed, string Reason) : NodeEvent(At);

/// <summary>A dead-node report was handed to a seed connection.</summary>
public sealed record DeadNodeReportSent(DateTimeOffset At, NodeEndpoint Seed, DeadNode Report) : NodeEvent(At);

/// <summary>A message for a seed could not be delivered.</summary>
public sealed record SeedUnreachable(DateTimeOffset At, NodeEndpoint Seed, string What, string Reason, bool WillRetry) : NodeEvent(At);

/// <summary>The peer is leaving cleanly and says goodbye.</summary>
public sealed record Leaving(DateTimeOffset At, int Neighbours, int Seeds) : NodeEvent(At);

// ---- Groups ----

/// <summary>
/// Something that happened in the overlay of group <paramref name="Group"/>, one of this peer's groups: <paramref name="Event"/>
/// is what its parts raised (a neighbour connected, a message received, a death), as the whole network's parts raise it;
/// it is wrapped so that nothing counts a group's neighbours or messages as the whole network's.
/// </summary>
public sealed record GroupEvent(DateTimeOffset At, string Group, NodeEvent Event) : NodeEvent(At);

/// <summary>This peer joined group <paramref name="Group"/> (at start, or by command): it asks its seeds for the members.</summary>
public sealed record GroupJoined(DateTimeOffset At, string Group) : NodeEvent(At);

/// <summary>This peer left group <paramref name="Group"/>: goodbye to its <paramref name="Neighbours"/> neighbours there, and to the group at its seeds.</summary>
public sealed record GroupLeft(DateTimeOffset At, string Group, int Neighbours) : NodeEvent(At);

/// <summary>
/// <paramref name="Peer"/> dialed this peer for a link of group <paramref name="Group"/>, which this peer is not in (it never
/// joined, or it left): it said goodbye on the link and closed it.
/// </summary>
public sealed record GroupLinkRefused(DateTimeOffset At, NodeEndpoint Peer, string Group) : NodeEvent(At);

/// <summary>A seed answered this peer's <c>GroupJoin</c> with the members of <paramref name="Group"/> it knows.</summary>
public sealed record GroupMembersReceived(DateTimeOffset At, NodeEndpoint Seed, string Group, IReadOnlyList<NodeEndpoint> Members) : NodeEvent(At);

/// <summary>
/// Seed: <paramref name="Peer"/> joined group <paramref name="Group"/> (<paramref name="Again"/>: it was a member already),
/// which now has <paramref name="Members"/> members here; it was sent <paramref name="MembersSent"/>.
/// </summary>
public sealed record GroupMemberJoined(DateTimeOffset At, NodeEndpoint Peer, string Group, bool Again, int Members, IReadOnlyList<NodeEndpoint> MembersSent) : NodeEvent(At);

/// <summary>Seed: <paramref name="Peer"/> left group <paramref name="Group"/>, which now has <paramref name="Members"/> members here.</summary>
public sealed record GroupMemberLeft(DateTimeOffset At, NodeEndpoint Peer, string Group, int Members) : NodeEvent(At);

// ---- Any node ----

/// <summary>A remote broke the protocol; its connection is closed.</summary>
public sealed record ProtocolViolation(DateTimeOffset At, string RemoteAddress, string Reason) : NodeEvent(At);

/// <summary>
/// A dial to <paramref name="Target"/> expected the id <paramref name="Expected"/> there (a neighbour's, or the one a seed
/// listed it with) and met a node that proved <paramref name="Met"/>: the link was refused and the dial failed.
/// </summary>
public sealed record DialMetOtherId(DateTimeOffset At, NodeEndpoint Target, Security.NodeId Expected, Security.NodeId Met) : NodeEvent(At)
{
    /// <summary>Why the dial failed, in words (what the machine is told).</summary>
    public string Reason => $"the node at {Target} proved id {Met.Short}…, not the expected {Expected.Short}…";
}
