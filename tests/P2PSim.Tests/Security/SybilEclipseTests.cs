using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Security;

/// <summary>
/// The Sybil attack of issue 11 on real sockets, every node on an address of its own: after a small honest network
/// formed, one attacker registers 150 fake peers (each with a key and an address of its own, all in one /24; they answer
/// Hello, HelloProof and Ping and forward nothing) and 1,000 dead endpoints at every seed. The seeds' lists are then
/// mostly fakes. Peers that join afterwards must still get every message published after they joined: the neighbour
/// rules (no more than Peer:MaxNeighboursPerSubnet from one /24 while others are there, a neighbour that delivers nothing
/// replaced after a Peer:ScoreWindow) keep them out of the fakes' hands; with the fakes spread over 150 /24s the /24 rule
/// does not bite, and the tenured neighbour (one of the peers the seeds listed longest, Peer:TenuredNeighbours) links
/// each joiner to the honest network from its first dial. With the rules off the same attack eclipses joiners (the
/// explicit case shows it).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SybilEclipseTests
{
    private const int HonestPeers = 10;
    private const int Joiners = 5;
    private const int Fakes = 150;
    private const int DeadEndpoints = 1000;

    [Test]
    [CancelAfter(120_000)]
    public Task Peers_that_join_after_150_fakes_registered_get_every_message_published_after_they_joined(CancellationToken ct) => RunAsync(rules: true, ct);

    [Test]
    [CancelAfter(120_000)]
    public Task Peers_that_join_after_150_fakes_spread_over_150_subnets_registered_get_every_message_published_after_they_joined(CancellationToken ct) =>
        RunAsync(rules: true, ct, spread: true);

    [Test]
    [Category(LongRuns.Category)]
    [Explicit("Shows the same attack eclipsing joiners with the neighbour rules off (Peer:ScoreWindow, MaxNeighboursPerAddress, MaxNeighboursPerSubnet 0).")]
    [CancelAfter(120_000)]
    public Task With_the_neighbour_rules_off_the_fakes_eclipse_joiners(CancellationToken ct) => RunAsync(rules: false, ct);

    /// <param name="spread">The fakes each in a /24 of its own (127.66.<i>i</i>.1), so the /24 preference does not bite: a
    /// joiner draws fakes for most of its neighbours, and only its tenured neighbour (the seeds' longest-listed peers,
    /// Peer:TenuredNeighbours) links it to the honest network at once.</param>
    private static async Task RunAsync(bool rules, CancellationToken ct, bool spread = false)
    {
        var clock = Stopwatch.StartNew();
        await using var network = await TestNetwork.StartAsync(3, HonestPeers, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0", // the test publishes
            ["Peer:ScoreWindow"] = rules ? "00:00:02" : "00:00:00",
            ["Peer:ScoreMinFirstDeliveries"] = "2",
            ["Peer:MaxNeighboursPerAddress"] = rules ? "1" : "0",
            ["Peer:MaxNeighboursPerSubnet"] = rules ? "2" : "0",
            ["Peer:TenuredNeighbours"] = rules ? "1" : "0",
            ["Seed:TenureAfter"] = rules ? "00:05:00" : "00:00:00",
        }, ct);
        await network.WaitForOverlayAsync(ct);
        Assume.That(network.Peers[0].Endpoint.Address, Is.Not.EqualTo(IPAddress.Loopback), "nodes have addresses of their own (Network:AddressPerNode)");
        var seeds = network.Seeds.Select(s => s.Endpoint).ToArray();

        // The attack: 150 fakes on 127.66.0.1-150, and 1,000 dead endpoints from 127.67.0.1-250 (4 per address, the seeds' cap).
        await using var swarm = SybilSwarm.Start(Enumerable.Range(1, Fakes).Select(i => spread ? new IPAddress([127, 66, (byte)i, 1]) : new IPAddress([127, 66, 0, (byte)i])));
        await swarm.RegisterAsync(seeds, parallel: 16, ct);
        await SybilSwarm.RegisterDeadAsync(seeds, block: 67, DeadEndpoints, perAddress: 4, parallel: 32, ct);
        var fakes = swarm.Endpoints.ToHashSet();
        await Eventually.HoldsAsync(async () =>
        {
            foreach (var seed in network.Seeds)
            {
                var listed = await TestNetwork.InspectSeedAsync(seed, m => m.PeerList.Count(fakes.Contains), ct);
                if (listed < Fakes)
                {
                    return $"seed {seed.Endpoint} lists {listed} of the {Fakes} fakes";
                }
            }
            return null;
        }, TimeSpan.FromSeconds(20), ct);
        TestContext.Out.WriteLine($"attack registered after {clock.Elapsed.TotalSeconds:0.0} s");

        // Peers that join afterwards, one by one, as the console's "add" adds them.
        var joiners = new List<NodeService>();
        try
        {
            for (var i = 0; i < Joiners; i++)
            {
                joiners.Add(await AddPeerAsync(network, HonestPeers + i, ct));
            }
            await Eventually.HoldsAsync(async () =>
            {
                foreach (var joiner in joiners)
                {
                    if (!await TestNetwork.InspectPeerAsync(joiner, m => m.Settled, ct))
                    {
                        return $"joiner {joiner.Endpoint} has not joined yet";
                    }
                }
                return null;
            }, TimeSpan.FromSeconds(20), ct);
            var eclipsedAtFirst = 0;
            foreach (var joiner in joiners)
            {
                var neighbours = await TestNetwork.InspectPeerAsync(joiner, m => m.ConnectedNeighbours.ToArray(), ct);
                eclipsedAtFirst += neighbours.All(fakes.Contains) ? 1 : 0;
                TestContext.Out.WriteLine($"joiner {joiner.Endpoint}: {neighbours.Count(fakes.Contains)} of {neighbours.Length} neighbours are fakes");
            }

            // Honest peers publish (one every 200 ms, in turn), and so do the joiners (one each every second).
            var published = new List<(NodeEndpoint Origin, MessageId Id)>();
            var publishing = Stopwatch.StartNew();
            for (var round = 0; publishing.Elapsed < TimeSpan.FromSeconds(12); round++)
            {
                var honest = network.Peers[round % HonestPeers];
                published.Add((honest.Endpoint, await honest.PublishAsync(ct)));
                if (round % 5 == 0)
                {
                    foreach (var joiner in joiners)
                    {
                        published.Add((joiner.Endpoint, await joiner.PublishAsync(ct)));
                    }
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct); // the publishing rate, not a wait for an outcome
            }

            var missing = await MissingAsync(joiners, published, ct);
            TestContext.Out.WriteLine($"when the publishing ended: missing {(missing.Count == 0 ? "none" : string.Join("; ", missing))}");
            var fakeNeighbours = 0;
            var withoutHonest = new List<string>();
            if (rules)
            {
                await Eventually.HoldsAsync(async () =>
                {
                    missing = await MissingAsync(joiners, published, ct);
                    fakeNeighbours = 0;
                    withoutHonest.Clear();
                    foreach (var joiner in joiners)
                    {
                        var neighbours = await TestNetwork.InspectPeerAsync(joiner, m => m.ConnectedNeighbours.ToArray(), ct);
                        fakeNeighbours += neighbours.Count(fakes.Contains);
                        if (neighbours.All(fakes.Contains))
                        {
                            withoutHonest.Add(joiner.Endpoint.ToString());
                        }
                    }
                    // Fakes spread over 150 /24s are replaced one random draw at a time: some are still drawn at the end.
                    return missing.Count == 0 && (spread || fakeNeighbours == 0) && withoutHonest.Count == 0
                        ? null
                        : $"{string.Join("; ", missing)}; the joiners keep {fakeNeighbours} fake neighbours; joiners with no honest neighbour: {string.Join(", ", withoutHonest)}";
                }, TimeSpan.FromSeconds(spread ? 10 : 25), ct);
            }
            var replaced = network.Stats.NeighboursReplaced;
            var honestReplaced = new List<string>();
            foreach (var peer in network.Peers)
            {
                honestReplaced.AddRange(network.ReadLog(peer.Endpoint.Port).Split('\n')
                    .Where(l => l.Contains("Replaced neighbour 127.2.", StringComparison.Ordinal)));
            }
            var sample = joiners.SelectMany(j => network.ReadLog(j.Endpoint.Port).Split('\n')).FirstOrDefault(l => l.Contains("Replaced neighbour", StringComparison.Ordinal));
            TestContext.Out.WriteLine($"a replacement, as logged: {sample?.Trim() ?? "none"}");
            TestContext.Out.WriteLine($"rules {(rules ? "on" : "off")}{(spread ? ", fakes over 150 /24s" : "")}: {published.Count} messages, {eclipsedAtFirst} of {Joiners} joiners started with fakes only; "
                + $"{replaced} neighbours replaced; fakes answered {swarm.Pongs} pings and dropped {swarm.Ignored} frames; missing: {(missing.Count == 0 ? "none" : string.Join("; ", missing))}; "
                + $"{clock.Elapsed.TotalSeconds:0.0} s in all");
            if (rules)
            {
                using (Assert.EnterMultipleScope())
                {
                    Assert.That(missing, Is.Empty, "every joiner got every message published after it joined");
                    Assert.That(withoutHonest, Is.Empty, "every joiner has an honest neighbour");
                    if (!spread)
                    {
                        Assert.That(fakeNeighbours, Is.Zero, "the joiners replaced every fake they drew");
                    }
                    Assert.That(replaced, Is.GreaterThan(0), "fakes were replaced (one log line each)");
                    Assert.That(honestReplaced, Is.Empty, "no honest peer was replaced");
                    Assert.That(swarm.Pongs, Is.GreaterThan(0), "the fakes were neighbours that answered liveness");
                }
            }
            else
            {
                Assert.That(missing, Is.Not.Empty, "with the neighbour rules off the fakes eclipse some joiners");
            }
        }
        finally
        {
            foreach (var joiner in joiners)
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await joiner.StopAsync(stop.Token);
                joiner.Dispose();
            }
        }
    }

    /// <summary>A peer added to the running network, as the console's <c>add</c> does; it joins after the peers before it.</summary>
    private static async Task<NodeService> AddPeerAsync(TestNetwork network, int index, CancellationToken ct)
    {
        var options = network.Services.GetRequiredService<IOptions<NetworkOptions>>().Value;
        var layout = network.Services.GetRequiredService<SeedBook>().Layout;
        var node = ActivatorUtilities.CreateInstance<NodeService>(network.Services, P2PSimServiceCollectionExtensions.PeerSpec(options, layout, index));
        await node.StartAsync(ct);
        return node;
    }

    /// <summary>Per joiner missing messages of others, said in words (empty: none missing).</summary>
    private static async Task<List<string>> MissingAsync(List<NodeService> joiners, List<(NodeEndpoint Origin, MessageId Id)> published, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var joiner in joiners)
        {
            var count = await TestNetwork.InspectPeerAsync(joiner, m => published.Count(x => x.Origin != m.Self && !m.Messages.Contains(x.Id)), ct);
            var expected = published.Count(x => x.Origin != joiner.Endpoint);
            if (count > 0)
            {
                missing.Add($"joiner {joiner.Endpoint} lacks {count} of {expected}");
            }
        }
        return missing;
    }
}
