using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Liveness;
using P2PSim.Nodes;
using P2PSim.Overlay;
using P2PSim.Protocol;
using P2PSim.Tests.Nodes;

namespace P2PSim.Tests.TestSupport;

/// <summary>
/// What a part of a node needs from a test: the node's <see cref="Outbox"/>, a scripted clock and fresh connection ids.
/// <see cref="Take"/> returns (and forgets) the actions the part produced since the last call.
/// </summary>
internal sealed class PartBench
{
    private long _nextConnection = 100;

    public Outbox Outbox { get; } = new();

    /// <summary>The scripted clock; starts at <see cref="NodeTestKit.T0"/>.</summary>
    public DateTimeOffset Now { get; set; } = NodeTestKit.T0;

    /// <summary>The latest connection to each remote endpoint.</summary>
    public Dictionary<NodeEndpoint, ConnectionId> Connections { get; } = new();

    public NodeAction[] Take() => Outbox.Drain();

    /// <summary>Moves the clock on by <paramref name="span"/> and returns the new time.</summary>
    public DateTimeOffset Advance(TimeSpan span) => Now += span;

    /// <summary>A fresh connection to <paramref name="remote"/> whose handshake is complete (dialed by the part unless <paramref name="inbound"/>).</summary>
    public ConnectionInfo Link(NodeEndpoint remote, NodeRole role, bool inbound = false)
    {
        var id = new ConnectionId(++_nextConnection);
        Connections[remote] = id;
        return new ConnectionInfo(id, remote, role, inbound, remote.ToString());
    }
}

/// <summary>
/// A <see cref="NeighbourTable"/> for <see cref="Self"/> (PeerAt(1) unless told) whose known peers are one seed's list, wired as
/// <see cref="PeerMachine"/> wires it: its events go to <see cref="Events"/> and, once <see cref="Liveness"/> or
/// <see cref="Dissemination"/> is set, to that part; a request for peer lists is noted and answered "asked seed 1".
/// </summary>
internal sealed class TableBench
{
    public static readonly NodeEndpoint Seed = NodeTestKit.SeedAt(1);

    public TableBench(PeerOptions options, params NodeEndpoint[] known)
        : this(NodeTestKit.PeerAt(1), options, known)
    {
    }

    public TableBench(NodeEndpoint self, PeerOptions options, params NodeEndpoint[] known)
    {
        Self = self;
        Options = options;
        Known = new Registration([Seed]);
        Known.Learn(Seed, known);
        Table = new NeighbourTable(self, options, new Random(1), Part.Outbox, Known)
        {
            NeighbourUp = (peer, connection, now) =>
            {
                Events.Add(("up", peer));
                Liveness?.OnNeighbourUp(peer);
                Dissemination?.OnNeighbourUp(peer, connection, now);
            },
            LinkLost = (peer, now) =>
            {
                Events.Add(("lost", peer));
                Liveness?.OnLinkLost(peer);
                Dissemination?.OnLinkLost(peer, now);
            },
            NeighbourRemoved = (peer, now) =>
            {
                Events.Add(("removed", peer));
                Liveness?.OnNeighbourRemoved(peer);
                Dissemination?.OnNeighbourRemoved(peer, now);
            },
            NeighbourDied = (peer, _) => Events.Add(("died", peer)),
            LinksChanged = () => Dissemination?.OnLinksChanged(),
            RequestPeerLists = now =>
            {
                PeerListRequests.Add(now);
                return [Seed];
            },
        };
    }

    public NodeEndpoint Self { get; }

    public PartBench Part { get; } = new();

    public PeerOptions Options { get; }

    /// <summary>The known peers the table chooses from (what the seed session keeps); <c>Learn</c> a new list to change them.</summary>
    public Registration Known { get; }

    public NeighbourTable Table { get; }

    /// <summary>The events the table raised, in order: up, lost, removed, died.</summary>
    public List<(string Event, NodeEndpoint Peer)> Events { get; } = [];

    /// <summary>When the table asked the seeds for fresh peer lists.</summary>
    public List<DateTimeOffset> PeerListRequests { get; } = [];

    public LivenessMonitor? Liveness { get; set; }

    /// <summary>Follows the table's links as in <see cref="PeerMachine"/>: up on every link that comes up, removed with the neighbour.</summary>
    public Dissemination? Dissemination { get; set; }

    /// <summary>The seed now lists <paramref name="peers"/> (its new list replaces the old one).</summary>
    public void SeedLists(params NodeEndpoint[] peers) => Known.Learn(Seed, peers);

