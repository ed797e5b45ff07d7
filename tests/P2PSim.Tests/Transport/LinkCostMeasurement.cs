using System.Diagnostics;
using System.Globalization;
using P2PSim.Security;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// A measurement, not a test (ignored unless P2PSIM_MEASURE=1: run it by hand, in Release, and read its output): the CPU of one link's set-up
/// over loopback, both ends in this process, for plain, tls and noise links: connect, the TLS or Noise handshake, the
/// Hello and HelloProof each way, then the close. Variants are interleaved in rounds after a warm-up, so the machine's
/// load falls on all of them alike (P2PSIM_MEASURE_ONLY=noise, say, measures one, for a profiler). README, <i>Encrypted links</i>, has the figures.
/// <code>P2PSIM_MEASURE=1 dotnet test -c Release --filter "FullyQualifiedName~LinkCostMeasurement" --logger "console;verbosity=detailed"</code>
/// </summary>
public sealed class LinkCostMeasurement
{
    [Test]
    [CancelAfter(600_000)]
    public async Task Cpu_per_link_set_up_plain_tls_and_noise(CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("P2PSIM_MEASURE") != "1")
        {
            Assert.Ignore("a measurement: set P2PSIM_MEASURE=1 and run it by hand in Release");
        }
        const int Rounds = 6;
        const int PerRound = 100;
        var variants = new (string Name, Func<TestTransport> Start)[]
        {
            ("plain", () => TestTransport.Start()),
            ("tls", () => TestTransport.Start(tls: TlsLinks.Create(NodeKey.Generate(), TimeProvider.System))),
            ("noise", () => TestTransport.Start(noise: NoiseLinks.Create(NodeKey.Generate(), TimeProvider.System))),
        };
        if (Environment.GetEnvironmentVariable("P2PSIM_MEASURE_ONLY") is { Length: > 0 } only)
        {
            variants = [.. variants.Where(v => v.Name == only)];
        }
        var cpu = variants.ToDictionary(v => v.Name, _ => new List<double>());
        var pairs = new List<(string Name, TestTransport A, TestTransport B)>();
        try
        {
            foreach (var (name, start) in variants)
            {
                pairs.Add((name, start(), start()));
            }
            foreach (var (_, a, b) in pairs)
            {
                await LinksAsync(a, b, 20, ct); // warm-up: the JIT, the pools, OpenSSL's first contexts
            }
            using var process = Process.GetCurrentProcess();
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var (name, a, b) in pairs)
                {
                    process.Refresh();
                    var before = process.TotalProcessorTime;
                    await LinksAsync(a, b, PerRound, ct);
                    process.Refresh();
                    cpu[name].Add((process.TotalProcessorTime - before).TotalMilliseconds / PerRound);
                }
            }
        }
        finally
        {
            foreach (var (_, a, b) in pairs)
            {
                await a.DisposeAsync();
                await b.DisposeAsync();
            }
        }
        foreach (var (name, perRound) in cpu)
        {
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: {perRound.Order().ElementAt(perRound.Count / 2):0.000} ms CPU per link (median of {Rounds} rounds of {PerRound}; rounds: {string.Join(", ", perRound.Select(x => x.ToString("0.000", CultureInfo.InvariantCulture)))})"));
        }
        Assert.That(cpu.Values.SelectMany(v => v), Has.All.GreaterThan(0.0));
    }

    /// <summary><paramref name="count"/> links from a to b, one after the other, each closed once both ends have it.</summary>
    private static async Task LinksAsync(TestTransport a, TestTransport b, int count, CancellationToken ct)
    {
        for (var i = 0; i < count; i++)
        {
            var id = await a.ConnectToAsync(b, ct);
            a.Transport.Close(id, "measured", afterFlush: false);
            await a.Handler.NextAsync<TransportEvent.Closed>(ct, c => c.Connection == id);
        }
    }
}
