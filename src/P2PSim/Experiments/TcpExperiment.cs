using P2PSim.Configuration;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Transport;

namespace P2PSim.Experiments;

/// <summary>
/// Runs one experiment on the real network (<see cref="TcpExperimentNetwork"/>: every seed and peer a hosted service
/// on its own loopback port, exactly as in the demo), through the same <see cref="WorkloadRunner"/> and into the same
/// report as a <see cref="SimulatedExperiment"/>. Time here is wall-clock time. The partition workload is not
/// supported on tcp.
/// </summary>
public sealed partial class TcpExperiment
{
    private readonly ExperimentOptions _options;
    private readonly Workload _workload;
    private readonly TimeProvider _time;

    /// <summary>
    /// Checks the options for the tcp network (whatever their <see cref="ExperimentOptions.Network"/>); throws
    /// <see cref="ArgumentException"/> naming every invalid setting, a partition workload among them.
    /// </summary>
    public TcpExperiment(ExperimentOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options with { Network = NetworkKind.Tcp };
        _options.Validate();
        _workload = _options.WorkloadToRun();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Every node's transport counters as the last run ended (connections refused, pings the transport answered itself,
    /// frames sent and received, ...), seeds and peers, those that crashed or left included; empty before a run.
    /// </summary>
    public IReadOnlyList<TransportStats> Transports { get; private set; } = [];

    public async Task<ExperimentReport> RunAsync(Action<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var baseline = await AttackBaselineAsync(progress, cancellationToken).ConfigureAwait(false);
        return WithAttackCost(await RunOnceAsync(progress, cancellationToken).ConfigureAwait(false), baseline);
    }

    private async Task<ExperimentReport> RunOnceAsync(Action<ExperimentProgress>? progress, CancellationToken cancellationToken)
    {
        using var meter = new ResourceMeter();
        var peer = _options.PeerOptionsForRun();
        var master = new Random(_options.RunSeed);
        var workloadRandom = new Random(master.Next());
        var network = new TcpExperimentNetwork(_options, _workload, peer, _time, NodeRandom.NextSeed(master), meter, progress); // node Randoms derived as on the simulated network
        await using (network.ConfigureAwait(false))
        {
            var report = await new WorkloadRunner(network, _options, _workload, peer, workloadRandom).RunAsync(cancellationToken).ConfigureAwait(false);
            Transports = network.TransportStats();
            var openFiles = OpenFiles.Now();
            var recorderBytes = network.Read(r => r.ReceiptLogBytes);
            return report with { Resources = meter.Finish() with { OpenFileDescriptors = openFiles, RecorderBytes = recorderBytes } };
        }
    }
}
