using System.Runtime;
using P2PSim.Configuration;
using P2PSim.Simulation;

namespace P2PSim.Experiments;

/// <summary>
/// Runs one experiment on a <see cref="SimulatedNetwork"/>: the seed and peer state machines on an in-memory
/// network in virtual time (<see cref="SimulatedExperimentNetwork"/>), driven through the workload by the same
/// <see cref="WorkloadRunner"/> as a tcp run. Deterministic: the report (resources aside) depends only on the options.
/// <code>
/// var report = new SimulatedExperiment(new ExperimentOptions { Peers = 10_000, RunSeed = 7 })
///     .Run(progress: p => Console.WriteLine($"{p.Phase} {p.PeersJoined}/{p.Peers}"));
/// ReportWriter.WriteText(Console.Out, report);
/// File.WriteAllText("report.json", ReportWriter.ToJson(report));
/// </code>
/// </summary>
public sealed class SimulatedExperiment
{
    private readonly ExperimentOptions _options;
    private readonly Workload _workload;
    private readonly PeerOptions _peerOptions;
    private SimulatedExperimentNetwork? _driver;

    /// <summary>Checks the options for the simulated network (whatever their <see cref="ExperimentOptions.Network"/>); throws <see cref="ArgumentException"/> naming every invalid setting.</summary>
    public SimulatedExperiment(ExperimentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options with { Network = NetworkKind.Simulated };
        _options.Validate();
        _workload = _options.WorkloadToRun();
        _peerOptions = _options.PeerOptionsForRun();
    }

    /// <summary>The network of the last run (for inspection after <see cref="Run"/>).</summary>
    public SimulatedNetwork? Network => _driver?.Network;

    /// <summary>Runs the experiment once. Call once per instance.</summary>
    /// <param name="progress">Called on this thread at most once a second of wall time, and at the start of each phase.</param>
    /// <param name="cancellationToken">Checked every few thousand events.</param>
    public ExperimentReport Run(Action<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_driver is not null)
        {
            throw new InvalidOperationException("This experiment has already run; create a new one.");
        }
        // A run is one long single-threaded job with a large heap that is mutated everywhere (every peer's Message
        // List grows). Background collection has to track those writes while it marks, which cost more than the pauses
        // it saves: batch mode (blocking full collections) made a 30,000-peer burst 25 % faster (61 s -> 46 s).
        var latencyMode = GCSettings.LatencyMode;
        GCSettings.LatencyMode = GCLatencyMode.Batch;
        try
        {
            using var meter = new ResourceMeter();
            var master = new Random(_options.RunSeed);
            var workloadRandom = new Random(master.Next());
            _driver = new SimulatedExperimentNetwork(_options, _workload, _peerOptions, master, meter, progress, cancellationToken);
            var run = new WorkloadRunner(_driver, _options, _workload, _peerOptions, workloadRandom).RunAsync(cancellationToken);
            // Every call into the simulated network has completed when it returns, so the whole run has too:
            // nothing here waits on another thread.
            if (!run.IsCompleted)
            {
                throw new InvalidOperationException("A simulated run must complete synchronously.");
            }
            var report = run.GetAwaiter().GetResult();
            var resources = meter.Finish() with { RecorderBytes = _driver.Read(r => r.ReceiptLogBytes) };
            // The live heap is measured with the network in memory: without this, optimized code may let the driver
            // (and every node) be collected before Finish looks, and the report would claim a few bytes per peer.
            GC.KeepAlive(_driver);
            return report with { Resources = resources };
        }
        finally
        {
            GCSettings.LatencyMode = latencyMode;
        }
    }
}
