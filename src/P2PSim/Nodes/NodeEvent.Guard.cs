using P2PSim.Protocol;

namespace P2PSim.Nodes;

// ---- Seed: registration guard and judged reporters (SeedMachine.Guard.cs) ----

/// <summary>
/// A peer registered for the first time and was sent <paramref name="PeerListSent"/>, but is not listed yet: the seed
/// lists it (<see cref="PeerRegistered"/>) once its own dial to the announced endpoint proves the same id (dial-back).
/// </summary>
public sealed record PeerAwaitingDialBack(DateTimeOffset At, NodeEndpoint Peer, string RemoteAddress, IReadOnlyList<NodeEndpoint> PeerListSent) : NodeEvent(At);

/// <summary>
/// The seed's dial-back to a registered endpoint failed (<paramref name="Reason"/>): the peer stays registered (its
/// reports and reservations count) but is never handed out in a peer list. <paramref name="HeldBack"/>: such events not
/// logged since the last line (one line per second at most).
/// </summary>
public sealed record PeerNotListed(DateTimeOffset At, NodeEndpoint Peer, string Reason, long NotListed, int HeldBack) : NodeEvent(At);

/// <summary>
/// A registration from <paramref name="Peer"/> was refused: its address holds <paramref name="Cap"/> registered
/// endpoints already (<c>Seed:MaxRegistrationsPerAddress</c>). The connection is closed.
/// </summary>
public sealed record RegistrationOverCap(DateTimeOffset At, NodeEndpoint Peer, int Cap, long Refused, int HeldBack) : NodeEvent(At);

/// <summary>
/// The seed's check of a reported peer connected but was turned away before the handshake completed (for instance
/// the peer's inbound slots are full): something listens there, so the death is not confirmed and the peer stays listed.
/// </summary>
public sealed record DeadNodeInconclusive(DateTimeOffset At, DeadNode Report, string RemoteAddress, string Reason, NodeEndpoint? RelayedBy = null) : NodeEvent(At);

/// <summary>
/// A dead-node report was not checked: its reporter's earlier reports were refuted (<see cref="Liveness.ReporterRecord"/>).
/// <paramref name="HeldBack"/>: such events not logged since the last line.
/// </summary>
public sealed record DeadNodeIgnored(DateTimeOffset At, DeadNode Report, string RemoteAddress, string Reason, long Ignored, int HeldBack) : NodeEvent(At);

/// <summary>The seed ignores <paramref name="Reporter"/>'s dead-node reports until <paramref name="Until"/>: too many of them were refuted.</summary>
public sealed record ReporterIgnored(DateTimeOffset At, NodeEndpoint Reporter, int Refuted, DateTimeOffset Until) : NodeEvent(At);
