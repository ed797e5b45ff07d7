using P2PSim.Nodes;

namespace P2PSim.Experiments.Slices;

/// <summary>One step of a sliced run, <see cref="At"/> after <c>Experiment:StartAt</c>: who publishes, or who crashes.</summary>
/// <param name="Targets">Publish: the peers that each originate one message now. CrashPeers: the peers that crash now.</param>
internal sealed record SliceStep(TimeSpan At, StepKind Kind, int[] Targets);

/// <summary>
/// What every slice of a run does and when, worked out from the settings and <c>Experiment:RunSeed</c> alone, so every
/// slice derives the same schedule without talking to the others: the workload's plan (<see cref="WorkloadPlan"/>, the same
/// draw as a one-process run) and, for each publish step, the peers that publish. A one-process run picks a publisher
/// among the peers it sees live and joined; a slice sees only its own, so here a publisher is any peer that has not
/// crashed by then (and, where the plan says so, will not crash), the same in every slice. The slice that runs a step's
/// peer carries it out. Pure.
/// </summary>
internal sealed class SliceSchedule
{
    private SliceSchedule(WorkloadPlan plan, IReadOnlyList<SliceStep> steps, long messages, int hostSeed)
    {
        Plan = plan;
        Steps = steps;
        Messages = messages;
        HostSeed = hostSeed;
    }

    public WorkloadPlan Plan { get; }

    /// <summary>Publish and crash steps in time order.</summary>
    public IReadOnlyList<SliceStep> Steps { get; }

    /// <summary>Messages the network will originate: one per publisher per step; classic, every peer's <c>MessagesPerPeer</c>.</summary>
    public long Messages { get; }

    /// <summary>Seed of the nodes' own random choices (<c>Network:RandomSeed</c> of every slice's host).</summary>
    public int HostSeed { get; }

    /// <summary>The workloads a run over slices supports: the others need one process to see the whole network.</summary>
    public static bool Supports(WorkloadKind workload) => workload is WorkloadKind.Burst or WorkloadKind.Classic or WorkloadKind.Crash;

    /// <param name="options">Validated options of a supported workload.</param>
    /// <param name="seeds">Seeds of the whole network.</param>
    public static SliceSchedule For(ExperimentOptions options, int seeds)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Supports(options.Workload))
        {
            throw new NotSupportedException($"The {options.WorkloadName} workload does not run over slices.");
        }
        // The same draws, in the same order, as TcpExperiment: the node seed, then the workload's own Random.
        var master = new Random(options.RunSeed);
        var workloadRandom = new Random(master.Next());
        var hostSeed = NodeRandom.NextSeed(master);
        var peers = options.Peers;
        var plan = WorkloadPlan.For(options.WorkloadToRun(), seeds, peers, workloadRandom);
        if (options.Workload == WorkloadKind.Classic)
        {
            return new SliceSchedule(plan, [], (long)peers * options.PeerOptionsForRun().MessagesPerPeer, hostSeed);
        }
        var departs = new bool[peers];
        foreach (var p in plan.Victims.Concat(plan.Leavers))
        {
            departs[p] = true;
        }
        var crashed = new bool[peers];
        int? one = null;
        var steps = new List<SliceStep>(plan.Steps.Count);
        long messages = 0;
        foreach (var step in plan.Steps)
        {
            switch (step.Kind)
            {
                case StepKind.Publish:
                    bool Fits(int p) => !crashed[p] && (!plan.OriginsStay || !departs[p]);
                    int[] origins;
                    switch (options.Publishers)
                    {
                        case PublisherKind.Every:
                            origins = [.. Enumerable.Range(0, peers).Where(Fits)];
                            break;
                        case PublisherKind.One:
                            if (one is not { } chosen || !Fits(chosen))
                            {
                                one = Pick(peers, Fits, workloadRandom);
                            }
                            origins = one is { } o ? [o] : [];
                            break;
                        default:
                            origins = Pick(peers, Fits, workloadRandom) is { } picked ? [picked] : [];
                            break;
                    }
                    messages += origins.Length;
                    steps.Add(new SliceStep(step.At, StepKind.Publish, origins));
                    break;
                case StepKind.CrashPeers:
                    foreach (var p in step.Targets)
                    {
                        crashed[p] = true;
                    }
                    steps.Add(new SliceStep(step.At, StepKind.CrashPeers, step.Targets));
                    break;
                default:
                    throw new NotSupportedException($"A {step.Kind} step does not run over slices.");
            }
        }
        return new SliceSchedule(plan, steps, messages, hostSeed);
    }

    /// <summary>A random peer that fits, as the one-process runner picks one: 64 draws, then the first that fits; null when none does.</summary>
    private static int? Pick(int peers, Func<int, bool> fits, Random random)
    {
        for (var attempt = 0; attempt < 64 && peers > 0; attempt++)
        {
            var p = random.Next(peers);
            if (fits(p))
            {
                return p;
            }
        }
        for (var p = 0; p < peers; p++)
        {
            if (fits(p))
            {
                return p;
            }
        }
        return null;
    }
}
