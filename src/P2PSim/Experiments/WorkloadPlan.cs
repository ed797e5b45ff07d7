namespace P2PSim.Experiments;

/// <summary>What a step of a workload does.</summary>
internal enum StepKind
{
    /// <summary>A peer picked at random at that moment publishes one message.</summary>
    Publish,

    /// <summary>The <see cref="PlanStep.Targets"/> peers crash at once.</summary>
    CrashPeers,

    /// <summary>The target peer leaves cleanly.</summary>
    LeavePeer,

    /// <summary>The target peer (held back so far) starts and joins.</summary>
    JoinPeer,

    /// <summary>The target seeds crash at once.</summary>
    CrashSeeds,

    /// <summary>The target seeds come back, empty, on their endpoints.</summary>
    RestartSeeds,

    /// <summary>The network splits between the targets and <see cref="PlanStep.Others"/>.</summary>
    Partition,

    /// <summary>The partition ends.</summary>
    Heal,

    /// <summary>Peer <c>Targets[0]</c> sends a private message to peer <c>Targets[1]</c>.</summary>
    SendPrivate,

    /// <summary>The target peer joins group number <c>Others[0]</c>.</summary>
    JoinGroup,

    /// <summary>The target peer leaves group number <c>Others[0]</c>.</summary>
    LeaveGroup,
}

/// <summary>One step of a workload, <see cref="At"/> after the workload started.</summary>
internal sealed record PlanStep(TimeSpan At, StepKind Kind, int[] Targets, int[] Others);

/// <summary>
/// Everything a workload will do, decided before the run from its settings and the workload's own
/// <see cref="Random"/> (so a simulated run is repeatable, and a tcp run follows the same script). Pure.
/// </summary>
/// <param name="InitialPeers">Peers 0 to InitialPeers - 1 build the overlay; the rest are held back and join during the run.</param>
/// <param name="Victims">Peers that will crash, sorted.</param>
/// <param name="Leavers">Peers that will leave cleanly, sorted.</param>
/// <param name="Steps">The steps in time order (equal times: in the order given).</param>
/// <param name="OriginsStay">Publish only from peers that will neither crash nor leave.</param>
/// <param name="ChurnInterval">Time between two churn steps (churn only).</param>
internal sealed record WorkloadPlan(int InitialPeers, int[] Victims, int[] Leavers, IReadOnlyList<PlanStep> Steps, bool OriginsStay, TimeSpan ChurnInterval)
{
    /// <summary>groups: the members of each group at the start (group number i: <c>InitialGroups[i]</c>, sorted); empty for every other workload.</summary>
    public int[][] InitialGroups { get; init; } = [];

