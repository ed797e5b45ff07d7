using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// A peer's short-lived connections to seeds: dial, send what is queued (a registration,
/// group joins and leaves, a dead-node report, a goodbye), wait for the peer list and the
/// group members if they are expected, close.
/// Undelivered reports are retried a few times, then given up (and said so).
/// </summary>
internal sealed class SeedLinks
{
    /// <summary>Attempts to deliver a report before giving up on that seed.</summary>
    public const int MaxDeliveryAttempts = 3;

    private readonly Dictionary<NodeEndpoint, Link> _links = new();
    private readonly Dictionary<ConnectionId, NodeEndpoint> _byConnection = new();

    public bool IsIdle => _links.Values.All(l => l.Connection is null && !l.Dialing && l.Pending.Count == 0);

    public DateTimeOffset? NextDeadline
    {
        get
        {
            DateTimeOffset? next = null;
            foreach (var link in _links.Values)
            {
                if (link.ReplyDeadline is { } reply && (next is null || reply < next))
                {
                    next = reply;
                }
                if (link.RetryAt is { } retry && (next is null || retry < next))
                {
                    next = retry;
                }
                if (link.MembersDeadline is { } members && (next is null || members < next))
                {
                    next = members;
                }
            }
            return next;
        }
    }

    public NodeEndpoint? SeedOf(ConnectionId connection) => _byConnection.TryGetValue(connection, out var seed) ? seed : null;

    public ConnectionId? Connection(NodeEndpoint seed) => _links.TryGetValue(seed, out var link) ? link.Connection : null;

    public bool IsDialing(NodeEndpoint seed) => _links.TryGetValue(seed, out var link) && link.Dialing;

    public bool IsConnectedOrDialing(NodeEndpoint seed) => _links.TryGetValue(seed, out var link) && (link.Dialing || link.Connection is not null);

    public bool AwaitsReply(NodeEndpoint seed) => _links.TryGetValue(seed, out var link) && link.ReplyDeadline is not null;

    /// <summary>Whether <paramref name="seed"/> owes this peer the members of <paramref name="group"/> (a <c>GroupJoin</c> was handed over).</summary>
    public bool AwaitsMembers(NodeEndpoint seed, string group) => _links.TryGetValue(seed, out var link) && link.Groups is { } groups && groups.Contains(group);

    /// <summary>Whether <paramref name="seed"/> owes this peer the members of any group.</summary>
    public bool AwaitsAnyMembers(NodeEndpoint seed) => _links.TryGetValue(seed, out var link) && link.Groups is { Count: > 0 };

    /// <summary>Expect the members of <paramref name="group"/> from <paramref name="seed"/> by <paramref name="deadline"/> (the earliest deadline of the groups awaited counts).</summary>
    public void ExpectMembers(NodeEndpoint seed, string group, DateTimeOffset deadline)
    {
        var link = Get(seed);
        if (!(link.Groups ??= []).Contains(group))
        {
            link.Groups.Add(group);
        }
        link.MembersDeadline ??= deadline;
    }

    /// <summary>
    /// The members of <paramref name="group"/> arrived. True when the exchange is over (no peer list or other group owed):
    /// the connection is forgotten and the caller closes it.
    /// </summary>
    public bool MembersArrived(NodeEndpoint seed, string group)
    {
        var link = Get(seed);
        link.Groups?.Remove(group);
        if (link.Groups is { Count: > 0 })
        {
            return false;
        }
        link.MembersDeadline = null;
        if (link.ReplyDeadline is not null)
        {
            return false;
        }
        Forget(link);
        return true;
    }

    /// <summary>No more group members are awaited from <paramref name="seed"/>: the groups that were (none: an empty list).</summary>
    public List<string> DropMembers(NodeEndpoint seed)
    {
        if (!_links.TryGetValue(seed, out var link) || link.Groups is not { Count: > 0 } groups)
        {
            return [];
        }
        var dropped = groups.ToList();
        groups.Clear();
        link.MembersDeadline = null;
        return dropped;
    }

    /// <summary>Seeds whose group members are overdue, with their connection (if any).</summary>
    public List<(NodeEndpoint Seed, ConnectionId? Connection)> MembersTimedOut(DateTimeOffset now) => Overdue(now, static link => link.MembersDeadline);

    public bool HasPending(NodeEndpoint seed) => _links.TryGetValue(seed, out var link) && link.Pending.Count > 0;

    /// <summary>Whether <paramref name="message"/> waits to be sent to <paramref name="seed"/> (queued, or kept for a retry).</summary>
    public bool HasPending(NodeEndpoint seed, Message message) => _links.TryGetValue(seed, out var link) && link.Pending.Contains(message);

    public void MarkDialing(NodeEndpoint seed) => Get(seed).Dialing = true;

    public void Enqueue(NodeEndpoint seed, Message message) => Get(seed).Pending.Add(message);

