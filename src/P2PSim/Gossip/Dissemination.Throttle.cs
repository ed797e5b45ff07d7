using P2PSim.Nodes;
using P2PSim.Protocol;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Gossip;

/// <summary>
/// Flood control (<c>Gossip:OriginRate</c>, <c>Gossip:OriginBurst</c>): a new message beyond its origin's allowance is
/// dropped unrecorded (a later copy is judged again), counted, and reported at most once a second with the count since
/// the last report. A neighbour whose own messages (hop 1) are dropped <see cref="FloodStrikes"/> times is a flooder:
/// its link is closed as a protocol violation and it is not dialled again for a while. Honest forwarders of an origin
/// that floods are never blamed: the excess is dropped at the first peers it reaches, so it reaches no one else.
/// <para>
/// What the neighbour sent decides, not what reached this node: its own messages that its link read but the transport
/// dropped for the process queue budget before this node saw them (<see cref="OnOwnGossipShed"/>) are charged to its
/// allowance too, and counted as strikes when beyond it. Without that a flood the budget mostly shed never added up to
/// <see cref="FloodStrikes"/> here, and the flooder stayed connected.
/// </para>
/// </summary>
internal sealed partial class Dissemination
{
    /// <summary>Own messages of one neighbour dropped by the limit before its link is closed.</summary>
    public const int FloodStrikes = 100;

    private static readonly TimeSpan ThrottleReportInterval = TimeSpan.FromSeconds(1);

    private readonly OriginRateLimit? _originLimit;
    private DateTimeOffset _nextThrottleReport = DateTimeOffset.MinValue;
    private long _throttledSinceReport;

    /// <summary>New messages dropped because their origin published faster than the limit allows.</summary>
    public long Throttled { get; private set; }

    private static OriginRateLimit? OriginLimitOf(Configuration.GossipOptions gossip) =>
        gossip.OriginRate > 0 ? new OriginRateLimit(gossip.OriginRate, gossip.OriginBurst) : null;

    /// <summary>
    /// Whether a message not seen before may be taken: its origin is within its allowance. When it is not, the message is
    /// counted and dropped; the result is then also why the sender's link must close, when the sender is the origin and
    /// has been dropped <see cref="FloodStrikes"/> times.
    /// </summary>
    private bool Admit(NodeEndpoint from, GossipMessage gossip, DateTimeOffset now, out string? violation)
    {
        violation = null;
        if (_originLimit is null || _originLimit.TryTake(gossip.Origin, gossip.OriginId, now))
        {
            return true;
        }
        violation = Throttle(_originLimit, from, gossip.Origin, own: gossip.Hops == 1 && gossip.Origin == from, now);
        return false;
    }

    /// <summary>
    /// <paramref name="frames"/> of neighbour <paramref name="from"/>'s own messages were dropped by the transport for its
    /// budget, unseen here: each takes its place in <paramref name="from"/>'s allowance as if it had come, and each beyond
    /// it is throttled and a strike. Returns why the link must close (a flooder), or null. Not knowing whether they were
    /// new, they are taken as new: only a flooder sends its own messages faster than its allowance.
    /// </summary>
    public string? OnOwnGossipShed(NodeEndpoint from, int frames, DateTimeOffset now)
    {
        if (_originLimit is null)
        {
            return null;
        }
        // Its own messages carry the id it proved on the link (a hop-1 copy with another is refused as forged).
        var id = _table.Entries.TryGetValue(from, out var sender) ? sender.Id : default;
        for (var i = 0; i < frames; i++)
        {
            if (!_originLimit.TryTake(from, id, now) && Throttle(_originLimit, from, from, own: true, now) is { } violation)
            {
                return violation; // the link closes: what else it sent is of no account
            }
        }
        return null;
    }

    /// <summary>A message of <paramref name="origin"/> beyond its allowance, from <paramref name="from"/>: counted, and a strike when it was <paramref name="own"/>.</summary>
    private string? Throttle(OriginRateLimit limit, NodeEndpoint from, NodeEndpoint origin, bool own, DateTimeOffset now)
    {
        string? violation = null;
        Throttled++;
        _throttledSinceReport++;
        if (own && _links.TryGetValue(from, out var link))
        {
            if (++link.FloodStrikes >= FloodStrikes)
            {
                link.FloodStrikes = 0;
                violation = $"{from} published faster than Gossip:OriginRate ({limit.Rate:0.##} a second after {limit.Burst} at once) allows: {FloodStrikes} of its messages dropped";
            }
        }
        if (now >= _nextThrottleReport || violation is not null)
        {
            _out.Report(new GossipThrottled(now, origin, from, _throttledSinceReport, Throttled));
            _throttledSinceReport = 0;
            _nextThrottleReport = now + ThrottleReportInterval;
        }
        return violation;
    }
}
