using P2PSim.Simulation;

namespace P2PSim.Tests.TestSupport;

/// <summary>Running a simulated network until something holds, with a deadline in virtual time: never a fixed wait.</summary>
internal static class SimulatedNetworkRuns
{
    /// <summary>Runs until <paramref name="done"/> holds, at most <paramref name="limit"/> of virtual time; true when it held.</summary>
    public static bool RunUntil(this SimulatedNetwork network, Func<bool> done, TimeSpan limit)
    {
        var deadline = network.Now + limit;
        while (!done())
        {
            if (!network.TryPeekNext(out var next) || next > deadline)
            {
                network.AdvanceTo(deadline);
                return done();
            }
            network.Step();
        }
        return true;
    }
}
