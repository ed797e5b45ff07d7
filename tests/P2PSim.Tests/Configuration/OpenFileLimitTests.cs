using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Hosting;

namespace P2PSim.Tests.Configuration;

/// <summary>A network of real nodes that cannot fit into the process's open files is refused with the numbers, not started.</summary>
[TestFixture]
public sealed class OpenFileLimitTests
{
    [Test]
    public void A_network_that_fits_passes_and_one_that_does_not_is_refused_naming_the_setting_and_what_fits()
    {
        Assert.That(OpenFileLimit.Check("Network:Peers", 2199, 3, 4, 20_000), Is.Null, "2199 x 9 + 3 + 200 = 19,994");

        var refusal = OpenFileLimit.Check("Network:Peers", 2200, 3, 4, 20_000);

        Assert.That(refusal, Does.StartWith("Network:Peers (2200) needs about 20003 open files"));
        Assert.That(refusal, Does.Contain("this process may open 20000 (ulimit -n)"));
        Assert.That(refusal, Does.Contain("at most about 2199 peers"));
    }

    [Test]
    public void More_neighbours_need_more_files_and_an_unknown_limit_checks_nothing()
    {
        Assert.That(OpenFileLimit.Needed(1000, 3, 8), Is.EqualTo((1000 * 17) + 3 + OpenFileLimit.Overhead));
        Assert.That(OpenFileLimit.Check("Experiment:Peers", 1000, 3, 8, 10_000), Does.Contain("at most about 576 peers"));
        Assert.That(OpenFileLimit.Check("Experiment:Peers", 1_000_000, 3, 4, limit: null), Is.Null);
    }

