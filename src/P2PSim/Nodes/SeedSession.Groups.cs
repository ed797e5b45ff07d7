using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// Groups at the seeds: the seeds a peer registers with also keep the members of its groups (PROTOCOL.md, "Group
/// membership"). Joining a group sends <c>GroupJoin</c> to every registered seed, and every later <c>Register</c> (a
/// re-registration, a failover, a repair's request for fresh lists) carries the joins again, so a seed that restarted
/// relearns them; each seed answers <c>GroupMembers</c>, on the same connection as the peer list. Leaving sends
/// <c>GroupLeave</c>. The answers go to the peer (<see cref="MembersLearned"/>); once every seed asked about a group has
/// answered or failed, the peer hears that too (<see cref="MembersAnswered"/>): that is when a new member chooses its
/// group neighbours, as it chooses its overlay neighbours once the registration round is over.
/// </summary>
internal sealed partial class SeedSession
{
    private readonly List<string> _groups = [];
    private readonly Dictionary<string, HashSet<NodeEndpoint>> _asking = new(StringComparer.Ordinal);

    /// <summary>A seed answered with the members of a group this peer is in (they replace that seed's earlier answer).</summary>
    public Action<NodeEndpoint, GroupMembers, DateTimeOffset>? MembersLearned { get; init; }

    /// <summary>Every seed asked about a group has answered or failed.</summary>
    public Action<string, DateTimeOffset>? MembersAnswered { get; init; }

    /// <summary>The groups this peer is in, in the order it joined them.</summary>
    public IReadOnlyList<string> Groups => _groups;

    /// <summary>
    /// This peer joins <paramref name="group"/>: ask every seed it is registered or registering with for its members
    /// (later registrations carry the join by themselves). Returns the seeds asked. With no seed configured, the group
    /// is answered at once (there is nobody to learn members from).
    /// </summary>
    public IReadOnlyList<NodeEndpoint> JoinGroup(string group, DateTimeOffset now)
    {
        if (_groups.Contains(group))
        {
            return [];
        }
        _groups.Add(group);
        var asked = SeedsInTouch();
        foreach (var seed in asked)
        {
            AskMembers(seed, group, now);
        }
        if (_seeds.Count == 0)
        {
            MembersAnswered?.Invoke(group, now);
        }
        return asked;
    }

    /// <summary>The configured seeds this peer is registered with or registering with now, in configured order.</summary>
    private List<NodeEndpoint> SeedsInTouch()
    {
        var seeds = new List<NodeEndpoint>();
        foreach (var seed in _seeds)
        {
            if ((_registration.IsRegistered(seed) || _links.AwaitsReply(seed)) && !seeds.Contains(seed))
            {
                seeds.Add(seed);
            }
        }
        return seeds;
    }

    /// <summary>This peer left <paramref name="group"/>: tell every registered seed (answers still owed are ignored).</summary>
    public void LeaveGroup(string group)
    {
        if (!_groups.Remove(group))
        {
            return;
        }
        _asking.Remove(group);
        foreach (var seed in SeedsInTouch())
        {
            SendToSeed(seed, new GroupLeave(group));
        }
    }

    /// <summary>
    /// A group's overlay is short of neighbours: ask every registered seed that is reachable, and not being asked already,
    /// for the group's members (a join is idempotent). Returns the seeds asked.
    /// </summary>
    public List<NodeEndpoint> AskForMembers(string group, DateTimeOffset now)
    {
        var asked = new List<NodeEndpoint>();
        if (_stopping || !_groups.Contains(group))
        {
            return asked;
        }
        foreach (var seed in SeedsInTouch())
        {
            if (!_links.AwaitsMembers(seed, group) && (!_refresh.TryGetValue(seed, out var refresh) || refresh.Failures == 0))
            {
                AskMembers(seed, group, now);
                asked.Add(seed);
            }
        }
        return asked;
    }

    /// <summary>Whether a dead-node report about <paramref name="dead"/> is still followed (sent lately): another part need not report it again.</summary>
    public bool IsReporting(NodeEndpoint dead, DateTimeOffset now)
    {
        foreach (var (report, delivery) in _reports)
        {
            if (report.Dead == dead && now < delivery.Until)
            {
                return true;
            }
        }
        return false;
    }

    private void AskMembers(NodeEndpoint seed, string group, DateTimeOffset now)
    {
        _links.ExpectMembers(seed, group, now + _options.RegistrationTimeout);
        SendToSeed(seed, new GroupJoin(group));
        if (!_asking.TryGetValue(group, out var seeds))
        {
            _asking[group] = seeds = [];
        }
        seeds.Add(seed);
    }

    private void OnGroupMembers(ConnectionId connection, NodeEndpoint seed, GroupMembers members, DateTimeOffset now)
    {
        if (_links.MembersArrived(seed, members.Group))
        {
            _out.Close(connection, "group members received");
        }
        if (_stopping || !_groups.Contains(members.Group))
        {
            return; // a group left meanwhile
        }
        _out.Report(new GroupMembersReceived(now, seed, members.Group, members.Members));
        MembersLearned?.Invoke(seed, members, now);
        Answered(members.Group, seed, now);
    }

    /// <summary>On the timer: seeds whose group members are overdue count as failed for those groups (the registration keeps its own deadline).</summary>
    private void MembersTimedOut(DateTimeOffset now)
    {
        foreach (var (seed, connection) in _links.MembersTimedOut(now))
        {
            var groups = _links.DropMembers(seed);
            if (connection is { } open && !_links.AwaitsReply(seed) && _links.Release(seed))
            {
                _out.Close(open, "no group members before the registration timeout");
            }
            if (!_stopping)
            {
                _out.Report(new SeedUnreachable(now, seed, $"GroupJoin ({string.Join(", ", groups)})", "no group members before the registration timeout", WillRetry: false));
            }
            MembersFailed(seed, groups, now);
        }
    }

    /// <summary><paramref name="seed"/> will not answer about <paramref name="groups"/>: they are answered as far as it goes.</summary>
    private void MembersFailed(NodeEndpoint seed, List<string> groups, DateTimeOffset now)
    {
        foreach (var group in groups)
        {
            Answered(group, seed, now);
        }
    }

    private void Answered(string group, NodeEndpoint seed, DateTimeOffset now)
    {
        if (_stopping || !_asking.TryGetValue(group, out var seeds) || !seeds.Remove(seed) || seeds.Count > 0)
        {
            return;
        }
        _asking.Remove(group);
        MembersAnswered?.Invoke(group, now);
    }
}
