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
        ];
    }
}
