using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// What one node handed to its transport, by kind: gossip payloads (originals, forwards, and the answers to Wants and
/// Grafts, which no node event reports) and the broadcast tree's control frames, each with its wire bytes. A frame the
/// transport then refused (a full queue, the budget, a connection gone) is counted here all the same, as the simulator
/// counts a frame handed to a link that loses it; the transport counts its drops apart. Written by the node's loop,
/// read by anyone.
/// </summary>
public sealed class SentFrameCounter
{
    private readonly TreeControlCounter _treeControl = new();
    private long _payloadFrames;
    private long _payloadBytes;
    private Message? _lastSized;
    private int _lastSize;

    /// <summary>Gossip frames handed to the transport.</summary>
    public long PayloadFrames => Interlocked.Read(ref _payloadFrames);

    /// <summary>Wire bytes of <see cref="PayloadFrames"/>.</summary>
    public long PayloadBytes => Interlocked.Read(ref _payloadBytes);

    /// <summary>Tree control frames handed to the transport, per type.</summary>
    public TreeControlCounts TreeControl => _treeControl.Read();

    /// <summary>Counts one frame handed to the transport (on the node's loop only).</summary>
    public void Count(Message message)
    {
        if (message.Type == MessageType.Gossip)
        {
            if (!ReferenceEquals(message, _lastSized))
            {
                // A broadcast hands the same message object to every neighbour: size it once.
                _lastSize = FrameCodec.FrameSize(message);
                _lastSized = message;
            }
            Interlocked.Increment(ref _payloadFrames);
            Interlocked.Add(ref _payloadBytes, _lastSize);
            return;
        }
        _treeControl.Count(message);
    }
}
