using Microsoft.Extensions.Logging;

namespace P2PSim.Transport;

/// <summary>Log lines of the TCP transport (written to the owning node's log).</summary>
internal static partial class TransportLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Listening on {Endpoint}, id {Id}…")]
    public static partial void LogInformationListening(this ILogger logger, P2PSim.Protocol.NodeEndpoint endpoint, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bound {Endpoint} (id {Id}…) but not listening: this node cannot be dialled from outside (Private:NotDialablePeers), so a dial to it is refused; its own connections out work")]
    public static partial void LogInformationNotDialable(this ILogger logger, P2PSim.Protocol.NodeEndpoint endpoint, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected input from {Remote}: {Reason}; connection closed")]
    public static partial void LogWarningRejectedInput(this ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dial to {Target} refused: expected id {Expected}…, the node there gave id {Met}…")]
    public static partial void LogDebugDialMetOtherId(this ILogger logger, P2PSim.Protocol.NodeEndpoint target, string expected, string met);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a connection from {Remote}: {Held} inbound connections are held, the limit is {Limit} (Transport:MaxInboundConnections); {Refused} refused in all, {Unlogged} more since the last such line")]
    public static partial void LogWarningInboundLimit(this ILogger logger, string remote, int held, int limit, long refused, long unlogged);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a connection from {Remote}: {Limit} inbound connections from {Address} are held, the limit per address (Transport:MaxInboundPerAddress); {Refused} refused in all, {Unlogged} more since the last such line")]
    public static partial void LogWarningAddressLimit(this ILogger logger, string remote, int limit, System.Net.IPAddress address, long refused, long unlogged);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a connection from {Remote}: this node holds {Held} inbound connections, its share of the process's open files ({Files} sockets held by all nodes of {Usable} usable: the limit of {Limit} (ulimit -n) less a reserve of {Reserve} for the runtime); {Refused} refused in all, {Unlogged} more since the last such line")]
    public static partial void LogWarningFileShare(this ILogger logger, string remote, int held, long files, long usable, long limit, long reserve, long refused, long unlogged);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Out of open files {Doing}: {Error} ({Files} sockets held by all nodes, limit {Limit}); that one connection fails, the node carries on; {Total} such failures in all, {Unlogged} more since the last such line")]
    public static partial void LogWarningOutOfFiles(this ILogger logger, string doing, string error, long files, long limit, long total, long unlogged);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Send queue for {Class} to {Remote} (peer {Listen}) is full ({Capacity} frames, {Setting}): dropped a {Type} frame; {Dropped} {Class} frames dropped on this connection so far (logged on the first drop and every {Every}th)")]
    public static partial void LogWarningSendQueueFull(this ILogger logger, string remote, string listen, SendClass @class, int capacity, string setting, P2PSim.Protocol.MessageType type, long dropped, int every);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Control send queue to {Remote} (peer {Listen}) is full ({Capacity} frames, Transport:ControlQueueCapacity) with a {Type} frame to send: the remote has stopped reading; closing the connection")]
    public static partial void LogWarningControlQueueFull(this ILogger logger, string remote, string listen, int capacity, P2PSim.Protocol.MessageType type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection with {Remote} (peer {Listen}) closed ({Reason}) after dropping {Own} own and {Forwarded} forwarded gossip frames because its send queues were full or, {ForBudget} of them, because the process queue budget was used up")]
    public static partial void LogWarningConnectionDropSummary(this ILogger logger, string remote, string listen, long own, long forwarded, string reason, long forBudget);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Process queue budget used up ({Queued} of {Limit} bytes queued, Transport:ProcessQueueBytes): dropped a {Type} frame {Direction} {Remote} (peer {Listen}); {Dropped} {Class} frames dropped on this connection for the budget so far (logged on the first drop and every {Every}th)")]
    public static partial void LogWarningQueueBudgetUsedUp(this ILogger logger, long queued, long limit, P2PSim.Protocol.MessageType type, string direction, string remote, string listen, long dropped, SendClass @class, int every);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot send a {Type} frame to {Remote}: {Problem}; the frame is not sent")]
    public static partial void LogErrorUnsendable(this ILogger logger, P2PSim.Protocol.MessageType type, string remote, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dialing {Target} failed unexpectedly")]
    public static partial void LogErrorDialFailed(this ILogger logger, P2PSim.Protocol.NodeEndpoint target, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Id} with {Remote} closed: {Reason}")]
    public static partial void LogDebugConnectionClosed(this ILogger logger, long id, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Id} with {Remote} ({Role} {Listen}, id {NodeId}…) is up, {Direction}")]
    public static partial void LogDebugConnectionUp(this ILogger logger, long id, string remote, P2PSim.Protocol.NodeRole role, P2PSim.Protocol.NodeEndpoint listen, string nodeId, string direction);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dial to {Target} failed: {Reason}")]
    public static partial void LogDebugDialFailed(this ILogger logger, P2PSim.Protocol.NodeEndpoint target, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Accepting connections failed on {Endpoint}; no new connections will be accepted")]
    public static partial void LogErrorAcceptFailed(this ILogger logger, P2PSim.Protocol.NodeEndpoint endpoint, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure on connection {Id} with {Remote}")]
    public static partial void LogErrorConnectionFailed(this ILogger logger, long id, string remote, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a Hello from {Remote}: {Reason}; connection closed{LeftOut}")]
    public static partial void LogWarningIdWorkRefused(this ILogger logger, string remote, string reason, string leftOut);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected TLS from {Remote}: {Reason}; connection closed{LeftOut}")]
    public static partial void LogWarningTlsRejected(this ILogger logger, string remote, string reason, string leftOut);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Id} with {Remote}: TLS 1.3 up ({Cipher}), the remote is node {NodeId}")]
    public static partial void LogDebugTlsUp(this ILogger logger, long id, string remote, System.Net.Security.TlsCipherSuite cipher, P2PSim.Security.NodeId nodeId);
}
