using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Overlay;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Gossip;

/// <summary>
/// How messages spread, one part of <see cref="PeerMachine"/> (the broadcast half of iroh-gossip's <c>plumtree.rs</c>):
/// a first receipt is recorded in the Message List, logged and forwarded; a duplicate is dropped and counted. With
/// <see cref="Routing.Flood"/> a message goes to every neighbour but the one it came from; with <see cref="Routing.Tree"/>
/// only over the links of a broadcast tree, and its id is announced over the others (<c>Dissemination.Tree.cs</c>).
/// Catch-up over every new link (<c>Dissemination.CatchUp.cs</c>) closes gaps after a partition or a late join. It follows the
/// <see cref="NeighbourTable"/>'s links through <see cref="OnNeighbourUp"/> and <see cref="OnNeighbourRemoved"/> and never
/// changes them. Pure: actions go to the node's <see cref="Outbox"/>.
/// </summary>
internal sealed partial class Dissemination
{
    private readonly NodeEndpoint _self;
    private readonly PeerOptions _options;
    private readonly Outbox _out;
    private readonly NeighbourTable _table;
    private readonly bool _reportDuplicates;
    private readonly MessageList _messages;
    private readonly MessageHistory _history;
    private readonly Dictionary<NodeEndpoint, Link> _links = new();
    private readonly bool _catchUp;
    private ConnectionId[] _targetConnections = [];
    private Link?[] _targetLinks = [];
    private bool _targetsStale = true;
    private ulong _freeBits = ulong.MaxValue; // tree: the bits not given to a link (MessageHistory.Links)
    private readonly long _ttlMs;
    private readonly string? _group;
    private readonly GossipKind _kind;
    private static readonly long MaxSkewMs = (long)ProtocolLimits.MaxClockSkew.TotalMilliseconds;

    /// <param name="reportDuplicates">
    /// False: a dropped duplicate is only counted (<see cref="Duplicates"/>), not reported as a <see cref="DuplicateDropped"/>
    /// event. Duplicates are most of all traffic in a flood; a simulation of 100,000 peers that reads the count from the
    /// machines saves an event per copy. The TCP shell logs them (at Debug) and keeps the default.
    /// </param>
    /// <param name="gossip">The routing and its timings; null: flooding.</param>
    /// <param name="random">Tree routing: spreads the graft timers (the node's seeded generator); null: a fixed seed.</param>
    /// <param name="group">
    /// The group whose overlay this part serves: it makes and takes only that group's envelopes (kind 2); null: the whole
    /// network's overlay (kind 1).
    /// </param>
    /// <param name="signing">How this peer signs its messages and checks others' (its id is their origin id); null: no cryptography, origin id 0 (unit tests).</param>
    /// <param name="keepFrames">
    /// Keep the history's messages as frames (<see cref="MessageHistory"/>): a peer on real sockets decoded its own copy of
    /// each, and the frame takes half the heap. False (the simulator, unit tests): keep the objects, which copies share.
    /// </param>
    public Dissemination(NodeEndpoint self, PeerOptions options, Outbox outbox, NeighbourTable table, bool reportDuplicates, GossipOptions? gossip = null, Random? random = null, string? group = null,
        MessageSigning? signing = null, bool keepFrames = false)
    {
        _signing = signing ?? MessageSigning.Skip();
        _group = group;
        _kind = group is null ? GossipKind.Gossip : GossipKind.Group;
        _random = random ?? new Random(1);
        _gossip = gossip ?? new GossipOptions();
        _tree = _gossip.Routing != Routing.Flood;
        _spanningTree = _gossip.Routing == Routing.Spanning ? new SpanningTree(self, outbox, _gossip.TreeAdvertInterval) : null;
        _self = self;
        _options = options;
        _out = outbox;
        _table = table;
        _reportDuplicates = reportDuplicates;
        _originLimit = OriginLimitOf(_gossip);
        _messages = new MessageList(options.MessageListCapacity, options.MessageListTtl);
        _ttlMs = (long)options.MessageListTtl.TotalMilliseconds;
        // Never offer or keep a message longer than the Message List remembers having seen it. A tree keeps messages a
        // while even without catch-up, to answer grafts.
        _catchUp = options.HistoryWindow > TimeSpan.Zero;
        var keep = _tree && options.HistoryWindow < TreeRetention ? TreeRetention : options.HistoryWindow;
        _history = new MessageHistory(ProtocolLimits.MaxDigestIds, keep < options.MessageListTtl ? keep : options.MessageListTtl, options.HistoryBytes, keepFrames);
    }

