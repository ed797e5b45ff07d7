using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// The seeded <see cref="Random"/> of every node, derived the same way wherever the node runs: the real network
/// (<c>Hosting/RandomSource</c>, from <c>Network:RandomSeed</c>) and the simulated one (<c>SimulatedExperiment</c>).
/// A node's generator depends only on the run's node seed, its role and its index, so the same run seed gives each
/// seed and peer the same random choices on both networks.
/// </summary>
public static class NodeRandom
{
    /// <summary>
    /// The node seed of an experiment run, drawn from the run's master generator: never 0, which as
    /// <c>Network:RandomSeed</c> means "pick one at random".
    /// </summary>
    public static int NextSeed(Random master)
    {
        ArgumentNullException.ThrowIfNull(master);
        return master.Next(1, int.MaxValue);
    }

    /// <summary>The generator of seed or peer number <paramref name="index"/> (0-based) of a run with node seed <paramref name="seed"/>.</summary>
    public static Random For(int seed, NodeRole role, int index) => For(seed, role == NodeRole.Seed ? "seed" : "peer", index);

    /// <summary>The generator of one consumer, e.g. <c>"peer", 3</c>.</summary>
    public static Random For(int seed, string purpose, int index) => new(unchecked((seed * 961) + (StableHash(purpose) * 31) + index));

    private static int StableHash(string text)
    {
        unchecked
        {
            var hash = 17;
            foreach (var c in text)
            {
                hash = (hash * 31) + c;
            }
            return hash;
        }
    }
}
