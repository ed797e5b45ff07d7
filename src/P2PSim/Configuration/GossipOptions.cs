using System.ComponentModel;

namespace P2PSim.Configuration;

/// <summary>How a message spreads through the overlay (setting <c>Gossip:Routing</c>: <c>flood</c> or <c>tree</c>, any case).</summary>
[TypeConverter(typeof(EnumSettingConverter<Routing>))]
public enum Routing
{
    /// <summary>Every message over every link but the one it came in on (the seed's behaviour): about one copy per link.</summary>
    Flood,

    /// <summary>
    /// Epidemic broadcast trees (Plumtree; Leitão, Pereira, Rodrigues, SRDS 2007): payloads over the links of a spanning
    /// tree, announcements of ids over the others; about one copy per peer.
    /// </summary>
    Tree,

    /// <summary>
    /// One spanning tree that every peer computes the same way whoever publishes (the smallest endpoint is the root, each
    /// peer's parent is its neighbour nearest to it, as Ethernet switches' spanning tree), with the broadcast tree's
    /// announcements and grafts to carry messages past a failure until the tree is computed again.
    /// </summary>
    Spanning,
}

/// <summary>
/// Section <c>Gossip</c>: the routing, and the timings of broadcast trees. The defaults are iroh-gossip's
/// (<c>proto/plumtree.rs</c>), which are the paper's, scaled for a LAN.
/// </summary>
public sealed class GossipOptions
{
    public const string Section = "Gossip";

    /// <summary><c>flood</c>, <c>tree</c> or <c>spanning</c>.</summary>
    public Routing Routing { get; set; } = Routing.Flood;

    /// <summary>
    /// tree and spanning: announcements (ids a peer did not push on a link) are collected this long per link and sent as
    /// one IHave frame. Unset: 50 ms with <c>tree</c>, 500 ms with <c>spanning</c>. The paper sends each at once;
    /// batching trades repair time for far fewer frames.
    /// </summary>
    /// <remarks>
    /// Simulated classic workload, 1,000 peers, 10,000 messages (200 a second), tree: with 5 ms, 3,344 announcement
    /// frames per message (3.3 per peer, on top of one payload per peer); with 50 ms, 465, and reach-all unchanged (p99
    /// 8 ms). A spanning tree needs announcements only to carry messages past a failure while it is computed again, and
    /// on tcp every frame costs the same CPU whatever its size: 1,000 peers, burst, spanning: with 50 ms, 490,000
    /// frames and reach-all p50 182 ms; with 500 ms, 246,000 and p50 20 ms (flood: 714,000 and 220 ms).
    /// A repair after a failure waits this much longer.
    /// </remarks>
    public TimeSpan? AnnounceInterval { get; set; }

    /// <summary>The announcement batching in effect: <see cref="AnnounceInterval"/>, or the routing's default.</summary>
    public TimeSpan EffectiveAnnounceInterval => AnnounceInterval ?? (Routing == Routing.Spanning ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromMilliseconds(50));

    /// <summary>
    /// tree and spanning: how long a peer that heard of a message only by announcement waits for the payload before it
    /// asks the announcer for it (Graft), making that link part of the tree. The paper's first timer. Unset: 200 ms with
    /// <c>tree</c>, 3 s with <c>spanning</c>.
    /// </summary>
    /// <remarks>
    /// iroh-gossip waits 80 ms. Here 200 ms: the wait must exceed how much longer the tree's path to a peer can be than
    /// an announcer's, or a peer grafts a message that was on its way, the tree link then delivers a duplicate and is
    /// pruned, and the tree keeps changing. With 50 ms links and a random publisher per message (iroh's simulator gate)
    /// 80 ms gave an RMR of 1.08, 200 ms 0.22; on 1 ms links both give 0.06. A spanning tree grafts only what was in
    /// flight at a failure (the tree itself is computed again), so it can wait longer, and on a loaded network it must:
    /// tcp, 500 peers, classic workload, spanning: with 200 ms the payloads the tree was still carrying were grafted, the
    /// answers overloaded the network, 1.9 million grafts and 84 % delivered; with 3 s no graft, 100 %.
    /// </remarks>
    public TimeSpan? GraftTimeout { get; set; }

    /// <summary>The graft wait in effect: <see cref="GraftTimeout"/>, or the routing's default.</summary>
    public TimeSpan EffectiveGraftTimeout => GraftTimeout ?? (Routing == Routing.Spanning ? TimeSpan.FromSeconds(3) : TimeSpan.FromMilliseconds(200));

    /// <summary>
    /// spanning: a peer whose place in the spanning tree changed tells its neighbours at once, then waits this long before
    /// it tells them of the next change (the latest one). Bounds the adverts while paths through a failed link count
    /// up after a crash; the tree settles within about 32 of these.
    /// </summary>
    public TimeSpan TreeAdvertInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>tree: after a Graft, how long before the next announcer is asked. The paper's second timer.</summary>
    public TimeSpan GraftRetry { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// tree: a payload that arrives this many hops or more after an announcement of the same message swaps the two
    /// links (the announcer's joins the tree, the sender's leaves it): the tree gets shorter where it can. 0, the
    /// default: never (the paper and iroh-gossip use 7).
    /// </summary>
    /// <remarks>
    /// Off by default because one tree here carries every peer's messages, and a swap judged on one message can cut the
    /// tree for others while grafts are under way: after a 30 % crash among 300 peers, with 7 the tree ended in seven
    /// pieces, 1,129 grafts were needed for 60 messages and half the messages took a graft wait to reach everyone;
    /// without it, one piece, 275 grafts, reach-all p50 8 ms. With a single publisher the first message's tree is
    /// already a shortest-path tree, so there is little to gain.
    /// </remarks>
    public int OptimizationThreshold { get; set; }

    /// <summary>
    /// New messages a second a peer takes from one origin, sustained (after <see cref="OriginBurst"/> at once); the rest
    /// are dropped unrecorded, and a neighbour whose own messages keep being dropped is disconnected. 0: no limit.
    /// </summary>
    /// <remarks>
    /// Against a neighbour that floods valid messages: its excess is dropped by the first peers it reaches and never
    /// spreads (<see cref="Gossip.OriginRateLimit"/>). An honest peer publishes a message every few seconds in the demo.
    /// </remarks>
    public int OriginRate { get; set; } = 100;

    /// <summary>New messages a peer takes from one origin at once, before <see cref="OriginRate"/> applies.</summary>
    /// <remarks>
    /// 1,000: the test suite's honest load publishes 500 messages per peer at once (LoadTests, PingEchoTests), so 100, which
    /// measured better against a flooding neighbour, would throttle honest work. What a flood within it costs others is
    /// kept small by the process queue budget's fairness among origins (<c>Transport/QueueBudget.Origins.cs</c>).
    /// </remarks>
    public int OriginBurst { get; set; } = 1000;

    public GossipOptions Clone() => (GossipOptions)MemberwiseClone();
}
