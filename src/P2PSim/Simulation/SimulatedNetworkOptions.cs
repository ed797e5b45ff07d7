namespace P2PSim.Simulation;

/// <summary>Which messages <see cref="SimulatedNetworkOptions.LossProbability"/> applies to.</summary>
public enum LossScope
{
    /// <summary>Only gossip payloads are lost; control traffic (registration, liveness, reports) always arrives.</summary>
    GossipOnly,

    /// <summary>Every message may be lost (liveness requests too, so live peers may be declared dead).</summary>
    AllMessages,
}

/// <summary>
/// The link model of a <see cref="SimulatedNetwork"/>: every link has the same one-way
/// latency, plus an optional uniform jitter, plus an optional loss probability. Per-link
/// FIFO order holds whatever the jitter (a later message never overtakes an earlier one
/// on the same connection and direction), as on a TCP connection.
/// </summary>
public sealed record SimulatedNetworkOptions
{
    /// <summary>One-way delay of every message, dial and close. Default 1 ms (a LAN).</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Extra delay drawn uniformly from [0, Jitter) for each message. Default none.</summary>
    public TimeSpan Jitter { get; init; } = TimeSpan.Zero;

    /// <summary>Chance in [0, 1] that a message (see <see cref="LossScope"/>) silently disappears. Default 0.</summary>
    public double LossProbability { get; init; }

    /// <summary>Which messages can be lost. Default gossip payloads only.</summary>
    public LossScope LossScope { get; init; } = LossScope.GossipOnly;

    /// <summary>
    /// A Ping from a peer is answered by the node's runtime at once, as the TCP transport does with
    /// <c>Transport:EchoPings</c> (see <c>Nodes/NodeRuntime</c>); false hands it to the machine. Default true.
    /// </summary>
    public bool EchoPings { get; init; } = true;

    /// <summary>
    /// A timer a node asks for, while handling its own timer, at or before the current time
    /// fires this much later instead, so a machine that keeps asking for "now" cannot stall
    /// virtual time. Default 1 ms.
    /// </summary>
    public TimeSpan MinimumTimerDelay { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Latency < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(Latency)} must not be negative (got {Latency}).");
        }
        if (Jitter < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(Jitter)} must not be negative (got {Jitter}).");
        }
        if (double.IsNaN(LossProbability) || LossProbability is < 0 or > 1)
        {
            throw new ArgumentException($"{nameof(LossProbability)} must be between 0 and 1 (got {LossProbability}).");
        }
        if (MinimumTimerDelay <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(MinimumTimerDelay)} must be positive (got {MinimumTimerDelay}).");
        }
    }
}
