using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>
/// One network in three processes: the real executable started three times, each a slice of the same network bound to
/// its own loopback address (127.0.0.2-4; all of 127.0.0.0/8 is loopback on Linux), the seeds listed by name, host and
/// port. Every slice delivers every message of the network to its peers, and a crash in one slice is detected by peers
/// of another and removed by the seeds.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class SliceProcessTests
{
    private const int Slices = 3;
    private const int Peers = 9;
    private const int MessagesPerPeer = 8;
    private const int Victim = 1; // a peer of slice 0 (peers 0-2)
    private static readonly IPAddress[] Addresses = SliceProcesses.Addresses(Slices);

    private TempDirectory _directory = null!;

    private string WorkingDirectory => _directory.Path;

    [SetUp]
    public void CreateWorkingDirectory() => _directory = TempDirectory.Create("p2psim-slices");

    [TearDown]
    public void RemoveWorkingDirectory() => _directory.Dispose();

    [Test]
    [CancelAfter(90_000)]
    public async Task Three_slices_on_three_loopback_addresses_deliver_every_message_and_detect_a_crash_across_slices(CancellationToken ct)
    {
        var (seedPort, peerBasePort) = SliceProcesses.FreePorts(Addresses, Peers, 20_000, 30_000);
        var network = new List<string>
        {
            $"--Network:Peers={Peers}", $"--Network:PeerBasePort={peerBasePort}", "--Network:RandomSeed=4242",
            "--Network:PeerJoinInterval=00:00:00.050", "--Peer:GossipInterval=00:00:00.200", $"--Peer:MessagesPerPeer={MessagesPerPeer}",
            "--Peer:LivenessInterval=00:00:00.300", "--Peer:RetryInterval=00:00:00.300",
            "--Demo:CrashAfter=00:00:04", $"--Demo:CrashPeer={Victim}", $"--Slice:Count={Slices}",
        };
        network.AddRange(SliceProcesses.SeedList(Addresses, seedPort));
        var children = new List<ChildProcess>();
        try
        {
            for (var s = 0; s < Slices; s++)
            {
                // Seed j runs in slice j % Count by default: each slice runs one seed, on its own address.
                children.Add(ChildProcess.Start(WorkingDirectory,
                    [.. network, $"--Slice:Index={s}", $"--Slice:BindAddress={Addresses[s]}", $"--Logs:Directory=logs-{s}"]));
            }
            var victim = $"{Addresses[0]}:{peerBasePort + Victim}";
            await Eventually.HoldsAsync(() =>
            {
                if (children.FirstOrDefault(c => SliceProcesses.Problems(c.Stderr).Length > 0) is { } failed)
                {
                    return $"a slice failed: {failed.Stderr}";
                }
                var elsewhere = children.Skip(1).Any(c => c.Stdout.Contains($"Neighbour {victim} is dead", StringComparison.Ordinal));
                var removed = children.Count(c => RemovedBySeed(c.Stdout, victim));
                // Each slice's script says when the victim crashes elsewhere (its own Demo:CrashAfter): on a loaded
                // machine a slice that started late says so after the others have already detected it.
                var told = children.Skip(1).All(c => c.Stdout.Contains("crashes now in slice 0", StringComparison.Ordinal));
                return elsewhere && removed > 0 && told
                    ? null
                    : $"the crash of {victim} was not yet detected in another slice ({elsewhere}), removed by a seed ({removed}) and announced in every other slice ({told});\n{SliceProcesses.Tails(children)}";
            }, TimeSpan.FromSeconds(45), ct);
            // Every peer has published all it will (8 messages, 0.2 s apart, long done): wait until every live peer's
            // log file (flushed every 500 ms) shows every message of the network, before the slices are interrupted.
            // And every slice's seed has heard of the death (its own check, or a report relayed by another seed).
            await Eventually.HoldsAsync(() => MissingReceipts(peerBasePort)
                ?? (children.Select((c, s) => (c, s)).FirstOrDefault(x => !SeedHeardOf(x.c.Stdout, victim)) is { c: not null } unheard
                    ? $"the seed of slice {unheard.s} has not yet heard of the death of {victim}" : null), TimeSpan.FromSeconds(20), ct);

            foreach (var child in children)
            {
                child.Interrupt();
            }
            foreach (var child in children)
            {
                Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(10), ct), Is.True, $"a slice still runs 10 s after SIGINT:\n{SliceProcesses.Tails(children)}");
            }

            var totals = new List<int>();
            for (var s = 0; s < Slices; s++)
            {
                var output = children[s].Stdout;
                Assert.Multiple(() =>
                {
                    Assert.That(children[s].ExitCode, Is.Zero, children[s].Stderr);
                    Assert.That(SliceProcesses.Problems(children[s].Stderr), Is.Empty);
                    Assert.That(output, Does.Contain($"Slice {s} of {Slices}: runs seeds seed-{(char)('a' + s)} and peers {3 * s}-{(3 * s) + 2} of {Peers}, listening on {Addresses[s]}"));
                    Assert.That(output, Does.Match(@"Delivery: (\d+) of \1 expected receipts \(100\.0 %\); 0 missing"), $"slice {s}:\n{Summary(output)}");
                    Assert.That(output, Does.Not.Contain("FALSE DEATH"), $"slice {s}:\n{Summary(output)}");
                    Assert.That(output, Does.Contain(s == 0 ? $"Crash: {victim} crashed at" : $"Crash: {victim} crashed in another slice"), $"slice {s}:\n{Summary(output)}");
                    Assert.That(output, Does.Match(@"removed from (all \d+|0 of 0) seeds here that had it"), $"slice {s}: every seed here that listed the victim removed it\n{Summary(output)}");
                });
                var counts = Originated().Match(output);
                Assert.That(counts.Success, Is.True, $"slice {s}: no message count\n{Summary(output)}");
                var here = int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture);
                totals.Add(here + int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture));
                Assert.That(here, s == 0 ? Is.InRange(2 * MessagesPerPeer, 3 * MessagesPerPeer) : Is.EqualTo(3 * MessagesPerPeer), $"slice {s}: messages of its own peers (the victim's are fewer)");
                // Each slice logs its own nodes, one file per node.
                Assert.That(Directory.GetFiles(Path.Combine(WorkingDirectory, $"logs-{s}"), "Log_*.txt"), Has.Length.EqualTo(4), $"slice {s}: one seed and three peers");
            }
            Assert.That(totals.Distinct().Count(), Is.EqualTo(1), $"every slice knows every message of the network: {string.Join(", ", totals)}");
        }
        finally
        {
            foreach (var child in children)
            {
                child.Dispose(); // kills any slice still running
            }
        }
    }

    /// <summary>
    /// Null when every live peer's log file shows every message any peer of the network originated, as originated or
    /// received; else which peers lack how many.
    /// </summary>
    private string? MissingReceipts(int peerBasePort)
    {
        var files = Enumerable.Range(0, Peers).ToDictionary(i => i,
            i => Path.Combine(WorkingDirectory, $"logs-{i / (Peers / Slices)}", $"Log_{peerBasePort + i}.txt"));
        var seen = files.ToDictionary(f => f.Key, f => MessageIds(f.Value));
        var originated = files.SelectMany(f => MessageIds(f.Value, "Originated gossip")).ToHashSet(StringComparer.Ordinal);
        var lacking = seen.Where(p => p.Key != Victim && !originated.IsSubsetOf(p.Value))
            .Select(p => $"peer {p.Key} lacks {originated.Count(id => !p.Value.Contains(id))} of {originated.Count}").ToList();
        return lacking.Count == 0 ? null : $"not every message reached every live peer yet: {string.Join("; ", lacking)}";
    }

    /// <summary>The message ids of the gossip lines in a node's log file (those starting with <paramref name="kind"/>, if given).</summary>
    private static HashSet<string> MessageIds(string file, string kind = "gossip \"")
    {
        if (!File.Exists(file))
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }
        using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        return reader.ReadToEnd().Split('\n')
            .Where(line => line.Contains(kind, StringComparison.Ordinal) && GossipId().Match(line) is { Success: true })
            .Select(line => GossipId().Match(line).Groups[1].Value).ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"\[([0-9a-f]{8,})\]\s*$")]
    private static partial Regex GossipId();

    private static string Summary(string output)
    {
        var at = output.IndexOf("P2PSim summary", StringComparison.Ordinal);
        return at >= 0 ? output[at..] : output.Length > 2000 ? output[^2000..] : output;
    }

    /// <summary>A seed of this slice received a report of the victim's death (and removed it, or never listed it).</summary>
    private static bool SeedHeardOf(string output, string victim) => output.Split('\n').Any(line =>
        line.Contains("[Seed ", StringComparison.Ordinal) && line.Contains($"Dead Node:{victim}:", StringComparison.Ordinal)
        && (line.Contains("removed it from the peer list", StringComparison.Ordinal) || line.Contains("is not in the peer list", StringComparison.Ordinal)));

    /// <summary>A seed of this slice confirmed the victim's death and removed it.</summary>
    private static bool RemovedBySeed(string output, string victim) => output.Split('\n').Any(line =>
        line.Contains("[Seed ", StringComparison.Ordinal) && line.Contains($"Dead Node:{victim}:", StringComparison.Ordinal)
        && line.Contains("removed it from the peer list", StringComparison.Ordinal));

    [GeneratedRegex(@"Messages originated: (\d+) here, (\d+) by peers of other slices")]
    private static partial Regex Originated();
}
