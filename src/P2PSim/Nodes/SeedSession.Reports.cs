using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// Dead-node reports: each goes to every registered seed; one that cannot be delivered is redirected to another
/// configured seed (registering there first if need be), and seeds that answer again later are handed what they missed.
/// </summary>
internal sealed partial class SeedSession
{
    private readonly Dictionary<DeadNode, ReportDelivery> _reports = new();

    /// <summary>How long a report is followed (redirected, handed to seeds that come back): one avoid period.</summary>
    private TimeSpan ReportFollowedFor => (_options.MaxMissedLiveness + 1) * _options.LivenessInterval;

    /// <summary>A neighbour was declared dead: report it to every registered seed.</summary>
    public void ReportDeath(NodeEndpoint dead, DateTimeOffset now)
    {
        var report = new DeadNode(dead, now.ToUnixTimeMilliseconds(), _self);
        foreach (var (old, _) in _reports.Where(r => r.Value.Until <= now).ToArray())
        {
            _reports.Remove(old);
        }
        _reports[report] = new ReportDelivery(now + ReportFollowedFor);
        foreach (var seed in _registration.Registered)
        {
            SendReport(seed, report, now);
        }
    }

    /// <summary>Hands a dead-node report to <paramref name="seed"/> and notes that it did.</summary>
    private void SendReport(NodeEndpoint seed, DeadNode report, DateTimeOffset now)
    {
        if (_reports.TryGetValue(report, out var delivery))
        {
            delivery.Handed.Add(seed);
        }
        SendToSeed(seed, report);
        _out.Report(new DeadNodeReportSent(now, seed, report));
    }

    private void MarkDelivered(Message message, NodeEndpoint seed)
    {
        if (message is DeadNode report && _reports.TryGetValue(report, out var delivery))
        {
            delivery.Delivered.Add(seed);
        }
    }

    /// <summary>
    /// A dead-node report could not be delivered to <paramref name="failed"/>: send it to one more configured seed that
    /// has not had it, at random; one seed that lists the dead peer is enough, it relays the confirmed death to the
    /// others. A seed this peer is not registered with is registered with first, on the same connection (a seed takes
    /// reports only from its registered peers). A seed that fails in turn is replaced the same way, each seed at most once.
    /// </summary>
    private void Redirect(DeadNode report, NodeEndpoint failed, DateTimeOffset now)
    {
        if (!_reports.TryGetValue(report, out var delivery) || now >= delivery.Until || !delivery.Failed.Add(failed))
        {
            return;
        }
        var candidates = new List<NodeEndpoint>();
        var unreachable = UnreachableSeeds();
        foreach (var seed in _seeds)
        {
            // Registered seeds that have not had it (registered since) or whose failover registration is under way.
            if ((_registration.IsRegistered(seed) || _failover.Contains(seed)) && !delivery.Handed.Contains(seed) && !unreachable.Contains(seed) && !candidates.Contains(seed))
            {
                candidates.Add(seed);
            }
        }
        if (candidates.Count == 0 && !_registration.Busy)
        {
            candidates = FailoverCandidates(now, delivery);
        }
        if (candidates.Count == 0)
        {
            if (delivery.Handed.All(delivery.Failed.Contains))
            {
                _out.Report(new DeadNodeReportRedirected(now, report, failed, null)); // no seed at all has it (others do: quiet)
            }
            return;
        }
        var substitute = candidates[_random.Next(candidates.Count)];
        _out.Report(new DeadNodeReportRedirected(now, report, failed, substitute));
        if (!_registration.IsRegistered(substitute) && !_failover.Contains(substitute))
        {
            StartFailover(substitute, $"a dead-node report could not be delivered to {failed}", unreachable, _registration.Registered.Count - unreachable.Count, now);
        }
        SendReport(substitute, report, now);
    }

    /// <summary>
    /// <paramref name="seed"/> answers again (a first registration, or a registered seed back after failures): hand it the
    /// recent reports that some seed failed to get and that it has not had.
    /// </summary>
    private void SendOwedReports(NodeEndpoint seed, DateTimeOffset now)
    {
        foreach (var (report, delivery) in _reports.ToArray())
        {
            if (now < delivery.Until && delivery.Failed.Count > 0 && !delivery.Delivered.Contains(seed)
                && (delivery.Failed.Contains(seed) || !delivery.Handed.Contains(seed)) && !_links.HasPending(seed, report))
            {
                SendReport(seed, report, now);
            }
        }
    }

    /// <summary>Where one dead-node report went: handed to, delivered to (on an open connection), failed at; kept until <see cref="Until"/>.</summary>
    private sealed class ReportDelivery(DateTimeOffset until)
    {
        public DateTimeOffset Until { get; } = until;

        public HashSet<NodeEndpoint> Handed { get; } = new();

        public HashSet<NodeEndpoint> Delivered { get; } = new();

        public HashSet<NodeEndpoint> Failed { get; } = new();
    }
}