    [Test]
    public void This_process_limit_is_read_on_linux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("/proc/self/limits is Linux only");
        }
        Assert.That(OpenFileLimit.Current(), Is.GreaterThan(0));
    }

    [Test]
    public void Each_slice_counts_only_its_own_nodes_so_three_slices_of_6000_peers_fit_where_one_process_does_not()
    {
        var network = new NetworkOptions { Peers = 6000, Seeds = 3 };

        Assert.Multiple(() =>
        {
            for (var index = 0; index < 3; index++)
            {
                var layout = SliceLayout.From(network, new SliceOptions { Index = index, Count = 3 });
                Assert.That(layout.PeerCount, Is.EqualTo(2000));
                Assert.That(OpenFilesValidator.Check(layout, links: 4, new PeerOptions(), logFiles: false, limit: 20_000), Is.Null,
                    $"slice {index}: 2000 x 9 + 1 seed + 1,482 registrations + 200 = 19,683");
            }
            var whole = OpenFilesValidator.Check(SliceLayout.From(network, new SliceOptions()), links: 4, new PeerOptions(), logFiles: false, limit: 20_000);
            Assert.That(whole, Does.StartWith("Network:Peers (6000) needs about 58648 open files"));
        });
    }

    [Test]
    public void The_check_leaves_room_for_the_registration_connections_so_a_slice_just_under_the_steady_limit_is_refused()
    {
        // 2,100 peers a slice: 18,901 steady files fit 20,000, but every peer registers with 2 of the 3 seeds at least
        // every 27 s (90 % of 30 s) and a slow answer holds a connection up to 5 s, at both ends (the slice's seed takes
        // a third of the network's): about 1,556 more, which is what ran out of files in the 2,000-peer namespace run.
        var layout = SliceLayout.From(new NetworkOptions { Peers = 6300, Seeds = 3 }, new SliceOptions { Index = 0, Count = 3 });
        var steadyOnly = OpenFileLimit.Check("Network:Peers", layout.PeerCount, layout.LocalSeeds.Count, 4, 20_000);

        var refusal = OpenFilesValidator.Check(layout, links: 4, new PeerOptions(), logFiles: false, limit: 20_000);

        Assert.That(steadyOnly, Is.Null, "the steady files alone fit");
        Assert.That(refusal, Does.StartWith("Slice 0 of 3 (Slice:Index), its share of Network:Peers (2100) needs about 20657 open files"));
        Assert.That(refusal, Does.Contain("about 1556 registration connections open at once").And.Contain("Peer:ReregisterInterval").And.Contain("Peer:RegistrationTimeout"));
        Assert.That(refusal, Does.Contain("at most about 2032 peers"));
        Assert.That(OpenFilesValidator.Check(layout, links: 4, new PeerOptions { ReregisterInterval = TimeSpan.Zero }, logFiles: false, limit: 20_000), Is.Null,
            "peers that register once need no room for re-registrations");
        Assert.That(OpenFilesValidator.Check(layout, links: 4, new PeerOptions { ReregisterInterval = TimeSpan.FromMinutes(5) }, logFiles: false, limit: 20_000), Is.Null,
            "nor much for rare ones");
    }

    [Test]
    public void Per_node_log_files_count_too()
    {
        // The demo's default writes one log file per node and holds it open: 2,000 peers on their own fit, with their files not.
        var layout = SliceLayout.From(new NetworkOptions { Peers = 2000, Seeds = 3 }, new SliceOptions());
        var quiet = new PeerOptions { ReregisterInterval = TimeSpan.Zero };

        var refusal = OpenFilesValidator.Check(layout, links: 4, quiet, logFiles: true, limit: 20_000);

        Assert.That(OpenFilesValidator.Check(layout, links: 4, quiet, logFiles: false, limit: 20_000), Is.Null);
        Assert.That(refusal, Does.StartWith("Network:Peers (2000) needs about 20206 open files").And.Contain("2003 log files (Logs:WriteFiles)"));
    }

    [Test]
    public void A_slice_too_big_for_its_process_is_refused_naming_the_slice_and_more_slices_as_a_way_out()
    {
        var layout = SliceLayout.From(new NetworkOptions { Peers = 6000, Seeds = 3 }, new SliceOptions { Index = 1, Count = 2 });

        var refusal = OpenFilesValidator.Check(layout, links: 4, new PeerOptions(), logFiles: false, limit: 20_000);

        Assert.That(refusal, Does.StartWith("Slice 1 of 2 (Slice:Index), its share of Network:Peers (3000) needs about 29053 open files"));
        Assert.That(refusal, Does.EndWith("Or cut the network into more slices (Slice:Count)."));
    }

    [Test]
    public void The_host_checks_the_slice_this_process_runs_at_start_up()
    {
        // The wiring: validated with the slice settings (no cycle between the network's and the slice's validation).
        static string? Refusal(params (string Key, string Value)[] settings)
        {
            var config = new ConfigurationBuilder()
                .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
            using var services = new ServiceCollection().AddLogging().AddP2PSim(config).BuildServiceProvider();
            try
            {
                _ = services.GetRequiredService<IOptions<SliceOptions>>().Value;
                return null;
            }
            catch (OptionsValidationException ex)
            {
                return ex.Message;
            }
        }
        var limit = OpenFileLimit.Current();
        if (limit is not { } max || max < OpenFileLimit.Needed(2000, 1, 4) + 1482 || max >= OpenFileLimit.Needed(6000, 3, 4))
        {
            Assert.Ignore($"needs an open-file limit between what a slice and the whole network need (this process: {limit})");
        }

        Assert.That(Refusal(("Network:Peers", "6000"), ("Network:RandomSeed", "7"), ("Slice:Count", "3"), ("Slice:Index", "2"), ("Logs:WriteFiles", "false")), Is.Null);
        Assert.That(Refusal(("Network:Peers", "6000")), Does.Contain("Network:Peers (6000) needs about"));
    }

    [Test]
    public void The_process_queue_budget_is_sized_by_the_nodes_of_this_slice()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Network:Peers"] = "6000", ["Network:RandomSeed"] = "7", ["Slice:Count"] = "3", ["Slice:Index"] = "1", ["Logs:WriteFiles"] = "false",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddP2PSim(config).BuildServiceProvider();

        Assert.That(services.GetRequiredService<P2PSim.Transport.QueueBudget>().LimitBytes,
            Is.EqualTo(QueueBudget(2001)), "seed-1 and peers 2000-3999, not the whole network's 6,003 nodes");
    }

    private static long QueueBudget(int nodes) => P2PSim.Transport.QueueBudget.BytesFor(0, nodes);
}