    public int Originated { get; private set; }

    public long Received { get; private set; }

    public long Duplicates { get; private set; }

    /// <summary>Messages dropped unseen: too old to tell from a replay, or from the future.</summary>
    public long Refused { get; private set; }

    public MessageList Messages => _messages;

    /// <summary>The recent messages with their texts, kept for neighbours that missed them.</summary>
    public MessageHistory History => _history;

    /// <summary>
    /// Housekeeping on the node's timer: forget ids older than the Message List's time to live, messages older than the
    /// history window (else a quiet peer would hold its last messages until the next one came), and the origins whose
    /// allowance is whole again.
    /// </summary>
    public void Expire(DateTimeOffset now)
    {
        _messages.Expire(now);
        _history.Expire(now);
        _originLimit?.Trim(now);
    }

    /// <summary>A link came up: what the neighbour offered on an earlier link no longer counts; offer it the recent messages.</summary>
    public void OnNeighbourUp(NodeEndpoint neighbour, ConnectionId connection, DateTimeOffset now)
    {
        if (_links.TryGetValue(neighbour, out var link))
        {
            link.Reset(lazy: _spanningTree is not null); // the object stays: the broadcast targets may hold it
        }
        else
        {
            _links[neighbour] = new Link { Lazy = _spanningTree is not null, Bit = TakeBit() };
        }
        ForgetRequestsTo(neighbour);
        SendDigest(connection, now);
        if (_spanningTree?.OnLinkUp(neighbour, connection) == true)
        {
            RefreshTreeLinks();
        }
        _spanningTree?.Flush(now);
    }

    public void OnNeighbourRemoved(NodeEndpoint neighbour, DateTimeOffset now)
    {
        if (_links.Remove(neighbour, out var link))
        {
            link.Gone = true; // announcements queued for it are dropped at the next flush
            _history.ForgetHolders(link.Bit);
            _freeBits |= link.Bit;
        }
        OnLinkLost(neighbour, now);
    }

    /// <summary>
    /// The link to a neighbour broke (it may be dialled again): a spanning tree no longer counts it, and what catch-up
    /// asked of it is asked of another neighbour that offered it.
    /// </summary>
    public void OnLinkLost(NodeEndpoint neighbour, DateTimeOffset now)
    {
        if (_spanningTree?.OnLinkDown(neighbour) == true)
        {
            RefreshTreeLinks();
        }
        _spanningTree?.Flush(now);
        ForgetOffersAndRequestsOf(neighbour, now);
    }

    /// <summary>The peer leaves: nothing is asked of anyone any more (its links are about to go one by one).</summary>
    public void Stop() => _requested.Clear();

    /// <summary>The table's links changed: the broadcast targets are rebuilt before the next broadcast.</summary>
    public void OnLinksChanged() => _targetsStale = true;

    /// <summary>The group this part serves; null: the whole network.</summary>
    public string? Group => _group;

    /// <summary>
    /// Originates one message now and sends it to every neighbour: a broadcast, or on a group's overlay a message to the
    /// group (kind 2). Its payload is <paramref name="text"/>, or (null) the demo's <c>&lt;timestamp&gt;:&lt;ip&gt;:&lt;port&gt;:&lt;msg#&gt;</c>.
    /// </summary>
    public MessageId Originate(DateTimeOffset now, string? text = null)
    {
        var sequence = Originated + 1;
        text ??= GossipText.Create(now, _self, sequence);
        var payload = PayloadOf((ulong)sequence, text, now); // sealed under the group's key, where the group encrypts
        Originated = sequence;
        var gossip = new GossipMessage(_kind, _self, (ulong)Originated, now.ToUnixTimeMilliseconds(), Hops: 1, payload)
        {
            OriginId = _signing.Id, Attestations = Origins?.Current(now) ?? [], Group = _group,
        };
        var id = gossip.Id; // hashed once here; every copy made from this object carries it
        gossip = gossip with { Signature = _signing.Sign(id) }; // signed once, here: the signature travels with every copy
        _messages.TryAdd(id, now, null);
        _history.Add(gossip, now, holders: 0); // the links it is pushed to are marked as it goes
        // Reported before the copies go out: a driver that carries out actions in order (the TCP shell) then never lets a
        // neighbour's receipt of the message be observed before its origination.
        _out.Report(new GossipOriginated(now, text, id, PushTargets()));
        Broadcast(gossip, except: null, checkOffers: false, now);
        return id;
    }

