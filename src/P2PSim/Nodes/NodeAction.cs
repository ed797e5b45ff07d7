using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// What a node state machine asks its driver to do. The machine never does I/O itself:
/// the TCP shell or the simulator carries these out and feeds the outcomes back as events.
/// </summary>
public abstract record NodeAction;

/// <summary>
/// Open a connection to <paramref name="Target"/> for <paramref name="Purpose"/> (the overlay unless said otherwise);
/// the outcome comes back as OnConnected or OnDialFailed, with the same purpose.
/// </summary>
public sealed record Dial(NodeEndpoint Target, LinkPurpose Purpose = default) : NodeAction
{
    /// <summary>
    /// The id the node expects at <see cref="Target"/> (a neighbour's, or the one a seed listed it with), or null for any:
    /// a node there that proves another id is refused, and the dial fails (<see cref="NodeMachine.OnDialMetOtherId"/>).
    /// </summary>
    public Security.NodeId? ExpectedId { get; init; }
}

/// <summary>Queue <paramref name="Message"/> on a connection.</summary>
public sealed record Send(ConnectionId Connection, Message Message) : NodeAction;

/// <summary>Close a connection: after what is queued has been sent, or at once (abort).</summary>
public sealed record Close(ConnectionId Connection, string Reason, bool AfterFlush = true) : NodeAction;

/// <summary>Call OnTimer at <paramref name="Due"/> (replaces any earlier request).</summary>
public sealed record WakeAt(DateTimeOffset Due) : NodeAction;

/// <summary>Something worth a log line and a metric happened.</summary>
public sealed record Report(NodeEvent Event) : NodeAction;
