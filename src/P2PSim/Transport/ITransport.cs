using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Transport;

/// <summary>
/// The seam between a node and the network. A node shell only ever talks to this: it never
/// touches a socket. <see cref="TcpTransport"/> is the real one; the simulator drives the
/// same state machines without any transport at all.
/// </summary>
public interface ITransport : IAsyncDisposable
{
    /// <summary>Where this node listens (the port read back after binding, so port 0 works).</summary>
    NodeEndpoint LocalEndpoint { get; }

    /// <summary>Starts accepting connections; everything that happens is reported to <paramref name="handler"/>.</summary>
    void Start(ITransportHandler handler);

    /// <summary>Connects to <paramref name="target"/> in the background; reports OnConnected or OnDialFailed.</summary>
    void Dial(NodeEndpoint target);

    /// <summary>Connects to <paramref name="target"/> for <paramref name="purpose"/> (both Hellos carry it); reports OnConnected or OnDialFailed with it.</summary>
    void Dial(NodeEndpoint target, LinkPurpose purpose);

    /// <summary>
    /// As <see cref="Dial(NodeEndpoint, LinkPurpose)"/>, but only a node with id <paramref name="expected"/> may answer: one
    /// whose Hello gives another id is refused before this side proves its own, and the dial reported with
    /// <see cref="ITransportHandler.OnDialMetOtherIdAsync"/> (protocol version 6).
    /// </summary>
    void Dial(NodeEndpoint target, LinkPurpose purpose, Security.NodeId expected);

    /// <summary>
    /// Queues a message on a connection, in the queue of its <see cref="SendClass"/>. False when the connection
    /// is gone or closing, when the message cannot be encoded (logged), or when its queue is full: a full gossip
    /// queue drops the frame (counted in <see cref="Drops"/>, logged), a full control queue closes the connection.
    /// A gossip frame the process queue budget refuses is dropped the same way.
    /// </summary>
    bool Send(ConnectionId connection, Message message);

    /// <summary>
    /// As <see cref="Send"/>, but the frame waits in its queue until the next <see cref="Flush"/>: a node that sends
    /// many frames in one step (a broadcast, a batch of forwards) has each connection write them with one syscall.
    /// </summary>
    bool Queue(ConnectionId connection, Message message);

    /// <summary>Puts on the wire what <see cref="Queue"/> left waiting, one write per connection.</summary>
    void Flush();

    /// <summary>Closes a connection once: after its queue drains, or at once.</summary>
    void Close(ConnectionId connection, string reason, bool afterFlush);

    /// <summary>Graceful end: stop accepting, let queued frames drain for up to <paramref name="grace"/>, close every socket.</summary>
    Task ShutdownAsync(TimeSpan grace);

    /// <summary>Abrupt end, as a crashed process: every socket reset, nothing flushed.</summary>
    void Abort();

    /// <summary>Connections open right now (after their Hello).</summary>
    int OpenConnections { get; }

    /// <summary>Frames dropped (a full send queue, or the process queue budget), all classes.</summary>
    long DroppedFrames { get; }

    /// <summary>Frames dropped because a connection's send queue was full or the process queue budget refused them, per class.</summary>
    FrameDrops Drops { get; }

    /// <summary>A snapshot of every counter (connections, refusals, drops, queue depths).</summary>
    TransportStats GetStats();
}

/// <summary>
/// What a transport reports to its node. Calls for one connection arrive in order; the
/// returned task applies back-pressure to that connection's reader. Once the transport is
/// shutting down past its grace period (or aborted) it stops waiting for these tasks.
/// </summary>
public interface ITransportHandler
{
    ValueTask OnConnectedAsync(ConnectionInfo connection);

    ValueTask OnDialFailedAsync(NodeEndpoint target, string reason);

    /// <summary>A dial for <paramref name="purpose"/> failed; a handler that dials only for the overlay need not implement it.</summary>
    ValueTask OnDialFailedAsync(NodeEndpoint target, LinkPurpose purpose, string reason) => OnDialFailedAsync(target, reason);

    /// <summary>
    /// A dial that expected <paramref name="expected"/> at <paramref name="target"/> met a node with id <paramref name="met"/>
    /// and was refused; a handler that does not tell it apart hears of a failed dial.
    /// </summary>
    ValueTask OnDialMetOtherIdAsync(NodeEndpoint target, LinkPurpose purpose, Security.NodeId expected, Security.NodeId met, string reason) =>
        purpose.IsOverlay ? OnDialFailedAsync(target, reason) : OnDialFailedAsync(target, purpose, reason);

    ValueTask OnMessageAsync(ConnectionId connection, Message message);

    ValueTask OnClosedAsync(ConnectionId connection, string reason);

    /// <summary>
    /// <paramref name="frames"/> gossip frames of the remote's own (hop 1, its endpoint as origin) that the connection read
    /// but the process queue budget dropped before the node got them (TRANSPORT.md, "The process queue budget"): the
    /// node's flood control charges them to the remote's allowance all the same, so a flooder is cut off for what it
    /// sent, not for what the budget left of it. In order with the connection's frames; a handler without flood
    /// control need not implement it.
    /// </summary>
    ValueTask OnOwnGossipShedAsync(ConnectionId connection, int frames) => ValueTask.CompletedTask;

    /// <summary>
    /// Called on the connection's read loop for every frame after the Hello, before the frame is queued for the node:
    /// a reply to send at once, ahead of every frame queued on the connection (the frame then goes no further), or
    /// null. The node's rule (<c>Nodes/NodeRuntime.AnswerAtOnce</c>: a peer's Ping gets its Pong); must be thread-safe.
    /// </summary>
    Message? AnswerAtOnce(ConnectionInfo connection, Message message);

    /// <summary>
    /// Whether a frame is handed over at once, ahead of the frames of its connection still waiting for the node
    /// (<c>Nodes/NodeRuntime.GoesFirst</c>: liveness replies). Must be thread-safe.
    /// </summary>
    bool GoesFirst(Message message);
}
