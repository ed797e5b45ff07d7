using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// Delivery among peers present from a message's origination to the end of the run. <paramref name="Messages"/> were
/// originated by this process's peers; <paramref name="RemoteMessages"/> by peers of other slices, known here by a
/// receipt or by a gap in their originator's numbers.
/// </summary>
public sealed record Delivery(int Messages, long Expected, long Delivered, long Repeated, IReadOnlyList<string> Missing, int RemoteMessages = 0)
{
    public double Ratio => Expected == 0 ? 1.0 : (double)Delivered / Expected;
}

/// <summary>
/// Delivery of group messages among the members present from a message's publication to the end of the run, in all and
/// per group (<see cref="NetworkStats.ComputeGroupDelivery"/>).
/// </summary>
public sealed record GroupDelivery(int Messages, long Expected, long Delivered, long Repeated, IReadOnlyList<GroupDelivery.OfGroup> Groups, IReadOnlyList<string> Missing)
{
    public double Ratio => Expected == 0 ? 1.0 : (double)Delivered / Expected;

    /// <summary>One group's share: its messages, receipts expected and delivered.</summary>
    public sealed record OfGroup(string Group, int Messages, long Expected, long Delivered);
}

/// <summary>One node reported dead: crashed or not, who noticed, how fast, which seeds removed it.</summary>
public sealed record DeathAccount(
    NodeEndpoint Node,
    DateTimeOffset? CrashedAt,
    bool Crashed,
    IReadOnlyList<NodeEndpoint> Reporters,
    TimeSpan? FirstDetection,
    IReadOnlyList<NodeEndpoint> SeedsHolding,
    int SeedsRemoved,
    TimeSpan? AllSeedsRemovedAfter,
    bool Elsewhere = false);
