using P2PSim.Configuration;

namespace P2PSim.Tests.Integration;

/// <summary>
/// A whole network on Noise links (<c>Security:Links=noise</c>): every message reaches every peer exactly once, and every
/// link knows the node at its other end by the node id its Noise handshake proved; a tcp experiment on noise says so in
/// its report.
/// </summary>
[TestFixture]
public sealed class NoiseNetworkTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task A_noise_network_delivers_every_message_to_every_peer_exactly_once_over_authenticated_links(CancellationToken ct)
    {
        const int Peers = 6;
        await using var network = await TestNetwork.StartAsync(2, Peers, new Dictionary<string, string?> { ["Security:Links"] = "noise" }, ct);
        await network.WaitForOverlayAsync(ct);
        var published = await network.PublishFromEveryPeerAsync(ct);
        await network.WaitForDeliveryAsync(published, ct);
        await Eventually.HoldsAsync(() =>
        {
            var d = network.Stats.ComputeDelivery();
            return d.Delivered < d.Expected ? $"{d.Delivered} of {d.Expected} receipts; e.g. {string.Join("; ", d.Missing.Take(3))}" : null;
        }, TimeSpan.FromSeconds(30), ct);

        var delivery = network.Stats.ComputeDelivery();
        var ids = network.Seeds.Concat(network.Peers).ToDictionary(n => n.Endpoint, n => n.Id);
        var links = network.Peers.SelectMany(p => p.Transport!.Links().Select(l => (Peer: p.Endpoint, l.Remote, l.Id))).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(delivery.Expected, Is.GreaterThanOrEqualTo(Peers * (Peers - 1)));
            Assert.That(delivery.Delivered, Is.EqualTo(delivery.Expected));
            Assert.That(delivery.Repeated, Is.Zero, "a message delivered twice by one peer");
            Assert.That(network.Seeds.Concat(network.Peers).All(n => n.Transport!.Encrypted), Is.True, "every node runs noise");
            Assert.That(links, Is.Not.Empty);
            Assert.That(links.Where(l => ids.ContainsKey(l.Remote) && l.Id != ids[l.Remote]), Is.Empty,
                "a link whose Noise handshake proved another node than the one at its endpoint");
            Assert.That(links.Where(l => l.Id is null), Is.Empty, "a link without an authenticated node id");
        }
    }

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
