using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.LiveView;

/// <summary>
/// The live view's model of the network, built from node events and the counters of <see cref="NetworkStats"/>: nodes,
/// overlay links (each side kept apart, so a link is drawn while either end holds it, and on a broadcast tree whether
/// either end pushes messages over it), seed lists, the latest messages with their first receipts, and the crash story. Every change is also queued for the next batch
/// (<see cref="TakeChanges"/>). Not thread-safe: <see cref="LiveViewFeed"/> guards it.
/// </summary>
public sealed class LiveViewState(string routing)
{
    /// <summary>Messages kept with their receipts (the oldest is forgotten first).</summary>
    public const int MessagesKept = 30;

    /// <summary>Crash-story lines kept.</summary>
    public const int ReportsKept = 200;

    private readonly Dictionary<string, NodeView> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Holder, string Neighbour), bool> _sides = []; // true: up, false: lost
    private readonly Dictionary<(string Holder, string Neighbour), bool> _eager = []; // tree routing: true: the holder pushes over it
    private readonly Dictionary<(string A, string B), LinkView> _links = [];
    private readonly Dictionary<string, SortedSet<string>> _seedLists = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Message> _messages = new(StringComparer.Ordinal);
    private readonly Queue<string> _messageOrder = new();
    private readonly Queue<ReportView> _reports = new();
    private readonly List<LiveViewChange> _changes = [];
    private DeliveryView _delivery = new(0, 0, 0, 1.0);
    private long _dropped;
    private bool _headerChanged;

    private sealed record Message(string Id, string Text, string Origin, long At, List<ReceiptView> Receipts);

    public long Seq { get; private set; }

    /// <summary>View updates dropped before they reached the view (<see cref="LiveViewObserver.Dropped"/>).</summary>
    public long Dropped
    {
        get => _dropped;
        set
        {
            _headerChanged |= value != _dropped;
            _dropped = value;
        }
    }

    /// <summary>Folds in one node event.</summary>
    public void Apply(LiveViewUpdate update)
    {
        var node = Id(update.Node);
        EnsureNode(node, update.Role, update.Node.Port);
        switch (update.Event)
        {
            case NeighbourConnected c:
                SetSide(node, Id(c.Neighbour), up: true);
                break;
            case NeighbourConnectionLost l:
                SetSide(node, Id(l.Neighbour), up: false);
                Report(l.At, "lost", node, Id(l.Neighbour), $"{node} lost its link to {Id(l.Neighbour)} ({l.Reason}); retrying");
                break;
            case NeighbourLeft l:
                RemoveSide(node, Id(l.Neighbour));
                break;
            case NeighbourDead d:
                RemoveSide(node, Id(d.Neighbour));
                if (_nodes.TryGetValue(Id(d.Neighbour), out var dead))
                {
                    SetNode(dead with { DeadReports = dead.DeadReports + 1 });
                }
                Report(d.At, "dead", node, Id(d.Neighbour), $"{node} declared {Id(d.Neighbour)} dead after {d.Missed} missed liveness rounds ({d.Reason})");
                break;
            case DeadNodeReportSent r:
                Report(r.At, "reported", node, Id(r.Report.Dead), $"{node} reported {Id(r.Report.Dead)} dead to seed {Id(r.Seed)}");
                break;
            case GossipOriginated g:
                AddMessage(g.Id.Short, g.Text, node, Ms(g.At));
                break;
            case GossipReceived g:
                AddReceipt(g, node);
                break;
            case TreeLinkChanged t:
                _eager[(node, Id(t.Neighbour))] = t.Eager;
                UpdateLink(node, Id(t.Neighbour));
                break;
            case PeerRegistered r:
                SeedList(node, Id(r.Peer), listed: true);
                break;
            case PeerDeregistered d:
                SeedList(node, Id(d.Peer), listed: false);
                break;
            case PeerExpired x:
                SeedList(node, Id(x.Peer), listed: false);
                Report(x.At, "expired", node, Id(x.Peer), $"seed {node} dropped {Id(x.Peer)}: it stopped registering ({x.PeersLeft} left)");
                break;
            case DeadNodeReceived d when d.Removed:
                SeedList(node, Id(d.Report.Dead), listed: false);
                Report(d.At, "removed", node, Id(d.Report.Dead), $"seed {node} removed {Id(d.Report.Dead)} from its peer list ({d.PeersLeft} left)");
                break;
            case DeadNodeRefuted r:
                Report(r.At, "refuted", node, Id(r.Report.Dead), $"seed {node} checked {Id(r.Report.Dead)} itself: it answers, so it stays listed");
                break;
            case Leaving l:
                Report(l.At, "left", node, node, $"{node} is leaving cleanly (goodbye to {l.Neighbours} neighbours and {l.Seeds} seeds)");
                break;
        }
    }

    /// <summary>Folds in the counters and fates (crashed, left) of every node, read from <see cref="NetworkStats"/>.</summary>
    public void Observe(IReadOnlyList<NetworkStats.NodeCounters> counters)
    {
        foreach (var c in counters)
        {
            var id = Id(c.Endpoint);
            EnsureNode(id, c.Role, c.Endpoint.Port);
            var view = _nodes[id];
            var state = c.GoneHow ?? "up";
            var updated = view with { State = state, Originated = c.Originated, Received = c.Received, Duplicates = c.Duplicates };
            if (updated == view)
            {
                continue;
            }
            SetNode(updated);
            if (view.State != state && state != "up")
            {
                // A node that is gone holds no links: its own sides go; its neighbours' sides go as they notice.
                foreach (var side in _sides.Keys.Concat(_eager.Keys).Where(k => k.Holder == id).Distinct().ToArray())
                {
                    RemoveSide(side.Holder, side.Neighbour);
                }
                if (state == "crashed")
                {
                    Report(Ms(c.GoneAt ?? DateTimeOffset.UnixEpoch), "crash", id, id, $"{id} crashed (abrupt, no goodbye)");
                }
            }
        }
    }

    public void SetDelivery(Delivery d)
    {
        var delivery = new DeliveryView(d.Messages, d.Expected, d.Delivered, d.Ratio);
        _headerChanged |= delivery != _delivery;
        _delivery = delivery;
    }

    /// <summary>The changes since the last call, as the next batch; null when nothing changed.</summary>
    public LiveViewBatch? TakeChanges()
    {
        if (_changes.Count == 0 && !_headerChanged)
        {
            return null;
        }
        Seq++;
        var batch = new LiveViewBatch(Seq, _dropped, _delivery, _changes.ToArray());
        _changes.Clear();
        _headerChanged = false;
        return batch;
    }

    public LiveViewSnapshot Snapshot() => new(
        Seq,
        _dropped,
        routing,
        _delivery,
        _nodes.Values.OrderBy(n => n.Role, StringComparer.Ordinal).ThenBy(n => n.Port).ToArray(),
        _links.Values.ToArray(),
        _seedLists.Select(s => new SeedListView(s.Key, s.Value.ToArray())).ToArray(),
        _messageOrder.Select(id => _messages[id]).Select(m => new MessageView(m.Id, m.Text, m.Origin, m.At, m.Receipts.ToArray())).ToArray(),
        _reports.ToArray());

    public static string Id(NodeEndpoint endpoint) => endpoint.ToString();

    private static long Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    private static string RoleName(NodeRole role) => role == NodeRole.Seed ? "seed" : "peer";

    private void EnsureNode(string id, NodeRole role, int port)
    {
        if (!_nodes.ContainsKey(id))
        {
            SetNode(new NodeView(id, RoleName(role), port, "up", 0, 0, 0, 0));
        }
    }

    private void SetNode(NodeView view)
    {
        _nodes[view.Id] = view;
        _changes.Add(new NodeChange(view));
    }

    private void SetSide(string holder, string neighbour, bool up)
    {
        _sides[(holder, neighbour)] = up;
        UpdateLink(holder, neighbour);
    }

    private void RemoveSide(string holder, string neighbour)
    {
        var tree = _eager.Remove((holder, neighbour)); // a link that comes back is reported afresh
        if (_sides.Remove((holder, neighbour)) || tree)
        {
            UpdateLink(holder, neighbour);
        }
    }

    /// <summary>
    /// A link is up while either end holds it up, lost while an end is retrying it, gone when neither holds it; on a
    /// broadcast tree, while up, eager when either end pushes over it, lazy when the ends known announce only.
    /// </summary>
    private void UpdateLink(string x, string y)
    {
        var key = string.CompareOrdinal(x, y) < 0 ? (x, y) : (y, x);
        var sides = new[] { _sides.TryGetValue((x, y), out var s1) ? s1 : (bool?)null, _sides.TryGetValue((y, x), out var s2) ? s2 : (bool?)null };
        var state = sides.Contains(true) ? "up" : sides.Contains(false) ? "lost" : "gone";
        var ends = new[] { _eager.TryGetValue((x, y), out var e1) ? e1 : (bool?)null, _eager.TryGetValue((y, x), out var e2) ? e2 : (bool?)null };
        var tree = ends.Contains(true) ? "eager" : ends.Contains(false) ? "lazy" : null;
        var view = new LinkView(key.Item1, key.Item2, state, state == "up" ? tree : null); // a lost link carries nothing
        var before = _links.GetValueOrDefault(key) ?? new LinkView(key.Item1, key.Item2, "gone");
        if (view == before)
        {
            return;
        }
        if (state == "gone")
        {
            _links.Remove(key);
        }
        else
        {
            _links[key] = view;
        }
        _changes.Add(new LinkChange(view));
    }

    private void SeedList(string seed, string peer, bool listed)
    {
        if (!_seedLists.TryGetValue(seed, out var list))
        {
            list = new SortedSet<string>(StringComparer.Ordinal);
            _seedLists[seed] = list;
        }
        if (listed ? list.Add(peer) : list.Remove(peer))
        {
            _changes.Add(new SeedListChange(new SeedListView(seed, list.ToArray())));
        }
    }

    private Message AddMessage(string id, string text, string origin, long at)
    {
        if (_messages.TryGetValue(id, out var known))
        {
            if (known.At == 0 && at != 0)
            {
                known = known with { At = at };
                _messages[id] = known;
                _changes.Add(new MessageChange(id, text, origin, at));
            }
            return known;
        }
        var message = new Message(id, text, origin, at, []);
        _messages[id] = message;
        _messageOrder.Enqueue(id);
        while (_messageOrder.Count > MessagesKept)
        {
            _messages.Remove(_messageOrder.Dequeue());
        }
        _changes.Add(new MessageChange(id, text, origin, at));
        return message;
    }

    private void AddReceipt(GossipReceived g, string node)
    {
        // A receipt can reach the view before its origination: the message is known from it, its time filled in later.
        var message = AddMessage(g.Id.Short, g.Text, Id(g.Origin), 0);
        var how = g.CatchUp ? "catch-up" : g.Grafted ? "graft" : "push";
        var receipt = new ReceiptView(node, Id(g.From), g.Hops, Ms(g.At), how);
        message.Receipts.Add(receipt);
        _changes.Add(new ReceiptChange(message.Id, receipt));
    }

    private void Report(DateTimeOffset at, string kind, string node, string subject, string text) => Report(Ms(at), kind, node, subject, text);

    private void Report(long at, string kind, string node, string subject, string text)
    {
        var report = new ReportView(at, kind, node, subject, text);
        _reports.Enqueue(report);
        while (_reports.Count > ReportsKept)
        {
            _reports.Dequeue();
        }
        _changes.Add(new ReportChange(report));
    }
}
