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

/// <summary>A dead-node report arrived; <paramref name="Removed"/> says whether the peer was in the list.</summary>
public sealed record DeadNodeReceived(DateTimeOffset At, DeadNode Report, string RemoteAddress, bool Removed, int PeersLeft) : NodeEvent(At);

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

// ---- Peer: gossip ----

/// <summary>This peer created a gossip message and sent it to <paramref name="SentTo"/> neighbours.</summary>
public sealed record GossipOriginated(DateTimeOffset At, string Text, MessageId Id, int SentTo) : NodeEvent(At);

/// <summary>First receipt of a gossip message; forwarded to <paramref name="ForwardedTo"/> neighbours.</summary>
public sealed record GossipReceived(DateTimeOffset At, string Text, MessageId Id, NodeEndpoint From, int Hops, int ForwardedTo) : NodeEvent(At);

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

// ---- Any node ----

/// <summary>A remote broke the protocol; its connection is closed.</summary>
public sealed record ProtocolViolation(DateTimeOffset At, string RemoteAddress, string Reason) : NodeEvent(At);
