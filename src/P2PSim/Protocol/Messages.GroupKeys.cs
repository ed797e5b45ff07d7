using P2PSim.Security;

namespace P2PSim.Protocol;

/// <summary>
/// Member to member, on a link of a group (PROTOCOL.md, <i>Encrypted group messages</i>): the group key
/// <paramref name="KeyId"/>, sealed to the receiver's id in an 80-byte <paramref name="Capsule"/> (the construction of a
/// private message's capsule, bound to the group and the key id: <see cref="GroupSeal.Binding"/>). The group is the link's.
/// </summary>
public sealed record GroupKey(GroupKeyId KeyId, byte[] Capsule) : Message
{
    public override MessageType Type => MessageType.GroupKey;

    public bool Equals(GroupKey? other) => other is not null && KeyId == other.KeyId && Capsule.AsSpan().SequenceEqual(other.Capsule);

    public override int GetHashCode() => KeyId.GetHashCode();
}
