using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Overlay;
using P2PSim.Protocol;

namespace P2PSim.Liveness;

/// <summary>
/// Liveness of a peer's neighbours, one part of <see cref="PeerMachine"/>: every <c>LivenessInterval</c> a round pings
/// each connected neighbour and redials each one whose link is down; a neighbour with <c>MaxMissedLiveness</c>
/// consecutive unanswered (or unreachable) rounds is declared dead in the <see cref="NeighbourTable"/>. The miss
/// counting is <see cref="LivenessRules"/>. It also answers the neighbours' pings. Pure: actions go to the node's
/// <see cref="Outbox"/>.
/// </summary>
internal sealed class LivenessMonitor(PeerOptions options, Outbox outbox, NeighbourTable table)
{
    private readonly Dictionary<NodeEndpoint, Probe> _probes = new();
    private ulong _pingSequence;

    /// <summary>When the next round is due (none before the peer joined, or after it left).</summary>
    public DateTimeOffset? NextRound { get; private set; }

    /// <summary>The peer joined: the first round is one interval from now.</summary>
    public void Begin(DateTimeOffset now) => NextRound = now + options.LivenessInterval;

    /// <summary>The peer leaves: no more rounds.</summary>
    public void Stop() => NextRound = null;

    public bool RoundDue(DateTimeOffset now) => NextRound is { } due && now >= due;

    /// <summary>A link came up: a fresh start, nothing outstanding, no misses.</summary>
    public void OnNeighbourUp(NodeEndpoint neighbour) => _probes[neighbour] = new Probe();

    /// <summary>The link broke: the ping sent on it will not be answered; the misses count on while it is redialed.</summary>
    public void OnLinkLost(NodeEndpoint neighbour)
    {
        if (_probes.TryGetValue(neighbour, out var probe))
        {
            probe.Outstanding = null;
        }
    }

    public void OnNeighbourRemoved(NodeEndpoint neighbour) => _probes.Remove(neighbour);

    /// <summary>A neighbour asks whether this peer is alive: answer at once.</summary>
    public void OnPing(ConnectionId connection, Ping ping) => outbox.Send(connection, new Pong(ping.Sequence));

    /// <summary>Only the answer to the outstanding ping counts; it clears the misses.</summary>
    public void OnPong(NodeEndpoint from, Pong pong)
    {
        if (_probes.TryGetValue(from, out var probe) && probe.Outstanding == pong.Sequence)
        {
            probe.Outstanding = null;
            probe.Missed = 0;
        }
    }

    /// <summary>
    /// One round: a neighbour whose last ping is unanswered, or whose link is down, misses one; at the limit it is
    /// declared dead; every other one is pinged (connected) or redialed (link down). Then the next round is scheduled.
    /// </summary>
    public void RunRound(DateTimeOffset now)
    {
        List<(NodeEndpoint Endpoint, int Missed)>? dead = null;
        foreach (var (endpoint, neighbour) in table.Entries)
        {
            var probe = _probes[endpoint];
            var verdict = neighbour.Connection is null
                ? LivenessRules.Unreachable(ref probe.Missed, options.MaxMissedLiveness)
                : LivenessRules.Round(ref probe.Missed, probe.Outstanding is not null, options.MaxMissedLiveness);
            if (verdict == LivenessVerdict.Dead)
            {
                (dead ??= []).Add((endpoint, probe.Missed));
                continue;
            }
            if (verdict == LivenessVerdict.Missed)
            {
                outbox.Report(new LivenessMissed(now, endpoint, probe.Missed, options.MaxMissedLiveness));
            }
            if (neighbour.Connection is { } connection)
            {
                probe.Outstanding = ++_pingSequence;
                outbox.Send(connection, new Ping(_pingSequence));
            }
            else
            {
                table.DialNeighbour(endpoint);
            }
        }
        foreach (var (endpoint, missed) in dead ?? [])
        {
            table.DeclareDead(endpoint, missed, now);
        }
    }

    /// <summary>After a round (and the repairs it led to): the next one, one interval after this one was due.</summary>
    public void ScheduleNext(DateTimeOffset now)
    {
        if (NextRound is not { } due)
        {
            return;
        }
        NextRound = due + options.LivenessInterval;
        if (NextRound <= now)
        {
            NextRound = now + options.LivenessInterval;
        }
    }

    private sealed class Probe
    {
        public int Missed;
        public ulong? Outstanding;
    }
}
