using System.Diagnostics.Metrics;
using P2PSim.Protocol;
using P2PSim.Transport;

namespace P2PSim.Hosting;

/// <summary>
/// Publishes the running network as <see cref="System.Diagnostics.Metrics"/> instruments of the meter <c>P2PSim</c>, so
/// <c>dotnet-counters monitor -n P2PSim --counters P2PSim</c> shows it live. Every instrument is observable: it reads
/// the counts the nodes keep anyway (<see cref="NetworkStats"/>, each node's transport) when a listener collects, so the
/// nodes' hot paths pay nothing more. Totals are tagged by <c>node.role</c> (seed or peer); frames and bytes also by
/// <c>direction</c> (sent, received) and <c>kind</c> (gossip, control). Names follow OpenTelemetry's conventions.
/// </summary>
public sealed class NetworkMeter
{
    public const string MeterName = "P2PSim";

    private static readonly KeyValuePair<string, object?> Seeds = new("node.role", "seed");
    private static readonly KeyValuePair<string, object?> Peers = new("node.role", "peer");

    private readonly NetworkStats _stats;
    private readonly NodeDirectory _directory;

    public NetworkMeter(IMeterFactory meters, NetworkStats stats, NodeDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _stats = stats;
        _directory = directory;
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter("p2psim.gossip.originated", () => Peer(static n => n.Originated), "{message}", "Gossip messages the peers originated");
        meter.CreateObservableCounter("p2psim.gossip.received", () => Peer(static n => n.Received), "{message}", "First receipts of gossip messages");
        meter.CreateObservableCounter("p2psim.gossip.duplicates", () => Peer(static n => n.Duplicates), "{message}", "Gossip messages received again and dropped");
        meter.CreateObservableCounter("p2psim.gossip.forged", () => new Measurement<long>(_stats.Forged, Peers), "{message}",
            "Messages and acknowledgements dropped as forged (a signature that did not verify, or an origin named with another id)");
        meter.CreateObservableCounter("p2psim.deaths.detected", () => new Measurement<long>(_stats.DeathsDetected, Peers), "{death}",
            "Neighbours a peer declared dead (each declaration counts)");
        meter.CreateObservableCounter("p2psim.links.established", () => new Measurement<long>(_stats.LinksEstablished, Peers), "{link}",
            "Neighbour links whose handshake completed (each side counts its own)");
        meter.CreateObservableCounter("p2psim.transport.frames", () => Wire(static w => w.Frames, static w => w.GossipFrames), "{frame}", "Frames written and decoded");
        meter.CreateObservableCounter("p2psim.transport.bytes", () => Wire(static w => w.Bytes, static w => w.GossipBytes), "By", "Wire bytes written and decoded, length prefixes included");
        meter.CreateObservableCounter("p2psim.transport.dropped", Drops, "{frame}", "Frames dropped at full send queues or by the process queue budget, by class");
        meter.CreateObservableUpDownCounter("p2psim.transport.connections", () => Transport(static s => s.OpenConnections), "{connection}", "Open connections");
        meter.CreateObservableCounter("p2psim.transport.refused", () => Transport(static s => s.RefusedConnections), "{connection}", "Connections refused at MaxInboundConnections, MaxInboundPerAddress or the node's share of the open files");
        meter.CreateObservableGauge("p2psim.transport.queued_frames", () => Transport(static s => s.QueuedFrames), "{frame}", "Frames waiting in send queues now");
        meter.CreateObservableGauge("p2psim.transport.queued_bytes", () => Transport(static s => s.QueuedBytes), "By", "Wire bytes waiting in send queues now");
        meter.CreateObservableGauge("p2psim.transport.receive_waiting", () => Transport(static s => s.ReceivedWaiting), "{frame}", "Decoded frames waiting for their busy node now");
    }

    private Measurement<long> Peer(Func<NetworkStats.NodeCounters, long> read) =>
        new(_stats.Nodes.Where(static n => n.Role == NodeRole.Peer).Sum(read), Peers);

    private IEnumerable<(KeyValuePair<string, object?> Role, TransportStats Stats)> Transports()
    {
        foreach (var seed in _directory.Seeds)
        {
            if (seed.TransportStats is { } stats)
            {
                yield return (Seeds, stats);
            }
        }
        foreach (var peer in _directory.Peers)
        {
            if (peer.TransportStats is { } stats)
            {
                yield return (Peers, stats);
            }
        }
    }

    private IEnumerable<Measurement<long>> Transport(Func<TransportStats, long> read) =>
        Transports().GroupBy(static t => t.Role.Value).Select(g => new Measurement<long>(g.Sum(t => read(t.Stats)), g.First().Role));

    private IEnumerable<Measurement<long>> Wire(Func<WireCounts, long> all, Func<WireCounts, long> gossip)
    {
        foreach (var role in Transports().GroupBy(static t => t.Role.Value))
        {
            var sent = role.Aggregate(default(WireCounts), static (sum, t) => sum + t.Stats.Sent);
            var received = role.Aggregate(default(WireCounts), static (sum, t) => sum + t.Stats.Received);
            var tag = role.First().Role;
            foreach (var (direction, counts) in new[] { ("sent", sent), ("received", received) })
            {
                yield return new(gossip(counts), tag, new("direction", direction), new("kind", "gossip"));
                yield return new(all(counts) - gossip(counts), tag, new("direction", direction), new("kind", "control"));
            }
        }
    }

    private IEnumerable<Measurement<long>> Drops()
    {
        foreach (var role in Transports().GroupBy(static t => t.Role.Value))
        {
            var tag = role.First().Role;
            var drops = role.Select(static t => t.Stats.Dropped).ToList();
            yield return new(drops.Sum(static d => d.Control), tag, new("class", "control"));
            yield return new(drops.Sum(static d => d.OwnGossip), tag, new("class", "own-gossip"));
            yield return new(drops.Sum(static d => d.ForwardedGossip), tag, new("class", "forwarded-gossip"));
        }
    }
}