    /// <summary>
    /// Why a message from neighbour <paramref name="from"/> breaks the protocol on this part's links (the link is then
    /// dropped), or null: an overlay link carries broadcasts (kind 1) only (<see cref="Violation"/>), a group's link that
    /// group's messages (kind 2) only; and a copy with hops 1 comes straight from its origin: its origin is the sender's
    /// endpoint, its origin id the id the sender proved on this link.
    /// </summary>
    public string? LinkViolation(NodeEndpoint from, GossipMessage gossip, DateTimeOffset now)
    {
        if (_group is null)
        {
            return Violation(from, gossip) ?? OriginIdViolation(from, gossip, now);
        }
        if (gossip.Kind != GossipKind.Group)
        {
            return $"a {Describe(gossip)} on a link of group \"{_group}\"";
        }
        if (!string.Equals(gossip.Group, _group, StringComparison.Ordinal))
        {
            return $"a message for group \"{gossip.Group}\" on a link of group \"{_group}\"";
        }
        return OriginViolation(from, gossip) ?? OriginIdViolation(from, gossip, now);
    }

    private static string Describe(GossipMessage gossip) => gossip.Kind switch
    {
        GossipKind.Direct => $"private message for {gossip.Recipient} (kind 3)",
        _ => "broadcast (kind 1)",
    };

    /// <summary>
    /// Why a message from neighbour <paramref name="from"/> breaks the protocol (its link is then dropped), or null: an
    /// overlay link carries broadcasts only (a group's or a private message never travels on it), and a copy with hops 1
    /// comes straight from its origin, so its origin must be the sender.
    /// </summary>
    public static string? Violation(NodeEndpoint from, GossipMessage gossip) =>
        gossip.Kind != GossipKind.Gossip
            ? $"a {gossip.Kind} envelope (kind {(byte)gossip.Kind}) on an overlay link, which carries broadcasts only"
            : OriginViolation(from, gossip);

    /// <summary>A copy with hops 1 comes straight from its origin: its origin must be the sender.</summary>
    private static string? OriginViolation(NodeEndpoint from, GossipMessage gossip) =>
        gossip.Hops == 1 && gossip.Origin != from
            ? $"a Gossip with hops 1 names {gossip.Origin} as its origin but comes from {from}"
            : null;

    /// <summary>
    /// Why a message is dropped unseen, or null. Older than <c>Peer:MessageListTtl</c>: this peer may have seen it and
    /// forgotten it, so it cannot tell a replay from a first receipt (a message this young that it saw is still in the
    /// Message List: it was received after it was created). Further ahead than <see cref="ProtocolLimits.MaxClockSkew"/>:
    /// a wrong clock or a forgery, which would otherwise stay in the Message List past its time.
    /// </summary>
    private string? Refusal(GossipMessage gossip, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        if (gossip.TimestampUnixMs <= nowMs - _ttlMs)
        {
            return $"created {(nowMs - gossip.TimestampUnixMs) / 1000.0:0.###} s ago, longer than Peer:MessageListTtl ({_options.MessageListTtl}) remembers: it may be a replay";
        }
        if (gossip.TimestampUnixMs > nowMs + MaxSkewMs)
        {
            return $"created {(gossip.TimestampUnixMs - nowMs) / 1000.0:0.###} s in the future (more than {ProtocolLimits.MaxClockSkew.TotalSeconds:0} s ahead of this peer's clock)";
        }
        return null;
    }

