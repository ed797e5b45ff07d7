using System.Threading.Channels;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.LiveView;

/// <summary>One node event on its way to the live view.</summary>
public readonly record struct LiveViewUpdate(NodeEndpoint Node, NodeRole Role, NodeEvent Event);

/// <summary>
/// The live view's ear on every node: on the node's own loop it only offers the events the page shows to a bounded
/// channel (<see cref="Capacity"/>) with a non-blocking <c>TryWrite</c>. When the view falls behind, updates are
/// dropped here and counted (<see cref="Dropped"/>, shown on the page); the node never waits. Dropped duplicates are
/// not offered at all: the page reads the counters from <see cref="NetworkStats"/>.
/// Until <see cref="Activate"/> (the page is served) it ignores everything.
/// </summary>
public sealed class LiveViewObserver : INodeEventObserver
{
    public const int Capacity = 4096;

    private readonly Channel<LiveViewUpdate> _channel = Channel.CreateBounded<LiveViewUpdate>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait, // with Wait, TryWrite says false when full: the drop is seen and counted
    });
    private long _dropped;
    private volatile bool _active;

    /// <summary>View updates dropped because the view had fallen behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public ChannelReader<LiveViewUpdate> Reader => _channel.Reader;

    /// <summary>From now on events are offered to the channel (the server drains it).</summary>
    public void Activate() => _active = true;

    public void OnNodeEvent(NodeService node, NodeEvent nodeEvent)
    {
        if (!_active || !Shown(nodeEvent))
        {
            return;
        }
        if (!_channel.Writer.TryWrite(new LiveViewUpdate(node.Endpoint, node.Role, nodeEvent)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>The events the page draws; everything else (duplicates above all) stays out of the channel.</summary>
    public static bool Shown(NodeEvent e) => e is NeighbourConnected or NeighbourConnectionLost or NeighbourLeft or NeighbourDead
        or GossipOriginated or GossipReceived or TreeLinkChanged
        or PeerRegistered or PeerDeregistered or PeerExpired or DeadNodeReceived or DeadNodeRefuted
        or DeadNodeReportSent or Leaving;
}