    /// <summary>Expect an answer from <paramref name="seed"/> by <paramref name="deadline"/>.</summary>
    public void ExpectReply(NodeEndpoint seed, DateTimeOffset deadline) => Get(seed).ReplyDeadline = deadline;

    /// <summary>A dial succeeded: hands over what was queued for the seed.</summary>
    public bool Attach(NodeEndpoint seed, ConnectionId connection, out List<Message> pending)
    {
        pending = [];
        if (!_links.TryGetValue(seed, out var link) || !link.Dialing)
        {
            return false;
        }
        link.Dialing = false;
        link.Connection = connection;
        link.Failures = 0;
        _byConnection[connection] = seed;
        pending.AddRange(link.Pending);
        link.Pending.Clear();
        return true;
    }

    /// <summary>
    /// The peer list arrived (or none was awaited). True when the exchange is over (no group members owed either): the
    /// connection is forgotten and the caller closes it.
    /// </summary>
    public bool Release(NodeEndpoint seed)
    {
        var link = Get(seed);
        link.ReplyDeadline = null;
        if (link.Groups is { Count: > 0 })
        {
            return false;
        }
        Forget(link);
        return true;
    }

    private void Forget(Link link)
    {
        if (link.Connection is { } connection)
        {
            _byConnection.Remove(connection);
        }
        link.Connection = null;
    }

    public void Detach(NodeEndpoint seed)
    {
        var link = Get(seed);
        if (link.Connection is { } connection)
        {
            _byConnection.Remove(connection);
        }
        link.Connection = null;
    }

    /// <summary>
    /// The seed could not be reached or dropped the connection. The pending registration is
    /// dropped (the caller decides what next); other undelivered messages are kept for a
    /// retry at <paramref name="retryAt"/> while attempts remain, else dropped.
    /// </summary>
    public List<Message> Fail(NodeEndpoint seed, DateTimeOffset retryAt, bool allowRetry, out bool retrying)
    {
        var link = Get(seed);
        Detach(seed);
        link.Dialing = false;
        link.ReplyDeadline = null;
        link.Pending.RemoveAll(m => m is Register or GroupJoin); // requests: the caller decides what next
        var undelivered = link.Pending.ToList();
        link.Failures++;
        retrying = allowRetry && undelivered.Count > 0 && link.Failures < MaxDeliveryAttempts;
        if (retrying)
        {
            link.RetryAt = retryAt;
        }
        else
        {
            link.Pending.Clear();
            link.RetryAt = null;
            link.Failures = 0;
        }
        return undelivered;
    }

    /// <summary>Seeds whose answer is overdue; their connection (if any) is returned for closing.</summary>
    public List<(NodeEndpoint Seed, ConnectionId? Connection)> TimedOut(DateTimeOffset now) => Overdue(now, static link => link.ReplyDeadline);

    private List<(NodeEndpoint Seed, ConnectionId? Connection)> Overdue(DateTimeOffset now, Func<Link, DateTimeOffset?> deadlineOf)
    {
        var overdue = new List<(NodeEndpoint, ConnectionId?)>();
        foreach (var (seed, link) in _links)
        {
            if (deadlineOf(link) is { } deadline && now >= deadline)
            {
                overdue.Add((seed, link.Connection));
            }
        }
        return overdue;
    }

    /// <summary>Seeds whose undelivered messages should be retried now; each is marked dialing.</summary>
    public List<NodeEndpoint> DueForRetry(DateTimeOffset now)
    {
        var due = new List<NodeEndpoint>();
        foreach (var (seed, link) in _links)
        {
            if (link.RetryAt is { } at && now >= at)
            {
                link.RetryAt = null;
                if (!link.Dialing && link.Connection is null && link.Pending.Count > 0)
                {
                    link.Dialing = true;
                    due.Add(seed);
                }
            }
        }
        return due;
    }

    /// <summary>On shutdown: give up on messages waiting for a retry.</summary>
    public void DropRetries()
    {
        foreach (var link in _links.Values.Where(l => l.RetryAt is not null))
        {
            link.RetryAt = null;
            link.Pending.Clear();
        }
    }

    private Link Get(NodeEndpoint seed)
    {
        if (!_links.TryGetValue(seed, out var link))
        {
            link = new Link();
            _links[seed] = link;
        }
        return link;
    }

    private sealed class Link
    {
        public ConnectionId? Connection;
        public bool Dialing;
        public DateTimeOffset? ReplyDeadline;
        public DateTimeOffset? RetryAt;
        public int Failures;

        /// <summary>Groups whose members the seed owes (a <c>GroupJoin</c> was sent or queued), until <see cref="MembersDeadline"/>.</summary>
        public List<string>? Groups;
        public DateTimeOffset? MembersDeadline;
        public readonly List<Message> Pending = [];
    }
}
