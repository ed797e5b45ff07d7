using Microsoft.Extensions.Logging;

namespace P2PSim.Transport;

/// <summary>Log lines of the TCP transport (written to the owning node's log).</summary>
internal static partial class TransportLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Listening on {Endpoint}")]
    public static partial void LogInformationListening(this ILogger logger, P2PSim.Protocol.NodeEndpoint endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected input from {Remote}: {Reason}; connection closed")]
    public static partial void LogWarningRejectedInput(this ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a connection from {Remote}: {Open} connections are open, the limit is {Limit} (Transport:MaxInboundConnections)")]
    public static partial void LogWarningInboundLimit(this ILogger logger, string remote, int open, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Send queue to {Remote} is full ({Capacity} frames): dropped a {Type} frame ({Dropped} dropped on this connection so far)")]
    public static partial void LogWarningSendQueueFull(this ILogger logger, string remote, int capacity, P2PSim.Protocol.MessageType type, long dropped);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Id} with {Remote} closed: {Reason}")]
    public static partial void LogDebugConnectionClosed(this ILogger logger, long id, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Id} with {Remote} ({Role} {Listen}) is up, {Direction}")]
    public static partial void LogDebugConnectionUp(this ILogger logger, long id, string remote, P2PSim.Protocol.NodeRole role, P2PSim.Protocol.NodeEndpoint listen, string direction);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dial to {Target} failed: {Reason}")]
    public static partial void LogDebugDialFailed(this ILogger logger, P2PSim.Protocol.NodeEndpoint target, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Accepting connections failed on {Endpoint}; no new connections will be accepted")]
    public static partial void LogErrorAcceptFailed(this ILogger logger, P2PSim.Protocol.NodeEndpoint endpoint, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure on connection {Id} with {Remote}")]
    public static partial void LogErrorConnectionFailed(this ILogger logger, long id, string remote, Exception exception);
}
