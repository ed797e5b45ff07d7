using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using P2PSim.Experiments;
using P2PSim.Experiments.Reports;
using P2PSim.Experiments.Slices;

namespace P2PSim.Tests.Integration;

/// <summary>
/// An experiment over three processes: the real executable started three times with <c>experiment</c>, each a slice of
/// one network on its own loopback address (127.0.0.2-4), all given the same <c>Experiment:StartAt</c>; then <c>merge</c>
/// joins the three parts. The merged report has the counts a one-process run of the same schedule has: every message of
/// the network at every peer that stays, the crashed peers removed by the seeds, detected by peers of other slices.
/// </summary>
[TestFixture]
[Parallelizable] // it waits most of its time for the slices' start (a 25 s lead): the simulated fixtures run meanwhile (see Parallelism.cs)
public sealed partial class SliceExperimentProcessTests
{
    private const int Slices = 3;
    private const int Peers = 30;
    private const int Messages = 20;
    private static readonly IPAddress[] Addresses = SliceProcesses.Addresses(Slices);

    private TempDirectory _directory = null!;

    [SetUp]
    public void CreateWorkingDirectory() => _directory = TempDirectory.Create("p2psim-slice-experiment");

    [TearDown]
    public void RemoveWorkingDirectory() => _directory.Dispose();

    [Test]
    [CancelAfter(120_000)]
    public async Task Three_slices_run_a_crash_experiment_and_merge_into_one_report_with_every_message_delivered(CancellationToken ct)
    {
        var (seedPort, peerBasePort) = SliceProcesses.FreePorts(Addresses, Peers, 30_000, 40_000);
        // Long enough for three processes to start and their peers to join on a busy machine: at a load of 50 on 2 cores
        // they took 15 s to start, past the 10 s this test once gave them.
        var startAt = DateTimeOffset.UtcNow.AddSeconds(25).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var run = new List<string>
        {
            "experiment", $"--Experiment:Peers={Peers}", $"--Experiment:Messages={Messages}", "--Experiment:Workload=crash",
            "--Experiment:SampleInterval=00:00:00.500", $"--Experiment:StartAt={startAt}", "--Experiment:ReportPath=parts/run.json",
            "--Peer:LivenessInterval=00:00:01", "--Peer:RetryInterval=00:00:00.500",
            $"--Network:PeerBasePort={peerBasePort}", $"--Slice:Count={Slices}",
        };
        run.AddRange(SliceProcesses.SeedList(Addresses, seedPort));
        var slices = new List<ChildProcess>();
        try
        {
            for (var s = 0; s < Slices; s++)
            {
                slices.Add(ChildProcess.Start(_directory.Path, [.. run, $"--Slice:Index={s}", $"--Slice:BindAddress={Addresses[s]}"]));
            }
            for (var s = 0; s < Slices; s++)
            {
                Assert.That(await slices[s].WaitForExitAsync(TimeSpan.FromSeconds(80), ct), Is.True, $"slice {s} still runs 80 s on:\n{SliceProcesses.Tails(slices)}");
            }
            for (var s = 0; s < Slices; s++)
            {
                Assert.That(slices[s].ExitCode, Is.Zero, $"slice {s}:\n{SliceProcesses.Tails(slices)}");
                Assert.That(slices[s].Stdout, Does.Contain($"Part of the report written to {Path.Combine(_directory.Path, "parts", $"run.slice{s}.json")}"));
            }

            using var merge = ChildProcess.Start(_directory.Path, "merge", "parts/run.slice0.json", "parts/run.slice1.json", "parts/run.slice2.json");
            Assert.That(await merge.WaitForExitAsync(TimeSpan.FromSeconds(30), ct), Is.True, "merge still runs after 30 s");
            Assert.That(merge.ExitCode, Is.Zero, merge.Stderr);
            var (report, problem) = ReportFile.Parse(await File.ReadAllTextAsync(Path.Combine(_directory.Path, "parts", "run.json"), ct));
            Assert.That(report, Is.Not.Null, problem);

            // The schedule every slice followed, worked out here as they did: who crashed, who published what.
            var schedule = SliceSchedule.For(new ExperimentOptions { Peers = Peers, Messages = Messages, Workload = WorkloadKind.Crash }, seeds: Slices);
            var victims = schedule.Plan.Victims;
            var staying = Peers - victims.Length;
            var origins = schedule.Steps.Where(s => s.Kind == StepKind.Publish).SelectMany(s => s.Targets).ToArray();
            var expected = origins.Sum(o => victims.Contains(o) ? staying : staying - 1);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(report!.Peers, Is.EqualTo(Peers));
                Assert.That(report.Seeds, Is.EqualTo(Slices));
                Assert.That(report.Overlay.PeersNotJoined, Is.Zero, merge.Stdout);
                Assert.That(report.Overlay.Connected, Is.True);
                Assert.That(report.Delivery.MessagesPublished, Is.EqualTo(Messages));
                Assert.That(report.Delivery.ExpectedDeliveries, Is.EqualTo(expected), "every message at every peer that stays, but its origin");
                Assert.That(report.Delivery.Deliveries, Is.EqualTo(expected));
                Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
                Assert.That(report.Signatures!.Checked, Is.GreaterThanOrEqualTo(expected), "every receipt's signature checked, by every slice's peers");
                Assert.That(report.Signatures.Forged, Is.Zero);
                Assert.That(report.LinkSecurity, Is.EqualTo("plain"), "the slices' links (ChildProcess runs plain) carried into the merged report");
                Assert.That(report.Crash!.CrashedPeers, Is.EqualTo(victims.Length));
                Assert.That(report.Crash.DetectedEverywhere, Is.EqualTo(victims.Length), "every seed that listed a crashed peer removed it");
                Assert.That(report.Faults.LivePeersReportedDead, Is.Zero);
                Assert.That(merge.Stdout, Does.Contain("Delivery").And.Contain("100.000 %"));
            }
            var acrossSlices = AcrossSlices().Matches(merge.Stdout).Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            Assert.That(acrossSlices, Is.Positive, $"some crashed peer was declared dead by neighbours in other slices:\n{merge.Stdout}");

            // A part missing: one line saying which, exit code 2.
            using var partial = ChildProcess.Start(_directory.Path, "merge", "parts/run.slice0.json", "parts/run.slice2.json");
            Assert.That(await partial.WaitForExitAsync(TimeSpan.FromSeconds(30), ct), Is.True);
            Assert.That(partial.ExitCode, Is.EqualTo(2));
            Assert.That(partial.Stderr.Trim(), Does.StartWith("P2PSim merge: slice 1 of 3 is missing").And.Not.Contain("\n"));
        }
        finally
        {
            foreach (var slice in slices)
            {
                slice.Dispose(); // kills any slice still running
            }
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_slice_given_a_start_time_in_the_past_stops_with_one_line(CancellationToken ct)
    {
        using var slice = ChildProcess.Start(_directory.Path, "experiment", "--Slice:Count=2", "--Experiment:StartAt=2020-01-01T00:00:00Z");
        Assert.That(await slice.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True);
        Assert.That(slice.ExitCode, Is.EqualTo(2));
        Assert.That(SliceProcesses.Problems(slice.Stderr), Does.StartWith("P2PSim experiment cannot start: Experiment:StartAt (2020-01-01T00:00:00.0000000+00:00) has passed").And.Not.Contain("\n"));
    }

    [GeneratedRegex(@"(\d+) of them in other slices")]
    private static partial Regex AcrossSlices();
}
