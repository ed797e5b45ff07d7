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
        if (_originLimit is null || _originLimit.TryTake(gossip.Origin, now))
        {
            return true;
        }
        Throttled++;
        _throttledSinceReport++;
        var own = gossip.Hops == 1 && gossip.Origin == from;
        var strikes = 0;
        if (own && _links.TryGetValue(from, out var link))
        {
            strikes = ++link.FloodStrikes;
            if (strikes >= FloodStrikes)
            {
                link.FloodStrikes = 0;
                violation = $"{from} published faster than Gossip:OriginRate ({_originLimit.Rate:0.##} a second after {_originLimit.Burst} at once) allows: {FloodStrikes} of its messages dropped";
            }
        }
        if (now >= _nextThrottleReport || violation is not null)
        {
            _out.Report(new GossipThrottled(now, gossip.Origin, from, _throttledSinceReport, Throttled));
            _throttledSinceReport = 0;
            _nextThrottleReport = now + ThrottleReportInterval;
        }
        return false;
    }
}
