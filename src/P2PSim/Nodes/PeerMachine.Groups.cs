using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Overlay;
using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// Groups (PROTOCOL.md, "Groups and private messages"): each group this peer is a member of is one more
/// <see cref="Topic"/>, the same parts as the whole network's overlay on links of the group's own
/// (<see cref="LinkPurpose.ForGroup"/>), among its members only. Its neighbours are chosen from the members the seeds
/// name (<see cref="SeedSession"/>'s <c>GroupJoin</c> / <c>GroupMembers</c>, kept in a <see cref="Registration"/> of the
/// group's own), its deaths are reported to the seeds like the overlay's, and what its parts report comes out as
/// <see cref="GroupEvent"/>s (<see cref="Outbox.ForGroup"/>). A link for a group this peer is not in is refused with a
/// goodbye, so a non-member never receives, forwards or stores a group's payload; leaving a group drops its topic, and
/// with it the group's messages.
/// </summary>
public sealed partial class PeerMachine
{
    private readonly IReadOnlyList<NodeEndpoint> _seeds;
    private readonly Random _random;
    private readonly bool _reportDuplicates;
    private readonly bool _keepFrames;
    private readonly GossipOptions? _gossip;
    private readonly GroupOptions _groupOptions;
    private readonly PeerOptions _groupOverlayOptions;
    private readonly IReadOnlyList<string> _startGroups;
    private readonly List<Topic> _groupTopics = [];
    private DateTimeOffset? _nextGroupMessage;
    private int _groupMessages;

    /// <summary>The groups this peer is a member of, in the order it joined them.</summary>
    public IReadOnlyList<string> Groups => _session.Groups;

    public bool IsMember(string group) => FindGroup(group) is not null;

    /// <summary>Group messages this peer published (all its groups, those it left included).</summary>
    public int GroupMessagesPublished { get; private set; }

    /// <summary>Members of <paramref name="group"/> this peer has a live link to (empty: none, or not a member).</summary>
    public IReadOnlyList<NodeEndpoint> GroupNeighbours(string group) => FindGroup(group) is { } topic ? [.. topic.ConnectedNeighbours] : [];

    /// <summary>The ids of <paramref name="group"/>'s messages this peer has seen (null: not a member).</summary>
    public MessageList? GroupMessages(string group) => FindGroup(group)?.Messages;

    /// <summary><paramref name="group"/>'s recent messages this peer keeps for catch-up (null: not a member).</summary>
    public MessageHistory? GroupHistory(string group) => FindGroup(group)?.History;

    /// <summary>Joined to <paramref name="group"/>'s overlay, and every dial it started there has connected or failed.</summary>
    public bool GroupSettled(string group) => FindGroup(group) is { Settled: true };

    /// <summary>The overlay of <paramref name="group"/> (null: not a member).</summary>
    internal Topic? GroupTopic(string group) => FindGroup(group);

    /// <summary>
    /// Joins <paramref name="group"/> now: asks the seeds for its members and links to some of them once they answered.
    /// False: already a member, or the peer is leaving.
    /// </summary>
    /// <exception cref="ArgumentException">Not a group name (<see cref="GroupName.Problem"/>).</exception>
    /// <exception cref="InvalidOperationException">The peer is in <see cref="ProtocolLimits.MaxGroupsPerPeer"/> groups already.</exception>
    public bool JoinGroup(string group, DateTimeOffset now)
    {
        var joined = JoinGroupCore(group, now);
        ScheduleWake();
        return joined;
    }

    /// <summary>Leaves <paramref name="group"/> now: goodbye on its links, and to the group at the seeds. False: not a member.</summary>
    public bool LeaveGroup(string group, DateTimeOffset now)
    {
        if (FindGroup(group) is not { } topic)
        {
            return false;
        }
        var told = topic.Leave(now);
        _groupTopics.Remove(topic);
        _session.LeaveGroup(group);
        Report(new GroupLeft(now, group, told));
        ScheduleWake();
        return true;
    }

    /// <summary>
    /// Publishes a message to <paramref name="group"/> now (<paramref name="text"/>, or the demo's text); returns its id,
    /// or null when this peer is not a member (only members publish: the message travels on the group's links only).
    /// </summary>
    public MessageId? Publish(string group, DateTimeOffset now, string? text = null)
    {
        if (_stopping || FindGroup(group) is not { } topic)
        {
            return null;
        }
        var id = topic.Originate(now, text);
        GroupMessagesPublished++;
        ScheduleWake();
        return id;
    }

    private bool JoinGroupCore(string group, DateTimeOffset now)
    {
        if (GroupName.Problem(group) is { } problem)
        {
            throw new ArgumentException($"Not a group name: {problem}.", nameof(group));
        }
        if (_stopping || FindGroup(group) is not null)
        {
            return false;
        }
        if (_groupTopics.Count >= ProtocolLimits.MaxGroupsPerPeer)
        {
            throw new InvalidOperationException($"A peer is a member of at most {ProtocolLimits.MaxGroupsPerPeer} groups at once.");
        }
        var topic = new Topic(Self, _groupOverlayOptions, _random, Out.ForGroup(group), new Registration(_seeds, _random),
            requestPeerLists: now => _session.AskForMembers(group, now),
            neighbourDied: (endpoint, now) =>
            {
                if (!_session.IsReporting(endpoint, now)) // the overlay, or another group, may have reported it already
                {
                    _session.ReportDeath(endpoint, now);
                }
            },
            _reportDuplicates, _gossip, group, _signing, ExpectedId, encrypt: _groupOptions.Encrypt, origins: _origins, keepFrames: _keepFrames);
        _groupTopics.Add(topic);
        Report(new GroupJoined(now, group));
        _session.JoinGroup(group, now);
        return true;
    }

