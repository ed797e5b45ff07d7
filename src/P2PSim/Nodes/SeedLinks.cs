using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// A peer's short-lived connections to seeds: dial, send what is queued (a registration,
/// a dead-node report, a goodbye), wait for the peer list if one is expected, close.
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
            }
            return next;
        }
    }

    public NodeEndpoint? SeedOf(ConnectionId connection) => _byConnection.TryGetValue(connection, out var seed) ? seed : null;

    public ConnectionId? Connection(NodeEndpoint seed) => _links.TryGetValue(seed, out var link) ? link.Connection : null;

    public bool IsDialing(NodeEndpoint seed) => _links.TryGetValue(seed, out var link) && link.Dialing;

    public bool IsConnectedOrDialing(NodeEndpoint seed) => _links.TryGetValue(seed, out var link) && (link.Dialing || link.Connection is not null);

    public bool AwaitsReply(NodeEndpoint seed) => _links.TryGetValue(seed, out var link) && link.ReplyDeadline is not null;

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

    /// <summary>The exchange is over: forget the connection (the caller closes it).</summary>
    public void Release(NodeEndpoint seed)
    {
        var link = Get(seed);
        link.ReplyDeadline = null;
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
        link.Pending.RemoveAll(m => m is Register);
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
    public List<(NodeEndpoint Seed, ConnectionId? Connection)> TimedOut(DateTimeOffset now)
    {
        var overdue = new List<(NodeEndpoint, ConnectionId?)>();
        foreach (var (seed, link) in _links)
        {
            if (link.ReplyDeadline is { } deadline && now >= deadline)
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
        public readonly List<Message> Pending = [];
    }
}
