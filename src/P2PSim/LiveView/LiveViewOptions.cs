namespace P2PSim.LiveView;

/// <summary>
/// Section <c>LiveView</c>: the web page of the demo that shows the network live (loopback only). Only the demo serves
/// it; experiments and tests that build their own host do not.
/// </summary>
public sealed class LiveViewOptions
{
    public const string Section = "LiveView";

    /// <summary>Serve the page at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Port on 127.0.0.1 the page is served from; 0 lets the system pick a free one (tests use it).</summary>
    public int Port { get; set; } = 5080;
}
