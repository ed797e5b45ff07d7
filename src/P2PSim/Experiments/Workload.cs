namespace P2PSim.Experiments;

/// <summary>What the peers do once the overlay is built. One of the records below.</summary>
public abstract record Workload
{
    /// <summary>Short name for reports: burst, classic or crash.</summary>
    public abstract string Name { get; }

    /// <summary>One line for the text report.</summary>
    public abstract string Describe();

    internal abstract void Validate();
}

/// <summary>
/// <see cref="Messages"/> gossip messages, published one at a time, every <see cref="Spacing"/>,
/// each from a peer picked at random among the running ones. The peers' own timed gossip is
/// switched off (<c>MessagesPerPeer = 0</c>). Measures dissemination on a quiet overlay.
/// </summary>
public sealed record BurstWorkload : Workload
{
    public int Messages { get; init; } = 100;

    public TimeSpan Spacing { get; init; } = TimeSpan.FromMilliseconds(100);

    public override string Name => "burst";

    public override string Describe() => $"{Messages} messages, one every {Spacing.TotalMilliseconds:0.###} ms from random live peers";

    internal override void Validate()
    {
        if (Messages < 0)
        {
            throw new ArgumentException($"{nameof(BurstWorkload)}.{nameof(Messages)} must not be negative (got {Messages}).");
        }
        if (Spacing < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(BurstWorkload)}.{nameof(Spacing)} must not be negative (got {Spacing}).");
        }
    }
}

/// <summary>
/// The original behaviour: every peer originates <c>MessagesPerPeer</c> messages, one every
/// <c>GossipInterval</c>, on its own timer from the moment it joined (so early messages go
/// out while later peers are still joining; a peer is only expected to receive messages
/// originated after its join).
/// </summary>
public sealed record ClassicWorkload : Workload
{
    public override string Name => "classic";

    public override string Describe() => "every peer gossips MessagesPerPeer messages on its own GossipInterval timer";

    internal override void Validate()
    {
    }
}

/// <summary>
/// A burst with failures: halfway through the burst (just before message Messages/2 is
/// published) a random <see cref="CrashShare"/> of the peers stops abruptly, with no goodbye.
/// The run continues until every crashed peer has been removed by every seed that listed it,
/// or until detection can no longer happen in time.
/// </summary>
public sealed record CrashWorkload : Workload
{
    /// <summary>Share of the peers that crash, in [0, 1]. Default 10%.</summary>
    public double CrashShare { get; init; } = 0.1;

    public int Messages { get; init; } = 100;

    public TimeSpan Spacing { get; init; } = TimeSpan.FromMilliseconds(100);

    public override string Name => "crash";

    public override string Describe() =>
        $"{Messages} messages, one every {Spacing.TotalMilliseconds:0.###} ms; {CrashShare:P0} of peers crash after message {Messages / 2}";

    internal override void Validate()
    {
        if (double.IsNaN(CrashShare) || CrashShare is < 0 or > 1)
        {
            throw new ArgumentException($"{nameof(CrashWorkload)}.{nameof(CrashShare)} must be between 0 and 1 (got {CrashShare}).");
        }
        if (Messages < 0)
        {
            throw new ArgumentException($"{nameof(CrashWorkload)}.{nameof(Messages)} must not be negative (got {Messages}).");
        }
        if (Spacing < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(CrashWorkload)}.{nameof(Spacing)} must not be negative (got {Spacing}).");
        }
    }
}
