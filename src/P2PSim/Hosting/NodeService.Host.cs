using P2PSim.Logging;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

public sealed partial class NodeService
{
    /// <summary>The node's side of the real network, for its runtime: the transport, the timer, the logs and statistics.</summary>
    private sealed class Host(NodeService node) : INodeHost
    {
        public void Dial(NodeEndpoint target) => node._transport!.Dial(target);

        public void Dial(NodeEndpoint target, LinkPurpose purpose) => node._transport!.Dial(target, purpose);

        public void Dial(NodeEndpoint target, LinkPurpose purpose, Security.NodeId expected) => node._transport!.Dial(target, purpose, expected);

        public void Send(ConnectionId connection, Message message)
        {
            node._sent.Count(message);
            node._transport!.Queue(connection, message); // on the wire at the end of the batch (Flush)
        }

        public void Close(ConnectionId connection, string reason, bool afterFlush) => node._transport!.Close(connection, reason, afterFlush);

        public void WakeAt(DateTimeOffset due)
        {
            if (node._stopDeadline is not null)
            {
                return; // the shutdown deadline owns the timer now
            }
            // A wake already set for this moment or earlier stands: when it fires, the machine asks again for its next
            // one. Moving the timer on every step cost 6 % of the CPU of a loaded network (the timer queue's lock).
            if (due.UtcTicks >= Volatile.Read(ref node._armedFor))
            {
                return;
            }
            Volatile.Write(ref node._armedFor, due.UtcTicks);
            var delay = due - node._time.GetUtcNow();
            node._timer?.Change(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        public void Report(NodeEvent e)
        {
            NodeEventLog.Write(node._logger, e, node._violationLines);
            node._stats.Record(node._counters!, e);
            foreach (var observer in node._observers)
            {
                observer.OnNodeEvent(node, e);
            }
        }
    }
}
