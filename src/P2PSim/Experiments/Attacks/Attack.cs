namespace P2PSim.Experiments.Attacks;

/// <summary>
/// One attack of the attack workload, run against the live network through <see cref="AttackContext"/>. It returns a
/// row per variant: what it tried, what the honest nodes counted (the difference of <see cref="AttackContext.CountAsync"/>
/// around it: attacks run one after the other, so the counts are this attack's), and what got through.
/// </summary>
internal abstract class Attack
{
    public abstract AttackKind Kind { get; }

    public abstract Task<IReadOnlyList<AttackResult>> RunAsync(AttackContext context, CancellationToken ct);

    /// <summary>Runs <paramref name="run"/> and returns its outcome with what the honest nodes counted meanwhile.</summary>
    protected static async Task<(T Outcome, NodeCounters Counted)> CountedAsync<T>(AttackContext context, Func<Task<T>> run, CancellationToken ct)
    {
        var before = await context.CountAsync(ct).ConfigureAwait(false);
        var outcome = await run().ConfigureAwait(false);
        var after = await context.CountAsync(ct).ConfigureAwait(false);
        return (outcome, after - before);
    }

    /// <summary>A fresh token for forged texts, so a log line or a receipt of one can be told apart from everything else.</summary>
    protected static string NewToken(AttackContext context, string what) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"ATTACK-{what}-{context.Random.Next():x8}");
}
