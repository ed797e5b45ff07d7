using System.Globalization;
using System.Net;
using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Experiments.Slices;

/// <summary>What one slice contributed to a merged run, for the merge's table.</summary>
/// <param name="FirstReceipts">First receipts by its peers.</param>
/// <param name="Originated">Messages its peers originated.</param>
/// <param name="PeakOpenFiles">The most files its process held at once (null: not measured).</param>
public sealed record SliceSummary(int Slice, string Name, int FirstPeer, int Peers, int Seeds, string Address, long FirstReceipts, long Originated, ResourceReport? Resources,
    int? PeakOpenFiles = null);

/// <summary>A merged run: the report (the fields of a one-process run), each slice's share, and what happened across slices.</summary>
/// <param name="Notes">One line per crashed peer: who declared it dead, in which slices, and which seeds removed it.</param>
public sealed record MergedRun(ExperimentReport Report, IReadOnlyList<SliceSummary> Slices, IReadOnlyList<string> Notes);

/// <summary>
/// Joins the parts of a run over slices (<see cref="SlicePart"/>, one per slice) into one <see cref="ExperimentReport"/>
/// with the same fields a one-process run has, computed by the same code: every slice's originations, receipts, crashes
/// and seed events are replayed, in time order, into one <see cref="ExperimentRecorder"/>, which counts delivery (who was
/// expected to get what), latencies, crash detection and false reports as for one process; the overlay samples of the
/// slices are joined sample by sample; traffic and resources are added up (wall time: the longest slice; the queue
/// budget and its peak: the sum of the slices' own). Refuses, in one sentence, parts of different runs (run seed, start,
/// slice count, settings), a slice given twice and a slice missing. Pure.
/// </summary>
public static class SliceMerge
{
    /// <returns>The merged run, or null and what is wrong with the parts.</returns>
    public static (MergedRun? Merged, string? Error) Merge(IReadOnlyList<(string Name, SlicePart Part)> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (Mismatch(parts) is { } error)
        {
            return (null, error);
        }
        var ordered = parts.OrderBy(p => p.Part.Slice).ToArray();
        return (Build(ordered), null);
    }

    /// <summary>Why these parts are not the parts of one run, each slice once; null when they are.</summary>
    private static string? Mismatch(IReadOnlyList<(string Name, SlicePart Part)> parts)
    {
        if (parts.Count == 0)
        {
            return "no parts to merge";
        }
        var (firstName, first) = parts[0];
        var r = first.Run;
        foreach (var (name, part) in parts.Skip(1))
        {
            var o = part.Run;
            string? Differ(string what, object a, object b) => Equals(a, b) ? null
                : $"{firstName} and {name} are parts of different runs: {what} {a} and {b}";
            var why = Differ("run seed", r.RunSeed, o.RunSeed)
                ?? Differ("start time (Experiment:StartAt)", r.StartAt, o.StartAt)
                ?? Differ("slice count", r.Slices, o.Slices)
                ?? Differ("peer count", r.Peers, o.Peers)
                ?? Differ("seed count", r.Seeds, o.Seeds)
                ?? Differ("workload", r.Workload, o.Workload)
                ?? (r.Settings == o.Settings ? null
                    : $"{firstName} and {name} are parts of runs with different settings (fingerprints {r.Settings} and {o.Settings}): every slice must be given the same settings but Slice:Index and its addresses");
            if (why is not null)
            {
                return why;
            }
        }
        foreach (var (name, part) in parts)
        {
            if (part.Slice < 0 || part.Slice >= r.Slices)
            {
                return $"{name} is slice {part.Slice}, but the run has {r.Slices} slices (0 to {r.Slices - 1})";
            }
        }
        if (parts.GroupBy(p => p.Part.Slice).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return $"slice {twice.Key} of {r.Slices} is given twice: {string.Join(" and ", twice.Select(p => p.Name))}";
        }
        var missing = Enumerable.Range(0, r.Slices).Except(parts.Select(p => p.Part.Slice)).ToArray();
        if (missing.Length > 0)
        {
            var given = string.Join(", ", parts.OrderBy(p => p.Part.Slice).Select(p => $"slice {p.Part.Slice} in {p.Name}"));
            return $"{(missing.Length == 1 ? "slice" : "slices")} {string.Join(", ", missing)} of {r.Slices} {(missing.Length == 1 ? "is" : "are")} missing (given: {given}); every slice's part is needed";
        }
        return null;
    }

