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
