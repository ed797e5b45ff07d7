using P2PSim.Configuration;

namespace P2PSim.Tests.Integration;

/// <summary>
/// A whole network on Noise links (<c>Security:Links=noise</c>, the default of the demo and of experiments) and on TLS
/// links (<c>tls</c>): every message reaches every peer exactly once, and every link knows the node at its other end by the
/// node id its handshake proved. A bad value of the setting stops start-up with one line naming it.
/// </summary>
[TestFixture]
public sealed class TlsNetworkTests
{
    [TestCase("tls")]
    [TestCase("noise")]
    [CancelAfter(90_000)]
    public async Task A_secure_network_delivers_every_message_to_every_peer_exactly_once_over_authenticated_links(string linkKind, CancellationToken ct)
    {
        const int Peers = 6;
        await using var network = await TestNetwork.StartAsync(2, Peers, new Dictionary<string, string?> { ["Security:Links"] = linkKind }, ct);
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
            Assert.That(network.Seeds.Concat(network.Peers).All(n => n.Transport!.Encrypted), Is.True, $"every node runs {linkKind}");
            Assert.That(links, Is.Not.Empty);
            Assert.That(links.Where(l => ids.ContainsKey(l.Remote) && l.Id != ids[l.Remote]), Is.Empty,
                $"a link whose {linkKind} handshake proved another node than the one at its endpoint");
            Assert.That(links.Where(l => l.Id is null), Is.Empty, "a link without an authenticated node id");
        }
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_tcp_experiment_runs_on_noise_by_default_and_its_report_says_so(CancellationToken ct)
    {
        var options = new P2PSim.Experiments.ExperimentOptions
        {
            Seeds = 2,
            Peers = 8,
            Messages = 5,
            Peer = TcpTestOptions.FastLiveness(),
            DrainTimeout = TimeSpan.FromSeconds(20),
        };
        var report = await new P2PSim.Experiments.TcpExperiment(options).RunAsync(cancellationToken: ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.LinkSecurity, Is.EqualTo("noise"));
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Overlay.Connected, Is.True);
            Assert.That(P2PSim.Experiments.ReportWriter.ToJson(report), Does.Contain("\"linkSecurity\": \"noise\""));
        }
    }

    [Test]
    public async Task A_bad_Security_Links_value_stops_start_up_with_one_line_naming_the_setting()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = await P2PSim.Cli.P2PSimCommandLine.RunAsync(["--Security:Links=ssl"], output, errors);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors.ToString(), Does.Contain("Security:Links"));
        Assert.That(errors.ToString(), Does.Contain("tls, noise or plain"));
        Assert.That(errors.ToString().TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line");
    }

    [Test]
    public void Links_are_noise_unless_set_otherwise() =>
        Assert.That(new SecurityOptions().Links, Is.EqualTo(LinkSecurity.Noise));
}