    private static MergedRun Build((string Name, SlicePart Part)[] parts)
    {
        var run = parts[0].Part.Run;
        var startAt = DateTimeOffset.Parse(run.StartAt, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        DateTimeOffset At(double ms) => startAt + TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond));
        var startedMs = parts.Min(p => p.Part.StartedMs);
        var start = At(startedMs);
        var endpoints = Enumerable.Range(0, run.Peers).Select(Endpoint).ToArray();
        var receipts = parts.Sum(p => (long)p.Part.Receipts.Id.Length);
        var recorder = new ExperimentRecorder(endpoints, run.Seeds, start, receipts);
        foreach (var victim in run.Victims)
        {
            recorder.MarkVictim(victim);
        }
        foreach (var (_, part) in parts)
        {
            for (var i = 0; i < part.JoinedAtMs.Length; i++)
            {
                if (part.JoinedAtMs[i] is { } joined)
                {
                    recorder.PeerJoined(part.FirstPeer + i, At(joined));
                }
            }
        }

        // A slice whose workload is over stops its peers while slower slices still run (one may still be waiting for its
        // seeds to remove a crashed peer): what a seed did about a peer once that peer's own slice had ended is about a
        // peer that was stopping with its slice, not a live one, and is left out (a crashed peer's removal always counts).
        var endedMs = new double[run.Peers];
        foreach (var (_, part) in parts)
        {
            for (var i = 0; i < part.PeerCount && part.FirstPeer + i < run.Peers; i++)
            {
                endedMs[part.FirstPeer + i] = part.EndedMs;
            }
        }
        var crashed = parts.SelectMany(p => p.Part.Crashes).Select(c => c.Peer).ToHashSet();
        bool AfterItsSliceEnded(SeedEventRecord e) => e.Peer >= 0 && e.Peer < endedMs.Length && e.AtMs >= endedMs[e.Peer] && !crashed.Contains(e.Peer);

        // Every event of every slice, in time order (a crash before what the seeds did about it at the same moment).
        var ids = parts.Select(p => p.Part.Ids.Select(ParseId).ToArray()).ToArray();
        var crashes = parts.SelectMany(p => p.Part.Crashes).GroupBy(c => c.Peer)
            .Select(g => new CrashRecord(g.Key, g.Min(c => c.AtMs), [.. g.SelectMany(c => c.ListingSeeds).Distinct().Order()]))
            .OrderBy(c => c.Peer).ToArray();
        var events = new List<(double AtMs, int Kind, int Part, int Row)>();
        for (var c = 0; c < crashes.Length; c++)
        {
            events.Add((crashes[c].AtMs, 0, -1, c));
        }
        for (var p = 0; p < parts.Length; p++)
        {
            var part = parts[p].Part;
            for (var i = 0; i < part.Originated.Id.Length; i++)
            {
                events.Add((part.Originated.AtMs[i], 1, p, i));
            }
            for (var i = 0; i < part.Receipts.Id.Length; i++)
            {
                events.Add((part.Receipts.AtMs[i], 2, p, i));
            }
            for (var i = 0; i < part.SeedEvents.Length; i++)
            {
                if (!AfterItsSliceEnded(part.SeedEvents[i]))
                {
                    events.Add((part.SeedEvents[i].AtMs, 3, p, i));
                }
            }
        }
        events.Sort((a, b) => a.AtMs != b.AtMs ? a.AtMs.CompareTo(b.AtMs) : a.Kind.CompareTo(b.Kind));

