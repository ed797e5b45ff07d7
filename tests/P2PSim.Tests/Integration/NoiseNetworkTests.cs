using P2PSim.Configuration;

namespace P2PSim.Tests.Integration;

/// <summary>
/// A tcp experiment on Noise links (<c>Security:Links=noise</c>) delivers everything and its report says so (a whole
/// network on noise: <see cref="TlsNetworkTests"/>, which runs it on both kinds of secure link).
/// </summary>
[TestFixture]
public sealed class NoiseNetworkTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task A_tcp_experiment_on_noise_delivers_everything_and_its_report_says_so(CancellationToken ct)
    {
        var options = new P2PSim.Experiments.ExperimentOptions
        {
            Seeds = 2,
            Peers = 8,
            Messages = 5,
            Peer = TcpTestOptions.FastLiveness(),
            DrainTimeout = TimeSpan.FromSeconds(20),
            Security = new SecurityOptions { Links = LinkSecurity.Noise },
        };
        var report = await new P2PSim.Experiments.TcpExperiment(options).RunAsync(cancellationToken: ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.LinkSecurity, Is.EqualTo("noise"));
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Overlay.Connected, Is.True);
        }
    }
}
