using System.Text.Json;
using System.Text.Json.Serialization;

namespace P2PSim.Experiments.Slices;

/// <summary>
/// One slice's part of an experiment run over several processes: what its own nodes saw, in a form the <c>merge</c>
/// command (<see cref="SliceMerge"/>) folds into one <see cref="ExperimentReport"/>. Times are milliseconds from
/// <c>Experiment:StartAt</c> on this slice's clock (the slices' clocks must agree: one machine, or NTP). Peers and seeds
/// are named by their index in the whole network. Large parts are column arrays, so a part of 2,000 peers and 100
/// messages (200,000 receipts) stays a few MB.
/// </summary>
/// <param name="Format">Always <see cref="FormatName"/>: tells a part from a report or any other JSON.</param>
/// <param name="Run">What every slice of the run shares; the merge refuses parts that differ in it.</param>
/// <param name="Slice">This slice's index (0 to <c>Run.Slices</c> - 1).</param>
/// <param name="FirstPeer">Its first peer; it runs peers <c>FirstPeer</c> to <c>FirstPeer + PeerCount - 1</c>.</param>
/// <param name="LocalSeeds">The seeds it runs (positions in <c>Network:Seeds</c>).</param>
/// <param name="StartedMs">When this slice began (its nodes started right after).</param>
/// <param name="JoinedMs">When its last peer had joined (null: not every one did).</param>
/// <param name="EndedMs">When its part was complete (its nodes stopped right after).</param>
/// <param name="PeersNotJoined">Its peers that had not finished joining at <c>StartAt</c>.</param>
/// <param name="JoinedAtMs">Per peer of this slice (from <c>FirstPeer</c> on): when it joined; null: never.</param>
/// <param name="Ids">Every message id this slice's peers originated or received (hex); the other arrays point into it.</param>
/// <param name="Originated">Messages this slice's peers originated.</param>
/// <param name="Receipts">First receipts by this slice's peers, of any peer's messages.</param>
/// <param name="DuplicatesDropped">Copies this slice's peers received again and dropped.</param>
/// <param name="Crashes">Every crash of the schedule (this slice's peers and the others'), with this slice's seeds that listed the peer when it crashed.</param>
/// <param name="SeedEvents">Dead-node reports and expiries at this slice's seeds about peers of the network.</param>
/// <param name="Deaths">Neighbours this slice's peers declared dead.</param>
/// <param name="Steps">At every publish step: this slice's payload transmissions and first receipts just before it.</param>
/// <param name="Samples">The overlay as this slice's peers saw it, every sample interval from <c>StartAt</c> (sample 0 is the overlay of the report).</param>
/// <param name="Traffic">What this slice's nodes sent.</param>
/// <param name="Resources">What this slice cost its machine.</param>
/// <param name="PeakOpenFiles">The most files (sockets) this process held at once, read once a second; null where /proc is not there.</param>
/// <param name="Security">This slice's nodes' security counts (dials refused for another id, neighbours replaced, group keys), as its summary gives them; null in parts written before they were counted.</param>
/// <param name="Links">What this slice's links were (<c>Security:Links</c>: noise, tls or plain); null in parts written before it was recorded.</param>
public sealed record SlicePart(
    string Format,
    SliceRun Run,
    int Slice,
    int FirstPeer,
    int PeerCount,
    int[] LocalSeeds,
    string BindAddress,
    string AnnounceAddress,
    double StartedMs,
    double? JoinedMs,
    double EndedMs,
    int PeersNotJoined,
    double?[] JoinedAtMs,
    string[] Ids,
    OriginatedColumns Originated,
    ReceiptColumns Receipts,
    long DuplicatesDropped,
    CrashRecord[] Crashes,
    SeedEventRecord[] SeedEvents,
    DeathRecord[] Deaths,
    StepRecord[] Steps,
    SampleRecord[] Samples,
    SliceTraffic Traffic,
    ResourceReport? Resources,
    int? PeakOpenFiles = null,
    Hosting.SecurityCounts? Security = null,
    string? Links = null)
{
    public const string FormatName = "p2psim-slice-part/1";

    public string ToJson() => JsonSerializer.Serialize(this, SliceJsonContext.Default.SlicePart);

    /// <summary>The part in <paramref name="json"/>, or null and why it is none (one sentence).</summary>
    public static (SlicePart? Part, string? Error) Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        SlicePart? part;
        try
        {
            using (var document = JsonDocument.Parse(json))
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String)
                {
                    return (null, root.ValueKind == JsonValueKind.Object && root.TryGetProperty("networkKind", out _)
                        ? "an experiment report, not a slice's part of one (a merged or one-process report needs no merge)"
                        : $"not a slice's part of a report (no \"format\": \"{FormatName}\")");
                }
                if (format.GetString() != FormatName)
                {
                    return (null, $"a part of format '{format.GetString()}', which this P2PSim does not read (it reads {FormatName})");
                }
            }
            part = JsonSerializer.Deserialize(json, SliceJsonContext.Default.SlicePart);
        }
        catch (JsonException ex)
        {
            return (null, $"not a slice's part of a report ({ex.Message})");
        }
        if (part?.Run is null || part.JoinedAtMs is null || part.Ids is null || part.Originated?.Id is null || part.Receipts?.Id is null
            || part.Crashes is null || part.SeedEvents is null || part.Deaths is null || part.Steps is null || part.Samples is null || part.Traffic is null
            || part.LocalSeeds is null)
        {
            return (null, "a slice's part with sections missing (written by another version, or cut short)");
        }
        return part.Inconsistency() is { } problem ? (null, $"a slice's part that does not add up ({problem})") : (part, null);
    }

    /// <summary>What in this part points outside it (columns of unequal length, an id or a peer out of range); null when nothing does.</summary>
    private string? Inconsistency()
    {
        var r = Run;
        bool PeerOk(int p) => p >= 0 && p < r.Peers;
        bool SeedOk(int s) => s >= 0 && s < r.Seeds;
        bool LocalOk(int p) => p >= FirstPeer && p < FirstPeer + PeerCount;
        var o = Originated;
        var c = Receipts;
        return r.Peers < 0 || r.Seeds < 0 || r.Slices < 1 || r.Victims is null || r.Protocol is null || r.StartAt is null
                || !DateTimeOffset.TryParse(r.StartAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal, out _) ? "its run"
            : FirstPeer < 0 || PeerCount < 0 || FirstPeer + PeerCount > r.Peers || JoinedAtMs.Length != PeerCount ? "its peers"
            : Ids.Any(id => id is null || id.Length != 64 || !id.All(char.IsAsciiHexDigit)) ? "its message ids"
            : o.Origin is null || o.AtMs is null || o.Origin.Length != o.Id.Length || o.AtMs.Length != o.Id.Length
                || o.Id.Any(i => i < 0 || i >= Ids.Length) || !o.Origin.All(LocalOk) ? "its originations"
            : c.Peer is null || c.AtMs is null || c.Hops is null || c.Flags is null || c.Peer.Length != c.Id.Length || c.AtMs.Length != c.Id.Length
                || c.Hops.Length != c.Id.Length || c.Flags.Length != c.Id.Length || c.Id.Any(i => i < 0 || i >= Ids.Length) || !c.Peer.All(LocalOk) ? "its receipts"
            : !r.Victims.All(PeerOk) || Crashes.Any(x => x is null || !PeerOk(x.Peer) || x.ListingSeeds is null || !x.ListingSeeds.All(SeedOk)) ? "its crashes"
            : SeedEvents.Any(e => e is null || !SeedOk(e.Seed) || !PeerOk(e.Peer)) ? "its seed events"
            : Deaths.Any(d => d is null || !PeerOk(d.Dead) || !LocalOk(d.Reporter)) ? "its deaths"
            : Samples.Any(s => s is null || s.Live is null || s.Neighbours is null || s.Live.Length != s.Neighbours.Length || !s.Live.All(LocalOk)
                || s.Neighbours.Any(n => n is null || !n.All(PeerOk))) ? "its samples"
            : Steps.Any(s => s is null) || Traffic.Drops is null || Traffic.TreeControl is null ? "its traffic"
            : null;
    }
}

