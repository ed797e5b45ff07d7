using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Nodes;

// ---- Peer: encrypted group messages (Groups/GroupKeyring.cs); reported through a group's outbox, so inside a GroupEvent ----

/// <summary>This member published in its group holding no key for it, so it made one (<paramref name="KeyId"/>) and gives it to its members.</summary>
public sealed record GroupKeyMade(DateTimeOffset At, GroupKeyId KeyId) : NodeEvent(At);

/// <summary>This member got the group key <paramref name="KeyId"/> from its neighbour <paramref name="From"/>; it now holds <paramref name="Held"/> keys of the group.</summary>
public sealed record GroupKeyLearned(DateTimeOffset At, GroupKeyId KeyId, NodeEndpoint From, int Held) : NodeEvent(At);

/// <summary>
/// A group message came (recorded and forwarded as any other) sealed under a key this member does not hold yet: it is
/// read (reported received) when the key comes, or reported unread after <see cref="Groups.GroupKeyring.KeyWait"/>.
/// </summary>
public sealed record GroupMessageHeld(DateTimeOffset At, MessageId Id, NodeEndpoint Origin, GroupKeyId KeyId) : NodeEvent(At);

/// <summary>A group message this member could not read: <paramref name="Reason"/> (its key never came, or more messages waited for keys than it keeps).</summary>
public sealed record GroupMessageUnread(DateTimeOffset At, MessageId Id, NodeEndpoint Origin, string Reason) : NodeEvent(At);
