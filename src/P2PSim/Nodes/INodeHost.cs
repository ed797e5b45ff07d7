using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// What a <see cref="NodeRuntime"/> needs from whoever runs the node: a network, one timer, and somewhere to put
/// events. The TCP shell (<c>Hosting/NodeService</c>), the simulator (<c>Simulation/SimulatedNetwork</c>) and the
/// in-memory test wires implement it; none of them interprets a <see cref="NodeAction"/> itself.
/// A host queues or schedules what it is asked and returns: it never calls back into the runtime from these methods
/// (the runtime carries the actions out straight from the machine's outbox).
/// </summary>
public interface INodeHost
{
    /// <summary>Open a connection; the outcome comes back as <see cref="NodeRuntime.OnConnected"/> or <see cref="NodeRuntime.OnDialFailed"/>.</summary>
    void Dial(NodeEndpoint target);

    /// <summary>
    /// Open a connection for a purpose other than the overlay (a group's link, a direct link); the outcome comes back
    /// with that purpose. A host that carries only the overlay (test wires) does not support it.
    /// </summary>
    void Dial(NodeEndpoint target, LinkPurpose purpose)
    {
        if (!purpose.IsOverlay)
        {
            throw new NotSupportedException($"This host carries only overlay links, not {purpose} links.");
        }
        Dial(target);
    }

    /// <summary>
    /// Open a connection for <paramref name="purpose"/> that only a node proving <paramref name="expected"/> may answer
    /// (protocol version 6): one that proves another id is refused and the outcome comes back as
    /// <see cref="NodeRuntime.OnDialMetOtherId"/>. A host that does not model ids (test wires) dials as without it.
    /// </summary>
    void Dial(NodeEndpoint target, LinkPurpose purpose, Security.NodeId expected)
    {
        if (purpose.IsOverlay)
        {
            Dial(target);
        }
        else
        {
            Dial(target, purpose);
        }
    }

    /// <summary>Queue a frame on a connection.</summary>
    void Send(ConnectionId connection, Message message);

    /// <summary>Close a connection once: after what is queued on it has been sent, or at once.</summary>
    void Close(ConnectionId connection, string reason, bool afterFlush);

    /// <summary>Call <see cref="NodeRuntime.OnTimer"/> at <paramref name="due"/>; replaces any earlier request.</summary>
    void WakeAt(DateTimeOffset due);

    /// <summary>Something worth a log line and a metric happened.</summary>
    void Report(NodeEvent e);
}
