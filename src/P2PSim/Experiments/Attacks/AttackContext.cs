using System.Net;
using P2PSim.Configuration;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// What an attack sees of the live tcp network it attacks: the honest nodes (to pick victims and to read, afterwards,
/// what they counted), what the links are (TLS, Noise or plain), the settings, the run's random generator, the log lines the nodes wrote
/// (<see cref="AttackLogScan"/>) and the recorder. Attackers leave from addresses of 127.66.0.0/16 (the nodes' own are
/// 127.1.x and 127.2-3.x), one per attacker, unless an attack borrows a victim's address on purpose.
/// </summary>
internal sealed class AttackContext
{
    private int _nextAddress;

    public required IReadOnlyList<NodeService> Peers { get; init; }

    public required IReadOnlyList<NodeService> Seeds { get; init; }


    public required TimeProvider Time { get; init; }

    public required ExperimentOptions Options { get; init; }

    public required PeerOptions Peer { get; init; }

    public required Random Random { get; init; }

    public required AttackLogScan Logs { get; init; }

    /// <summary>Reads the run's recorder (false death reports, removals, violations).</summary>
    public required Func<Func<ExperimentRecorder, long>, long> Recorder { get; init; }

    /// <summary><c>Experiment:AttackStrength</c>: every attack's count is its default times this.</summary>
    public required double Strength { get; init; }

    /// <summary>How long a node may take to close a connection it should close: the handshake timeout and a margin for a loaded machine.</summary>
    public TimeSpan CloseWait => Options.Transport.HandshakeTimeout + TimeSpan.FromSeconds(5);

    /// <summary>A count scaled by the strength, at least 1.</summary>
    public int Scaled(int count) => Math.Max(1, (int)Math.Round(count * Strength));

    /// <summary>A fresh attacker address (127.66.0.1, 127.66.0.2, ...).</summary>
    public IPAddress NewAttackerAddress()
    {
        var n = Interlocked.Increment(ref _nextAddress);
        return new IPAddress([127, 66, (byte)(n >> 8), (byte)(n & 0xff)]);
    }

    /// <summary>Live peers now, in index order.</summary>
    public IReadOnlyList<NodeService> LivePeers => [.. Peers.Where(static p => !p.IsDown)];

    /// <summary>A random live peer, <paramref name="except"/> excluded.</summary>
    public NodeService RandomPeer(params NodeService[] except)
    {
        var live = LivePeers.Where(p => !except.Contains(p)).ToArray();
        return live[Random.Next(live.Length)];
    }

    /// <summary>What the network's links are (<c>Security:Links</c>): what an attacker's link speaks.</summary>
    public LinkSecurity Links => Options.Security.Links;

    /// <summary>
    /// Opens an attacker link, secured as the network's links are (TLS or Noise), or <paramref name="raw"/>: plain TCP
    /// whatever they are, the attack's bytes first.
    /// </summary>
    public Task<AttackLink?> OpenAsync(IPAddress from, NodeEndpoint to, CancellationToken ct, bool raw = false) =>
        AttackLink.OpenAsync(from, to, Links, Time, ct, raw, Options.Security.IdDifficulty);

    /// <summary>What every honest node has counted so far (nodes that are down are left out).</summary>
    public async Task<NodeCounters> CountAsync(CancellationToken ct)
    {
        var total = new NodeCounters();
        foreach (var peer in Peers)
        {
            if (peer.IsDown)
            {
                continue;
            }
            var (forged, old, throttled, impostors) = await peer.InspectAsync(static m =>
            {
                var p = (PeerMachine)m;
                return (p.SignatureCounts.Forged, p.Refused, p.Throttled, p.ImpostorsRefused);
            }, ct).ConfigureAwait(false);
            total = total.Add(Transport(peer)) with
            {
                Forged = total.Forged + forged,
                RefusedAsOld = total.RefusedAsOld + old,
                Throttled = total.Throttled + throttled,
                PeerImpostors = total.PeerImpostors + impostors,
            };
        }
        foreach (var seed in Seeds)
        {
            if (seed.IsDown)
            {
                continue;
            }
            var impostors = await seed.InspectAsync(static m => ((SeedMachine)m).RefusedImpostors, ct).ConfigureAwait(false);
            total = total.Add(Transport(seed)) with { SeedImpostors = total.SeedImpostors + impostors };
        }
        return total with
        {
            FalseDeathReports = Recorder(static r => r.LivePeersReportedDead),
            LivePeersRemoved = Recorder(static r => r.LivePeersRemoved),
            Violations = Recorder(static r => r.Violations),
            ForgedQuietly = Recorder(static r => r.ForgedQuietly),
        };
    }