        // The samples every slice took, each taken once the last slice had taken it.
        var common = parts.Select(p => p.Part.Samples.Select(s => s.Index).ToHashSet()).Aggregate((a, b) => { a.IntersectWith(b); return a; });
        var samples = common.Order().Select(k => parts.Select(p => p.Part.Samples.First(s => s.Index == k)).ToArray()).ToArray();
        var captured = new (long Backlog, int CrashedStillListed)[samples.Length];
        var next = 0;
        void CaptureUpTo(double ms)
        {
            while (next < samples.Length && samples[next].Max(s => s.AtMs) <= ms)
            {
                captured[next++] = (recorder.ExpectedDeliveries - recorder.Deliveries, recorder.CrashedStillListed);
            }
        }
        foreach (var (atMs, kind, p, row) in events)
        {
            CaptureUpTo(atMs - 1e-9);
            var at = At(atMs);
            switch (kind)
            {
                case 0:
                    recorder.PeerCrashed(crashes[row].Peer, at, crashes[row].ListingSeeds);
                    break;
                case 1:
                    var o = parts[p].Part.Originated;
                    recorder.RecordPeerEvent(o.Origin[row], new GossipOriginated(at, "", ids[p][o.Id[row]], 0));
                    break;
                case 2:
                    var r = parts[p].Part.Receipts;
                    recorder.RecordPeerEvent(r.Peer[row], new GossipReceived(at, "", ids[p][r.Id[row]], default, default, r.Hops[row], 0,
                        CatchUp: (r.Flags[row] & ReceiptColumns.CatchUp) != 0, Grafted: (r.Flags[row] & ReceiptColumns.Grafted) != 0));
                    break;
                default:
                    var e = parts[p].Part.SeedEvents[row];
                    var dead = new DeadNode(endpoints[e.Peer], 0, endpoints[e.Peer]);
                    recorder.RecordSeedEvent(e.Seed, e.Kind switch
                    {
                        SeedEventRecord.Removed => new DeadNodeReceived(at, dead, "", Removed: true, 0),
                        SeedEventRecord.Refuted => new DeadNodeRefuted(at, dead, ""),
                        SeedEventRecord.Expired => new PeerExpired(at, endpoints[e.Peer], at, 0),
                        _ => new DeadNodeReceived(at, dead, "", Removed: false, 0),
                    });
                    break;
            }
        }
        CaptureUpTo(double.MaxValue);

        var sampler = new ConnectivitySampler(start, TimeSpan.FromMilliseconds(run.SampleIntervalMs));
        OverlaySnapshot? overlayGraph = null;
        for (var k = 0; k < samples.Length; k++)
        {
            var snapshot = Snapshot(samples[k], run.Peers);
            overlayGraph ??= snapshot;
            sampler.Add(At(samples[k].Max(s => s.AtMs)), snapshot, captured[k].CrashedStillListed,
                new SampleLoad(captured[k].Backlog, samples[k].Sum(s => s.QueuedBytes), null));
        }
        overlayGraph ??= OverlaySnapshot.Build([], run.Peers, _ => []);
        var shape = OverlayAnalysis.Analyse(overlayGraph.Neighbours);
        var joinedMs = parts.All(p => p.Part.JoinedMs is not null) ? parts.Max(p => p.Part.JoinedMs!.Value) : 0;
        var overlay = new OverlayReport(shape.DegreeMin, shape.DegreeMean, shape.DegreeMax, shape.Edges, shape.Connected, shape.Components,
            parts.Sum(p => p.Part.PeersNotJoined), joinedMs - startedMs, shape.Fingerprint)
        {
            DegreeHistogram = OverlayAnalysis.DegreeHistogram(overlayGraph.Neighbours),
        };

