namespace P2PSim.Configuration;

/// <summary>Section <c>Demo</c>: the scripted events of <c>dotnet run</c>.</summary>
public sealed class DemoOptions
{
    public const string Section = "Demo";

    /// <summary>Time after start-up when one peer crashes abruptly (no goodbye). 0 = no crash.</summary>
    public TimeSpan CrashAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Index (0-based) of the peer that crashes; -1 = a random peer.</summary>
    public int CrashPeer { get; set; } = -1;

    /// <summary>Run this long and then shut down by itself. 0 = until Ctrl+C.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.Zero;
}
