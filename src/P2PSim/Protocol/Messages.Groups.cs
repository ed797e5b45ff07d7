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
/// <see cref="PeerList"/>. Each member comes with the id that registered it (version 6; <see cref="Ids"/>, in the same order).
/// </summary>
public sealed record GroupMembers(string Group, IReadOnlyList<NodeEndpoint> Members) : Message
{
    /// <summary>Members whose entry <c>i</c> is <paramref name="members"/>[i] with the id <paramref name="ids"/>[i] (the same count).</summary>
    public GroupMembers(string group, IReadOnlyList<NodeEndpoint> members, IReadOnlyList<Security.NodeId> ids)
        : this(group, members) => Ids = ListedIds.Check(members, ids);

    public override MessageType Type => MessageType.GroupMembers;

    /// <summary>The id of each entry of <see cref="Members"/>, in the same order; empty, or a default entry: none known (see <see cref="PeerList.Ids"/>).</summary>
    public IReadOnlyList<Security.NodeId> Ids { get; init; } = [];

    /// <summary>The id of entry <paramref name="index"/>, or default when none is known.</summary>
    public Security.NodeId IdAt(int index) => ListedIds.At(Ids, index);

    public bool Equals(GroupMembers? other) => other is not null && Group == other.Group && Members.SequenceEqual(other.Members) && ListedIds.Same(Ids, other.Ids, Members.Count);

    public override int GetHashCode() => HashCode.Combine(Group, Members.Count);
}
