namespace P2PSim.Protocol;

/// <summary>Peer to seed: add me to group <paramref name="Group"/>; the seed answers with <see cref="GroupMembers"/>.</summary>
public sealed record GroupJoin(string Group) : Message
{
    public override MessageType Type => MessageType.GroupJoin;
}

/// <summary>Peer to seed: I left group <paramref name="Group"/>; the seed stops listing me as a member.</summary>
public sealed record GroupLeave(string Group) : Message
{
    public override MessageType Type => MessageType.GroupLeave;
}

/// <summary>
/// Seed to peer, in answer to <see cref="GroupJoin"/>: the members of <paramref name="Group"/> the seed knows (the
/// joiner included), where a new member chooses its group neighbours, as it chooses overlay neighbours from a
/// <see cref="PeerList"/>.
/// </summary>
public sealed record GroupMembers(string Group, IReadOnlyList<NodeEndpoint> Members) : Message
{
    public override MessageType Type => MessageType.GroupMembers;

    public bool Equals(GroupMembers? other) => other is not null && Group == other.Group && Members.SequenceEqual(other.Members);

    public override int GetHashCode() => HashCode.Combine(Group, Members.Count);
}
