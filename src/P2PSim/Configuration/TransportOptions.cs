using P2PSim.Protocol;

namespace P2PSim.Configuration;

/// <summary>Section <c>Transport</c>: limits of every TCP connection (see Transport/TRANSPORT.md).</summary>
public sealed class TransportOptions
{
    public const string Section = "Transport";

    /// <summary>Largest frame body (type byte + payload) accepted; a longer claimed length closes the connection.</summary>
    public int MaxFrameBytes { get; set; } = ProtocolLimits.DefaultMaxFrameLength;

    /// <summary>Time a new connection has to complete its Hello, and a dial has to connect.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A connection that receives nothing for this long is closed. Must exceed Peer:LivenessInterval.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Once a frame has started, all of it must arrive within this time (stops trickling clients);
    /// also the longest one write to a connection may take before the connection counts as stalled.
    /// </summary>
    public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Frames of forwarded gossip (hops &gt; 1, the bulk of the traffic) queued per connection; when full,
    /// a new forwarded gossip frame for that connection is dropped (counted and logged).
    /// </summary>
    public int SendQueueCapacity { get; set; } = 4096;

    /// <summary>
    /// Frames of this node's own new gossip (hops = 1) queued per connection; sent before forwarded gossip.
    /// When full, a new own gossip frame for that connection is dropped (counted and logged).
    /// </summary>
    public int OwnGossipQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// Control frames (everything but gossip: Hello, Ping, Pong, Goodbye, Register, PeerList, DeadNode, ...)
    /// queued per connection; sent before any gossip. Never dropped: a connection whose control queue is
    /// full has stopped reading and is closed.
    /// </summary>
    public int ControlQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// Bytes of decoded frames one connection may hold for its node while the node is busy (each frame counts
    /// at least 64). Within it the read loop keeps reading, so liveness frames are never stuck behind gossip in
    /// the socket; beyond it the read loop waits (back-pressure on the sender), nothing is dropped.
    /// </summary>
    public int ReceiveQueueBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Wire bytes of queued frames the whole process may hold, over every send and receive queue of every node: one
    /// budget shared fairly among the connections (Transport/QueueBudget.cs). Forwarded gossip is dropped first (to
    /// send: from three quarters of it on; received: from seven eighths), own gossip next (from the whole of it),
    /// control never; each queue may always hold 512 bytes.
    /// 0 = 8 KiB per node of the process, at least 8 MiB (TRANSPORT.md has the arithmetic).
    /// </summary>
    public long ProcessQueueBytes { get; set; }

    /// <summary>
    /// Answer a Ping from a peer with its Pong in the transport's read loop, ahead of any traffic waiting
    /// for the node, and do not hand the Ping to the node (so there is exactly one Pong per Ping).
    /// False: the node's state machine answers, after whatever the node still has to process.
    /// </summary>
    public bool EchoPings { get; set; } = true;

    /// <summary>
    /// Kernel send and receive buffer of every connection socket, in bytes; 0 leaves the operating system's
    /// default (on Linux loopback it grows to megabytes). Frames in kernel buffers are beyond the send priorities:
    /// a smaller buffer keeps more of a backlog in the prioritised queues, and makes a slow reader's queue fill sooner.
    /// </summary>
    public int SocketBufferBytes { get; set; }

    /// <summary>Most simultaneous inbound connections one node holds (handshaking or open); further ones are refused.</summary>
    public int MaxInboundConnections { get; set; } = 1024;

    /// <summary>
    /// Most accepted connections one node holds at once from one remote IP address (handshaking or open); further ones
    /// are refused. Applies only where every node has an address of its own (<c>Network:AddressPerNode</c>): with one
    /// address shared by every node of a process (or a slice), one address stands for many honest nodes. An honest node
    /// holds one link to another for the overlay, one per group both are in, a private link and a few seed
    /// conversations. 0 = no limit per address.
    /// </summary>
    public int MaxInboundPerAddress { get; set; } = 32;

    /// <summary>Time a closing node gives its goodbyes to be delivered.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>An independent copy (a tcp experiment adjusts a copy per run).</summary>
    public TransportOptions Clone() => (TransportOptions)MemberwiseClone();
}
