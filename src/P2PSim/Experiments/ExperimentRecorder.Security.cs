using P2PSim.Hosting;

namespace P2PSim.Experiments;

/// <summary>The security counts of the report, from the seeds' and peers' events, counted as the demo summary counts them.</summary>
public sealed partial class ExperimentRecorder
{
    private readonly SecurityTally _security = new();

    /// <summary>Dials refused for another id, neighbours replaced, group keys made and learned, messages held for their key and what became of them.</summary>
    public SecurityCounts Security => _security.Read();
}