    public static WorkloadPlan For(Workload workload, int seeds, int peers, Random random)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(random);
        return workload switch
        {
            ClassicWorkload => new WorkloadPlan(peers, [], [], [], false, TimeSpan.Zero),
            BurstWorkload b => Burst(b, peers, [], []),
            Attacks.AttackWorkload a => Burst(a, peers, [], []),
            CrashWorkload c => Crash(c, peers, random),
            SeedCrashWorkload s => SeedCrash(s, seeds, peers, random),
            ChurnWorkload c => Churn(c, peers, random),
            PartitionWorkload p => Partition(p, peers, random),
            PrivateWorkload p => PrivateMessages(p, peers, random),
            GroupsWorkload g => Groups(g, peers, random),
            _ => throw new NotSupportedException($"Unknown workload {workload.GetType().Name}."),
        };
    }

    private static WorkloadPlan Burst(PublishingWorkload w, int peers, PlanStep[] halfway, PlanStep[] later) =>
        new(peers, [], [], Order(PublishSteps(w, halfway), later), false, TimeSpan.Zero);

    private static WorkloadPlan Crash(CrashWorkload w, int peers, Random random)
    {
        var victims = Sorted(Pick(Count(w.CrashShare, peers), peers, random));
        PlanStep[] halfway = victims.Length == 0 ? [] : [new PlanStep(w.FaultOffset, StepKind.CrashPeers, victims, [])];
        return Burst(w, peers, halfway, []) with { Victims = victims };
    }

    private static WorkloadPlan SeedCrash(SeedCrashWorkload w, int seeds, int peers, Random random)
    {
        var crashing = Sorted(Pick(Math.Min(w.Seeds, seeds), seeds, random));
        PlanStep[] later = w.RestartAfter > TimeSpan.Zero ? [new PlanStep(w.FaultOffset + w.RestartAfter, StepKind.RestartSeeds, crashing, [])] : [];
        return Burst(w, peers, [new PlanStep(w.FaultOffset, StepKind.CrashSeeds, crashing, [])], later);
    }

    private static WorkloadPlan Partition(PartitionWorkload w, int peers, Random random)
    {
        if (peers < 2)
        {
            return Burst(w, peers, [], []);
        }
        var sideA = Sorted(Pick(Math.Clamp(Count(w.Share, peers), 1, peers - 1), peers, random));
        var sideB = Enumerable.Range(0, peers).Except(sideA).ToArray();
        return Burst(w, peers,
            [new PlanStep(w.FaultOffset, StepKind.Partition, sideA, sideB)],
            [new PlanStep(w.FaultOffset + w.Duration, StepKind.Heal, [], [])]);
    }

    /// <summary>
    /// The victims first, then one SendPrivate step per message: the sender a random peer that stays, the recipient a
    /// random other peer (victims included: what is sent to them after their crash is undeliverable); the crash just
    /// before message Messages / 2.
    /// </summary>
    private static WorkloadPlan PrivateMessages(PrivateWorkload w, int peers, Random random)
    {
        var victims = Sorted(Pick(Math.Min(Count(w.CrashShare, peers), Math.Max(0, peers - 1)), peers, random));
        var stayers = Enumerable.Range(0, peers).Except(victims).ToArray();
        var steps = new List<PlanStep>(w.Messages + 1);
        for (var i = 0; i < w.Messages && peers >= 2; i++)
        {
            if (i == w.Messages / 2 && victims.Length > 0)
            {
                steps.Add(new PlanStep(w.FaultOffset, StepKind.CrashPeers, victims, []));
            }
            var from = stayers[random.Next(stayers.Length)];
            var to = random.Next(peers - 1);
            to += to >= from ? 1 : 0;
            steps.Add(new PlanStep(w.Spacing * i, StepKind.SendPrivate, [from, to], []));
        }
        return new WorkloadPlan(peers, victims, [], Order(steps, []), OriginsStay: true, TimeSpan.Zero);
    }

    /// <summary>Held-back peers are the last ones; leavers come from the others; leaves and joins alternate.</summary>
    private static WorkloadPlan Churn(ChurnWorkload w, int peers, Random random)
    {
        var initial = peers - Count(w.JoinShare, peers);
        var leaving = Pick(Math.Min(Count(w.LeaveShare, peers), Math.Max(0, initial - 1)), initial, random);
        var crashes = Count(w.CrashShare, leaving.Length);
        var joins = Enumerable.Range(initial, peers - initial).ToArray();
        var changes = leaving.Length + joins.Length;
        var interval = w.Interval > TimeSpan.Zero ? w.Interval : changes == 0 ? TimeSpan.Zero : w.BurstLength / (changes + 1);
        var churn = new List<PlanStep>(changes);
        for (int l = 0, j = 0; l < leaving.Length || j < joins.Length;)
        {
            var at = interval * (churn.Count + 1);
            if (l < leaving.Length && (l <= j || j == joins.Length))
            {
                var peer = leaving[l];
                churn.Add(new PlanStep(at, l < crashes ? StepKind.CrashPeers : StepKind.LeavePeer, [peer], []));
                l++;
            }
            else
            {
                churn.Add(new PlanStep(at, StepKind.JoinPeer, [joins[j]], []));
                j++;
            }
        }
        return new WorkloadPlan(
            initial,
            Sorted(leaving[..crashes]),
            Sorted(leaving[crashes..]),
            Order(PublishSteps(w, []), [.. churn]),
            OriginsStay: true,
            interval);
    }

    /// <summary>
    /// Each group's first members (a random share, drawn apart per group), and the membership changes spread evenly over the
    /// burst: a random peer and a random group; it leaves the group if it is in it (and not its last member), else joins it.
    /// </summary>
    private static WorkloadPlan Groups(GroupsWorkload w, int peers, Random random)
    {
        var members = new List<HashSet<int>>(w.Groups);
        var initial = new int[w.Groups][];
        for (var g = 0; g < w.Groups; g++)
        {
            initial[g] = Sorted(Pick(Math.Clamp(Count(w.Share, peers), Math.Min(1, peers), peers), peers, random));
            members.Add([.. initial[g]]);
        }
        var interval = w.Changes == 0 ? TimeSpan.Zero : w.BurstLength / (w.Changes + 1);
        var changes = new PlanStep[peers == 0 || w.Groups == 0 ? 0 : w.Changes];
        for (var i = 0; i < changes.Length; i++)
        {
            var peer = random.Next(peers);
            var group = random.Next(w.Groups);
            var leave = members[group].Contains(peer) && members[group].Count > 1;
            if (leave)
            {
                members[group].Remove(peer);
            }
            else
            {
                members[group].Add(peer);
            }
            changes[i] = new PlanStep(interval * (i + 1), leave ? StepKind.LeaveGroup : StepKind.JoinGroup, [peer], [group]);
        }
        return new WorkloadPlan(peers, [], [], Order(PublishSteps(w, []), changes), false, TimeSpan.Zero) { InitialGroups = initial };
    }

    /// <summary>One Publish step per message, <paramref name="halfway"/> inserted just before message Messages / 2.</summary>
    private static List<PlanStep> PublishSteps(PublishingWorkload w, PlanStep[] halfway)
    {
        var steps = new List<PlanStep>(w.Messages + halfway.Length);
        for (var i = 0; i < w.Messages; i++)
        {
            if (i == w.Messages / 2)
            {
                steps.AddRange(halfway);
            }
            steps.Add(new PlanStep(w.Spacing * i, StepKind.Publish, [], []));
        }
        if (w.Messages == 0)
        {
            steps.AddRange(halfway);
        }
        return steps;
    }

    /// <summary>All steps by time; a stable sort, so equal times keep the order given.</summary>
    private static PlanStep[] Order(List<PlanStep> steps, PlanStep[] more) => [.. steps.Concat(more).OrderBy(s => s.At)];

    private static int Count(double share, int of) => (int)Math.Round(share * of, MidpointRounding.AwayFromZero);

    /// <summary><paramref name="count"/> distinct numbers below <paramref name="of"/>, in random order (a partial Fisher-Yates shuffle).</summary>
    private static int[] Pick(int count, int of, Random random)
    {
        if (count <= 0)
        {
            return [];
        }
        var order = new int[of];
        for (var i = 0; i < of; i++)
        {
            order[i] = i;
        }
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, of);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[..count];
    }

    private static int[] Sorted(int[] values)
    {
        var copy = values.ToArray();
        Array.Sort(copy);
        return copy;
    }
}