    /// <summary>
    /// Takes a message from neighbour <paramref name="from"/>; returns why the link must close (a flooder: see
    /// <see cref="Admit"/>), or null.
    /// </summary>
    public string? OnGossip(ConnectionId arrivedOn, NodeEndpoint from, GossipMessage gossip, DateTimeOffset now)
    {
        var id = gossip.Id;
        if (Refusal(gossip, now) is { } reason)
        {
            Refused++;
            _out.Report(new GossipRefused(now, id, gossip.Origin, from, reason));
            return null;
        }
        // One lookup for a duplicate (most of all traffic on a flood), before any signature work: a replay costs a lookup.
        // A new message's signature is checked next (once: a forgery is never recorded, a message that verified is), and
        // only then is it judged by its origin's allowance, so a forgery cannot use up an honest origin's allowance.
        var known = _messages.Contains(id);
        var unverified = false;
        if (!known && !Authentic(from, gossip, now, out var forged, out unverified))
        {
            return forged; // dropped unrecorded; the link closes when the sender must have known better (null: it stays)
        }
        if (!known && _originLimit is not null && !Admit(from, gossip, now, out var flooding))
        {
            return flooding;
        }
        var text = gossip.Text;
        GroupKeyId? heldFor = null;
        if (!known && Keyring is not null && !Readable(from, gossip, now, out text, out heldFor))
        {
            return null; // sealed wrong by its origin: dropped unrecorded, the link stays
        }
        if (known || !_messages.TryAdd(id, now, from, DateTimeOffset.FromUnixTimeMilliseconds(gossip.TimestampUnixMs)))
        {
            Duplicates++;
            if (_reportDuplicates)
            {
                _out.Report(new DuplicateDropped(now, id, from));
            }
            if (_tree)
            {
                _history.MarkHeld(id, BitOf(from));
                PruneOnDuplicate(arrivedOn, from, id);
            }
            return null;
        }
        Received++;
        var hops = gossip.Hops;
        var catchUp = _requested.Remove(id, out var request) && request.AskedOf == from;
        var announced = 0UL;
        var grafted = _tree && OnTreePayload(arrivedOn, from, id, hops, out announced);
        _history.Add(gossip, now, holders: BitOf(from) | announced);
        var forwarded = Broadcast(gossip with { Hops = NextHop(hops) }, except: arrivedOn, checkOffers: true, now);
        var received = new GossipReceived(now, text ?? gossip.Text, id, gossip.Origin, from, hops, forwarded, catchUp, grafted) { OriginUnverified = unverified };
        if (heldFor is { } keyId)
        {
            Keyring!.Hold(gossip, keyId, received, now); // read (reported) when its key comes
        }
        else
        {
            _out.Report(received);
        }
        return null;
    }

    /// <summary>A free bit for a new link (the lowest), or 0 when 64 links have one.</summary>
    private ulong TakeBit()
    {
        var bit = _freeBits & (~_freeBits + 1);
        _freeBits &= ~bit;
        return bit;
    }

    /// <summary>The history bit of the link to <paramref name="neighbour"/>; 0 for none.</summary>
    private ulong BitOf(NodeEndpoint neighbour) => _links.TryGetValue(neighbour, out var link) ? link.Bit : 0;

    private static ushort NextHop(ushort hops) => hops == ushort.MaxValue ? hops : (ushort)(hops + 1);

