using P2PSim.Configuration;

namespace P2PSim.Experiments;

/// <summary>
/// Runs one experiment on any <see cref="IExperimentNetwork"/>: the workloads are written once, here. The steps:
/// decide the <see cref="WorkloadPlan"/>; mark the peers that will crash or leave; let the first peers join and
/// measure the overlay; sample the overlay from then on; carry out the plan's steps at their times (or, for
/// classic, wait for the peers' own gossip); let the gossip land (drain); after faults, wait until the network has
/// recovered (every expected receipt, every crash detected, every restarted seed back to its peer-list size) or
/// until it can no longer do so in time; report.
/// </summary>
internal sealed class WorkloadRunner(IExperimentNetwork net, ExperimentOptions options, Workload workload, PeerOptions peer, Random random)
{
    private int? _publisher;

    public async ValueTask<ExperimentReport> RunAsync(CancellationToken cancellationToken)
    {
        var plan = WorkloadPlan.For(workload, net.SeedCount, net.PeerCount, random);
        net.Write(r =>
        {
            foreach (var v in plan.Victims)
            {
                r.MarkVictim(v);
            }
            foreach (var l in plan.Leavers)
            {
                r.MarkLeaver(l);
            }
        });
        net.Phase = "join";
        var join = await net.JoinAsync(plan.InitialPeers, cancellationToken).ConfigureAwait(false);
        await JoinGroupsAsync(plan, cancellationToken).ConfigureAwait(false);
        var built = await net.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var overlay = Overlay(built, join);

        var sampler = new ConnectivitySampler(net.Start, options.SampleInterval > TimeSpan.Zero ? options.SampleInterval : peer.LivenessInterval);
        net.Phase = "workload";
        net.StartSampling(sampler);
        var log = new FaultLog();
        // attack: the attackers run beside the honest burst, on the tcp network only (the options say so)
        var attacks = workload is Attacks.AttackWorkload attack && net is Attacks.IAttackableNetwork attackable
            ? Attacks.AttackCampaign.RunAsync(attackable.AttackContext(attack, new Random(random.Next())), attack, cancellationToken)
            : null;
        if (workload is ClassicWorkload)
        {
            var target = (long)join.Gossiping * peer.MessagesPerPeer;
            var deadline = net.Now + (peer.GossipInterval * (peer.MessagesPerPeer + 1)) + options.DrainTimeout;
            await net.WaitUntilAsync(() => net.Read(static r => r.MessagesPublished) >= target, deadline, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await RunStepsAsync(plan, log, cancellationToken).ConfigureAwait(false);
        }
        var attackReport = attacks is null ? null : await attacks.ConfigureAwait(false);
        if (workload is PrivateWorkload)
        {
            // Every private message gets its acknowledgement or is reported undeliverable within its attempts' waits.
            net.Phase = "private";
            var settle = options.Private.AckTimeout * (Math.Pow(2, options.Private.Attempts) - 1) + options.Transport.HandshakeTimeout;
            await net.WaitUntilAsync(() => net.Read(static r => r.PrivatePending == 0), net.Now + settle, cancellationToken).ConfigureAwait(false);
        }
        net.Phase = "drain";
        await net.WaitForGossipAsync(net.Now + options.DrainTimeout, cancellationToken).ConfigureAwait(false);
        if (log.RecoverBy is { } recoverBy)
        {
            net.Phase = "recovery";
            await net.WaitUntilAsync(() => net.Read(static r => r.AllDelivered && r.AllCrashesDetected && r.AllSeedsRelearned), recoverBy, cancellationToken).ConfigureAwait(false);
            await net.WaitForGossipAsync(net.Now + options.DrainTimeout, cancellationToken).ConfigureAwait(false);
        }
        await net.StopSamplingAsync(cancellationToken).ConfigureAwait(false);
        return Report(plan, overlay, log, sampler.Build()) with { OverlayGraph = built, Groups = GroupReport(plan), Attacks = attackReport };
    }

    /// <summary>groups: every group's first members join it, and the run waits until the groups' overlays have formed (or the join timeout).</summary>
    private async ValueTask JoinGroupsAsync(WorkloadPlan plan, CancellationToken cancellationToken)
    {
        if (plan.InitialGroups.Length == 0)
        {
            return;
        }
        for (var g = 0; g < plan.InitialGroups.Length; g++)
        {
            foreach (var member in plan.InitialGroups[g])
            {
                await net.JoinGroupAsync(member, GroupsWorkload.GroupName(g), cancellationToken).ConfigureAwait(false);
            }
        }
        await net.WaitUntilAsync(() => net.Read(static r => r.AllGroupsLinked), net.Now + options.JoinTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>groups: one message to a random group, from a random live member of it (groups without one are skipped).</summary>
    private async ValueTask PublishToGroupAsync(int groups, CancellationToken cancellationToken)
    {
        var first = random.Next(groups);
        for (var i = 0; i < groups; i++)
        {
            var group = GroupsWorkload.GroupName((first + i) % groups);
            var members = Enumerable.Range(0, net.PeerCount).Where(p => net.IsLive(p) && net.Read(r => r.IsGroupMember(p, group))).ToArray();
            if (members.Length > 0 && await net.PublishToGroupAsync(members[random.Next(members.Length)], group, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private GroupReport? GroupReport(WorkloadPlan plan) => workload is GroupsWorkload g
        ? net.Read(r => r.BuildGroups(g.Groups, [.. plan.InitialGroups.Select(m => m.Length)], net.PayloadTransmissions, net.GroupPayloadLeaks))
        : null;

    private async ValueTask RunStepsAsync(WorkloadPlan plan, FaultLog log, CancellationToken cancellationToken)
    {
        var start = net.Now;
        foreach (var step in plan.Steps)
        {
            await net.DelayUntilAsync(start + step.At, cancellationToken).ConfigureAwait(false);
            var now = net.Now;
            switch (step.Kind)
            {
                case StepKind.Publish:
                    var before = new PublishMark(now, net.PayloadTransmissions, net.Read(static r => r.FirstReceipts));
                    log.Marks.Add(before);
                    if (++log.PublishSteps == 2)
                    {
                        // The first message has spread (a tree has formed on it): what the rest cost is counted apart.
                        log.AfterFirst = (before.Transmissions, before.Receipts);
                    }
                    if (workload is GroupsWorkload groups)
                    {
                        await PublishToGroupAsync(groups.Groups, cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    foreach (var origin in Origins(plan.OriginsStay))
                    {
                        await net.PublishAsync(origin, cancellationToken).ConfigureAwait(false);
                        log.MessagesDuringPartition += log.PartitionAt is not null && log.HealAt is null ? 1 : 0;
                    }
                    break;
                case StepKind.JoinGroup:
                    await net.JoinGroupAsync(step.Targets[0], GroupsWorkload.GroupName(step.Others[0]), cancellationToken).ConfigureAwait(false);
                    break;
                case StepKind.LeaveGroup:
                    await net.LeaveGroupAsync(step.Targets[0], GroupsWorkload.GroupName(step.Others[0]), cancellationToken).ConfigureAwait(false);
                    break;
                case StepKind.CrashPeers:
                    await net.CrashPeersAsync(step.Targets, cancellationToken).ConfigureAwait(false);
                    log.PeersCrashed += step.Targets.Length;
                    log.PeerChange(now, DetectionWindow);
                    break;
                case StepKind.LeavePeer:
                    await net.StopPeerAsync(step.Targets[0], cancellationToken).ConfigureAwait(false);
                    log.PeerChange(now, DetectionWindow);
                    break;
                case StepKind.JoinPeer:
                    await net.StartPeerAsync(step.Targets[0], cancellationToken).ConfigureAwait(false);
                    log.PeerChange(now, DetectionWindow);
                    break;
                case StepKind.CrashSeeds:
                    log.SeedListsBeforeCrash = net.Read(static r => r.SeedListSizes);
                    await net.CrashSeedsAsync(step.Targets, cancellationToken).ConfigureAwait(false);
                    log.SeedsCrashed = step.Targets;
                    log.SeedCrashAt = now;
                    log.RecoverAfter(now, TimeSpan.Zero);
                    break;
                case StepKind.RestartSeeds:
                    await net.RestartSeedsAsync(step.Targets, cancellationToken).ConfigureAwait(false);
                    log.SeedRestartAt = now;
                    log.RecoverAfter(now, RelearnWindow);
                    break;
                case StepKind.Partition:
                    if (!net.CanPartition)
                    {
                        throw new NotSupportedException($"The {net.Kind} network cannot be partitioned; run the partition workload on the simulated network.");
                    }
                    await net.PartitionAsync(step.Targets, step.Others, cancellationToken).ConfigureAwait(false);
                    (log.PartitionAt, log.SideA, log.SideB) = (now, step.Targets.Length, step.Others.Length);
                    break;
                case StepKind.SendPrivate:
                    if (net.IsLive(step.Targets[0]))
                    {
                        await net.SendPrivateAsync(step.Targets[0], step.Targets[1], cancellationToken).ConfigureAwait(false);
                    }
                    break;
                case StepKind.Heal:
                    await net.HealAsync(cancellationToken).ConfigureAwait(false);
                    log.HealAt = now;
                    log.RecoverAfter(now, DetectionWindow + ((peer.MaxMissedLiveness + 1) * peer.LivenessInterval));
                    break;
            }
        }
    }

    /// <summary>The peers that publish at this step (<c>Experiment:Publishers</c>).</summary>
    private IEnumerable<int> Origins(bool staying)
    {
        switch (options.Publishers)
        {
            case PublisherKind.Every:
                var every = Enumerable.Range(0, net.PeerCount).Where(p => net.IsLive(p) && net.Read(r => r.HasJoined(p) && (!staying || !r.Departs(p)))).ToArray();
                return every;
            case PublisherKind.One:
                if (_publisher is not { } one || !net.IsLive(one))
                {
                    _publisher = PickOrigin(staying);
                }
                return _publisher is { } chosen ? [chosen] : [];
            default:
                return PickOrigin(staying) is { } origin ? [origin] : [];
        }
    }

    /// <summary>A random live peer that has joined (and, with <paramref name="staying"/>, will neither crash nor leave); null when there is none.</summary>
    private int? PickOrigin(bool staying)
    {
        var peers = net.PeerCount;
        bool Fits(int p) => net.IsLive(p) && net.Read(r => r.HasJoined(p) && (!staying || !r.Departs(p)));
        for (var attempt = 0; attempt < 64 && peers > 0; attempt++)
        {
            var p = random.Next(peers);
            if (Fits(p))
            {
                return p;
            }
        }
        for (var p = 0; p < peers; p++)
        {
            if (Fits(p))
            {
                return p;
            }
        }
        return null;
    }

    /// <summary>
    /// Longest the seeds may take to remove a crashed peer: its neighbours' liveness rounds, a report and its retries; or,
    /// for a crashed peer nobody reported, the seeds' expiry of peers that stop registering.
    /// </summary>
    private TimeSpan DetectionWindow => DetectionWindowFor(peer, options.Seed);

    /// <summary>The detection window of a run with these peer and seed settings (also the slices' recovery bound).</summary>
    internal static TimeSpan DetectionWindowFor(PeerOptions peer, SeedOptions seed)
    {
        var reported = (peer.LivenessInterval * (peer.MaxMissedLiveness + 2)) + peer.RegistrationTimeout + (peer.RetryInterval * 3);
        var expiry = seed.PeerExpiry(peer);
        return expiry > TimeSpan.Zero && expiry + peer.RetryInterval > reported ? expiry + peer.RetryInterval : reported;
    }

    /// <summary>Longest a restarted seed waits for every peer to register again: two re-registration rounds (retries back off up to one).</summary>
    private TimeSpan RelearnWindow =>
        peer.ReregisterInterval > TimeSpan.Zero ? (peer.ReregisterInterval * 2) + peer.RegistrationTimeout + peer.RetryInterval : TimeSpan.Zero;

    private static OverlayReport Overlay(OverlaySnapshot snapshot, JoinOutcome join)
    {
        var shape = OverlayAnalysis.Analyse(snapshot.Neighbours);
        return new OverlayReport(shape.DegreeMin, shape.DegreeMean, shape.DegreeMax, shape.Edges, shape.Connected, shape.Components,
            join.NotJoined, join.BuildTime.TotalMilliseconds, shape.Fingerprint, join.JoinedAtOnce)
        {
            DegreeHistogram = OverlayAnalysis.DegreeHistogram(snapshot.Neighbours),
            KeysMs = join.KeysTime?.TotalMilliseconds,
        };
    }

    private ExperimentReport Report(WorkloadPlan plan, OverlayReport overlay, FaultLog log, ConnectivityReport connectivity)
    {
        var facts = net.Facts();
        var (delivery, traffic, crash, faults) = net.Read(r => (
            r.BuildDelivery(),
            r.BuildTraffic(facts.PayloadTransmissions, facts.MessagesSent, facts.BytesSent, facts.PayloadBytes, facts.MessagesLost, facts.DuplicatesDropped, facts.SendQueueDrops)
                with
                {
                    Routing = options.Gossip.Routing.ToString().ToLowerInvariant(),
                    TreeControlFrames = facts.TreeControl?.Frames,
                    TreeControlBytes = facts.TreeControl?.Bytes,
                    TreeControl = facts.TreeControl is { } tree ? TreeControlReport.From(tree) : null,
                    RmrAfterFirstMessage = log.AfterFirst is { } first ? Statistics.Rmr(facts.PayloadTransmissions - first.Transmissions, r.FirstReceipts - first.Receipts) : null,
                },
            Crash(r, facts, log),
            Faults(r, plan, log)));
        return new ExperimentReport(
            NetworkKind: net.Kind,
            Workload: workload.Name,
            WorkloadDescription: workload.Describe(),
            Seeds: net.SeedCount,
            Peers: net.PeerCount,
            RunSeed: options.RunSeed,
            Protocol: new ProtocolSettings(peer.MaxNeighbours, peer.MessagesPerPeer, peer.GossipInterval.TotalMilliseconds,
                peer.LivenessInterval.TotalMilliseconds, peer.MaxMissedLiveness, options.MaxPeersPerList),
            Links: facts.Links,
            Overlay: overlay,
            Delivery: delivery,
            Traffic: traffic,
            Crash: crash,
            Faults: faults,
            Connectivity: connectivity,
            DurationMs: Ms(net.Now),
            EventsProcessed: facts.EventsProcessed,
            Resources: null)
        {
            LinkSecurity = net.Kind == "tcp" ? EnumSetting.Name(options.Security.Links) : null,
            Signatures = new SignatureReport(net.Kind == "tcp" ? EnumSetting.Name(SignatureMode.Verify) : EnumSetting.Name(options.Security.Signatures),
                facts.SignatureChecks, net.Read(static r => r.Forged)),
            Security = net.Read(static r => r.Security),
            Private = workload is PrivateWorkload ? net.Read(r => r.BuildPrivate(facts.PayloadTransmissions, facts.DirectAcks, options.NotDialablePeers().Count)) : null,
        };
    }

    /// <summary>The crash report; on a broadcast tree with when the tree was repaired (see <see cref="TreeRepair.Measure"/>).</summary>
    private CrashReport? Crash(ExperimentRecorder r, NetworkFacts facts, FaultLog log)
    {
        var crash = r.BuildCrash();
        if (crash is null || options.Gossip.Routing == Routing.Flood || r.FirstCrashAt is not { } crashAt)
        {
            return crash;
        }
        var repair = TreeRepair.Measure(crashAt, log.Marks, r.MessagesSince(crashAt), facts.PayloadTransmissions, r.FirstReceipts);
        return crash with
        {
            TreeRepairedAfterMs = repair.RepairedAfter?.TotalMilliseconds,
            RmrAfterRepair = repair.RmrAfterRepair,
            MessagesAfterCrash = repair.MessagesAfterCrash,
            MessagesAfterRepair = repair.MessagesAfterRepair,
        };
    }

    private FaultReport Faults(ExperimentRecorder r, WorkloadPlan plan, FaultLog log)
    {
        ChurnReport? churn = null;
        if (workload is ChurnWorkload)
        {
            var late = Enumerable.Range(plan.InitialPeers, net.PeerCount - plan.InitialPeers).Count(r.HasJoined);
            churn = new ChurnReport(net.PeerCount - plan.InitialPeers, late, r.PeersLeft, log.PeersCrashed,
                plan.ChurnInterval.TotalMilliseconds, log.LastPeerChange is { } last ? Ms(last) : null);
        }
        SeedCrashReport? seedCrash = null;
        if (log.SeedCrashAt is { } crashedAt)
        {
            var relearned = log.SeedRestartAt is { } restart && r.SeedsRelearnedAt is { } back ? (back - restart).TotalMilliseconds : (double?)null;
            seedCrash = new SeedCrashReport(log.SeedsCrashed, Ms(crashedAt), log.SeedRestartAt is { } at ? Ms(at) : null,
                log.SeedListsBeforeCrash, r.SeedListSizes, relearned);
        }
        PartitionReport? partition = null;
        if (log.PartitionAt is { } split)
        {
            var heal = log.HealAt ?? net.Now;
            double? caughtUp = r.AllDelivered && r.LastDeliveryAt is { } lastDelivery ? Math.Max(0, (lastDelivery - heal).TotalMilliseconds) : null;
            partition = new PartitionReport(log.SideA, log.SideB, Ms(split), Ms(heal), log.MessagesDuringPartition, caughtUp);
        }
        return new FaultReport(r.LivePeersReportedDead, r.LivePeersRemoved, r.LivePeersExpired, r.LeaversReportedDead, r.CatchUpReceipts, churn, seedCrash, partition);
    }

    private double Ms(DateTimeOffset at) => (at - net.Start).TotalMilliseconds;

    /// <summary>What the steps did and when, for the report and for how long to wait for recovery.</summary>
    private sealed class FaultLog
    {
        /// <summary>Publish steps taken so far.</summary>
        public int PublishSteps { get; set; }

        /// <summary>Every publish step: when, and the payload transmissions and first receipts just before it.</summary>
        public List<PublishMark> Marks { get; } = [];

        /// <summary>Payload transmissions and first receipts when the second publish step began (null: there was none).</summary>
        public (long Transmissions, long Receipts)? AfterFirst { get; set; }

        public DateTimeOffset? RecoverBy { get; private set; }

        public DateTimeOffset? LastPeerChange { get; private set; }

        public int PeersCrashed { get; set; }

        public int[] SeedsCrashed { get; set; } = [];

        public int[] SeedListsBeforeCrash { get; set; } = [];

        public DateTimeOffset? SeedCrashAt { get; set; }

        public DateTimeOffset? SeedRestartAt { get; set; }

        public DateTimeOffset? PartitionAt { get; set; }

        public DateTimeOffset? HealAt { get; set; }

        public int SideA { get; set; }

        public int SideB { get; set; }

        public int MessagesDuringPartition { get; set; }

        public void PeerChange(DateTimeOffset at, TimeSpan window)
        {
            LastPeerChange = at;
            RecoverAfter(at, window);
        }

        public void RecoverAfter(DateTimeOffset at, TimeSpan window)
        {
            var by = at + window;
            RecoverBy = RecoverBy is { } earlier && earlier > by ? earlier : by;
        }
    }
}