    private static NodeCounters Transport(NodeService node) => node.TransportStats is { } t
        ? new NodeCounters { RefusedConnections = t.RefusedConnections, RefusedPerAddress = t.RefusedPerAddress, RejectedInputs = t.RejectedInputs }
        : new NodeCounters();

    /// <summary>Waits until <paramref name="done"/> holds or <paramref name="within"/> passes (polling every 50 ms); whether it held.</summary>
    public async Task<bool> UntilAsync(Func<Task<bool>> done, TimeSpan within, CancellationToken ct)
    {
        var deadline = Time.GetUtcNow() + within;
        while (!await done().ConfigureAwait(false))
        {
            if (Time.GetUtcNow() >= deadline)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), Time, ct).ConfigureAwait(false);
        }
        return true;
    }
}

/// <summary>What the honest nodes counted, summed over every node (see <see cref="AttackContext.CountAsync"/>).</summary>
internal readonly record struct NodeCounters
{
    /// <summary>Connections refused at accept (per-address cap, inbound limit, file share).</summary>
    public long RefusedConnections { get; init; }

    /// <summary>Of those, at Transport:MaxInboundPerAddress.</summary>
    public long RefusedPerAddress { get; init; }

    /// <summary>Connections closed for bad input (frames, TLS records, handshakes, stalls).</summary>
    public long RejectedInputs { get; init; }

    /// <summary>Messages dropped as forged (bad signature, another origin's id at hop 1, an endpoint known by another id).</summary>
    public long Forged { get; init; }

    /// <summary>Messages dropped unseen for their timestamp: older than MessageListTtl, or from the future.</summary>
    public long RefusedAsOld { get; init; }

    /// <summary>New messages dropped over their origin's allowance.</summary>
    public long Throttled { get; init; }

    /// <summary>Overlay links refused because another id claimed a neighbour's endpoint.</summary>
    public long PeerImpostors { get; init; }

    /// <summary>Seed requests refused because the connection's id is not the one that registered the endpoint it claims.</summary>
    public long SeedImpostors { get; init; }

    /// <summary>Live peers reported dead to a seed (and refuted by its check), from the recorder.</summary>
    public long FalseDeathReports { get; init; }

    /// <summary>Live peers a seed removed, from the recorder.</summary>
    public long LivePeersRemoved { get; init; }

    /// <summary>Connections the nodes closed as protocol violations (forgeries that cut the link among them), from the recorder.</summary>
    public long Violations { get; init; }

    /// <summary>Messages dropped as forged whose link stayed, from the recorder.</summary>
    public long ForgedQuietly { get; init; }

    public NodeCounters Add(NodeCounters o) => new()
    {
        RefusedConnections = RefusedConnections + o.RefusedConnections,
        RefusedPerAddress = RefusedPerAddress + o.RefusedPerAddress,
        RejectedInputs = RejectedInputs + o.RejectedInputs,
        Forged = Forged + o.Forged,
        RefusedAsOld = RefusedAsOld + o.RefusedAsOld,
        Throttled = Throttled + o.Throttled,
        PeerImpostors = PeerImpostors + o.PeerImpostors,
        SeedImpostors = SeedImpostors + o.SeedImpostors,
        FalseDeathReports = FalseDeathReports + o.FalseDeathReports,
        LivePeersRemoved = LivePeersRemoved + o.LivePeersRemoved,
        Violations = Violations + o.Violations,
        ForgedQuietly = ForgedQuietly + o.ForgedQuietly,
    };

    public static NodeCounters operator -(NodeCounters a, NodeCounters b) => new()
    {
        RefusedConnections = a.RefusedConnections - b.RefusedConnections,
        RefusedPerAddress = a.RefusedPerAddress - b.RefusedPerAddress,
        RejectedInputs = a.RejectedInputs - b.RejectedInputs,
        Forged = a.Forged - b.Forged,
        RefusedAsOld = a.RefusedAsOld - b.RefusedAsOld,
        Throttled = a.Throttled - b.Throttled,
        PeerImpostors = a.PeerImpostors - b.PeerImpostors,
        SeedImpostors = a.SeedImpostors - b.SeedImpostors,
        FalseDeathReports = a.FalseDeathReports - b.FalseDeathReports,
        LivePeersRemoved = a.LivePeersRemoved - b.LivePeersRemoved,
        Violations = a.Violations - b.Violations,
        ForgedQuietly = a.ForgedQuietly - b.ForgedQuietly,
    };
}
