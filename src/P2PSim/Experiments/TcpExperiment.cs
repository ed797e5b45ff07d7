using P2PSim.Hosting;
using P2PSim.Nodes;

namespace P2PSim.Experiments;

/// <summary>
/// Runs one experiment on the real network (<see cref="TcpExperimentNetwork"/>: every seed and peer a hosted service
/// on its own loopback port, exactly as in the demo), through the same <see cref="WorkloadRunner"/> and into the same
/// report as a <see cref="SimulatedExperiment"/>. Time here is wall-clock time. The partition workload is not
/// supported on tcp.
/// </summary>
public sealed class TcpExperiment(SimulatedExperimentOptions options, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<ExperimentReport> RunAsync(Action<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        if (options.Workload is PartitionWorkload)
        {
            throw new NotSupportedException("The partition workload runs on the simulated network only: the tcp transport cannot cut links between groups of nodes.");
        }
        var meter = new ResourceMeter();
        var peer = options.PeerOptionsForRun();
        var master = new Random(options.RunSeed);
        var workloadRandom = new Random(master.Next());
        var network = new TcpExperimentNetwork(options, peer, _time, NodeRandom.NextSeed(master), meter, progress); // node Randoms derived as on the simulated network
        await using (network.ConfigureAwait(false))
        {
            var report = await new WorkloadRunner(network, options, peer, workloadRandom).RunAsync(cancellationToken).ConfigureAwait(false);
            var openFiles = OpenFileDescriptors();
            return report with { Resources = meter.Finish() with { OpenFileDescriptors = openFiles } };
        }
    }

    private static int? OpenFileDescriptors()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