/// <summary>
/// What every slice of one run shares. <see cref="Settings"/> is a fingerprint of every setting that shapes the run (the
/// network, the workload, the peers' behaviour, <c>StartAt</c>), so parts of runs that differ in anything are refused.
/// </summary>
/// <param name="Victims">The peers the schedule crashes (the same draw in every slice).</param>
public sealed record SliceRun(
    int RunSeed,
    string StartAt,
    int Slices,
    int Seeds,
    int Peers,
    string Workload,
    string WorkloadDescription,
    string Routing,
    ProtocolSettings Protocol,
    double SampleIntervalMs,
    long Messages,
    int[] Victims,
    string Settings);

/// <summary>Originations as columns: message (position in <see cref="SlicePart.Ids"/>), origin peer, when.</summary>
public sealed record OriginatedColumns(int[] Id, int[] Origin, double[] AtMs);

/// <summary>First receipts as columns: message, receiving peer, when, hops from the origin, and how (<see cref="Flags"/>: 1 answered a Graft, 2 came by catch-up).</summary>
public sealed record ReceiptColumns(int[] Id, int[] Peer, double[] AtMs, int[] Hops, int[] Flags)
{
    public const int Grafted = 1;
    public const int CatchUp = 2;
}

/// <summary>A peer of the network crashed at <see cref="AtMs"/>; <see cref="ListingSeeds"/>: this slice's seeds that listed it then.</summary>
public sealed record CrashRecord(int Peer, double AtMs, int[] ListingSeeds);

/// <summary>What a seed of this slice did about a peer: <c>removed</c> or <c>kept</c> (a dead-node report), <c>refuted</c> (the peer answered), <c>expired</c> (it stopped registering).</summary>
public sealed record SeedEventRecord(int Seed, int Peer, double AtMs, string Kind)
{
    public const string Removed = "removed";
    public const string Kept = "kept";
    public const string Refuted = "refuted";
    public const string Expired = "expired";
}

/// <summary>Peer <see cref="Reporter"/> of this slice declared its neighbour <see cref="Dead"/> dead.</summary>
public sealed record DeathRecord(int Reporter, int Dead, double AtMs);

/// <summary>A publish step: when, and this slice's payload transmissions and first receipts just before it.</summary>
public sealed record StepRecord(double AtMs, long PayloadTransmissions, long FirstReceipts);

/// <summary>
/// One overlay sample of this slice: its live peers, each one's connected neighbours (peers of any slice), and the wire
/// bytes queued in this process then.
/// </summary>
public sealed record SampleRecord(int Index, double AtMs, int[] Live, int[][] Neighbours, long QueuedBytes);

/// <summary>
/// What this slice's nodes sent, counted as a one-process tcp run counts it; with the signatures its peers checked and
/// the messages its peers refused as forged (null in parts written before they were counted).
/// </summary>
public sealed record SliceTraffic(
    long PayloadTransmissions,
    long PayloadBytes,
    long FramesSent,
    long BytesSent,
    FrameDropsReport Drops,
    long[] TreeControl,
    long? SignatureChecks = null,
    long? Forged = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SlicePart))]
internal sealed partial class SliceJsonContext : JsonSerializerContext;
