using System.Globalization;
using System.Text;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// Counts what every node reports, for the summary at the end of a run. Delivery is counted
/// honestly: a peer is expected to receive every message originated while it was part of the
/// overlay (from its first neighbour on) and still running when the run ended; the summary
/// says how many were expected and how many arrived, and names what went missing.
/// </summary>
public sealed partial class NetworkStats(TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Dictionary<NodeEndpoint, NodeCounters> _nodes = new();
    private readonly Dictionary<MessageId, Origination> _messages = new();
    private readonly Dictionary<MessageId, Dictionary<NodeEndpoint, int>> _receipts = new();
    private readonly Dictionary<NodeEndpoint, DateTimeOffset> _crashes = new();
    private readonly Dictionary<NodeEndpoint, List<(NodeEndpoint Reporter, DateTimeOffset At)>> _deathReports = new();
    private readonly Dictionary<NodeEndpoint, HashSet<NodeEndpoint>> _seedsHolding = new();
    private readonly Dictionary<NodeEndpoint, Dictionary<NodeEndpoint, DateTimeOffset>> _seedRemovals = new();
    private readonly Dictionary<int, DateTimeOffset> _remoteCrashes = new();
    private readonly GroupLedger _groups = new();
    private DateTimeOffset? _endedAt;
    private long _deathsDetected;
    private long _linksEstablished;
    private long _forged;
    private readonly SecurityTally _security = new();

    /// <summary>Neighbours replaced for delivering nothing while others delivered (<see cref="NeighbourReplaced"/>).</summary>
    public long NeighboursReplaced => Security.NeighboursReplaced;

    /// <summary>The security counts of the summary (dials refused for another id, neighbours replaced, group keys), as the experiment reports give them.</summary>
    public SecurityCounts Security => _security.Read();

    /// <summary>Messages (and private acknowledgements) the nodes dropped as forged: signatures that did not verify, origins named with another id.</summary>
    public long Forged => Interlocked.Read(ref _forged);

    /// <summary>Dials refused because the node at the target proved another id than the one expected there (<see cref="DialMetOtherId"/>).</summary>
    public long DialsMetOtherId => Security.DialsRefusedForAnotherId;

    /// <summary>Neighbours declared dead, every declaration counted (for <see cref="NetworkMeter"/>).</summary>
    public long DeathsDetected => Interlocked.Read(ref _deathsDetected);

    /// <summary>Neighbour links that completed their handshake, each side counted (for <see cref="NetworkMeter"/>).</summary>
    public long LinksEstablished => Interlocked.Read(ref _linksEstablished);

    /// <summary>
    /// A message and who originated it. <paramref name="Remote"/>: originated by a peer of another slice, known here by
    /// a receipt (its time from its text, the originator's clock); <paramref name="Number"/> is its number there.
    /// </summary>
    private sealed record Origination(NodeEndpoint Origin, DateTimeOffset At, string Text, bool Remote = false, int Number = 0);

    /// <summary>Counters of one node.</summary>
    public sealed class NodeCounters(NodeEndpoint endpoint, NodeRole role)
    {
        public NodeEndpoint Endpoint { get; } = endpoint;
        public NodeRole Role { get; } = role;
        public int Originated { get; internal set; }
        private long _received;
        private long _duplicates;

        /// <summary>First receipts of gossip messages.</summary>
        public long Received => Interlocked.Read(ref _received);

        internal void AddReceived() => Interlocked.Increment(ref _received);

        /// <summary>Duplicates dropped: the bulk of all events, so counted without the stats lock.</summary>
        public long Duplicates => Interlocked.Read(ref _duplicates);

        internal void AddDuplicate() => Interlocked.Increment(ref _duplicates);
        public DateTimeOffset? JoinedAt { get; internal set; }
        public DateTimeOffset? GoneAt { get; internal set; }
        public string? GoneHow { get; internal set; }

        /// <summary>Times it started again after a crash or a leave (console command <c>restart</c>).</summary>
        public int Restarts { get; internal set; }

        /// <summary>Messages it published to its groups.</summary>
        public int GroupPublished { get; internal set; }

        /// <summary>First receipts of its groups' messages.</summary>
        public long GroupReceived { get; internal set; }
    }

    /// <summary>Adds a node; the counters it returns are that node's (see <see cref="Record"/>).</summary>
    public NodeCounters Register(NodeEndpoint node, NodeRole role)
    {
        lock (_gate)
        {
            if (!_nodes.TryGetValue(node, out var counters))
            {
                counters = new NodeCounters(node, role);
                _nodes.Add(node, counters);
            }
            return counters;
        }
    }

    /// <summary>
    /// Whether every receipt of every message is kept for the delivery account of the summary (default). An experiment
    /// keeps its own account (<c>Experiments/ExperimentRecorder</c>) and turns this off: at 1,000 peers publishing 10,000
    /// messages the receipts alone were 10 million dictionary entries behind one lock. Counters are kept either way.
    /// </summary>
    public bool TrackDelivery { get; set; } = true;

    /// <summary>This process runs one slice of a network (see <c>Configuration/SliceLayout</c>): the summary says "here".</summary>
    public bool OneSlice { get; set; }

    /// <summary>
    /// The peers' liveness rule (<c>Peer:LivenessInterval</c>, <c>Peer:MaxMissedLiveness</c>), so that a crash the run
    /// ended too soon to detect is told apart from one that was missed. Null: not known (the summary says no more).
    /// </summary>
    public (TimeSpan Interval, int MaxMissed)? Liveness { get; init; }

    /// <summary>
    /// Counts an event of the node <paramref name="counters"/> belong to (from <see cref="Register"/>). A dropped
    /// duplicate (and, when delivery is not tracked, a first receipt) takes no lock.
    /// </summary>
    public void Record(NodeCounters counters, NodeEvent e)
    {
        switch (e)
        {
            case DuplicateDropped:
                counters.AddDuplicate();
                return;
            case GossipReceived when !TrackDelivery:
                counters.AddReceived();
                return;
            case GossipForged or GroupEvent { Event: GossipForged }:
                Interlocked.Increment(ref _forged);
                return;
        }
        if (_security.Count(e) || RecordPrivate(e))
        {
            return;
        }
        var node = counters.Endpoint;
        lock (_gate)
        {
            switch (e)
            {
                case GossipOriginated g:
                    counters.Originated++;
                    if (TrackDelivery)
                    {
                        _messages[g.Id] = new Origination(node, g.At, g.Text);
                    }
                    break;
                case GossipReceived g:
                    counters.AddReceived();
                    if (!_messages.ContainsKey(g.Id) && !_nodes.ContainsKey(g.Origin)
                        && GossipText.TryParse(g.Text, out var sentAt, out _, out var number))
                    {
                        _messages[g.Id] = new Origination(g.Origin, sentAt, g.Text, Remote: true, number); // from another slice
                    }
                    if (!_receipts.TryGetValue(g.Id, out var receivers))
                    {
                        receivers = new Dictionary<NodeEndpoint, int>();
                        _receipts[g.Id] = receivers;
                    }
                    receivers[node] = receivers.GetValueOrDefault(node) + 1;
                    break;
                case NeighbourConnected n:
                    Interlocked.Increment(ref _linksEstablished);
                    counters.JoinedAt ??= n.At;
                    if (_nodes.TryGetValue(n.Neighbour, out var other))
                    {
                        other.JoinedAt ??= n.At;
                    }
                    break;
                case NeighbourDead d:
                    DeathDetected(node, d);
                    break;
                case GroupEvent { Event: NeighbourDead d }:
                    DeathDetected(node, d); // seen on a group's links: a detection as much as on the overlay's
                    break;
                case GroupJoined j:
                    _groups.Joined(node, j.Group, j.At);
                    break;
                case GroupLeft l:
                    _groups.Left(node, l.Group);
                    break;
                case GroupEvent { Event: GossipOriginated o } g:
                    counters.GroupPublished++;
                    if (TrackDelivery)
                    {
                        _groups.Published(o.Id, node, g.Group, o.At, o.Text);
                    }
                    break;
                case GroupEvent { Event: GossipReceived r }:
                    counters.GroupReceived++;
                    if (TrackDelivery)
                    {
                        _groups.Received(r.Id, node);
                    }
                    break;
                case PeerRegistered r:
                    Holding(node).Add(r.Peer);
                    break;
                case DeadNodeReceived d when d.Removed:
                    SeedRemoved(node, d.Report.Dead, d.At);
                    break;
                case PeerExpired x:
                    SeedRemoved(node, x.Peer, x.At);
                    break;
                case Leaving l:
                    counters.GoneAt ??= l.At;
                    counters.GoneHow ??= "left";
                    break;
            }
        }
    }

    /// <summary>A neighbour (of the overlay or of a group) was declared dead by <paramref name="node"/>; called under the lock.</summary>
    private void DeathDetected(NodeEndpoint node, NeighbourDead d)
    {
        Interlocked.Increment(ref _deathsDetected);
        if (!_deathReports.TryGetValue(d.Neighbour, out var reports))
        {
            reports = [];
            _deathReports[d.Neighbour] = reports;
        }
        reports.Add((node, d.At));
    }

    /// <summary>
    /// The demo crashes the peer on <paramref name="port"/> in another slice at about <paramref name="at"/> (this process's
    /// clock): reports of its death here are of a real crash, not false ones.
    /// </summary>
    public void ExpectRemoteCrash(int port, DateTimeOffset at)
    {
        lock (_gate)
        {
            _remoteCrashes[port] = at;
        }
    }

    public void RecordCrash(NodeEndpoint node, DateTimeOffset at)
    {
        lock (_gate)
        {
            _crashes[node] = at;
            if (_nodes.TryGetValue(node, out var counters))
            {
                counters.GoneAt ??= at;
                counters.GoneHow ??= "crashed";
            }
        }
    }

    /// <summary>A node left cleanly without a <see cref="Leaving"/> event of its own (a seed stopped by a console command).</summary>
    public void RecordLeft(NodeEndpoint node)
    {
        lock (_gate)
        {
            if (_nodes.TryGetValue(node, out var counters))
            {
                counters.GoneAt ??= time.GetUtcNow();
                counters.GoneHow ??= "left";
            }
        }
    }

    /// <summary>
    /// A node that crashed or left starts again on the same endpoint (a console command): it counts as running again, and
    /// a peer is expected to receive only what is originated after it has linked to a neighbour anew. Its crash stays on record.
    /// </summary>
    public void RecordRestart(NodeEndpoint node)
    {
        lock (_gate)
        {
            if (_nodes.TryGetValue(node, out var counters))
            {
                counters.GoneAt = null;
                counters.GoneHow = null;
                counters.JoinedAt = null;
                counters.Restarts++;
                _groups.Restarted(node);
            }
        }
    }

    /// <summary>The run is ending: peers that leave from now on still count as present to the end.</summary>
    public void MarkEnd() => MarkEnd(time.GetUtcNow());

    public void MarkEnd(DateTimeOffset at)
    {
        lock (_gate)
        {
            _endedAt ??= at;
        }
    }

    public IReadOnlyList<NodeCounters> Nodes
    {
        get
        {
            lock (_gate)
            {
                return _nodes.Values.ToArray();
            }
        }
    }

    /// <summary>The delivery account: expected receipts, how many arrived, receipts beyond the first, and what is missing.</summary>
    public Delivery ComputeDelivery()
    {
        lock (_gate)
        {
            var end = _endedAt ?? time.GetUtcNow();
            long expected = 0, delivered = 0, repeated = 0;
            var missing = new List<string>();
            var peers = _nodes.Values.Where(n => n.Role == NodeRole.Peer).ToArray();
            foreach (var (id, origin) in _messages)
            {
                if (!origin.Remote && (!_nodes.TryGetValue(origin.Origin, out var originNode) || originNode.JoinedAt is not { } originJoined || originJoined > origin.At))
                {
                    continue; // originated before its peer was linked to anyone: nobody could expect it
                }
                _receipts.TryGetValue(id, out var receivers);
                foreach (var peer in peers)
                {
                    if (peer.Endpoint == origin.Origin || peer.JoinedAt is not { } joined || joined > origin.At
                        || (peer.GoneAt is { } gone && gone < end))
                    {
                        continue;
                    }
                    expected++;
                    var count = receivers?.GetValueOrDefault(peer.Endpoint) ?? 0;
                    if (count > 0)
                    {
                        delivered++;
                        repeated += count - 1;
                    }
                    else if (missing.Count < 20)
                    {
                        missing.Add($"{peer.Endpoint} never received \"{origin.Text}\"");
                    }
                }
            }
            var unseen = UnseenRemoteMessages();
            foreach (var (origin, number, at) in unseen)
            {
                // A message of another slice that no node here received: known by the gap in its originator's numbers.
                foreach (var peer in peers)
                {
                    if (peer.JoinedAt is not { } joined || joined > at || (peer.GoneAt is { } gone && gone < end))
                    {
                        continue;
                    }
                    expected++;
                    if (missing.Count < 20)
                    {
                        missing.Add($"{peer.Endpoint} never received message #{number} of {origin} (another slice's; no node here received it)");
                    }
                }
            }
            var remote = _messages.Values.Count(m => m.Remote);
            return new Delivery(_messages.Count - remote, expected, delivered, repeated, missing, remote + unseen.Count);
        }
    }

    /// <summary>
    /// The delivery account of group messages, in all and per group: a message is expected at every peer (but its
    /// publisher) that was a member of its group when it was published and stayed a member, running, to the end of the
    /// run. A member that joined later and caught up is not counted either way.
    /// </summary>
    public GroupDelivery ComputeGroupDelivery()
    {
        lock (_gate)
        {
            var end = _endedAt ?? time.GetUtcNow();
            return _groups.Compute(member => _nodes.TryGetValue(member, out var counters) && !(counters.GoneAt is { } gone && gone < end));
        }
    }

    /// <summary>
    /// Messages of other slices' peers that no node here received: the gaps in their originator's numbers between the
    /// lowest and the highest number seen here (before the lowest a message may have been originated before its peer had
    /// a neighbour; after the highest nothing shows). Each is dated by the one before it. Called under the lock.
    /// </summary>
    private List<(NodeEndpoint Origin, int Number, DateTimeOffset At)> UnseenRemoteMessages()
    {
        var unseen = new List<(NodeEndpoint, int, DateTimeOffset)>();
        foreach (var byOrigin in _messages.Values.Where(m => m.Remote && m.Number > 0).GroupBy(m => m.Origin))
        {
            var seen = byOrigin.ToDictionary(m => m.Number, m => m.At);
            var max = seen.Keys.Max();
            var min = seen.Keys.Min();
            var date = seen[min];
            for (var number = min; number <= max; number++)
            {
                if (seen.TryGetValue(number, out var at))
                {
                    date = at;
                }
                else
                {
                    unseen.Add((byOrigin.Key, number, date));
                }
            }
        }
        return unseen;
    }

    public string FormatSummary()
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine();
        AppendDeaths(sb);
        sb.AppendLine("==================== P2PSim summary ====================");
        var nodes = Nodes;
        var groups = nodes.Any(n => n.GroupPublished > 0 || n.GroupReceived > 0); // columns for group messages when there were any
        sb.AppendLine(inv, $"{"Node",-22} {"Role",-5} {"Originated",10} {"Received",9} {"Duplicates",10}{(groups ? $" {"Group sent",10} {"Group recv",10}" : "")}  Status");
        foreach (var n in nodes.OrderBy(n => n.Role).ThenBy(n => n.Endpoint.Port))
        {
            var status = n.GoneHow is { } how && n.GoneAt < (_endedAt ?? DateTimeOffset.MaxValue) ? how : "running to the end";
            if (n.Restarts > 0)
            {
                status += n.Restarts == 1 ? " (restarted once)" : string.Create(inv, $" (restarted {n.Restarts} times)");
            }
            if (n.Role == NodeRole.Seed)
            {
                sb.AppendLine(inv, $"{n.Endpoint,-22} {"seed",-5} {"-",10} {"-",9} {"-",10}{(groups ? $" {"-",10} {"-",10}" : "")}  {status}");
            }
            else
            {
                sb.AppendLine(inv, $"{n.Endpoint,-22} {"peer",-5} {n.Originated,10} {n.Received,9} {n.Duplicates,10}{(groups ? $" {n.GroupPublished,10} {n.GroupReceived,10}" : "")}  {status}");
            }
        }
        var d = ComputeDelivery();
        sb.AppendLine();
        sb.AppendLine(d.RemoteMessages == 0 ? string.Create(inv, $"Messages originated: {d.Messages}")
            : string.Create(inv, $"Messages originated: {d.Messages} here, {d.RemoteMessages} by peers of other slices (known here by receipt)"));
        sb.AppendLine(FormatDelivery(d));
        foreach (var line in d.Missing)
        {
            sb.AppendLine(inv, $"  missing: {line}");
        }
        var g = ComputeGroupDelivery();
        if (g.Messages > 0)
        {
            sb.AppendLine(inv, $"Group messages published: {g.Messages} ({string.Join(", ", g.Groups.Select(x => $"\"{x.Group}\" {x.Messages}"))})");
            sb.AppendLine(FormatGroupDelivery(g));
            foreach (var line in g.Missing)
            {
                sb.AppendLine(inv, $"  missing: {line}");
            }
        }
        AppendPrivate(sb);
        if (Forged > 0)
        {
            sb.AppendLine(inv, $"Forged messages refused: {Forged} (a signature that did not verify, or an origin named with another id; each dropped, never forwarded)");
        }
        var security = Security;
        if (security.DialsRefusedForAnotherId > 0)
        {
            sb.AppendLine(security.DialsRefusedLine);
        }
        if (security.NeighboursReplaced > 0)
        {
            sb.AppendLine(security.NeighboursReplacedLine);
        }
        if (security.AnyGroupKeys)
        {
            sb.AppendLine(security.GroupKeysLine);
        }
        if (security.OriginsUnverified > 0)
        {
            sb.AppendLine(security.OriginsUnverifiedLine);
        }
        sb.AppendLine("=========================================================");
        return sb.ToString();
    }

    /// <summary>The delivery line of the summary; with nothing expected it says so rather than "0 of 0 (100.0 %)".</summary>
    public static string FormatDelivery(Delivery d) => d.Expected == 0
        ? "Delivery: no receipts expected (no message was originated while its peer and another were linked and running to the end)"
        : string.Create(CultureInfo.InvariantCulture,
            $"Delivery: {d.Delivered} of {d.Expected} expected receipts ({d.Ratio:P1}); {d.Expected - d.Delivered} missing; {d.Repeated} delivered more than once");

    /// <summary>The group delivery line of the summary: receipts of the expected members, in all and per group.</summary>
    public static string FormatGroupDelivery(GroupDelivery g)
    {
        ArgumentNullException.ThrowIfNull(g);
        if (g.Expected == 0)
        {
            return "Group delivery: no receipts expected (no group message was published while another member was in its group to the end)";
        }
        var inv = CultureInfo.InvariantCulture;
        var perGroup = string.Join(", ", g.Groups.Select(x => string.Create(inv, $"\"{x.Group}\" {x.Delivered}/{x.Expected}")));
        return string.Create(inv,
            $"Group delivery: {g.Delivered} of {g.Expected} expected receipts by members ({g.Ratio:P1}); {g.Expected - g.Delivered} missing; {g.Repeated} delivered more than once; by group: {perGroup}");
    }

    private HashSet<NodeEndpoint> Holding(NodeEndpoint seed)
    {
        if (!_seedsHolding.TryGetValue(seed, out var set))
        {
            set = [];
            _seedsHolding[seed] = set;
        }
        return set;
    }

    /// <summary>A seed removed <paramref name="peer"/> from its list (a confirmed death, or an expiry); called under the lock.</summary>
    private void SeedRemoved(NodeEndpoint seed, NodeEndpoint peer, DateTimeOffset at)
    {
        if (!_seedRemovals.TryGetValue(peer, out var removals))
        {
            removals = new Dictionary<NodeEndpoint, DateTimeOffset>();
            _seedRemovals[peer] = removals;
        }
        removals.TryAdd(seed, at);
    }
}
