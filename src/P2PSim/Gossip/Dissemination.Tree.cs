using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Gossip;

/// <summary>
/// Epidemic broadcast trees (Plumtree: Leitão, Pereira, Rodrigues, SRDS 2007; as iroh-gossip's <c>proto/plumtree.rs</c>),
/// with <c>Gossip:Routing</c> = <c>tree</c>. Every link starts in the tree (eager). A payload is pushed over the tree
/// links and its id announced over the others (lazy), batched per link for <c>Gossip:AnnounceInterval</c> into one
/// IHave frame. A payload that arrives twice prunes the link it came on (both ends make it lazy), so the tree links
/// thin out to a spanning tree: each peer then receives each message about once, whoever sent it. A peer that hears
/// of a message only by announcement waits <c>Gossip:GraftTimeout</c> for the payload, then asks an announcer for it
/// with a Graft, which makes that link a tree link again (the tree repairs itself where a link or a peer failed), and
/// tries the next announcer every <c>Gossip:GraftRetry</c>. A payload that arrives <c>Gossip:OptimizationThreshold</c>
/// or more hops after an announcement of it swaps the two links, so the tree gets shorter. New links join the tree;
/// lost ones leave it (the neighbour table's events).
/// </summary>
internal sealed partial class Dissemination
{
    /// <summary>How long a tree keeps messages to answer grafts, even with catch-up off (iroh's message cache: 30 s).</summary>
    public static readonly TimeSpan TreeRetention = TimeSpan.FromSeconds(30);

    /// <summary>Most messages heard of by announcement only that a peer waits for at once; announcements beyond are ignored.</summary>
    public const int MaxMissing = 16 * 1024;

    private readonly GossipOptions _gossip;
    private readonly bool _tree;
    private readonly Dictionary<MessageId, Missing> _missing = new();
    private readonly PriorityQueue<MessageId, DateTimeOffset> _graftTimers = new();
    private readonly Dictionary<MessageId, NodeEndpoint> _grafted = new();
    private readonly List<Link> _announcing = [];
    private readonly Random _random;
    private readonly SpanningTree? _spanningTree;
    private DateTimeOffset? _announceDue;
    private double _graftBackoff = 1;

    /// <summary>The routing in use.</summary>
    public Routing Routing => _gossip.Routing;

    /// <summary>Tree: links in the tree now (pushed to), and links announced to only.</summary>
    public (int Eager, int Lazy) TreeLinks
    {
        get
        {
            var lazy = _links.Values.Count(l => l is { Lazy: true, InTree: false });
            return (_links.Count - lazy, lazy);
        }
    }

    /// <summary>Tree: whether the link to <paramref name="neighbour"/> is lazy (null: no such link).</summary>
    public bool? IsLazy(NodeEndpoint neighbour) => _links.TryGetValue(neighbour, out var link) ? link is { Lazy: true, InTree: false } : null;

    /// <summary>Spanning: a neighbour says where it stands in the spanning tree.</summary>
    public void OnTreeAdvert(ConnectionId connection, NodeEndpoint from, TreeAdvert advert, DateTimeOffset now)
    {
        if (_spanningTree?.OnAdvert(from, connection, advert) == true)
        {
            RefreshTreeLinks();
        }
        _spanningTree?.Flush(now);
    }

    /// <summary>Spanning: which links the tree has now.</summary>
    private void RefreshTreeLinks()
    {
        foreach (var (endpoint, link) in _links)
        {
            link.InTree = _spanningTree!.IsTreeLink(endpoint);
        }
    }

    /// <summary>When this part next needs the clock: the next IHave flush or graft timer.</summary>
    public DateTimeOffset? NextDeadline => WakeScheduler.Earliest(
        _graftTimers.TryPeek(out _, out var graftDue) ? WakeScheduler.Earliest(_announceDue, graftDue) : _announceDue,
        _spanningTree?.NextDeadline);

