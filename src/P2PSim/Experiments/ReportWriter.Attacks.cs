namespace P2PSim.Experiments;

/// <summary>The attack workload's rows, shown (before Connectivity) only when a report has them: one per attack, in the order they ran.</summary>
public static partial class ReportWriter
{
    private static Row[] AttackRows(IReadOnlyList<ExperimentReport> reports)
    {
        var names = reports.SelectMany(static r => r.Attacks?.Results ?? []).Select(static a => a.Attack).Distinct().ToArray();
        if (names.Length == 0)
        {
            return [];
        }
        return
        [
            new("Attacks (attempts / refused / closed / throttled / got through)", null),
            new("attacks (Experiment:Attacks), strength", r => r.Attacks is { } a ? $"{a.Attacks}, {a.Strength.ToString("0.##", Invariant)}" : "-"),
            .. names.Select(name => new Row(name, r => r.Attacks?.Results.FirstOrDefault(a => a.Attack == name) is { } a
                ? $"{Count(a.Attempts)} / {Count(a.Refused)} / {Count(a.Closed)} / {Count(a.Throttled)} / {Count(a.GotThrough)}{(a.Open ? " (open)" : a.GotThrough > 0 ? " GOT THROUGH" : "")}"
                : "-")),
            new("got through in all (open attacks left out)", r => r.Attacks is { } a ? Count(a.GotThrough) : "-"),
            new("log lines / with raw control characters", r => r.Attacks is { } a ? $"{Count(a.LogLines)} / {Count(a.RawControlLogLines)}" : "-"),
            new("cost: reliability without / with attackers", r => r.Attacks?.Cost is { } c ? $"{Percent(c.BaselineReliability, "0.000")} / {Percent(c.Reliability, "0.000")}" : "-"),
            new("cost: reach all p50 without / with", r => r.Attacks?.Cost is { } c ? Durations(c.BaselineReachAllP50Ms, c.ReachAllP50Ms) : "-"),
            new("cost: reach all p99 without / with", r => r.Attacks?.Cost is { } c ? Durations(c.BaselineReachAllP99Ms, c.ReachAllP99Ms) : "-"),
            new("cost: cpu time without / with", r => r.Attacks?.Cost is { CpuSeconds: { } cpu, BaselineCpuSeconds: { } before } ? Durations(before * 1000, cpu * 1000) : "-"),
            new("cost: peak working set / live heap without / with", r => r.Attacks?.Cost is { PeakWorkingSetBytes: { } peak, BaselinePeakWorkingSetBytes: { } peakBefore } c
                ? $"{Bytes(peakBefore)} / {Bytes(peak)}, {Bytes(c.BaselineManagedHeapBytes ?? 0)} / {Bytes(c.ManagedHeapBytes ?? 0)}"
                : "-"),
        ];
    }
}
