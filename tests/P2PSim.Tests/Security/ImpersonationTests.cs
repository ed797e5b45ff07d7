using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using P2PSim.Tests.Transport;

namespace P2PSim.Tests.Security;

/// <summary>
/// Against a real network on loopback: a client that holds a key of its own (so its handshake succeeds) but claims
/// another node's endpoint can neither displace that node's links nor speak for it at a seed (issue 11: the eclipse
/// through the crossed-connection rule, the forged Goodbye).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ImpersonationTests
{
    private TestNetwork _network = null!;

    [OneTimeSetUp]
    public async Task StartNetwork()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _network = await TestNetwork.StartAsync(1, 6, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Peer:LivenessInterval"] = "00:00:02",
        }, cts.Token);
        await _network.WaitForOverlayAsync(cts.Token);
    }

    [OneTimeTearDown]
    public async Task StopNetwork() => await _network.DisposeAsync();

    [Test]
    [CancelAfter(60_000)]
    public async Task Hellos_claiming_a_peers_neighbours_endpoints_displace_none_of_its_links(CancellationToken ct)
    {
        // The peer with the largest port: the links it dialed lose the crossed-connection rule to any smaller endpoint.
        var victim = _network.Peers.MaxBy(p => p.Endpoint.Port)!;
        var links = await TestNetwork.InspectPeerAsync(victim, m => m.ConnectedNeighbours.ToDictionary(n => n, n => m.LinkTo(n)), ct);
        Assert.That(links, Is.Not.Empty);

        foreach (var neighbour in links.Keys)
        {
            using var impostor = await RawPeer.ConnectAsync(victim.Endpoint, ct);
            await impostor.HelloAsync(neighbour, ct); // a key of its own: the handshake itself succeeds
            await impostor.ExpectClosedAsync(ct);
        }

        var after = await TestNetwork.InspectPeerAsync(victim, m => (Links: m.ConnectedNeighbours.ToDictionary(n => n, n => m.LinkTo(n)), m.ImpostorsRefused), ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(after.Links, Is.EqualTo(links), "every real link is still the one it was");
            Assert.That(after.ImpostorsRefused, Is.EqualTo(links.Count), "each impostor refused, counted");
        }
        await ExpectLogAsync(victim, "whose neighbour has id", ct);
        await ExpectDeliveryAsync(ct);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_forged_goodbye_leaves_the_peer_on_the_seed(CancellationToken ct)
    {
        var seed = _network.Seeds[0];
        var victim = _network.Peers[1];
        Assert.That(await TestNetwork.InspectSeedAsync(seed, m => m.PeerList.Contains(victim.Endpoint), ct), Is.True, "listed to begin with");

        using var forger = await RawPeer.ConnectFromAsync(victim.Endpoint.Address, seed.Endpoint, ct);
        await forger.HelloAsync(victim.Endpoint, ct); // from the victim's own address: only the id tells it apart
        await forger.SendAsync(Goodbye.Instance, ct);
        await forger.ExpectClosedAsync(ct);

        var (listed, refused) = await TestNetwork.InspectSeedAsync(seed, m => (m.PeerList.Contains(victim.Endpoint), m.RefusedImpostors), ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(listed, Is.True, "the peer is still listed");
            Assert.That(refused, Is.GreaterThanOrEqualTo(1), "counted");
        }
        await ExpectLogAsync(seed, $"Rejected Goodbye for {victim.Endpoint}", ct);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_register_and_a_death_report_in_a_listed_peers_name_are_refused(CancellationToken ct)
    {
        var seed = _network.Seeds[0];
        var victim = _network.Peers[2];
        var other = _network.Peers[3];

        using (var forger = await RawPeer.ConnectAsync(seed.Endpoint, ct))
        {
            await forger.HelloAsync(victim.Endpoint, ct);
            await forger.SendAsync(Register.Instance, ct);
            await forger.ExpectClosedAsync(ct);
        }
        await ExpectLogAsync(seed, $"Rejected Register for {victim.Endpoint}", ct);

        using (var reporter = await RawPeer.ConnectAsync(seed.Endpoint, ct))
        {
            await reporter.HelloAsync(victim.Endpoint, ct);
            await reporter.SendAsync(new DeadNode(other.Endpoint, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), victim.Endpoint), ct);
            await ExpectLogAsync(seed, $"Rejected \"Dead Node:{other.Endpoint.Address}:{other.Endpoint.Port}", ct);
        }
        Assert.That(await TestNetwork.InspectSeedAsync(seed, m => m.PeerList.Contains(victim.Endpoint) && m.PeerList.Contains(other.Endpoint), ct), Is.True);
    }

    private Task ExpectLogAsync(NodeService node, string text, CancellationToken ct) =>
        Eventually.HoldsAsync(() => _network.ReadLog(node.Endpoint.Port).Contains(text, StringComparison.Ordinal)
            ? null
            : $"no line with \"{text}\" in Log_{node.Endpoint.Port}.txt", TimeSpan.FromSeconds(5), ct);

    private async Task ExpectDeliveryAsync(CancellationToken ct)
    {
        var published = await _network.PublishFromEveryPeerAsync(ct);
        await _network.WaitForDeliveryAsync(published, ct, TimeSpan.FromSeconds(15));
    }
}
