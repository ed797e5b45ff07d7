using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// Group discovery (PROTOCOL.md, "Group membership"): a seed keeps the members of every group its registered peers
/// joined, answers a <c>GroupJoin</c> with the group's other members (all of them, or a random sample of
/// <c>maxPeersPerList</c>), as it answers a <c>Register</c> with its peer list, and forgets a peer's groups when it drops
/// the peer from its Peer List (a goodbye, a confirmed death, an expiry). Only a registered peer joins (a <c>GroupJoin</c>
/// follows the <c>Register</c> on the same connection), at most <see cref="ProtocolLimits.MaxGroupsPerPeer"/> groups each,
/// and a join or leave claiming another address than the connection's is refused, as a forged registration is.
/// </summary>
public sealed partial class SeedMachine
{
    private readonly Dictionary<string, List<NodeEndpoint>> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<NodeEndpoint, List<string>> _groupsOf = new();

    /// <summary>The groups with members, by name (for tests and tools).</summary>
    public IReadOnlyCollection<string> GroupNames => _groups.Keys;

    /// <summary>The members of <paramref name="group"/> in the order they joined (empty: no such group here).</summary>
    public IReadOnlyList<NodeEndpoint> MembersOf(string group) => _groups.TryGetValue(group, out var members) ? members : [];

    private void OnGroupJoin(ConnectionInfo info, GroupJoin join, DateTimeOffset now)
    {
        var peer = info.Listen;
        var memberOf = _groupsOf.GetValueOrDefault(peer);
        var again = memberOf?.Contains(join.Group) ?? false;
        var refusal = ForgedEndpoint(info)
            ?? (!_peers.ContainsKey(peer) ? $"{peer} is not a registered peer (a GroupJoin follows a Register)" : null)
            ?? (!again && memberOf is { Count: >= ProtocolLimits.MaxGroupsPerPeer } ? $"{peer} is in {ProtocolLimits.MaxGroupsPerPeer} groups already, the most a peer may join" : null);
        if (refusal is not null)
        {
            Report(new RequestRejected(now, MessageType.GroupJoin, peer, info.RemoteAddress, refusal));
            CloseConnection(info.Id, $"group join refused: {refusal}", afterFlush: false);
            return;
        }
        if (!_groups.TryGetValue(join.Group, out var members))
        {
            _groups[join.Group] = members = [];
        }
        if (!again)
        {
            members.Add(peer);
            (memberOf ?? (_groupsOf[peer] = [])).Add(join.Group);
        }
        var sample = Sample(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(members), peer, listed: true, maxPeersPerList);
        SendTo(info.Id, new GroupMembers(join.Group, sample, IdsOf(sample)));
        Report(new GroupMemberJoined(now, peer, join.Group, again, members.Count, sample));
    }

    private void OnGroupLeave(ConnectionInfo info, GroupLeave leave, DateTimeOffset now)
    {
        if (ForgedEndpoint(info) is { } forged)
        {
            Report(new RequestRejected(now, MessageType.GroupLeave, info.Listen, info.RemoteAddress, forged));
            CloseConnection(info.Id, $"group leave refused: {forged}", afterFlush: false);
            return;
        }
        if (_groupsOf.TryGetValue(info.Listen, out var memberOf) && memberOf.Remove(leave.Group))
        {
            if (memberOf.Count == 0)
            {
                _groupsOf.Remove(info.Listen);
            }
            Report(new GroupMemberLeft(now, info.Listen, leave.Group, RemoveMember(leave.Group, info.Listen)));
        }
    }

    /// <summary>The peer left the Peer List: it leaves every group too.</summary>
    private void LeaveAllGroups(NodeEndpoint peer)
    {
        if (!_groupsOf.Remove(peer, out var memberOf))
        {
            return;
        }
        foreach (var group in memberOf)
        {
            RemoveMember(group, peer);
        }
    }

    /// <summary>Takes <paramref name="peer"/> out of <paramref name="group"/>; returns the members left (a group with none is forgotten).</summary>
    private int RemoveMember(string group, NodeEndpoint peer)
    {
        if (!_groups.TryGetValue(group, out var members))
        {
            return 0;
        }
        members.Remove(peer);
        if (members.Count == 0)
        {
            _groups.Remove(group);
        }
        return members.Count;
    }
}