    /// <summary>On the node's timer: flush the announcements that are due, and ask for the messages still missing.</summary>
    public void OnTimer(DateTimeOffset now)
    {
        _spanningTree?.Flush(now);
        if (_announceDue is { } due && now >= due)
        {
            FlushAnnouncements();
        }
        while (_graftTimers.TryPeek(out var id, out var at) && at <= now)
        {
            _graftTimers.Dequeue();
            if (_missing.TryGetValue(id, out var missing) && missing.Due == at)
            {
                GraftNext(id, missing, now);
            }
        }
    }

    /// <summary>A neighbour announces messages it has: wait a while for each one this peer has not seen, then ask for it.</summary>
    public void OnIHave(NodeEndpoint from, IHave ihave, DateTimeOffset now)
    {
        var bit = BitOf(from);
        foreach (var announcement in ihave.Announcements)
        {
            if (_messages.Contains(announcement.Id))
            {
                _history.MarkHeld(announcement.Id, bit); // it need not be kept for that neighbour
                continue;
            }
            if (!_missing.TryGetValue(announcement.Id, out var missing))
            {
                if (_missing.Count >= MaxMissing)
                {
                    continue;
                }
                missing = new Missing { Due = now + GraftWait() };
                _missing[announcement.Id] = missing;
                _graftTimers.Enqueue(announcement.Id, missing.Due);
            }
            missing.Announcers.Enqueue((from, announcement.Hops));
        }
    }

    /// <summary>A neighbour makes the link a tree link and asks for messages: send those still held, one hop further on.</summary>
    public void OnGraft(ConnectionId connection, NodeEndpoint from, Graft graft, DateTimeOffset now)
    {
        _history.Expire(now); // only what the history window still holds is served
        // Spanning: a Graft only fetches; the computed tree carries the next messages, so the link stays lazy.
        if (_spanningTree is null && _table.IsCurrent(from, connection) && _links.TryGetValue(from, out var link))
        {
            link.Lazy = false;
        }
        var seen = new HashSet<MessageId>();
        foreach (var id in graft.Ids)
        {
            if (seen.Add(id) && _history.TryGet(id, out var entry))
            {
                _out.Send(connection, Served(entry.Message));
                _history.MarkHeld(id, BitOf(from));
            }
        }
    }

    /// <summary>A neighbour takes the link out of the tree: announce to it from now on.</summary>
    public void OnPrune(ConnectionId connection, NodeEndpoint from)
    {
        if (_table.IsCurrent(from, connection) && _links.TryGetValue(from, out var link))
        {
            link.Lazy = true;
        }
    }

    /// <summary>
    /// A payload came twice: the link it came on the second time leaves the tree, at both ends. A duplicate on a link
    /// this peer already holds lazy means the sender still holds it eager (this peer's Prune crossed the sender's Graft,
    /// which made the link eager again there only): the Prune goes again, or the sender would push every message twice
    /// for good (1,000 simulated peers, 10-60 ms links, random publishers: 12,700 such duplicates in 100 messages).
    /// Spanning: a link of the computed tree is never pruned; a duplicate on one prunes instead the grafted link the
    /// first copy came on.
    /// </summary>
    private void PruneOnDuplicate(ConnectionId arrivedOn, NodeEndpoint from, MessageId id)
    {
        if (!_links.TryGetValue(from, out var link) || !_table.IsCurrent(from, arrivedOn))
        {
            return;
        }
        if (!link.InTree)
        {
            link.Lazy = true;
            _out.Send(arrivedOn, Prune.Instance);
        }
        else if (_messages.TryGetSender(id, out var first) && first is { } firstFrom && firstFrom != from
            && _links.GetValueOrDefault(firstFrom) is { InTree: false, Lazy: false } grafted
            && _table.Entries.GetValueOrDefault(firstFrom)?.Connection is { } graftedOn)
        {
            // Spanning: a tree link is never pruned; the first copy came over a link a graft made eager, which the
            // tree now makes redundant.
            grafted.Lazy = true;
            _out.Send(graftedOn, Prune.Instance);
        }
    }

