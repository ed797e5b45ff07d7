using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Nodes;

namespace P2PSim.Hosting;

/// <summary>
/// The one source of randomness of a run. <c>Network:RandomSeed</c> (or a random seed when it
/// is 0, printed so the run can be repeated) seeds a separate <see cref="Random"/> per node,
/// so a node's choices do not depend on how threads interleave.
/// </summary>
public sealed class RandomSource
{
    public RandomSource(IOptions<NetworkOptions> network)
    {
        Seed = network.Value.RandomSeed != 0 ? network.Value.RandomSeed : Random.Shared.Next(1, int.MaxValue);
    }

    public int Seed { get; }

    /// <summary>The generator of one consumer, e.g. <c>"peer", 3</c> (derived as on the simulated network: <see cref="NodeRandom"/>).</summary>
    public Random For(string purpose, int index) => NodeRandom.For(Seed, purpose, index);
}
