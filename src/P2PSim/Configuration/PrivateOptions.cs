namespace P2PSim.Configuration;

/// <summary>
/// Section <c>Private</c>: private messages from one peer to another (PROTOCOL.md, <i>Private messages</i>): how long a
/// sender waits for the acknowledgement, how often it tries, and how long an unused direct link stays open.
/// </summary>
public sealed class PrivateOptions
{
    public const string Section = "Private";

    /// <summary>
    /// How long a sender waits for the acknowledgement of its first attempt; each further attempt waits twice as long as
    /// the one before (2, 4, 8, 16 s with the defaults).
    /// </summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Sends of one message in all, the first included; with no acknowledgement after the last, the message is undeliverable.</summary>
    public int Attempts { get; set; } = 4;

    /// <summary>A direct link that carried no private message or acknowledgement for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An independent copy (experiments adjust a copy per run).</summary>
    public PrivateOptions Clone() => (PrivateOptions)MemberwiseClone();
}