    /// <summary>A connection with <paramref name="peer"/> completes its handshake (dialed by this peer unless <paramref name="inbound"/>).</summary>
    public ConnectionId Connect(NodeEndpoint peer, bool inbound = false)
    {
        var link = Part.Link(peer, NodeRole.Peer, inbound);
        Table.OnConnected(link, Part.Now);
        return link.Id;
    }

    /// <summary>
    /// The table joins with the known peers (at most MaxNeighbours of them, so it dials them all), every dial connects,
    /// and then the outbox and the events are cleared.
    /// </summary>
    public TableBench Joined()
    {
        Table.Join(Part.Now);
        var dialed = Part.Take().OfType<Dial>().Select(d => d.Target).ToArray();
        Assert.That(dialed, Is.EquivalentTo(Known.Known(exclude: Self)), "the table should dial every known peer");
        foreach (var peer in dialed)
        {
            Connect(peer);
        }
        Part.Take();
        Events.Clear();
        return this;
    }
}

/// <summary>
/// A <see cref="Dissemination"/> for <see cref="TableBench.Self"/> over a <see cref="TableBench"/>'s table, wired as
/// <see cref="PeerMachine"/> wires it, linked to <c>neighbours</c> (dialed by it, in that order). The table has not
/// joined, so a lost link starts no repair. Inputs arrive on the neighbour's current link at the clock's time; each
/// returns (and forgets) the actions produced since the last call. The outbox is empty when it is made.
/// </summary>
internal sealed class DisseminationBench
{
    public DisseminationBench(PeerOptions options, bool reportDuplicates, params NodeEndpoint[] neighbours)
        : this(options, reportDuplicates, gossip: null, neighbours)
    {
    }

    /// <param name="gossip">The routing and its timings (null: flooding).</param>
    public DisseminationBench(PeerOptions options, bool reportDuplicates, GossipOptions? gossip, params NodeEndpoint[] neighbours)
    {
        Table = new TableBench(options);
        Gossip = new Dissemination(Table.Self, options, Part.Outbox, Table.Table, reportDuplicates, gossip);
        Table.Dissemination = Gossip;
        foreach (var neighbour in neighbours)
        {
            Table.Connect(neighbour);
        }
        Part.Take();
    }

    public TableBench Table { get; }

    public Dissemination Gossip { get; }

    public PartBench Part => Table.Part;

    /// <summary>The scripted clock (<see cref="PartBench.Now"/>).</summary>
    public DateTimeOffset Now
    {
        get => Part.Now;
        set => Part.Now = value;
    }

    /// <summary>The latest link to <paramref name="peer"/>.</summary>
    public ConnectionId LinkOf(NodeEndpoint peer) => Part.Connections[peer];

    /// <summary>Originates a message now; its actions stay in the outbox.</summary>
    public MessageId Originate() => Gossip.Originate(Now);

    public NodeAction[] GossipFrom(NodeEndpoint peer, P2PSim.Protocol.Gossip message)
    {
        Gossip.OnGossip(LinkOf(peer), peer, message, Now);
        return Part.Take();
    }

    public NodeAction[] DigestFrom(NodeEndpoint peer, params MessageId[] ids)
    {
        Gossip.OnDigest(LinkOf(peer), peer, new Digest(ids), Now);
        return Part.Take();
    }

    public NodeAction[] WantFrom(NodeEndpoint peer, params MessageId[] ids)
    {
        Gossip.OnWant(LinkOf(peer), peer, new Want(ids), Now);
        return Part.Take();
    }

    /// <summary>The link to <paramref name="peer"/> breaks (the neighbour stays in the table).</summary>
    public void LoseLink(NodeEndpoint peer) => Table.Table.OnClosed(LinkOf(peer), "connection reset", Now);

    /// <summary>The link to <paramref name="peer"/> breaks and a new one comes up; returns the new link (the actions stay in the outbox).</summary>
    public ConnectionId Relink(NodeEndpoint peer)
    {
        LoseLink(peer);
        return Table.Connect(peer);
    }
}

/// <summary>An <see cref="INodeHost"/> that writes down each call as the <see cref="NodeAction"/> it carries out, in order.</summary>
internal sealed class RecordingHost : INodeHost
{
    public List<NodeAction> Calls { get; } = [];

    public void Dial(NodeEndpoint target) => Calls.Add(new Dial(target));

    public void Send(ConnectionId connection, Message message) => Calls.Add(new Send(connection, message));

    public void Close(ConnectionId connection, string reason, bool afterFlush) => Calls.Add(new Close(connection, reason, afterFlush));

    public void WakeAt(DateTimeOffset due) => Calls.Add(new WakeAt(due));

    public void Report(NodeEvent e) => Calls.Add(new Report(e));
}
