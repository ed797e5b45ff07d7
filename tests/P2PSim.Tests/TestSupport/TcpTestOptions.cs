using P2PSim.Configuration;

namespace P2PSim.Tests.TestSupport;

/// <summary>Peer timings for tcp experiments in tests: liveness and registration in fractions of a second, so a crash or a lost seed is seen quickly.</summary>
public static class TcpTestOptions
{
    public static PeerOptions FastLiveness() => new()
    {
        LivenessInterval = TimeSpan.FromMilliseconds(500),
        RegistrationTimeout = TimeSpan.FromMilliseconds(500),
        RetryInterval = TimeSpan.FromMilliseconds(200),
        ReregisterInterval = TimeSpan.FromSeconds(1),
    };
}
