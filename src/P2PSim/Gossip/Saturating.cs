namespace P2PSim.Gossip;

/// <summary>Tick arithmetic that stops at <see cref="long.MaxValue"/> instead of overflowing (a very long time to live).</summary>
internal static class Saturating
{
    public static long Add(long ticks, long more) => more > 0 && ticks > long.MaxValue - more ? long.MaxValue : ticks + more;
}
