using Microsoft.Playwright;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.LiveView;

/// <summary>
/// The live view in a real browser: the OS's headless Chromium (<c>apt-get install chromium</c>; <c>.ci/run</c> installs
/// it), driven by Playwright with no browser download. Skipped, saying why, where no Chromium is installed.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class LiveViewBrowserTests
{
    private static readonly string[] PluralSamples = ["1 hop", "4 peers", "0 hops"];

    private const string Chromium = "/usr/bin/chromium";

    /// <summary>
    /// With <c>flood</c> the page draws no tree; with <c>spanning</c> it draws the broadcast tree's links (and the lazy
    /// ones apart), and its screenshot is the README's picture.
    /// </summary>
    [TestCase("flood")]
    [TestCase("spanning")]
    [CancelAfter(90_000)]
    public async Task The_page_shows_the_nodes_a_message_spreading_and_the_crash(string routing, CancellationToken ct)
    {
        if (!File.Exists(Chromium))
        {
            Assert.Ignore($"No browser: {Chromium} is not installed (apt-get install -y chromium), so the page was not tried in one.");
        }
        var tree = routing != "flood";
        await using var network = await LiveViewNetworkTests.StartWithLiveViewAsync(2, 5, ct, new Dictionary<string, string?> { ["Gossip:Routing"] = routing });
        await network.WaitForOverlayAsync(ct);
        var page = LiveViewNetworkTests.PageOf(network);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var tab = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var errors = new List<string>();
        tab.PageError += (_, error) => errors.Add(error);
        await tab.GotoAsync(page.ToString());
        ct.ThrowIfCancellationRequested();

        // Every node, in the graph and in the table.
        var nodes = network.Seeds.Count + network.Peers.Count;
        await WaitForAsync(tab, $"p2psim.cy.nodes().length === {nodes} && document.querySelectorAll('#nodes tbody tr').length === {nodes}",
            $"the page to show all {nodes} nodes", ct);
        await WaitForAsync(tab, "document.getElementById('status').textContent === 'live'", "the page to say it is live", ct);
        Assert.That(await tab.Locator("#nodes tbody").InnerTextAsync(), Does.Contain(network.Peers[0].Endpoint.ToString()));

        // The broadcast tree: with spanning routing its links (one spanning tree of the 5 peers) drawn apart from the
        // lazy ones, and the legend says which is which; with flood neither.
        if (tree)
        {
            await WaitForAsync(tab, $"p2psim.cy.edges('.eager').length === {network.Peers.Count - 1} && p2psim.cy.edges('.eager').connectedNodes().length === {network.Peers.Count}"
                + " && p2psim.cy.edges('.eager')[0].style('width') !== p2psim.cy.edges('.listed')[0].style('width')",
                "the broadcast tree's links drawn as such", ct);
            Assert.That(await tab.Locator(".tree-key").First.IsVisibleAsync(), Is.True, "the legend explains tree links");
            Assert.That(await tab.Locator("#routing").InnerTextAsync(), Does.StartWith($"routing: spanning ({network.Peers.Count - 1} tree links, "));
        }
        else
        {
            Assert.That(await tab.EvaluateAsync<int>("p2psim.cy.edges('.eager, .lazy').length"), Is.Zero, "flooding has no tree links");
            Assert.That(await tab.Locator(".tree-key").First.IsVisibleAsync(), Is.False, "the legend shows no tree keys");
        }

        // A message spreading: receivers coloured hop by hop, its path drawn, and it listed with its receipts.
        await WaitForAsync(tab, "p2psim.cy.nodes('.reached').length > 0 && p2psim.cy.edges('.path').length > 0",
            "a message's receivers and path to be drawn", ct);
        await WaitForAsync(tab, "[...document.querySelectorAll('#messages li')].some(li => Number(li.dataset.receipts) > 0)",
            "a message with receipts in the list", ct);
        Assert.That(await tab.Locator("#now-playing").InnerTextAsync(), Does.Contain("reached"));
        Assert.That(await tab.EvaluateAsync<string[]>("[p2psim.plural(1, 'hop'), p2psim.plural(4, 'peer'), p2psim.plural(0, 'hop')]"),
            Is.EqualTo(PluralSamples), "the message list counts with Plural's rule");
        Assert.That(await tab.Locator("#messages").InnerTextAsync(), Does.Not.Contain(" 1 hops").And.Not.Contain(" 1 peers"));

        // The crash: the node turns red, its neighbours report it, the seeds' lists shrink.
        var victim = network.Peers[1];
        var victimId = victim.Endpoint.ToString();
        await victim.CrashAsync(ct);
        await WaitForAsync(tab, $"p2psim.cy.getElementById('{victimId}').hasClass('crashed') && document.querySelector('#nodes tr[data-node=\"{victimId}\"]').className === 'crashed'",
            $"{victimId} drawn as crashed", ct);
        Assert.That(await tab.EvaluateAsync<string>($"getComputedStyle(document.querySelector('#nodes tr[data-node=\"{victimId}\"] td')).color"),
            Is.EqualTo("rgb(214, 39, 40)"), "the crashed node's row is red");
        await WaitForAsync(tab, "[...document.querySelectorAll('#reports li')].some(li => li.className === 'removed')",
            "a seed's removal in the crash story", ct);
        await WaitForAsync(tab, $"p2psim.cy.edges('.listed').filter(e => e.target().id() === '{victimId}').length === 0",
            $"no seed listing {victimId} any more", ct);
        if (tree)
        {
            await WaitForAsync(tab, $"p2psim.cy.edges('.eager').filter(e => e.connectedNodes().some(n => n.id() === '{victimId}')).length === 0",
                $"no tree link to crashed {victimId} any more", ct);
        }
        // Once the peers have sent their messages the replay ends: the last spread is taken off the graph (the tree shows
        // again) and the line above the list says which it was.
        await WaitForAsync(tab, "document.getElementById('now-playing').textContent.startsWith('Last message from ') && p2psim.cy.edges('.path').length === 0",
            "the replay to end with the last message named", ct);
        var screenshot = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"liveview-{routing}.png");
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
        TestContext.AddTestAttachment(screenshot, $"the live view after the crash ({routing} routing)");
        if (tree && Environment.GetEnvironmentVariable("P2PSIM_SCREENSHOT") is { Length: > 0 } keep)
        {
            // The README's picture: P2PSIM_SCREENSHOT=$PWD/docs/liveview.png dotnet test --filter LiveViewBrowserTests
            File.Copy(screenshot, keep, overwrite: true);
        }
        Assert.That(errors, Is.Empty, "no script errors on the page");
    }

    /// <summary>Polls a condition in the page until it holds (a deadline, no fixed sleep); fails naming what was awaited.</summary>
    private static async Task WaitForAsync(IPage tab, string condition, string what, CancellationToken ct)
    {
        await Eventually.HoldsAsync(async () => await tab.EvaluateAsync<bool>($"() => {{ try {{ return !!({condition}); }} catch {{ return false; }} }}") ? null : $"waiting for {what}",
            TimeSpan.FromSeconds(20), ct);
    }
}
