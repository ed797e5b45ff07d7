using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Hosting;
using P2PSim.Protocol;

namespace P2PSim.Tests.Configuration;

/// <summary><c>Network:Seeds</c> as a list (name, host, port), the slice settings, and which nodes a slice runs.</summary>
public sealed class SeedListAndSliceTests
{
    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    private static (string, string)[] ThreeSeeds(string hostA = "127.0.0.2", string hostB = "127.0.0.3", string hostC = "127.0.0.2") =>
    [
        ("Network:Seeds:0:Name", "seed-a"), ("Network:Seeds:0:Host", hostA), ("Network:Seeds:0:Port", "5100"),
        ("Network:Seeds:1:Name", "seed-b"), ("Network:Seeds:1:Host", hostB), ("Network:Seeds:1:Port", "5100"),
        ("Network:Seeds:2:Name", "seed-c"), ("Network:Seeds:2:Host", hostC), ("Network:Seeds:2:Port", "5101"),
    ];

    private static NetworkOptions Network(IConfiguration config)
    {
        var section = config.GetSection(NetworkOptions.Section);
        var network = section.Get<NetworkOptions>() ?? new NetworkOptions();
        SeedListReader.Apply(section, network);
        return network;
    }

    private static IReadOnlyList<string> Failures(IConfiguration config, SliceOptions? slice = null, DemoOptions? demo = null)
    {
        var network = Network(config);
        var result = new[]
        {
            new NetworkOptionsValidator().Validate(null, network),
            new SeedListValidator().Validate(null, network),
            new SliceOptionsValidator(Options.Create(network), Options.Create(demo ?? new DemoOptions())).Validate(null, slice ?? new SliceOptions()),
        };
        return result.Where(r => r.Failed).SelectMany(r => r.Failures!).ToArray();
    }

    [Test]
    public void A_list_of_seeds_is_read_by_name_host_and_port_in_order()
    {
        var network = Network(Config(ThreeSeeds()));
        Assert.Multiple(() =>
        {
            Assert.That(network.Seeds, Is.EqualTo(3));
            Assert.That(network.AllSeeds().Select(s => $"{s.Name}={s.Host}:{s.Port}"), Is.EqualTo((string[])["seed-a=127.0.0.2:5100", "seed-b=127.0.0.3:5100", "seed-c=127.0.0.2:5101"]));
            Assert.That(Failures(Config(ThreeSeeds()), new SliceOptions { Seeds = "none", BindAddress = "127.0.0.4" }), Is.Empty);
        });
    }

    [Test]
    public void The_short_form_names_its_seeds_seed_0_and_on_at_the_host_from_the_base_port()
    {
        var network = Network(Config());
        Assert.That(network.AllSeeds().Select(s => $"{s.Name}={s.Host}:{s.Port}"), Is.EqualTo((string[])["seed-0=127.0.0.1:5000", "seed-1=127.0.0.1:5001", "seed-2=127.0.0.1:5002"]));
    }

    [Test]
    public void A_host_may_be_a_DNS_name()
    {
        var config = Config([.. ThreeSeeds(hostB: "seeds-1.p2psim.default.svc.cluster.local")]);
        Assert.That(Failures(config, new SliceOptions { Seeds = "seed-a,seed-c", BindAddress = "127.0.0.2" }), Is.Empty);
    }

    [TestCase("Network:Seeds:1:Name", "seed-a", "Network:Seeds:1:Name 'seed-a' is used twice (also Network:Seeds:0)")]
    [TestCase("Network:Seeds:2:Port", "5100", "Network:Seeds:2 lists 127.0.0.2:5100, the endpoint of Network:Seeds:0 too")]
    [TestCase("Network:Seeds:1:Host", "127.0.0.2", "Network:Seeds:1 lists 127.0.0.2:5100, the endpoint of Network:Seeds:0 too")]
    [TestCase("Network:Seeds:1:Port", "70000", "Network:Seeds:1:Port must be a port number from 1 to 65535 (was '70000')")]
    [TestCase("Network:Seeds:1:Port", "0", "Network:Seeds:1:Port must be a port number from 1 to 65535 (was '0')")]
    [TestCase("Network:Seeds:0:Host", "not a host!", "Network:Seeds:0:Host must be an IP address or a DNS name (was 'not a host!')")]
    [TestCase("Network:Seeds:0:Name", "", "Network:Seeds:0:Name must be given")]
    [TestCase("Network:Seeds", "2", "Network:Seeds is given both as a count (2) and as a list of 3 seeds; give one of the two.")]
    public void A_bad_seed_list_is_refused_naming_the_setting(string key, string value, string message)
    {
        var settings = ThreeSeeds().Where(s => s.Item1 != key).Append((key, value)).ToArray();
        var failures = Failures(Config(settings), new SliceOptions { Seeds = "none", BindAddress = "127.0.0.9" });
        Assert.That(failures, Has.Some.Contains(message), string.Join("\n", failures));
    }

