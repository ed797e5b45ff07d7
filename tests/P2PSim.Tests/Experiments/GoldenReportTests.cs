using P2PSim.Configuration;
using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// The refactoring safety net: the simulated report of a fixed seed, byte for byte, for every workload. A change that
/// is meant to keep behaviour (moving code between parts, a new driver) must keep these files as they are; a change
/// that is meant to alter behaviour (a new wire format, a new rule) regenerates them on purpose and says why in its
/// commit: run the tests with <c>P2PSIM_UPDATE_GOLDEN=1</c> and commit the files under <c>Experiments/Golden/</c>.
/// </summary>
[TestFixture]
[Parallelizable] // the simulated network only: virtual time, no sockets, no shared state (see Parallelism.cs)
public sealed class GoldenReportTests
{
    private static PeerOptions Quick() => new()
    {
        LivenessInterval = TimeSpan.FromSeconds(1),
        RegistrationTimeout = TimeSpan.FromMilliseconds(500),
        RetryInterval = TimeSpan.FromMilliseconds(200),
        ReregisterInterval = TimeSpan.FromSeconds(2),
        HistoryWindow = TimeSpan.FromSeconds(30),
    };

    private static readonly Dictionary<string, ExperimentOptions> Runs = new()
    {
        ["burst"] = new()
        {
            Peers = 120,
            RunSeed = 5,
            Workload = WorkloadKind.Burst,
            Messages = 20,
            Jitter = TimeSpan.FromMilliseconds(2),
            Loss = 0.02,
        },
        ["classic"] = new()
        {
            Peers = 30,
            RunSeed = 6,
            Workload = WorkloadKind.Classic,
            Peer = new PeerOptions { MessagesPerPeer = 3, GossipInterval = TimeSpan.FromSeconds(1), LivenessInterval = TimeSpan.FromSeconds(2) },
        },
        ["crash"] = new()
        {
            Peers = 80,
            RunSeed = 7,
            Workload = WorkloadKind.Crash,
            CrashShare = 0.3,
            Messages = 20,
            Peer = Quick(),
            SampleInterval = TimeSpan.FromMilliseconds(500),
        },
        ["seedcrash"] = new()
        {
            Peers = 60,
            RunSeed = 8,
            Workload = WorkloadKind.SeedCrash,
            Messages = 30,
            SeedCrashes = 1,
            SeedRestartAfter = TimeSpan.FromSeconds(1),
            Peer = Quick(),
            SampleInterval = TimeSpan.FromMilliseconds(500),
        },
        ["churn"] = new()
        {
            Peers = 60,
            RunSeed = 9,
            Workload = WorkloadKind.Churn,
            Messages = 40,
            ChurnLeaveShare = 0.2,
            ChurnJoinShare = 0.2,
            Peer = Quick(),
            SampleInterval = TimeSpan.FromMilliseconds(500),
        },
        ["tree-burst"] = new()
        {
            Peers = 120,
            RunSeed = 11,
            Workload = WorkloadKind.Burst,
            Messages = 20,
            Gossip = new GossipOptions { Routing = Routing.Tree },
            Latency = TimeSpan.FromMilliseconds(5),
            Jitter = TimeSpan.FromMilliseconds(2),
        },
        ["tree-crash"] = new()
        {
            Peers = 80,
            RunSeed = 12,
            Workload = WorkloadKind.Crash,
            CrashShare = 0.3,
            Messages = 20,
            Peer = Quick(),
            Gossip = new GossipOptions { Routing = Routing.Tree },
            SampleInterval = TimeSpan.FromMilliseconds(500),
        },
        ["spanning-burst"] = new()
        {
            Peers = 120,
            RunSeed = 13,
            Workload = WorkloadKind.Burst,
            Messages = 20,
            Gossip = new GossipOptions { Routing = Routing.Spanning },
            Latency = TimeSpan.FromMilliseconds(5),
            Jitter = TimeSpan.FromMilliseconds(2),
        },
        ["spanning-crash"] = new()
        {
            Peers = 80,
            RunSeed = 14,
            Workload = WorkloadKind.Crash,
            CrashShare = 0.3,
            Messages = 20,
            Peer = Quick(),
            Gossip = new GossipOptions { Routing = Routing.Spanning },
            SampleInterval = TimeSpan.FromMilliseconds(500),
        },
        ["partition"] = new()
        {
            Peers = 60,
            RunSeed = 10,
            Workload = WorkloadKind.Partition,
            Messages = 40,
            PartitionShare = 0.5,
            PartitionDuration = TimeSpan.FromSeconds(5),
            Peer = Quick(),
            SampleInterval = TimeSpan.FromMilliseconds(500),
        },
    };

    private static IEnumerable<string> Names => Runs.Keys;

    [TestCaseSource(nameof(Names))]
    public void The_simulated_report_of_a_fixed_seed_is_unchanged(string name)
    {
        var json = ReportWriter.ToDeterministicJson(new SimulatedExperiment(Runs[name]).Run());
        var path = Path.Combine(SourceFolder(), "Golden", $"{name}.json");
        if (Environment.GetEnvironmentVariable("P2PSIM_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, json);
            Assert.Pass($"wrote {path}");
        }
        Assert.That(File.Exists(path), Is.True, $"{path} is missing: run the tests once with P2PSIM_UPDATE_GOLDEN=1");
        var expected = File.ReadAllText(path);
        if (json != expected)
        {
            var at = 0;
            while (at < Math.Min(json.Length, expected.Length) && json[at] == expected[at])
            {
                at++;
            }
            Assert.Fail($"The {name} report differs from {path} at character {at}:\n  expected ...{Excerpt(expected, at)}...\n  actual   ...{Excerpt(json, at)}...");
        }
    }

    private static string Excerpt(string text, int at) => text.Substring(Math.Max(0, at - 80), Math.Min(160, text.Length - Math.Max(0, at - 80)));

    /// <summary>This file's folder in the source tree (the golden files are read from and written to the sources, not the build output).</summary>
    private static string SourceFolder([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