    /// <summary>
    /// Sends to every connected neighbour but <paramref name="except"/>, and (for a received message) but the
    /// neighbours whose fresh digest says they already hold it; on a tree, only to the tree links, and announces the
    /// message on the others. Returns the payload copies sent.
    /// </summary>
    /// <remarks>
    /// The neighbour a message came from is skipped by its connection: a frame's connection maps to exactly one neighbour,
    /// whose current connection it is (the table keeps both in step), and comparing ids touches no address. The connected
    /// neighbours' links are kept in two arrays, rebuilt (in the table's order) only after the table changed: a broadcast
    /// reads no neighbour object unless some neighbour's digest may still say it holds the message. On a tree, the links
    /// that hold the message after it (its sender, those its digest names, those it is pushed to) are marked in the
    /// history: the others may graft it (<see cref="MessageHistory"/>, pinned).
    /// </remarks>
    private int Broadcast(GossipMessage message, ConnectionId? except, bool checkOffers, DateTimeOffset now)
    {
        var targets = Targets();
        var id = message.Id;
        checkOffers = checkOffers && now < _offersUntil;
        var count = 0;
        var holders = 0UL;
        for (var i = 0; i < targets.Length; i++)
        {
            var connection = targets[i];
            var link = _targetLinks[i];
            if (connection == except || (checkOffers && link is not null && link.Holds(id, now)))
            {
                holders |= link?.Bit ?? 0;
                continue;
            }
            if (_tree && link is { Lazy: true, InTree: false })
            {
                Announce(link, connection, new Announcement(id, message.Hops), now);
                continue;
            }
            _out.Send(connection, message);
            holders |= link?.Bit ?? 0;
            count++;
        }
        if (_tree)
        {
            _history.MarkHeld(id, holders);
        }
        return count;
    }

    /// <summary>How many neighbours a new message is pushed to (all on a flood; the tree links on a tree).</summary>
    private int PushTargets()
    {
        var targets = Targets();
        if (!_tree)
        {
            return targets.Length;
        }
        var count = 0;
        foreach (var link in _targetLinks)
        {
            count += link is { Lazy: true, InTree: false } ? 0 : 1;
        }
        return count;
    }

    /// <summary>The links of the connected neighbours, in the table's order (see <see cref="Broadcast"/>).</summary>
    private ConnectionId[] Targets()
    {
        if (_targetsStale)
        {
            var connections = new List<ConnectionId>(_table.Entries.Count);
            var links = new List<Link?>(_table.Entries.Count);
            foreach (var (endpoint, neighbour) in _table.Entries)
            {
                if (neighbour.Connection is { } connection)
                {
                    connections.Add(connection);
                    links.Add(_links.GetValueOrDefault(endpoint));
                }
            }
            _targetConnections = [.. connections];
            _targetLinks = [.. links];
            _targetsStale = false;
            var bits = 0UL;
            for (var i = 0; _tree && i < _targetLinks.Length; i++) // a flood pushes every message to every link: nothing to pin
            {
                bits |= _targetLinks[i]?.Bit ?? 0;
            }
            _history.Links = bits;
        }
        return _targetConnections;
    }

    /// <summary>
    /// What this part keeps per neighbour link: the ids of its latest digest on the link (trusted until
    /// <see cref="OfferedUntil"/>), and on a tree whether the link is lazy (announcements only) and the announcements
    /// waiting for the next IHave on it.
    /// </summary>
    private sealed class Link
    {
        public HashSet<MessageId>? Offered;
        public DateTimeOffset OfferedUntil;

        /// <summary>Tree: not a tree link: ids are announced on it, payloads are not pushed (unless <see cref="InTree"/>).</summary>
        public bool Lazy;

        /// <summary>Spanning: a link of the computed spanning tree: payloads are pushed on it whatever <see cref="Lazy"/> says.</summary>
        public bool InTree;

        /// <summary>Tree: announcements waiting for the next IHave frame on this link, and the link they go on.</summary>
        public List<Announcement>? Pending;
        public ConnectionId PendingOn;

        /// <summary>The neighbour is gone: what is still pending for it is dropped.</summary>
        public bool Gone;

        /// <summary>Its own messages dropped by the origin limit (<see cref="Admit"/>).</summary>
        public int FloodStrikes;

        /// <summary>Tree: the link's bit in the history's holders (<see cref="MessageHistory.Links"/>); 0 beyond 64 links.</summary>
        public ulong Bit;

        public bool Holds(MessageId id, DateTimeOffset now) => Offered is { } offered && now < OfferedUntil && offered.Contains(id);

        public void ForgetOffered() => Offered = null;

        /// <summary>A new link to the same neighbour: nothing it offered counts, it starts eager (or lazy), nothing is pending.</summary>
        public void Reset(bool lazy)
        {
            Offered = null;
            Lazy = lazy;
            InTree = false;
            Pending?.Clear();
            Gone = false;
        }
    }
}