    [Test]
    public void A_count_that_agrees_with_the_list_is_fine()
    {
        var settings = ThreeSeeds().Append(("Network:Seeds", "3")).ToArray();
        Assert.That(Failures(Config(settings), new SliceOptions { Seeds = "none", BindAddress = "127.0.0.9" }), Is.Empty);
    }

    [TestCase(2, 2, "Slice:Index must be between 0 and Slice:Count - 1 = 1 (was 2)")]
    [TestCase(-1, 2, "Slice:Index must be between 0 and Slice:Count - 1 = 1 (was -1)")]
    [TestCase(0, 0, "Slice:Count must be between 1 and 1000 (was 0)")]
    public void A_slice_index_out_of_range_is_refused(int index, int count, string message)
    {
        Assert.That(Failures(Config(), new SliceOptions { Index = index, Count = count }, new DemoOptions { CrashPeer = 0 }), Has.Some.Contains(message));
    }

    [TestCase("Seeds", "seed-x", "Slice:Seeds names 'seed-x', which is not a seed of Network:Seeds (seed-a, seed-b, seed-c)")]
    [TestCase("BindAddress", "somewhere", "Slice:BindAddress must be an IP address")]
    [TestCase("AnnounceHost", "somewhere", "Slice:AnnounceHost must be an IP address")]
    [TestCase("BindAddress", "0.0.0.0", "Slice:AnnounceHost must be set when the nodes listen on every address")]
    [TestCase("BindAddress", "127.0.0.3", "Network:Seeds:0 lists seed seed-a at 127.0.0.2, but this slice runs it and announces 127.0.0.3")]
    public void Bad_slice_settings_are_refused_naming_the_setting(string key, string value, string message)
    {
        var slice = new SliceOptions { Index = 0, Count = 2, Seeds = "seed-a", BindAddress = "127.0.0.2" };
        typeof(SliceOptions).GetProperty(key)!.SetValue(slice, value);
        var failures = Failures(Config([.. ThreeSeeds(), ("Network:RandomSeed", "7")]), slice);
        Assert.That(failures, Has.Some.Contains(message), string.Join("\n", failures));
    }

    [Test]
    public void Several_slices_need_one_crash_victim_for_all_and_known_ports()
    {
        var slice = new SliceOptions { Index = 0, Count = 2 };
        Assert.Multiple(() =>
        {
            Assert.That(Failures(Config(), slice), Has.Some.Contains("Network:RandomSeed must be set (the same in every slice) or Demo:CrashPeer given"));
            Assert.That(Failures(Config(("Network:RandomSeed", "7"), ("Network:SeedBasePort", "0")), slice), Has.Some.Contains("Network:SeedBasePort must not be 0 with several slices"));
            Assert.That(Failures(Config(("Network:RandomSeed", "7"), ("Network:PeerBasePort", "0")), slice), Has.Some.Contains("Network:PeerBasePort must not be 0 with several slices"));
            Assert.That(Failures(Config(("Network:RandomSeed", "7")), slice), Is.Empty);
        });
    }

    [Test]
    public void A_local_seed_port_inside_the_slices_peer_ports_is_refused()
    {
        var failures = Failures(Config([.. ThreeSeeds(), ("Network:PeerBasePort", "5095"), ("Network:Peers", "10")]),
            new SliceOptions { Seeds = "seed-a,seed-c", BindAddress = "127.0.0.2" });
        Assert.That(failures, Has.Some.Contains("Network:Seeds:0 gives seed seed-a port 5100, which this slice's peers use too (Network:PeerBasePort: ports 5095-5104)"));
    }

    [TestCase(10, 3, new[] { 0, 3, 6, 10 })]
    [TestCase(8, 2, new[] { 0, 4, 8 })]
    [TestCase(2, 3, new[] { 0, 0, 1, 2 })]
    public void Slices_cut_the_peers_into_contiguous_ranges_that_cover_all_once(int peers, int count, int[] firsts)
    {
        Assert.That(Enumerable.Range(0, count + 1).Select(i => SliceLayout.FirstPeerOf(i, peers, count)), Is.EqualTo(firsts));
        for (var peer = 0; peer < peers; peer++)
        {
            var slice = SliceLayout.SliceOfPeer(peer, peers, count);
            Assert.That(peer, Is.GreaterThanOrEqualTo(firsts[slice]).And.LessThan(firsts[slice + 1]), $"peer {peer}");
        }
    }