    /// <summary>
    /// A first receipt on a tree: it is no longer missing; and when it came much later than an announcement of it, the
    /// announcer's link joins the tree and the sender's leaves it. Returns whether it answered this peer's Graft;
    /// <paramref name="announced"/>: the history bits of the links that announced it (or were asked for it): they hold it.
    /// </summary>
    /// <remarks>
    /// Unlike the paper, a payload on a link this peer made lazy does not make it a tree link again: it was pushed
    /// before the sender saw this peer's Prune. Only a Graft (or a new link) makes a link a tree link. With every peer
    /// publishing at once, re-adding such links kept the tree from settling (100 peers, 50 ms links: RMR 3.3; 2.75 now).
    /// </remarks>
    private bool OnTreePayload(ConnectionId arrivedOn, NodeEndpoint from, MessageId id, ushort hops, out ulong announced)
    {
        announced = 0;
        _links.TryGetValue(from, out var sender);
        var wasGrafted = _grafted.Remove(id, out var asked);
        var grafted = wasGrafted && asked == from;
        if (wasGrafted)
        {
            NoteGraft(needed: grafted);
            announced |= BitOf(asked);
        }
        if (_missing.Remove(id, out var missing))
        {
            foreach (var announcer in missing.Announcers)
            {
                announced |= BitOf(announcer.From);
            }
            if (sender is not null)
            {
                Optimize(arrivedOn, from, sender, hops, missing);
            }
        }
        return grafted;
    }

    /// <summary>
    /// The payload took <paramref name="hops"/> hops; an announcer offered it with far fewer: swap the links, so the next
    /// messages take the shorter path (the paper's tree optimisation).
    /// </summary>
    private void Optimize(ConnectionId arrivedOn, NodeEndpoint from, Link sender, ushort hops, Missing missing)
    {
        (NodeEndpoint Peer, ushort Hops)? best = null;
        foreach (var announcer in missing.Announcers)
        {
            if (announcer.From != from && (best is null || announcer.Hops < best.Value.Hops))
            {
                best = announcer;
            }
        }
        if (_gossip.OptimizationThreshold <= 0 || best is not { } shorter || hops - shorter.Hops < _gossip.OptimizationThreshold
            || !_links.TryGetValue(shorter.Peer, out var link) || _table.Entries.GetValueOrDefault(shorter.Peer)?.Connection is not { } connection)
        {
            return;
        }
        if (link.Lazy)
        {
            link.Lazy = false;
            _out.Send(connection, new Graft([]));
        }
        sender.Lazy = true;
        _out.Send(arrivedOn, Prune.Instance);
    }

    /// <summary>Still missing after a wait: ask the next announcer that is still a neighbour, and wait again.</summary>
    private void GraftNext(MessageId id, Missing missing, DateTimeOffset now)
    {
        if (_messages.Contains(id))
        {
            _missing.Remove(id);
            return;
        }
        while (missing.Announcers.TryDequeue(out var announcer))
        {
            if (_links.TryGetValue(announcer.From, out var link) && _table.Entries.GetValueOrDefault(announcer.From)?.Connection is { } connection)
            {
                if (_spanningTree is null)
                {
                    link.Lazy = false; // tree: the grafted link joins the tree; spanning: a pull, the link stays as it was
                }
                _out.Send(connection, new Graft([id]));
                _grafted[id] = announcer.From;
                missing.Due = now + RetryWait(missing.Grafts++);
                _graftTimers.Enqueue(id, missing.Due);
                return;
            }
        }
        _missing.Remove(id); // nobody left to ask: catch-up on the next new link is the last resort
        _grafted.Remove(id);
    }

