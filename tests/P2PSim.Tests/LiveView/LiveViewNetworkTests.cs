using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using P2PSim.Hosting;
using P2PSim.LiveView;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.LiveView;

/// <summary>The live view of a real network on loopback: the snapshot, the event stream, and a port in use.</summary>
[TestFixture]
[NonParallelizable]
public sealed class LiveViewNetworkTests
{
    /// <summary>A real network with the demo's live view on a free port (a test network has none otherwise).</summary>
    internal static Task<TestNetwork> StartWithLiveViewAsync(int seeds, int peers, CancellationToken ct, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["LiveView:Port"] = "0", ["Peer:MessagesPerPeer"] = "20", ["Peer:GossipInterval"] = "00:00:00.200" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return TestNetwork.StartAsync(seeds, peers, all, (services, configuration) => services.AddLiveView(configuration), ct);
    }

    internal static Uri PageOf(TestNetwork network) =>
        network.Services.GetRequiredService<LiveViewServer>().Url ?? throw new AssertionException("the live view did not start");

    [Test]
    [CancelAfter(60_000)]
    public async Task The_snapshot_lists_every_node_and_the_stream_shows_receipts_and_the_crash_with_its_detection(CancellationToken ct)
    {
        await using var network = await StartWithLiveViewAsync(2, 5, ct);
        var page = PageOf(network);
        Assert.That(page.Host, Is.EqualTo("127.0.0.1"), "loopback only");
        using var http = new HttpClient();
        using var stream = await LiveViewStream.OpenAsync(http, page, ct);
        var (first, snapshot) = await stream.NextAsync(ct);
        Assert.That(first, Is.EqualTo("snapshot"), "a page that connects gets the whole view first");
        Assert.That(snapshot.GetProperty("routing").GetString(), Is.EqualTo("flood"));

        await network.WaitForOverlayAsync(ct);
        var expected = network.Seeds.Concat(network.Peers).Select(n => n.Endpoint.ToString()).Order().ToArray();
        await Eventually.HoldsAsync(async () =>
        {
            using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri(page, "api/snapshot"), ct));
            var nodes = json.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()).Order().ToArray();
            var links = json.RootElement.GetProperty("links").GetArrayLength();
            return nodes.SequenceEqual(expected) && links > 0 ? null : $"the snapshot shows nodes [{string.Join(", ", nodes)}] and {links} links";
        }, TimeSpan.FromSeconds(10), ct);

        var receipt = await stream.WaitForChangeAsync("a message's first receipt",
            c => c.GetProperty("t").GetString() == "receipt", TimeSpan.FromSeconds(10), ct);
        Assert.That(receipt.GetProperty("receipt").GetProperty("hop").GetInt32(), Is.GreaterThanOrEqualTo(1));

        var victim = network.Peers[2];
        var victimId = victim.Endpoint.ToString();
        await victim.CrashAsync(ct);
        await stream.WaitForChangeAsync($"{victimId} turning crashed",
            c => c.GetProperty("t").GetString() == "node" && c.GetProperty("node").GetProperty("id").GetString() == victimId
                && c.GetProperty("node").GetProperty("state").GetString() == "crashed", TimeSpan.FromSeconds(5), ct);
        await stream.WaitForChangeAsync($"a neighbour declaring {victimId} dead",
            c => c.GetProperty("t").GetString() == "report" && c.GetProperty("report").GetProperty("kind").GetString() == "dead"
                && c.GetProperty("report").GetProperty("subject").GetString() == victimId, TimeSpan.FromSeconds(10), ct);
        await stream.WaitForChangeAsync($"a seed removing {victimId} from its list",
            c => c.GetProperty("t").GetString() == "report" && c.GetProperty("report").GetProperty("kind").GetString() == "removed"
                && c.GetProperty("report").GetProperty("subject").GetString() == victimId, TimeSpan.FromSeconds(10), ct);

        // Once every seed has removed it, the view's seed lists have shrunk too.
        await Eventually.HoldsAsync(() => network.SeedStillListingAsync(victim.Endpoint, ct), TimeSpan.FromSeconds(10), ct);
        await Eventually.HoldsAsync(async () =>
        {
            using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri(page, "api/snapshot"), ct));
            var listing = json.RootElement.GetProperty("seedLists").EnumerateArray()
                .Where(l => l.GetProperty("peers").EnumerateArray().Any(p => p.GetString() == victimId))
                .Select(l => l.GetProperty("seed").GetString()).ToArray();
            return listing.Length == 0 ? null : $"the view still has {victimId} in the list of seed(s) {string.Join(", ", listing)}";
        }, TimeSpan.FromSeconds(5), ct);

        using var final = JsonDocument.Parse(await http.GetStringAsync(new Uri(page, "api/snapshot"), ct));
        Assert.Multiple(() =>
        {
            Assert.That(final.RootElement.GetProperty("dropped").GetInt64(), Is.Zero, "a small network loses no view updates");
            Assert.That(final.RootElement.GetProperty("delivery").GetProperty("delivered").GetInt64(), Is.GreaterThan(0));
        });
    }

    /// <summary>
    /// With <c>spanning</c> the eager links are one spanning tree of each part of the overlay; with <c>tree</c> (Plumtree)
    /// they are whatever the pruning and grafting left, so only the agreement with the peers is checked.
    /// </summary>
    [TestCase("spanning")]
    [TestCase("tree")]
    [CancelAfter(60_000)]
    public async Task With_tree_routing_the_links_say_which_carry_the_broadcast_tree_and_follow_it_when_a_peer_crashes(string routing, CancellationToken ct)
    {
        await using var network = await StartWithLiveViewAsync(2, 7, ct, new Dictionary<string, string?> { ["Gossip:Routing"] = routing });
        await network.WaitForOverlayAsync(ct);
        var page = PageOf(network);
        using var http = new HttpClient();

        // Settled, every link drawn as the peers themselves hold it (with spanning: one spanning tree, the rest lazy).
        await Eventually.HoldsAsync(() => TreeProblemAsync(http, page, network, routing, crashed: null, ct), TimeSpan.FromSeconds(15), ct);

        // A crash: its links stop being tree links and the survivors' tree is drawn again around the gap.
        var victim = network.Peers[3];
        await victim.CrashAsync(ct);
        await Eventually.HoldsAsync(() => TreeProblemAsync(http, page, network, routing, victim.Endpoint.ToString(), ct), TimeSpan.FromSeconds(15), ct);
    }

    /// <summary>
    /// What is wrong with the tree the snapshot shows, or null: the routing named; every link that is up marked eager or
    /// lazy, as the peers at its ends hold it (eager when either end pushes over it); no link of <paramref name="crashed"/>
    /// eager; and with spanning, in every part of the overlay the live peers form, the eager links a spanning tree of it.
    /// </summary>
    private static async Task<string?> TreeProblemAsync(HttpClient http, Uri page, TestNetwork network, string routing, string? crashed, CancellationToken ct)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri(page, "api/snapshot"), ct));
        var root = json.RootElement;
        if (root.GetProperty("routing").GetString() != routing)
        {
            return $"the snapshot says routing {root.GetProperty("routing").GetString()}";
        }
        var links = root.GetProperty("links").EnumerateArray()
            .Select(l => (A: l.GetProperty("a").GetString()!, B: l.GetProperty("b").GetString()!, State: l.GetProperty("state").GetString(),
                Tree: l.TryGetProperty("tree", out var t) ? t.GetString() : null))
            .ToArray();
        var alive = network.Peers.Where(p => !p.IsDown).Select(p => p.Endpoint.ToString()).ToHashSet();
        var up = links.Where(l => l.State == "up" && alive.Contains(l.A) && alive.Contains(l.B)).ToArray();
        if (links.FirstOrDefault(l => l.Tree == "eager" && (l.A == crashed || l.B == crashed)) is { A: not null } toCrashed)
        {
            return $"the link {toCrashed.A}-{toCrashed.B} of crashed {crashed} is still drawn as a tree link";
        }
        foreach (var link in up)
        {
            var pushes = false;
            foreach (var (end, other) in new[] { (link.A, link.B), (link.B, link.A) })
            {
                var peer = network.Peers.Single(p => p.Endpoint.ToString() == end);
                var neighbour = network.Peers.Single(p => p.Endpoint.ToString() == other).Endpoint;
                pushes |= await peer.InspectAsync(m => ((P2PSim.Nodes.PeerMachine)m).IsLazyLink(neighbour), ct) == false;
            }
            var expected = pushes ? "eager" : "lazy";
            if (link.Tree != expected)
            {
                return $"the link {link.A}-{link.B} is drawn {link.Tree ?? "(no tree state)"}, its peers hold it {expected}";
            }
        }
        if (up.Length == 0)
        {
            return "no link is up in the view yet";
        }
        if (routing != "spanning")
        {
            return null;
        }
        // Each part of the overlay (the up links among live peers) of n peers: n - 1 eager links joining them all.
        var component = alive.ToDictionary(p => p, p => p);
        string Find(string p) => component[p] == p ? p : component[p] = Find(component[p]);
        foreach (var link in up)
        {
            component[Find(link.A)] = Find(link.B);
        }
        var eager = up.Where(l => l.Tree == "eager").ToArray();
        var tree = alive.ToDictionary(p => p, p => p);
        string FindInTree(string p) => tree[p] == p ? p : tree[p] = FindInTree(tree[p]);
        foreach (var link in eager)
        {
            if (FindInTree(link.A) == FindInTree(link.B))
            {
                return $"the eager links close a cycle at {link.A}-{link.B}: no tree";
            }
            tree[FindInTree(link.A)] = FindInTree(link.B);
        }
        var parts = alive.Select(Find).Distinct().Count();
        if (crashed is null && parts != 1)
        {
            return $"the view shows the overlay in {parts} parts ({up.Length} links up)"; // it is connected
        }
        return eager.Length == alive.Count - parts
            ? null
            : $"{eager.Length} eager links of {up.Length} for {alive.Count} live peers in {parts} part(s) of the overlay: not a spanning tree of each";
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task The_page_and_its_scripts_are_served_by_the_executable_itself(CancellationToken ct)
    {
        await using var network = await StartWithLiveViewAsync(1, 1, ct);
        var page = PageOf(network);
        using var http = new HttpClient();
        var html = await http.GetStringAsync(page, ct);
        Assert.That(html, Does.Contain("/vendor/cytoscape.min.js").And.Contain("/app.js").And.Not.Contain("http"), "nothing from the internet");
        foreach (var path in new[] { "app.js", "style.css", "vendor/cytoscape.min.js", "vendor/cytoscape.LICENSE.txt" })
        {
            using var response = await http.GetAsync(new Uri(page, path), ct);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_live_view_port_in_use_stops_start_up_with_one_clear_message_and_exit_code_2(CancellationToken ct)
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var folder = Path.Combine(Path.GetTempPath(), "p2psim-liveview", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using var child = ChildProcess.Start(folder, "--Network:Seeds=1", "--Network:Peers=1", "--Network:SeedBasePort=0", "--Network:PeerBasePort=0",
                $"--LiveView:Port={port}");
            Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True, "it did not exit");
            Assert.Multiple(() =>
            {
                Assert.That(child.ExitCode, Is.EqualTo(P2PSimApp.ExitBadSettings));
                Assert.That(child.Stderr, Does.Contain($"LiveView:Port: the live view cannot listen on 127.0.0.1:{port}: the port is already in use"));
                Assert.That(child.Stderr + child.Stdout, Does.Not.Contain("   at "), "no stack trace");
                Assert.That(child.Stdout, Does.Not.Contain("Listening on"), "no node started");
            });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Turned_off_it_listens_nowhere_and_the_nodes_still_run(CancellationToken ct)
    {
        await using var network = await StartWithLiveViewAsync(1, 2, ct, new Dictionary<string, string?> { ["LiveView:Enabled"] = "false" });
        await network.WaitForOverlayAsync(ct);
        Assert.That(network.Services.GetRequiredService<LiveViewServer>().Url, Is.Null);
    }
}
