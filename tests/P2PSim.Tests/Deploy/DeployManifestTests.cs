using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using P2PSim.Cli;
using P2PSim.Configuration;
using P2PSim.Hosting;
using P2PSim.LiveView;
using YamlDotNet.RepresentationModel;

namespace P2PSim.Tests.Deploy;

/// <summary>
/// What can be checked here of deploy/ without a cluster or a Docker daemon: the files parse as YAML; every setting they
/// pass (<c>--Section:Key=value</c> arguments, <c>Section__Key</c> env vars) is one P2PSim knows; and, slice by slice, the
/// settings each pod or container ends up with pass start-up validation and agree with each other (slice count and
/// indices, which slice runs which seed, the seeds' DNS names or addresses).
/// </summary>
public sealed class DeployManifestTests
{
    private const string JobIndexField = "metadata.annotations['batch.kubernetes.io/job-completion-index']";

    private static string DeployFolder([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "deploy"));

    [Test]
    public void Every_yaml_file_in_deploy_parses()
    {
        var files = Directory.GetFiles(DeployFolder(), "*.yaml", SearchOption.AllDirectories);

        Assert.That(files, Has.Length.GreaterThanOrEqualTo(3), "deploy/compose.yaml, deploy/k8s/service.yaml, deploy/k8s/job.yaml");
        Assert.Multiple(() =>
        {
            foreach (var file in files)
            {
                Assert.That(() => Load(file), Has.Count.GreaterThan(0), file);
            }
        });
    }

    [Test]
    public void The_kubernetes_job_runs_one_slice_per_pod_with_the_seeds_at_the_headless_services_names()
    {
        var documents = Directory.GetFiles(Path.Combine(DeployFolder(), "k8s"), "*.yaml").SelectMany(Load).ToArray();
        var service = documents.Single(d => Scalar(d, "kind") == "Service");
        var job = documents.Single(d => Scalar(d, "kind") == "Job");
        var serviceName = Scalar(Map(service, "metadata"), "name");
        var jobName = Scalar(Map(job, "metadata"), "name");
        var spec = Map(job, "spec");
        var template = Map(spec, "template");
        var pod = Map(template, "spec");
        var container = (YamlMappingNode)Seq(pod, "containers").Single();
        var args = Seq(container, "args").Select(a => ((YamlScalarNode)a).Value!).ToArray();
        var env = Seq(container, "env").Cast<YamlMappingNode>().ToDictionary(e => Scalar(e, "name"));
        var count = int.Parse(Argument(args, "Slice:Count"), System.Globalization.CultureInfo.InvariantCulture);

        Assert.Multiple(() =>
        {
            Assert.That(Scalar(Map(service, "spec"), "clusterIP"), Is.EqualTo("None"), "headless: one DNS name per pod");
            Assert.That(Map(Map(service, "spec"), "selector").Children.Select(Pair),
                Is.SubsetOf(Map(Map(template, "metadata"), "labels").Children.Select(Pair)), "the Service selects the Job's pods");
            Assert.That(Scalar(pod, "subdomain"), Is.EqualTo(serviceName), "pod k is then <job>-k.<service>");
            Assert.That(Scalar(spec, "completionMode"), Is.EqualTo("Indexed"));
            Assert.That(Scalar(spec, "completions"), Is.EqualTo(count.ToString(System.Globalization.CultureInfo.InvariantCulture)), "one pod per slice");
            Assert.That(Scalar(spec, "parallelism"), Is.EqualTo(Scalar(spec, "completions")), "every slice at once");
            Assert.That(FieldRef(env["Slice__Index"]), Is.EqualTo(JobIndexField));
            Assert.That(FieldRef(env["Slice__AnnounceHost"]), Is.EqualTo("status.podIP"));
            Assert.That(env.Keys.Where(k => k.Contains("__", StringComparison.Ordinal)), Is.EquivalentTo((string[])["Slice__Index", "Slice__AnnounceHost"]),
                "the network's settings are the same in every pod: arguments; only what differs comes from env vars");
        });

        // Each pod: the arguments, its completion index and an address of its own for status.podIP.
        var pods = Enumerable.Range(0, count)
            .Select(k => Settings(args, [("Slice:Index", $"{k}"), ("Slice:AnnounceHost", $"10.244.{k}.17")]))
            .ToArray();
        AssertSlices(pods, "deploy/k8s/job.yaml", (k, seed) =>
            Assert.That(seed.Host, Is.EqualTo($"{jobName}-{k}.{serviceName}"), $"seed {seed.Name} runs in pod {k}, so its Host is that pod's DNS name"));
    }

