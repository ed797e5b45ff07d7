namespace P2PSim.Experiments;

/// <summary>
/// Collects the overlay samples of one run (one <see cref="ConnectivitySample"/> per snapshot) and sums them
/// up as a <see cref="ConnectivityReport"/>. The network driver decides when to sample; this only counts.
/// Thread-safe (a tcp run samples on its own task).
/// </summary>
public sealed class ConnectivitySampler(DateTimeOffset start, TimeSpan interval)
{
    private readonly object _gate = new();
    private readonly List<ConnectivitySample> _samples = [];

    public TimeSpan Interval { get; } = interval;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _samples.Count;
            }
        }
    }

    /// <param name="crashedStillListed">Crashed peers some seed that listed them still lists (<see cref="ExperimentRecorder.CrashedStillListed"/>).</param>
    /// <param name="load">The backlog and queues then (see <see cref="ConnectivitySample"/>); null: not known.</param>
    public void Add(DateTimeOffset at, OverlaySnapshot snapshot, int crashedStillListed = 0, SampleLoad? load = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var shape = OverlayAnalysis.Analyse(snapshot.Neighbours);
        var live = snapshot.Peers.Length;
        var sample = new ConnectivitySample(
            AtMs: (at - start).TotalMilliseconds,
            LivePeers: live,
            Components: shape.Components,
            LargestComponent: shape.LargestComponent,
            LargestComponentShare: live == 0 ? 1 : shape.LargestComponent / (double)live,
            CrashedStillListed: crashedStillListed)
        {
            Backlog = load?.Backlog,
            QueuedBytes = load?.QueuedBytes,
            FramesInFlight = load?.FramesInFlight,
        };
        lock (_gate)
        {
            _samples.Add(sample);
        }
    }

    public ConnectivityReport Build()
    {
        ConnectivitySample[] samples;
        lock (_gate)
        {
            samples = [.. _samples];
        }
        ConnectivitySample? lowest = null;
        foreach (var s in samples)
        {
            if (lowest is null || s.LargestComponentShare < lowest.LargestComponentShare)
            {
                lowest = s;
            }
        }
        return new ConnectivityReport(
            SampleIntervalMs: Interval.TotalMilliseconds,
            MinLargestComponentShare: lowest?.LargestComponentShare,
            MinAtMs: lowest?.AtMs,
            MaxComponents: samples.Length == 0 ? 0 : samples.Max(s => s.Components),
            Samples: samples);
    }
}

/// <summary>The load of the network at a sample (see <see cref="ConnectivitySample"/>); null parts are not measured on that network.</summary>
public sealed record SampleLoad(long Backlog, long? QueuedBytes, long? FramesInFlight);
