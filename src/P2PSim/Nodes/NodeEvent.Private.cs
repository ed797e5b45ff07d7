using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Nodes;

// ---- Peer: private messages (Private/PrivateMessenger.cs) ----

/// <summary>This peer sent a private message to <paramref name="Recipient"/> (its first attempt starts now).</summary>
public sealed record PrivateSent(DateTimeOffset At, MessageId Id, NodeEndpoint Recipient, string Text) : NodeEvent(At);

/// <summary>
/// A private message for this peer from <paramref name="Origin"/> was delivered here, the first time its id arrived;
/// <paramref name="RelayedBy"/>: the seed that relayed it (null: over a direct link). <paramref name="SentAt"/>: the
/// envelope's timestamp (the origin's clock).
/// </summary>
public sealed record PrivateDelivered(DateTimeOffset At, MessageId Id, NodeEndpoint Origin, string Text, NodeEndpoint? RelayedBy, DateTimeOffset SentAt) : NodeEvent(At);

/// <summary>A private message delivered before arrived again (a retry whose acknowledgement was lost): acknowledged again, not delivered.</summary>
public sealed record PrivateDuplicate(DateTimeOffset At, MessageId Id, NodeEndpoint Origin, NodeEndpoint? RelayedBy) : NodeEvent(At);

/// <summary>
/// The recipient acknowledged a private message this peer sent, after <paramref name="Attempts"/> attempts and
/// <paramref name="Latency"/> from the first; <paramref name="RelayedBy"/>: the seed the acknowledgement came through
/// (null: over a direct link).
/// </summary>
public sealed record PrivateAcknowledged(DateTimeOffset At, MessageId Id, NodeEndpoint Recipient, int Attempts, NodeEndpoint? RelayedBy, TimeSpan Latency) : NodeEvent(At);

/// <summary>
/// No acknowledgement for attempt <paramref name="Attempt"/> - 1 (<paramref name="Reason"/> says what is known): attempt
/// <paramref name="Attempt"/> of <paramref name="Attempts"/> starts now and waits <paramref name="Wait"/>.
/// </summary>
public sealed record PrivateRetrying(DateTimeOffset At, MessageId Id, NodeEndpoint Recipient, int Attempt, int Attempts, string Reason, TimeSpan Wait) : NodeEvent(At);

/// <summary>The recipient cannot be dialled (<paramref name="Reason"/>): the message goes to <paramref name="Seed"/> to be relayed.</summary>
public sealed record PrivateRelaying(DateTimeOffset At, MessageId Id, NodeEndpoint Recipient, NodeEndpoint Seed, string Reason) : NodeEvent(At);

/// <summary>No acknowledgement after <paramref name="Attempts"/> attempts (or the peer is leaving): the message is undeliverable.</summary>
public sealed record PrivateUndeliverable(DateTimeOffset At, MessageId Id, NodeEndpoint Recipient, int Attempts, string Reason) : NodeEvent(At);

/// <summary>
/// Private-message input refused without closing the link (an acknowledgement for nothing from a seed, a message too old
/// to tell from a replay, a relay request refused): <paramref name="HeldBack"/> more like it were refused since the last
/// such line (the lines are rate-limited, <see cref="RefusalThrottle"/>).
/// </summary>
public sealed record PrivateInputRefused(DateTimeOffset At, string RemoteAddress, string Reason, int HeldBack) : NodeEvent(At);

/// <summary>This peer, which cannot be dialled from outside, holds a reservation with <paramref name="Seed"/> now: the seed relays its private messages.</summary>
public sealed record ReservationHeld(DateTimeOffset At, NodeEndpoint Seed) : NodeEvent(At);

/// <summary>This peer's reservation with <paramref name="Seed"/> is gone or could not be made (<paramref name="Reason"/>); tried again at <paramref name="RetryAt"/>.</summary>
public sealed record ReservationLost(DateTimeOffset At, NodeEndpoint Seed, string Reason, DateTimeOffset RetryAt) : NodeEvent(At);

// ---- Seed: relaying private messages (Nodes/SeedMachine.PrivateRelay.cs) ----

/// <summary><paramref name="Peer"/>, which cannot be dialled, made a reservation here: the seed relays private messages for it over that link.</summary>
public sealed record ReservationAccepted(DateTimeOffset At, NodeEndpoint Peer, string RemoteAddress, int Reservations) : NodeEvent(At);

/// <summary>The reservation of <paramref name="Peer"/> ended: its link closed (<paramref name="Reason"/>).</summary>
public sealed record ReservationEnded(DateTimeOffset At, NodeEndpoint Peer, string Reason, int Reservations) : NodeEvent(At);

/// <summary>The seed relayed a private message from <paramref name="From"/> to <paramref name="To"/>, which holds a reservation here.</summary>
public sealed record PrivateRelayed(DateTimeOffset At, MessageId Id, NodeEndpoint From, NodeEndpoint To) : NodeEvent(At);

/// <summary>
/// The seed did not relay a private message from <paramref name="From"/> to <paramref name="Recipient"/> and answered
/// <see cref="RelayRefused"/> (<paramref name="Reason"/>); <paramref name="HeldBack"/> more refusals were not logged since
/// the last such line (rate-limited).
/// </summary>
public sealed record PrivateRelayRefusedHere(DateTimeOffset At, MessageId Id, NodeEndpoint From, NodeEndpoint Recipient, RelayRefusal Reason, int HeldBack) : NodeEvent(At);
