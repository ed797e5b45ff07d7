using Microsoft.Extensions.Logging;
using P2PSim.Configuration;
using P2PSim.Experiments.Attacks;

namespace P2PSim.Experiments;

/// <summary>
/// The attack workload's view of the tcp network: its live nodes, its link security, and every node's log lines, read
/// as they are written (<see cref="AttackLogScan"/>; an attack run writes no log files, as no experiment does).
/// </summary>
internal sealed partial class TcpExperimentNetwork : IAttackableNetwork
{
    private AttackLogScan? _attackLogs;

    public AttackContext AttackContext(AttackWorkload workload, Random random) => new()
    {
        Peers = [.. _peers.OfType<Hosting.NodeService>()],
        Seeds = _seeds,
        Time = _time,
        Options = _options,
        Peer = _peer,
        Random = random,
        Logs = _attackLogs ?? throw new InvalidOperationException("The network was not built for the attack workload."),
        Recorder = read => Read(read),
        Strength = workload.Strength,
    };

    /// <summary>An attack run, and its baseline, read every node's log lines (the others write none).</summary>
    private void AddAttackLogging(ILoggingBuilder logging)
    {
        if (_options.Workload == WorkloadKind.Attack || _options.AttackBaselineRun)
        {
            _attackLogs = new AttackLogScan();
            logging.AddProvider(_attackLogs);
            logging.SetMinimumLevel(LogLevel.Information);
        }
    }
}
