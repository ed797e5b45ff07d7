using System.ComponentModel;

namespace P2PSim.Configuration;

/// <summary>Section <c>Demo</c>: the scripted events of <c>dotnet run</c>.</summary>
public sealed class DemoOptions
{
    public const string Section = "Demo";

    /// <summary>With <see cref="ConsoleMode.Auto"/>, more peers than this get the per-second summary instead of every line.</summary>
    public const int SummaryAbovePeers = 30;

    /// <summary>Time after start-up when one peer crashes abruptly (no goodbye). 0 = no crash.</summary>
    public TimeSpan CrashAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Index (0-based) of the peer that crashes; -1 = a random peer.</summary>
    public int CrashPeer { get; set; } = -1;

    /// <summary>
    /// Private messages the demo sends between random peers once every peer has joined (the first one to a peer that
    /// cannot be dialled, if any: <c>Private:NotDialablePeers</c>, so a seed relays it). 0 = none.
    /// </summary>
    public int PrivateMessages { get; set; } = 3;

    /// <summary>Run this long and then shut down by itself. 0 = until Ctrl+C.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// What the console shows of the nodes' events: every line, or once a second a count per kind of event with every
    /// warning still in full. The log files always get every line. Auto: lines up to <see cref="SummaryAbovePeers"/> peers.
    /// </summary>
    public ConsoleMode Console { get; set; } = ConsoleMode.Auto;

    /// <summary>Whether the console shows the per-second summary with <paramref name="peers"/> peers.</summary>
    public bool SummarizesConsole(int peers) => Console == ConsoleMode.Summary || (Console == ConsoleMode.Auto && peers > SummaryAbovePeers);
}

/// <summary>Setting <c>Demo:Console</c>: <c>lines</c>, <c>summary</c> or <c>auto</c> (any case).</summary>
[TypeConverter(typeof(EnumSettingConverter<ConsoleMode>))]
public enum ConsoleMode
{
    /// <summary>Lines up to <see cref="DemoOptions.SummaryAbovePeers"/> peers, the summary above.</summary>
    Auto,

    /// <summary>One line per event of every node.</summary>
    Lines,

    /// <summary>Once a second one line counting the nodes' events per kind; warnings and errors in full.</summary>
    Summary,
}