    [Test]
    public void By_default_seed_j_runs_in_slice_j_mod_count()
    {
        var network = Network(Config([.. ThreeSeeds()]));
        Assert.Multiple(() =>
        {
            Assert.That(SliceLayout.From(network, new SliceOptions { Index = 0, Count = 2 }).LocalSeeds, Is.EqualTo((int[])[0, 2]));
            Assert.That(SliceLayout.From(network, new SliceOptions { Index = 1, Count = 2 }).LocalSeeds, Is.EqualTo((int[])[1]));
            Assert.That(SliceLayout.From(network, new SliceOptions { Count = 1 }).LocalSeeds, Is.EqualTo((int[])[0, 1, 2]));
            Assert.That(SliceLayout.From(network, new SliceOptions { Count = 2, Seeds = "none" }).LocalSeeds, Is.Empty);
        });
    }

    [Test]
    public void One_slice_on_the_defaults_plans_exactly_the_nodes_of_one_process_each_on_its_own_loopback_address()
    {
        var specs = P2PSimServiceCollectionExtensions.PlanNodes(Config());
        Assert.That(specs.Select(s => $"{s.Role} {s.Index} {s.BindTo} {s.Turn} {s.Announce} {s.DialFromBindAddress} {s.OwnAddress}"), Is.EqualTo(
            Enumerable.Range(0, 3).Select(i => $"Seed {i} 127.1.0.{i + 1}:{5000 + i} {i}  True True")
                .Concat(Enumerable.Range(0, 8).Select(i => $"Peer {i} 127.2.0.{i + 1}:{6000 + i} {i}  True True"))));
    }

    [Test]
    public void With_AddressPerNode_false_every_node_shares_Network_Host()
    {
        var specs = P2PSimServiceCollectionExtensions.PlanNodes(Config([("Network:AddressPerNode", "false")]));
        Assert.That(specs.Select(s => $"{s.Role} {s.Index} {s.BindTo} {s.Turn} {s.Announce} {s.DialFromBindAddress} {s.OwnAddress}"), Is.EqualTo(
            Enumerable.Range(0, 3).Select(i => $"Seed {i} 127.0.0.1:{5000 + i} {i}  False False")
                .Concat(Enumerable.Range(0, 8).Select(i => $"Peer {i} 127.0.0.1:{6000 + i} {i}  False False"))));
    }

    [TestCase(99_999, "127.3.134.160")]
    [TestCase(255, "127.2.1.0")]
    [TestCase(0, "127.2.0.1")]
    public void A_peer_address_follows_from_its_index(int peer, string address) =>
        Assert.That(NodeAddresses.Peer(peer).ToString(), Is.EqualTo(address));

    [Test]
    public void AddressPerNode_true_is_refused_with_a_host_that_is_not_IPv4_loopback_or_with_slices()
    {
        var failures = Failures(Config([("Network:AddressPerNode", "true"), ("Network:Host", "10.0.0.5")]));
        Assert.That(failures, Has.Some.Contains("Network:AddressPerNode needs Network:Host to be an IPv4 loopback address"));
        failures = Failures(Config([.. ThreeSeeds(), ("Network:AddressPerNode", "true"), ("Network:RandomSeed", "7")]), new SliceOptions { Count = 2 });
        Assert.That(failures, Has.Some.Contains("Network:AddressPerNode needs one process to run the whole network"));
        Assert.That(SliceLayout.From(Network(Config([("Network:Host", "10.0.0.5")])), new SliceOptions()).AddressPerNode, Is.False, "unset, it is off where it cannot work");
    }

    [Test]
    public void A_slice_plans_its_seeds_and_its_peer_range_on_its_own_address()
    {
        var config = Config([.. ThreeSeeds(), ("Network:Peers", "10"), ("Network:RandomSeed", "7"),
            ("Slice:Index", "1"), ("Slice:Count", "2"), ("Slice:Seeds", "seed-b"), ("Slice:BindAddress", "127.0.0.3")]);
        var specs = P2PSimServiceCollectionExtensions.PlanNodes(config);
        Assert.That(specs.Select(s => $"{s.Role} {s.Index} {s.BindTo} {s.Turn} {s.DialFromBindAddress}"), Is.EqualTo(
            Enumerable.Repeat("Seed 1 127.0.0.3:5100 1 True", 1).Concat(Enumerable.Range(5, 5).Select(i => $"Peer {i} 127.0.0.3:{6000 + i} {i - 5} True"))));
        Assert.That(specs[0].BindTo, Is.EqualTo(new NodeEndpoint(IPAddress.Parse("127.0.0.3"), 5100)));
    }
}
