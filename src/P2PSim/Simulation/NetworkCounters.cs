using P2PSim.Protocol;

namespace P2PSim.Simulation;

/// <summary>
/// What a <see cref="SimulatedNetwork"/> carried. A message counts as sent when a node hands
/// it to an open connection, whether or not it is then lost or arrives at a closed end.
/// Bytes are wire bytes (<see cref="Protocol.FrameCodec.FrameSize"/>) of the machines'
/// messages; the Hello exchange of a connection is not modelled and not counted.
/// </summary>
public sealed class NetworkCounters
{
    /// <summary>Messages handed to open connections.</summary>
    public long MessagesSent { get; internal set; }

    /// <summary>Wire bytes of <see cref="MessagesSent"/>.</summary>
    public long BytesSent { get; internal set; }

    /// <summary>Gossip messages sent (payload transmissions: originals and forwards).</summary>
    public long PayloadTransmissions { get; internal set; }

    /// <summary>Wire bytes of <see cref="PayloadTransmissions"/>.</summary>
    public long PayloadBytes { get; internal set; }

    /// <summary>Broadcast-tree control frames sent (IHave, Graft, Prune), and their bytes.</summary>
    public long TreeControlFrames => TreeControl.Frames;

    public long TreeControlBytes => TreeControl.Bytes;

    /// <summary>Broadcast-tree control frames sent and their bytes, per type.</summary>
    public TreeControlCounts TreeControl => TreeControlCounter.Read();

    internal TreeControlCounter TreeControlCounter { get; } = new();

    /// <summary>Acknowledgements of private messages sent (<see cref="DirectAck"/>: by recipients, and passed back by relaying seeds).</summary>
    public long DirectAcks { get; internal set; }

    /// <summary>Messages handed to the receiving node.</summary>
    public long MessagesDelivered { get; internal set; }

    /// <summary>Messages dropped by the loss model.</summary>
    public long MessagesLost { get; internal set; }

    /// <summary>Messages that arrived at a crashed node, at a connection end already closed, or on a connection a partition cut.</summary>
    public long MessagesDropped { get; internal set; }

    /// <summary>Sends on a connection end the sender had already closed (ignored).</summary>
    public long SendsOnClosed { get; internal set; }

    public long DialsAttempted { get; internal set; }

    public long DialsFailed { get; internal set; }

    public long ConnectionsOpened { get; internal set; }

    public long ConnectionsClosed { get; internal set; }

    /// <summary>Gossip messages on their way now (sent, not yet arrived or dropped).</summary>
    public long PayloadsInFlight { get; internal set; }

    /// <summary>Messages of any type on their way now.</summary>
    public long MessagesInFlight { get; internal set; }
}