    /// <summary>
    /// How long to wait for a payload heard of by announcement: <c>Gossip:GraftTimeout</c>, plus up to half of it more at
    /// random. When a peer crashes, every peer of the subtree below it hears of the next message at about the same moment;
    /// with one fixed wait they would all graft at once, each grafted copy would make the tree's copies duplicates, and
    /// the pruning would cut the tree apart again (1,000 peers, 30 % crash: every later message needed grafts). Spread out,
    /// the first graft repairs the subtree and the payload reaches the others before their own timers run out.
    /// </summary>
    /// <remarks>
    /// The wait is stretched by <see cref="GraftBackoff"/> while grafts turn out premature, as TCP backs off its
    /// retransmission timer: under overload the tree's copies queue for longer than the wait, every peer below asks for
    /// them again, the answers add load and the queues grow further (1,000 tcp peers, classic workload: 8.7 million
    /// grafts for 10 million deliveries).
    /// </remarks>
    private TimeSpan GraftWait()
    {
        var wait = _gossip.EffectiveGraftTimeout * _graftBackoff;
        return wait + (wait * (_random.NextDouble() / 2));
    }

    /// <summary>How long to wait for the answer to graft number <paramref name="sent"/> (from 0) of one message before asking the next announcer: <c>Gossip:GraftRetry</c>, doubled per retry, at most 16 times.</summary>
    private TimeSpan RetryWait(int sent) => _gossip.GraftRetry * (1 << Math.Min(sent, 4));

    /// <summary>
    /// A graft turned out premature (the tree's copy came after all): wait longer before the next ones, up to
    /// <see cref="MaxGraftBackoff"/> times <c>Gossip:GraftTimeout</c>. One that was needed (its answer came first) takes a
    /// quarter of the stretch back.
    /// </summary>
    private void NoteGraft(bool needed) =>
        _graftBackoff = needed ? Math.Max(1, _graftBackoff * 0.75) : Math.Min(MaxGraftBackoff, _graftBackoff * 2);

    /// <summary>The graft wait is stretched at most this many times.</summary>
    public const double MaxGraftBackoff = 8;

    /// <summary>How many times <c>Gossip:GraftTimeout</c> this peer waits now before a graft (1 until a graft turns out premature).</summary>
    public double GraftBackoff => _graftBackoff;

    /// <summary>Queues an announcement on a lazy link; the batch goes out as one IHave after <c>Gossip:AnnounceInterval</c>.</summary>
    private void Announce(Link link, ConnectionId connection, Announcement announcement, DateTimeOffset now)
    {
        if (_gossip.EffectiveAnnounceInterval <= TimeSpan.Zero)
        {
            _out.Send(connection, new IHave([announcement]));
            return;
        }
        if (link.Pending is not { Count: > 0 })
        {
            (link.Pending ??= []).Clear();
            link.PendingOn = connection;
            _announcing.Add(link);
        }
        link.Pending.Add(announcement);
        if (link.Pending.Count == ProtocolLimits.MaxAnnouncements)
        {
            _out.Send(connection, new IHave([.. link.Pending]));
            link.Pending.Clear();
        }
        _announceDue ??= now + _gossip.EffectiveAnnounceInterval;
    }

    private void FlushAnnouncements()
    {
        foreach (var link in _announcing)
        {
            if (!link.Gone && link.Pending is { Count: > 0 } pending)
            {
                _out.Send(link.PendingOn, new IHave([.. pending]));
            }
            link.Pending?.Clear();
        }
        _announcing.Clear();
        _announceDue = null;
    }

    /// <summary>A message heard of by announcement only: who announced it (with the hops a copy would have), and when to ask next.</summary>
    private sealed class Missing
    {
        public Queue<(NodeEndpoint From, ushort Hops)> Announcers { get; } = new();

        public DateTimeOffset Due;

        /// <summary>Grafts sent for the message so far: each retry waits twice as long as the one before.</summary>
        public int Grafts;
    }
}