    [Test]
    public void The_compose_file_runs_one_slice_per_container_each_on_its_fixed_address()
    {
        var compose = Load(Path.Combine(DeployFolder(), "compose.yaml")).Single();
        var services = Map(compose, "services").Children
            .Select(s => (Name: ((YamlScalarNode)s.Key).Value!, Service: (YamlMappingNode)s.Value)).ToArray();
        var subnet = Scalar((YamlMappingNode)Seq(Map(Map(Map(compose, "networks"), "p2psim"), "ipam"), "config").Single(), "subnet");
        var containers = services.Select(s =>
        {
            var args = Seq(s.Service, "command").Select(a => ((YamlScalarNode)a).Value!).ToArray();
            var env = Map(s.Service, "environment").Children.Select(e => (((YamlScalarNode)e.Key).Value!, ((YamlScalarNode)e.Value).Value!)).ToArray();
            var address = Scalar(Map(Map(s.Service, "networks"), "p2psim"), "ipv4_address");
            var nofile = long.Parse(Scalar(Map(Map(s.Service, "ulimits"), "nofile"), "soft"), System.Globalization.CultureInfo.InvariantCulture);
            return (s.Name, Args: args, Env: env, Address: address, NoFile: nofile,
                Settings: Settings(args, [.. env.Select(e => (e.Item1.Replace("__", ":", StringComparison.Ordinal), e.Item2))]));
        }).OrderBy(c => int.Parse(c.Settings["Slice:Index"]!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(containers.Select(c => c.Settings["Slice:Count"]).Distinct(), Is.EqualTo((string[])[$"{containers.Length}"]), "Slice:Count is the number of services");
            Assert.That(containers.Select(c => c.Args), Has.All.EqualTo(containers[0].Args), "every slice gets the same network");
            Assert.That(containers.Select(c => c.Settings["Slice:BindAddress"]), Is.EqualTo(containers.Select(c => c.Address)), "each slice listens on its container's fixed address");
            Assert.That(containers.Select(c => c.Address).Distinct().Count(), Is.EqualTo(containers.Length));
            foreach (var c in containers)
            {
                Assert.That(InSubnet(IPAddress.Parse(c.Address), subnet), Is.True, $"{c.Name}: {c.Address} in {subnet}");
            }
        });
        AssertSlices([.. containers.Select(c => c.Settings)], "deploy/compose.yaml", (k, seed) =>
            Assert.That(seed.Host, Is.EqualTo(containers[k].Address), $"seed {seed.Name} runs in slice {k}, so it is listed at that container's address"));
        Assert.Multiple(() =>
        {
            foreach (var c in containers)
            {
                var config = Config(c.Settings);
                var layout = SliceLayout.From(Bind<NetworkOptions>(config), Bind<SliceOptions>(config));
                Assert.That(OpenFilesValidator.Check(layout, Bind<PeerOptions>(config).MaxNeighbours, Bind<PeerOptions>(config), Bind<LogOptions>(config).WriteFiles, c.NoFile), Is.Null, $"{c.Name} fits its ulimit nofile");
            }
        });
    }

    /// <summary>
    /// Every setting is known; each slice's settings pass start-up validation and plan its nodes; the slices' indices are
    /// 0 to count - 1, they run every seed and every peer exactly once, and <paramref name="localSeed"/> holds for each
    /// seed in the slice that runs it.
    /// </summary>
    private static void AssertSlices(IReadOnlyList<Dictionary<string, string?>> slices, string file, Action<int, SeedAddress> localSeed)
    {
        var layouts = new List<SliceLayout>();
        Assert.Multiple(() =>
        {
            foreach (var settings in slices)
            {
                Assert.That(KnownSettings.Check(settings, $"in {file}"), Is.Empty);
                var config = Config(settings);
                Assert.That(Failures(config), Is.Empty, $"slice {settings["Slice:Index"]}");
                var layout = SliceLayout.From(Bind<NetworkOptions>(config), Bind<SliceOptions>(config));
                Assert.That(P2PSimServiceCollectionExtensions.PlanNodes(config), Has.Count.EqualTo(layout.LocalSeeds.Count + layout.PeerCount));
                layouts.Add(layout);
            }
        });
        Assert.Multiple(() =>
        {
            Assert.That(layouts.Select(l => l.Index), Is.EqualTo(Enumerable.Range(0, slices.Count)), "one slice per index");
            Assert.That(layouts.Select(l => l.Count), Has.All.EqualTo(slices.Count));
            Assert.That(layouts.SelectMany(l => l.LocalSeeds).Order(), Is.EqualTo(Enumerable.Range(0, layouts[0].Seeds.Count)), "every seed runs in exactly one slice");
            Assert.That(layouts.Sum(l => l.PeerCount), Is.EqualTo(layouts[0].TotalPeers));
            Assert.That(layouts.Select(l => l.Seeds.Select(s => $"{s.Name}={s.Host}:{s.Port}")), Has.All.EqualTo(layouts[0].Seeds.Select(s => $"{s.Name}={s.Host}:{s.Port}")),
                "every slice lists the same seeds");
            foreach (var layout in layouts)
            {
                foreach (var j in layout.LocalSeeds)
                {
                    localSeed(layout.Index, layout.Seeds[j]);
                }
            }
        });
    }