    private Topic? FindGroup(string group)
    {
        foreach (var topic in _groupTopics)
        {
            if (string.Equals(topic.Group, group, StringComparison.Ordinal))
            {
                return topic;
            }
        }
        return null;
    }

    /// <summary>A seed named members of a group: they replace that seed's earlier answer; a joined group uses them at once if short.</summary>
    private void OnMembersLearned(NodeEndpoint seed, GroupMembers members, DateTimeOffset now)
    {
        if (FindGroup(members.Group) is not { } topic)
        {
            return;
        }
        topic.Known.Learn(seed, members.Members, members.Ids);
        if (topic.Joined)
        {
            topic.Repair(now, "a fresh member list", AskSeeds.Never);
        }
    }

    /// <summary>Every seed asked about a group answered (or failed): a new member chooses its group neighbours now.</summary>
    private void OnMembersAnswered(string group, DateTimeOffset now)
    {
        if (FindGroup(group) is not { Joined: false } topic)
        {
            return;
        }
        topic.Join(now);
        topic.Known.Compact();
    }

    /// <summary>
    /// A link for a group completed its handshake. A member takes it into the group's overlay; a non-member (it never
    /// joined, or left) says goodbye on it and closes it, so the dialer drops it as a clean leave rather than a death, and
    /// nothing of the group ever travels on it.
    /// </summary>
    private void OnGroupLinkConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        var group = connection.Purpose.Group!;
        if (connection.Role != NodeRole.Peer)
        {
            CloseConnection(connection.Id, $"a link for group \"{group}\" from a {connection.Role.ToString().ToLowerInvariant()}", afterFlush: false);
            return;
        }
        if (FindGroup(group) is not { } topic)
        {
            if (connection.Inbound)
            {
                Report(new GroupLinkRefused(now, connection.Listen, group));
                SendTo(connection.Id, Goodbye.Instance);
                CloseConnection(connection.Id, $"not a member of group \"{group}\"");
            }
            else
            {
                CloseConnection(connection.Id, $"left group \"{group}\" while dialing", afterFlush: false);
            }
            return;
        }
        if (topic.OnConnected(connection, now))
        {
            ScheduleWake();
        }
    }

    /// <summary>A dial for a group's link failed: the group's table tries another member (nothing, if the peer left the group meanwhile).</summary>
    private void OnGroupDialFailed(NodeEndpoint target, string group, string reason, DateTimeOffset now)
    {
        FindGroup(group)?.OnDialFailed(target, reason, now);
        ScheduleWake();
    }

    /// <summary>The group whose current (or replaced) link <paramref name="connection"/> is, with the member at its other end.</summary>
    private (Topic Topic, NodeEndpoint Member)? GroupLinkOf(ConnectionId connection)
    {
        foreach (var topic in _groupTopics)
        {
            if (topic.ByConnection.TryGetValue(connection, out var member))
            {
                return (topic, member);
            }
        }
        return null;
    }

    /// <summary>A connection closed; true when it was a group's link.</summary>
    private bool GroupLinkClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        foreach (var topic in _groupTopics)
        {
            if (topic.OnClosed(connection, reason, now))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>On the node's timer (not while leaving): the groups' liveness rounds, and the demo's group messages.</summary>
    private void GroupsOnTimer(DateTimeOffset now)
    {
        foreach (var topic in _groupTopics)
        {
            topic.RunRoundIfDue(now);
        }
        if (_nextGroupMessage is { } due && now >= due)
        {
            if (_groupTopics.Count == 0)
            {
                _nextGroupMessage = null; // in no group: nothing to publish
                return;
            }
            var topic = _groupTopics[_groupMessages % _groupTopics.Count];
            topic.Originate(now);
            GroupMessagesPublished++;
            _groupMessages++;
            _nextGroupMessage = _groupMessages < _groupOptions.MessagesPerPeer ? now + _options.GossipInterval : null;
        }
    }

    private DateTimeOffset? GroupsNextDeadline()
    {
        var due = _nextGroupMessage;
        foreach (var topic in _groupTopics)
        {
            due = WakeScheduler.Earliest(due, topic.NextDeadline);
        }
        return due;
    }

    /// <summary>The peer leaves: goodbye on every group's links (the seeds drop it from its groups with its goodbye). Returns the members told.</summary>
    private int LeaveAllGroups(DateTimeOffset now)
    {
        _nextGroupMessage = null;
        var told = 0;
        foreach (var topic in _groupTopics)
        {
            told += topic.Leave(now);
        }
        return told;
    }
}
