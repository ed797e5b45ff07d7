namespace P2PSim.Configuration;

/// <summary>Section <c>Peer</c>: the behaviour of every peer.</summary>
public sealed class PeerOptions
{
    public const string Section = "Peer";

    /// <summary>Most neighbours a peer dials itself (peers that dial it are accepted on top).</summary>
    public int MaxNeighbours { get; set; } = 4;

    /// <summary>Time between two gossip messages a peer originates.</summary>
    public TimeSpan GossipInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many gossip messages each peer originates in total.</summary>
    public int MessagesPerPeer { get; set; } = 10;

    /// <summary>Time between two liveness requests to each neighbour.</summary>
    public TimeSpan LivenessInterval { get; set; } = TimeSpan.FromSeconds(13);

    /// <summary>Consecutive unanswered liveness requests (or rounds without a connection) that make a neighbour dead.</summary>
    public int MaxMissedLiveness { get; set; } = 3;

    /// <summary>Most entries in the Message List; beyond it the oldest entry is evicted.</summary>
    public int MessageListCapacity { get; set; } = 100_000;

    /// <summary>How long a Message List entry is kept. Must exceed the time a message needs to cross the network.</summary>
    public TimeSpan MessageListTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a peer waits for a seed's peer list before trying another seed.</summary>
    public TimeSpan RegistrationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause before retrying seeds that could not be reached.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Self-healing: when a neighbour dies, leaves or is dropped and fewer than this many neighbours
    /// (connected or being reconnected) remain, the peer asks its seeds for fresh peer lists and dials
    /// new peers, every liveness round until it has this many again. 0 turns repair off. A value above
    /// <see cref="MaxNeighbours"/> acts as MaxNeighbours (a peer never dials more than that itself).
    /// </summary>
    public int MinNeighbours { get; set; } = 2;

    /// <summary>
    /// Time between two registrations with each registered seed, so a seed that restarted (and lost its
    /// peer list) learns the peer again; the answers refresh the known peers. Zero: register once only.
    /// </summary>
    public TimeSpan ReregisterInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Catch-up: how long a peer keeps the texts of the messages it saw, to hand them to a neighbour that
    /// missed them (Digest / Want on every new or re-established link), at most the newest 1024. Capped at
    /// <see cref="MessageListTtl"/>. Zero turns catch-up off.
    /// </summary>
    public TimeSpan HistoryWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Catch-up and grafts: most bytes the kept messages take on the wire (each counted as its Gossip frame), the oldest
    /// that no neighbour may still graft dropped first (<c>Gossip/MessageHistory.cs</c>); a message larger than this alone
    /// is not kept. It is what a peer's memory grows with when messages are many (a peer on sockets keeps the frames,
    /// about their wire size of heap): at the default, about 150 messages of the demo's size. Zero: bounded by count only
    /// (1024).
    /// </summary>
    public long HistoryBytes { get; set; } = DefaultHistoryBytes;

    /// <summary>The default <see cref="HistoryBytes"/>: 64 KiB.</summary>
    public const long DefaultHistoryBytes = 64 * 1024;

    /// <summary>Least <see cref="HistoryBytes"/> but zero: 1 KiB (a few messages).</summary>
    public const long MinHistoryBytes = 1024;

    /// <summary>Most <see cref="HistoryBytes"/>: 1 GiB.</summary>
    public const long MaxHistoryBytes = 1024L * 1024 * 1024;

    /// <summary>
    /// Neighbour scoring against Sybils (gossipsub v1.1's "first message deliveries" idea): at the end of each window
    /// (judged on the next liveness round) a neighbour this peer dialed, linked the whole window, that delivered nothing
    /// (no first copy, no later copy, no announcement) is replaced while the other neighbours delivered at least
    /// <see cref="ScoreMinFirstDeliveries"/> new messages in the window, or while this peer published in the window and
    /// had no new message from anyone in it (it looks eclipsed). Real networks only: the simulator does not score. Zero: off.
    /// </summary>
    public TimeSpan ScoreWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>New messages the other neighbours must have delivered in a window before a silent neighbour is replaced.</summary>
    public int ScoreMinFirstDeliveries { get; set; } = 5;

    /// <summary>How long a replaced neighbour is not drawn again (it stays in the seeds' lists).</summary>
    public TimeSpan PoorNeighbourFor { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Most neighbours a peer has at one IP address, so many ids registered from one address cannot take more of its
    /// neighbour slots. Applies only where every node has an address of its own (<c>Network:AddressPerNode</c>). 0: no cap.
    /// </summary>
    public int MaxNeighboursPerAddress { get; set; } = 1;

    /// <summary>
    /// Most neighbours a peer draws from one /24 (a.b.c.*) while peers of other /24s are there to draw, so ids registered
    /// from one subnet cannot fill its neighbour set (it still links within one /24 when that is all it knows).
    /// Applies only with <c>Network:AddressPerNode</c>. 0: no preference.
    /// </summary>
    public int MaxNeighboursPerSubnet { get; set; } = 2;

    /// <summary>
    /// Neighbours a peer keeps from the seeds' tenured shares (the first 4 entries of each peer list: peers the seed has
    /// listed longest, <c>Seed:TenureAfter</c>): it draws them first when it joins and repairs, and scoring never replaces
    /// the last of them for a peer that is not tenured. More than <see cref="MaxNeighbours"/> acts as MaxNeighbours. Real
    /// networks only. 0: off.
    /// </summary>
    public int TenuredNeighbours { get; set; } = 1;

    /// <summary>An independent copy (experiments adjust a copy per run).</summary>
    public PeerOptions Clone() => (PeerOptions)MemberwiseClone();
}