    /// <summary>The start-up validation of every section, but the open-file check (which depends on this machine's limit).</summary>
    private static List<string> Failures(IConfiguration config)
    {
        var services = new ServiceCollection().AddLogging().AddLiveView(config).AddP2PSim(config);
        services.Remove(services.Single(d => d.ImplementationType == typeof(OpenFilesValidator)));
        using var provider = services.BuildServiceProvider();
        var failures = new List<string>();
        void Check<T>()
            where T : class
        {
            try
            {
                _ = provider.GetRequiredService<IOptions<T>>().Value;
            }
            catch (OptionsValidationException ex)
            {
                failures.AddRange(ex.Failures);
            }
        }
        Check<NetworkOptions>();
        Check<SliceOptions>();
        Check<PeerOptions>();
        Check<SeedOptions>();
        Check<GossipOptions>();
        Check<TransportOptions>();
        Check<DemoOptions>();
        Check<LogOptions>();
        Check<LiveViewOptions>();
        return failures;
    }

    /// <summary>The <c>--Section:Key=value</c> arguments, then the pod's or container's own settings over them.</summary>
    private static Dictionary<string, string?> Settings(IEnumerable<string> args, IEnumerable<(string Key, string Value)> own)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var arg in args)
        {
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            Assert.That(arg.StartsWith("--", StringComparison.Ordinal) && equals > 2, Is.True, $"'{arg}' is written --Section:Key=value");
            settings[arg[2..equals]] = arg[(equals + 1)..];
        }
        foreach (var (key, value) in own)
        {
            settings[key] = value;
        }
        return settings;
    }

    private static string Argument(IEnumerable<string> args, string key) =>
        args.Single(a => a.StartsWith($"--{key}=", StringComparison.Ordinal))[(key.Length + 3)..];

    private static IConfiguration Config(Dictionary<string, string?> settings) => new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static T Bind<T>(IConfiguration config)
        where T : class, new()
    {
        var section = typeof(T).GetField("Section")!.GetValue(null)!.ToString()!;
        var options = config.GetSection(section).Get<T>() ?? new T();
        if (options is NetworkOptions network)
        {
            SeedListReader.Apply(config.GetSection(section), network);
        }
        return options;
    }

    private static bool InSubnet(IPAddress address, string subnet) => IPNetwork.Parse(subnet).Contains(address);

    private static List<YamlMappingNode> Load(string file)
    {
        using var reader = File.OpenText(file);
        var stream = new YamlStream();
        stream.Load(reader);
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    /// <summary>A key of a mapping, or of the mappings it merges (<c>&lt;&lt;: *anchor</c>, as compose.yaml does).</summary>
    private static YamlNode Get(YamlMappingNode map, string key)
    {
        if (map.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return value;
        }
        if (map.Children.TryGetValue(new YamlScalarNode("<<"), out var merged) && merged is YamlMappingNode parent)
        {
            return Get(parent, key);
        }
        throw new KeyNotFoundException($"no '{key}' at line {map.Start.Line}");
    }

    private static YamlMappingNode Map(YamlMappingNode map, string key) => (YamlMappingNode)Get(map, key);

    private static YamlSequenceNode Seq(YamlMappingNode map, string key) => (YamlSequenceNode)Get(map, key);

    private static string Scalar(YamlMappingNode map, string key) => ((YamlScalarNode)Get(map, key)).Value!;

    private static string FieldRef(YamlMappingNode envVar) => Scalar(Map(Map(envVar, "valueFrom"), "fieldRef"), "fieldPath");

    private static string Pair(KeyValuePair<YamlNode, YamlNode> entry) => $"{entry.Key}={entry.Value}";
}
