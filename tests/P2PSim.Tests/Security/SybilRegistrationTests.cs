using System.Net;
using System.Net.Sockets;
using P2PSim.Hosting;
using P2PSim.Liveness;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using P2PSim.Tests.Transport;

namespace P2PSim.Tests.Security;

/// <summary>
/// Against a real network on loopback, every node on an address of its own (issue 11: Sybil registration and false
/// death reports): a seed lists an endpoint only once its own dial proved the registrant's id, holds at most
/// Seed:MaxRegistrationsPerAddress endpoints of one address, does not take a check that was turned away for a death,
/// and stops checking the reports of a peer whose reports it keeps refuting.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SybilRegistrationTests
{
    private const int Cap = 3;

    private TestNetwork _network = null!;

    [OneTimeSetUp]
    public async Task StartNetwork()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _network = await TestNetwork.StartAsync(1, 5, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Peer:LivenessInterval"] = "00:00:01",
            ["Seed:MaxRegistrationsPerAddress"] = Cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Transport:MaxInboundConnections"] = "12",
            ["Transport:HandshakeTimeout"] = "00:00:30", // silent connections hold their slots for the whole test
        }, cts.Token);
        await _network.WaitForOverlayAsync(cts.Token);
        Assume.That(_network.Peers[0].Endpoint.Address, Is.Not.EqualTo(IPAddress.Loopback), "nodes have addresses of their own (Network:AddressPerNode)");
    }

    [OneTimeTearDown]
    public async Task StopNetwork() => await _network.DisposeAsync();

    private NodeService Seed => _network.Seeds[0];

    [Test]
    [CancelAfter(60_000)]
    public async Task Endpoints_nobody_answers_at_are_never_listed_and_never_handed_out(CancellationToken ct)
    {
        var dead = new List<NodeEndpoint>();
        for (var i = 0; i < 12; i++)
        {
            var address = IPAddress.Parse($"127.9.0.{i + 1}");
            var endpoint = new NodeEndpoint(address, FreePort(address));
            using var sybil = await RawPeer.ConnectFromAsync(address, Seed.Endpoint, ct);
            await sybil.HelloAsync(endpoint, ct);
            await sybil.SendAsync(Register.Instance, ct);
            Assert.That(await sybil.ReadAsync(ct), Is.InstanceOf<PeerList>(), "a registrant gets its peer list at once");
            dead.Add(endpoint);
        }
        await Eventually.HoldsAsync(async () =>
        {
            var (notListed, anyListed) = await TestNetwork.InspectSeedAsync(Seed, m => (m.RegistrationCounts.NotListed, m.PeerList.Intersect(dead).Any()), ct);
            return notListed >= dead.Count || anyListed ? null : $"{notListed} of {dead.Count} dial-backs have failed, and no dead endpoint is listed";
        }, TimeSpan.FromSeconds(15), ct);

        // A new registrant (from an address of its own) is handed the real peers and none of the dead endpoints.
        var joiner = IPAddress.Parse("127.9.0.200");
        using var probe = await RawPeer.ConnectFromAsync(joiner, Seed.Endpoint, ct);
        await probe.HelloAsync(new NodeEndpoint(joiner, FreePort(joiner)), ct);
        await probe.SendAsync(Register.Instance, ct);
        var handed = (PeerList)(await probe.ReadAsync(ct))!;
        var listed = await TestNetwork.InspectSeedAsync(Seed, m => m.PeerList.ToArray(), ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(listed, Is.SupersetOf(_network.Peers.Select(p => p.Endpoint)), "every real peer is listed (its dial-back proved its id)");
            Assert.That(listed, Has.None.AnyOf(dead.Cast<object>().ToArray()), "no dead endpoint is listed");
            Assert.That(handed.Peers, Is.SupersetOf(_network.Peers.Select(p => p.Endpoint)));
            Assert.That(handed.Peers.Intersect(dead), Is.Empty, "no dead endpoint is handed out");
        }
        await ExpectLogAsync(Seed, "Not listing 127.9.0.", ct);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Registrations_beyond_the_cap_of_one_address_are_refused(CancellationToken ct)
    {
        var address = IPAddress.Parse("127.9.1.1");
        var before = (await TestNetwork.InspectSeedAsync(Seed, m => m.RegistrationCounts, ct)).RefusedOverCap;
        var answered = 0;
        for (var i = 0; i < Cap + 5; i++)
        {
            using var sybil = await RawPeer.ConnectFromAsync(address, Seed.Endpoint, ct);
            await sybil.HelloAsync(new NodeEndpoint(address, 20_000 + i), ct); // a fresh key, so a fresh id, each time
            await sybil.SendAsync(Register.Instance, ct);
            if (await sybil.ReadAsync(ct) is PeerList)
            {
                answered++;
            }
            else
            {
                await sybil.ExpectClosedAsync(ct);
            }
        }
        var refused = (await TestNetwork.InspectSeedAsync(Seed, m => m.RegistrationCounts, ct)).RefusedOverCap - before;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answered, Is.EqualTo(Cap), "the first registrations of the address are taken");
            Assert.That(refused, Is.EqualTo(5), "every one beyond the cap refused, counted");
        }
        await ExpectLogAsync(Seed, $"registered endpoints already (Seed:MaxRegistrationsPerAddress)", ct);

        // Other addresses are not affected.
        var other = IPAddress.Parse("127.9.1.2");
        using var fresh = await RawPeer.ConnectFromAsync(other, Seed.Endpoint, ct);
        await fresh.HelloAsync(new NodeEndpoint(other, 20_000), ct);
        await fresh.SendAsync(Register.Instance, ct);
        Assert.That(await fresh.ReadAsync(ct), Is.InstanceOf<PeerList>());
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_forged_death_report_while_the_victims_slots_are_full_does_not_remove_it(CancellationToken ct)
    {
        var victim = _network.Peers[1];
        var flood = new List<RawPeer>();
        try
        {
            // Silent connections from addresses no node uses fill the victim's inbound slots (Transport:MaxInboundConnections).
            for (var i = 0; i < 20 && victim.TransportStats!.RefusedConnections == 0; i++)
            {
                flood.Add(await RawPeer.ConnectFromAsync(IPAddress.Parse($"127.9.2.{i + 1}"), victim.Endpoint, ct));
                await Task.Yield();
            }
            await Eventually.HoldsAsync(() => victim.TransportStats!.InboundConnections >= 12 ? null : $"the victim holds {victim.TransportStats!.InboundConnections} of 12 inbound slots",
                TimeSpan.FromSeconds(10), ct);

            using var attacker = await RegisterAsync(IPAddress.Parse("127.9.3.1"), ct);
            var before = await TestNetwork.InspectSeedAsync(Seed, m => m.InconclusiveChecks, ct);
            await attacker.SendAsync(new DeadNode(victim.Endpoint, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Listen(attacker)), ct);

            await Eventually.HoldsAsync(async () =>
                await TestNetwork.InspectSeedAsync(Seed, m => m.InconclusiveChecks > before || !m.PeerList.Contains(victim.Endpoint), ct)
                    ? null : "the seed's check has not come back", TimeSpan.FromSeconds(15), ct);
            Assert.That(await TestNetwork.InspectSeedAsync(Seed, m => m.PeerList.Contains(victim.Endpoint), ct), Is.True, "the victim stays listed");
            await ExpectLogAsync(Seed, $"the check of {victim.Endpoint} was turned away", ct);
        }
        finally
        {
            flood.ForEach(c => c.Dispose());
        }
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_reporter_whose_reports_keep_being_refuted_is_rate_limited_then_ignored(CancellationToken ct)
    {
        var victim = _network.Peers[2];
        using var liar = await RegisterAsync(IPAddress.Parse("127.9.4.1"), ct);
        var refuted = 0;
        async Task<bool> ReportAsync()
        {
            var seen = await TestNetwork.InspectSeedAsync(Seed, m => (m.IgnoredReports, m.RefutedChecks), ct);
            await liar.SendAsync(new DeadNode(victim.Endpoint, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + refuted, Listen(liar)), ct);
            var outcome = false;
            await Eventually.HoldsAsync(async () =>
            {
                var now = await TestNetwork.InspectSeedAsync(Seed, m => (m.IgnoredReports, m.RefutedChecks, Checking: m.Checking.Count), ct);
                if (now.IgnoredReports > seen.IgnoredReports)
                {
                    outcome = false;
                    return null;
                }
                if (now.RefutedChecks > seen.RefutedChecks && now.Checking == 0)
                {
                    refuted++;
                    outcome = true;
                    return null;
                }
                return "the report was neither refuted nor ignored";
            }, TimeSpan.FromSeconds(15), ct);
            return outcome;
        }

        for (var i = 0; i < ReporterRecord.RateLimitAfter; i++)
        {
            Assert.That(await ReportAsync(), Is.True, $"report {i + 1} is checked (and refuted)");
        }
        Assert.That(await ReportAsync(), Is.True, "one report is checked when the rate limit begins");
        Assert.That(await ReportAsync(), Is.False, "the next one within the interval is not");
        var deadline = DateTime.UtcNow + ReporterRecord.RateLimitInterval;
        await Eventually.HoldsAsync(() => DateTime.UtcNow >= deadline ? null : "the rate-limit interval has not passed", ReporterRecord.RateLimitInterval + TimeSpan.FromSeconds(1), ct);
        Assert.That(await ReportAsync(), Is.True, "one more after the interval: refuted again, the reporter's last");
        await ExpectLogAsync(Seed, $"Ignoring the dead-node reports of {Listen(liar)}", ct);
        Assert.That(await ReportAsync(), Is.False, "from now on ignored");
        Assert.That(await TestNetwork.InspectSeedAsync(Seed, m => m.PeerList.Contains(victim.Endpoint), ct), Is.True, "the victim stays listed throughout");
    }

    private readonly Dictionary<RawPeer, NodeEndpoint> _listen = new();

    private NodeEndpoint Listen(RawPeer peer) => _listen[peer];

    /// <summary>A raw client registered at the seed from <paramref name="address"/> (unlisted: nothing answers its dial-back), its connection kept open.</summary>
    private async Task<RawPeer> RegisterAsync(IPAddress address, CancellationToken ct)
    {
        var peer = await RawPeer.ConnectFromAsync(address, Seed.Endpoint, ct);
        var listen = new NodeEndpoint(address, FreePort(address));
        _listen[peer] = listen;
        await peer.HelloAsync(listen, ct);
        await peer.SendAsync(Register.Instance, ct);
        Assert.That(await peer.ReadAsync(ct), Is.InstanceOf<PeerList>());
        return peer;
    }

    /// <summary>A port nothing listens on at <paramref name="address"/>.</summary>
    private static int FreePort(IPAddress address)
    {
        var listener = new TcpListener(address, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private Task ExpectLogAsync(NodeService node, string text, CancellationToken ct) =>
        Eventually.HoldsAsync(() => _network.ReadLog(node.Endpoint.Port).Contains(text, StringComparison.Ordinal)
            ? null
            : $"no line with \"{text}\" in Log_{node.Endpoint.Port}.txt", TimeSpan.FromSeconds(5), ct);
}
