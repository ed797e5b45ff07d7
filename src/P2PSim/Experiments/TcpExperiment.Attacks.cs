using P2PSim.Experiments.Attacks;

namespace P2PSim.Experiments;

/// <summary>
/// The attack workload's baseline (<c>Experiment:AttackBaseline</c>): before the attack run, the same network, seed and
/// burst without attackers (its nodes' log lines read all the same), so the report can put what the honest peers got,
/// and what it cost them, with and without the attacks side by side.
/// </summary>
public sealed partial class TcpExperiment
{
    private async Task<ExperimentReport?> AttackBaselineAsync(Action<ExperimentProgress>? progress, CancellationToken cancellationToken)
    {
        if (_workload is not AttackWorkload || !_options.AttackBaseline)
        {
            return null;
        }
        var quiet = new TcpExperiment(_options with { Workload = WorkloadKind.Burst, AttackBaselineRun = true }, _time);
        return await quiet.RunOnceAsync(progress is null ? null : p => progress(p with { Phase = $"baseline {p.Phase}" }), cancellationToken).ConfigureAwait(false);
    }

    private static ExperimentReport WithAttackCost(ExperimentReport report, ExperimentReport? baseline) =>
        baseline is null || report.Attacks is not { } attacks ? report : report with { Attacks = attacks with { Cost = AttackCost.Between(baseline, report) } };
}
