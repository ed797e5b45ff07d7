namespace P2PSim.Experiments.Attacks;

/// <summary>
/// The attack workload's section of the report (<c>attacks</c> in the JSON): per attack, what the attacker tried and what
/// the honest nodes did about it, as they counted it, and what got through (0 is the only right value, but for attacks
/// marked <see cref="AttackResult.Open"/>, which this version does not close yet).
/// </summary>
/// <param name="Attacks">The attacks that ran (<c>Experiment:Attacks</c>).</param>
/// <param name="Strength"><c>Experiment:AttackStrength</c>.</param>
/// <param name="Results">One row per attack (and per variant of it), in the order they ran.</param>
/// <param name="LogLines">Log lines the nodes wrote at Information or above during the run.</param>
/// <param name="RawControlLogLines">Of them, lines holding a raw control character (a forged log line, a terminal escape): must be 0.</param>
public sealed record AttackReport(string Attacks, double Strength, IReadOnlyList<AttackResult> Results, long LogLines, long RawControlLogLines)
{
    /// <summary>What got through in all, the attacks still open left out: must be 0.</summary>
    public long GotThrough => Results.Where(static r => !r.Open).Sum(static r => r.GotThrough);

    /// <summary>The honest peers' delivery and the process's costs without and with the attackers; null without a baseline run.</summary>
    public AttackCost? Cost { get; init; }
}

/// <summary>
/// What the attacks cost the honest peers: the baseline run (same settings and seed, no attackers) against the attack
/// run. The peak working set is the process's, so the attack run's (which comes second) is at least the baseline's.
/// </summary>
public sealed record AttackCost(
    double? BaselineReliability,
    double? Reliability,
    double? BaselineReachAllP50Ms,
    double? ReachAllP50Ms,
    double? BaselineReachAllP99Ms,
    double? ReachAllP99Ms,
    double? BaselineCpuSeconds,
    double? CpuSeconds,
    long? BaselinePeakWorkingSetBytes,
    long? PeakWorkingSetBytes,
    long? BaselineManagedHeapBytes,
    long? ManagedHeapBytes)
{
    public static AttackCost Between(ExperimentReport baseline, ExperimentReport attacked) => new(
        baseline.Delivery.Reliability, attacked.Delivery.Reliability,
        baseline.Delivery.ReachAllP50Ms, attacked.Delivery.ReachAllP50Ms,
        baseline.Delivery.ReachAllP99Ms, attacked.Delivery.ReachAllP99Ms,
        baseline.Resources?.CpuSeconds, attacked.Resources?.CpuSeconds,
        baseline.Resources?.PeakWorkingSetBytes, attacked.Resources?.PeakWorkingSetBytes,
        baseline.Resources?.ManagedHeapBytes, attacked.Resources?.ManagedHeapBytes);
}

/// <summary>One attack (or one variant of it) and its outcome.</summary>
/// <param name="Attack">What the attacker did, e.g. <c>forged gossip: bad signature</c>.</param>
/// <param name="Attempts">Connections, messages or requests the attacker sent.</param>
/// <param name="Refused">What the honest nodes refused and counted (connections refused, messages dropped as forged or too old, requests refused as an impostor's, reports refuted, inputs rejected).</param>
/// <param name="Closed">The attacker's connections the honest nodes closed, as the attacker saw them close.</param>
/// <param name="Throttled">Messages the honest nodes dropped over their origin's allowance.</param>
/// <param name="GotThrough">What the attack achieved (<see cref="Measure"/> says what is counted): must be 0.</param>
/// <param name="Measure">What <see cref="GotThrough"/> counts.</param>
/// <param name="Open">An attack this version does not close yet: reported as it is, not counted in <see cref="AttackReport.GotThrough"/>.</param>
public sealed record AttackResult(string Attack, long Attempts, long Refused, long Closed, long Throttled, long GotThrough, string Measure, bool Open = false);
