namespace P2PSim.Protocol;

/// <summary>
/// Frames and wire bytes (length prefix included) of a broadcast tree's control frames, per type: announcements
/// (<see cref="IHave"/>, type 11), <see cref="Graft"/>s (12), <see cref="Prune"/>s (13) and, with the spanning
/// routing, <see cref="TreeAdvert"/>s (14).
/// </summary>
public readonly record struct TreeControlCounts(long IHaveFrames, long IHaveBytes, long GraftFrames, long GraftBytes, long PruneFrames, long PruneBytes,
    long AdvertFrames = 0, long AdvertBytes = 0)
{
    public long Frames => IHaveFrames + GraftFrames + PruneFrames + AdvertFrames;

    public long Bytes => IHaveBytes + GraftBytes + PruneBytes + AdvertBytes;

    public static TreeControlCounts operator +(TreeControlCounts a, TreeControlCounts b) => new(
        a.IHaveFrames + b.IHaveFrames, a.IHaveBytes + b.IHaveBytes,
        a.GraftFrames + b.GraftFrames, a.GraftBytes + b.GraftBytes,
        a.PruneFrames + b.PruneFrames, a.PruneBytes + b.PruneBytes,
        a.AdvertFrames + b.AdvertFrames, a.AdvertBytes + b.AdvertBytes);
}

/// <summary>
/// Counts the tree control frames one sender (a node, or the whole simulated network) sent: call <see cref="Count"/>
/// for every frame sent; frames of other types cost one comparison and are not counted. Thread-safe (a tcp node counts
/// on its loop while an experiment reads).
/// </summary>
public sealed class TreeControlCounter
{
    private readonly long[] _counts = new long[8]; // frames, bytes of IHave, Graft, Prune, TreeAdvert

    /// <summary>Whether <paramref name="type"/> is one of the broadcast tree's control frames.</summary>
    public static bool IsTreeControl(MessageType type) => type is MessageType.IHave or MessageType.Graft or MessageType.Prune or MessageType.TreeAdvert;

    /// <summary>Counts <paramref name="message"/> if it is a tree control frame, sized with <see cref="FrameCodec.FrameSize"/>.</summary>
    public void Count(Message message)
    {
        if (IsTreeControl(message.Type))
        {
            Count(message.Type, FrameCodec.FrameSize(message));
        }
    }

    /// <summary>Counts one frame of <paramref name="type"/> of <paramref name="bytes"/> wire bytes, if it is a tree control frame.</summary>
    public void Count(MessageType type, int bytes)
    {
        if (!IsTreeControl(type))
        {
            return;
        }
        var at = ((int)type - (int)MessageType.IHave) * 2;
        Interlocked.Increment(ref _counts[at]);
        Interlocked.Add(ref _counts[at + 1], bytes);
    }

    public TreeControlCounts Read() => new(
        Interlocked.Read(ref _counts[0]), Interlocked.Read(ref _counts[1]),
        Interlocked.Read(ref _counts[2]), Interlocked.Read(ref _counts[3]),
        Interlocked.Read(ref _counts[4]), Interlocked.Read(ref _counts[5]),
        Interlocked.Read(ref _counts[6]), Interlocked.Read(ref _counts[7]));
}