        // Traffic: the slices' counts added up; the publish steps' marks too, step by step.
        var traffic = parts.Select(p => p.Part.Traffic).ToArray();
        var payloads = traffic.Sum(t => t.PayloadTransmissions);
        var tree = TreeCounts(traffic);
        var steps = parts.Min(p => p.Part.Steps.Length);
        var marks = Enumerable.Range(0, steps).Select(i => new PublishMark(At(parts.Min(p => p.Part.Steps[i].AtMs)),
            parts.Sum(p => p.Part.Steps[i].PayloadTransmissions), parts.Sum(p => p.Part.Steps[i].FirstReceipts))).ToArray();
        var drops = traffic.Select(t => t.Drops).Aggregate((a, b) => new FrameDropsReport(a.Control + b.Control, a.OwnGossip + b.OwnGossip,
            a.ForwardedGossip + b.ForwardedGossip, Math.Max(a.PeakQueuedFrames, b.PeakQueuedFrames), a.BudgetOwnGossip + b.BudgetOwnGossip,
            a.BudgetForwardedGossip + b.BudgetForwardedGossip, a.BudgetBytes + b.BudgetBytes, a.PeakQueuedBytes + b.PeakQueuedBytes,
            a.BudgetAnnouncements + b.BudgetAnnouncements));
        var flood = run.Routing == "flood";
        var trafficReport = recorder.BuildTraffic(payloads, traffic.Sum(t => t.FramesSent), traffic.Sum(t => t.BytesSent), traffic.Sum(t => t.PayloadBytes), 0,
            parts.Sum(p => p.Part.DuplicatesDropped), drops) with
        {
            Routing = run.Routing,
            TreeControlFrames = tree.Frames,
            TreeControlBytes = tree.Bytes,
            TreeControl = TreeControlReport.From(tree),
            RmrAfterFirstMessage = marks.Length >= 2 ? Statistics.Rmr(payloads - marks[1].Transmissions, recorder.FirstReceipts - marks[1].Receipts) : null,
        };
        var crash = recorder.BuildCrash();
        if (crash is not null && !flood && recorder.FirstCrashAt is { } crashAt)
        {
            var repair = TreeRepair.Measure(crashAt, marks, recorder.MessagesSince(crashAt), payloads, recorder.FirstReceipts);
            crash = crash with
            {
                TreeRepairedAfterMs = repair.RepairedAfter?.TotalMilliseconds,
                RmrAfterRepair = repair.RmrAfterRepair,
                MessagesAfterCrash = repair.MessagesAfterCrash,
                MessagesAfterRepair = repair.MessagesAfterRepair,
            };
        }
        var faults = new FaultReport(recorder.LivePeersReportedDead, recorder.LivePeersRemoved, recorder.LivePeersExpired, recorder.LeaversReportedDead,
            recorder.CatchUpReceipts, null, null, null);
        var report = new ExperimentReport(
            NetworkKind: "tcp",
            Workload: run.Workload,
            WorkloadDescription: $"{run.WorkloadDescription}; over {run.Slices} slices",
            Seeds: run.Seeds,
            Peers: run.Peers,
            RunSeed: run.RunSeed,
            Protocol: run.Protocol,
            Links: null,
            Overlay: overlay,
            Delivery: recorder.BuildDelivery(),
            Traffic: trafficReport,
            Crash: crash,
            Faults: faults,
            Connectivity: sampler.Build(),
            DurationMs: parts.Max(p => p.Part.EndedMs) - startedMs,
            EventsProcessed: null,
            Resources: Resources(parts))
        {
            OverlayGraph = overlayGraph,
            // A real network always checks (Security:Signatures=skip is refused on tcp); parts from before the count say null.
            Signatures = new SignatureReport(EnumSetting.Name(SignatureMode.Verify),
                traffic.All(static t => t.SignatureChecks is not null) ? traffic.Sum(static t => t.SignatureChecks!.Value) : null,
                traffic.Sum(static t => t.Forged ?? 0)),
            // Every slice's links, when they all say the same (they must, or their nodes refused each other); else unknown.
            LinkSecurity = parts.Select(static p => p.Part.Links).Distinct().ToArray() is [{ } links] ? links : null,
            // The slices' counts added up; parts from before the count (any of them) leave the merged report without.
            Security = parts.All(static p => p.Part.Security is not null) ? parts.Select(static p => p.Part.Security!).Aggregate(static (a, b) => a + b) : null,
        };
        var slices = parts.Select(p => new SliceSummary(p.Part.Slice, p.Name, p.Part.FirstPeer, p.Part.PeerCount, p.Part.LocalSeeds.Length, p.Part.AnnounceAddress,
            p.Part.Receipts.Id.Length, p.Part.Originated.Id.Length, p.Part.Resources, p.Part.PeakOpenFiles)).ToArray();
        return new MergedRun(report, slices, CrashNotes(parts, crashes, startedMs));
    }

    /// <summary>The overlay of one sample: the union of what every slice's peers said, links to peers that were not live left out.</summary>
    private static OverlaySnapshot Snapshot(SampleRecord[] slices, int peers)
    {
        var neighbours = new Dictionary<int, int[]>();
        foreach (var sample in slices)
        {
            for (var i = 0; i < sample.Live.Length; i++)
            {
                neighbours[sample.Live[i]] = sample.Neighbours[i];
            }
        }
        return OverlaySnapshot.Build([.. neighbours.Keys.Order()], peers, p => neighbours[p]);
    }

    /// <summary>
    /// One line per crashed peer: the slice that ran it, when it crashed, how many neighbours declared it dead and in which
    /// slices, and how many of the seeds that listed it removed it.
    /// </summary>
    private static List<string> CrashNotes((string Name, SlicePart Part)[] parts, CrashRecord[] crashes, double startedMs)
    {
        var notes = new List<string>();
        foreach (var crash in crashes)
        {
            var home = parts.FirstOrDefault(p => crash.Peer >= p.Part.FirstPeer && crash.Peer < p.Part.FirstPeer + p.Part.PeerCount).Part;
            var declared = parts.SelectMany(p => p.Part.Deaths.Where(d => d.Dead == crash.Peer && d.AtMs >= crash.AtMs).Select(d => (p.Part.Slice, d.Reporter))).Distinct().ToArray();
            var elsewhere = declared.Where(d => d.Slice != home?.Slice).Select(d => d.Slice).Distinct().Order().ToArray();
            var removed = crash.ListingSeeds.Count(seed => parts.Any(p => p.Part.SeedEvents.Any(e =>
                e.Seed == seed && e.Peer == crash.Peer && e.AtMs >= crash.AtMs && e.Kind is SeedEventRecord.Removed or SeedEventRecord.Expired)));
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"Peer {crash.Peer} (slice {home?.Slice.ToString(CultureInfo.InvariantCulture) ?? "?"}) crashed at {(crash.AtMs - startedMs) / 1000:0.0} s: "
                + $"{declared.Length} neighbour(s) declared it dead, {declared.Count(d => d.Slice != home?.Slice)} of them in other slices"
                + $"{(elsewhere.Length > 0 ? $" ({string.Join(", ", elsewhere.Select(s => $"slice {s}"))})" : "")}; "
                + $"removed by {removed} of the {crash.ListingSeeds.Length} seed(s) that listed it"));
        }
        return notes;
    }

    private static TreeControlCounts TreeCounts(SliceTraffic[] traffic)
    {
        var sum = new long[8];
        foreach (var t in traffic)
        {
            for (var i = 0; i < Math.Min(sum.Length, t.TreeControl.Length); i++)
            {
                sum[i] += t.TreeControl[i];
            }
        }
        return new TreeControlCounts(sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6], sum[7]);
    }

    /// <summary>The slices' resources together: wall time of the longest, the rest added up (each process's own peaks).</summary>
    private static ResourceReport? Resources((string Name, SlicePart Part)[] parts)
    {
        var all = parts.Select(p => p.Part.Resources).OfType<ResourceReport>().ToArray();
        if (all.Length == 0)
        {
            return null;
        }
        var gc = all.Select(r => r.Collections).OfType<GcReport>().ToArray();
        return new ResourceReport(
            WallSeconds: all.Max(r => r.WallSeconds),
            CpuSeconds: all.Sum(r => r.CpuSeconds),
            PeakWorkingSetBytes: all.Sum(r => r.PeakWorkingSetBytes),
            ManagedHeapBytes: all.Sum(r => r.ManagedHeapBytes),
            OpenFileDescriptors: all.All(r => r.OpenFileDescriptors is not null) ? all.Sum(r => r.OpenFileDescriptors!.Value) : null,
            Collections: gc.Length == 0 ? null : new GcReport(gc.Sum(g => g.Gen0), gc.Sum(g => g.Gen1), gc.Sum(g => g.Gen2), gc.Sum(g => g.PauseSeconds), gc.Sum(g => g.AllocatedGiB)))
        {
            PeakLiveHeapBytes = all.All(r => r.PeakLiveHeapBytes is not null) ? all.Sum(r => r.PeakLiveHeapBytes!.Value) : null, // each process's own peak: at most their sum
        };
    }

    /// <summary>A stand-in endpoint per peer for the recorder (dead-node reports name peers by endpoint), one address each.</summary>
    private static NodeEndpoint Endpoint(int peer) => new(new IPAddress((long)peer + 1), 1);

    private static MessageId ParseId(string hex) => new(
        ulong.Parse(hex.AsSpan(0, 16), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        ulong.Parse(hex.AsSpan(16, 16), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        ulong.Parse(hex.AsSpan(32, 16), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        ulong.Parse(hex.AsSpan(48, 16), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
}
