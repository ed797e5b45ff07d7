using P2PSim.Experiments;
using P2PSim.Experiments.Slices;
using P2PSim.Hosting;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// The <c>merge</c> verb on parts written here: two slices of four peers that each saw half the network. The merged
/// report counts every slice's receipts against every slice's messages, joins the slices' overlay samples, and refuses
/// parts that are not the parts of one run (another run seed, a slice missing, a slice twice, a file that is no part) with
/// one line and exit code 2.
/// </summary>
[TestFixture]
public sealed class SliceMergeTests
{
    private const string StartAt = "2026-12-03T10:15:00.0000000+00:00";
    private static readonly string IdA = new('a', 64);
    private static readonly string IdB = new('b', 64);

    private TempDirectory _folder = null!;

    [SetUp]
    public void SetUp() => _folder = TempDirectory.Create("p2psim-merge");

    [TearDown]
    public void TearDown() => _folder.Dispose();

    /// <summary>
    /// Slice 0 runs peers 0-1, slice 1 peers 2-3, every peer joined before the start. Peer 0 originates message A at 10 ms,
    /// peer 3 message B at 20 ms; every other peer receives both (one receipt left out where <paramref name="missing"/>).
    /// Each slice's sample 0 lists its peers' links: 0-1, 0-2, 2-3.
    /// </summary>
    private static SlicePart Part(int slice, int runSeed = 7, int slices = 2, (int Peer, string Id)? missing = null)
    {
        var run = new SliceRun(runSeed, StartAt, slices, Seeds: 2, Peers: 4, "burst", "2 messages, one every 10 ms from random live peers", "flood",
            new ProtocolSettings(4, 0, 5000, 1000, 3, 1000), 500, Messages: 2, Victims: [], Settings: "0123456789abcdef");
        var first = slice * 2;
        string[] ids = [IdA, IdB];
        var origins = new List<(int Id, int Origin, double At)>();
        if (slice == 0)
        {
            origins.Add((0, 0, 10));
        }
        else
        {
            origins.Add((1, 3, 20));
        }
        var receipts = new List<(int Id, int Peer, double At)>();
        foreach (var peer in new[] { first, first + 1 })
        {
            if (peer != 0 && missing != (peer, IdA))
            {
                receipts.Add((0, peer, 12 + peer));
            }
            if (peer != 3 && missing != (peer, IdB))
            {
                receipts.Add((1, peer, 22 + peer));
            }
        }
        int[][] links = slice == 0 ? [[1, 2], [0]] : [[0, 3], [2]];
        return new SlicePart(SlicePart.FormatName, run, slice, first, 2, [slice], $"127.0.0.{slice + 2}", $"127.0.0.{slice + 2}",
            StartedMs: -2000 - slice, JoinedMs: -1000, EndedMs: 3000 + slice, PeersNotJoined: 0, JoinedAtMs: [-1500, -1200], Ids: ids,
            new OriginatedColumns([.. origins.Select(o => o.Id)], [.. origins.Select(o => o.Origin)], [.. origins.Select(o => o.At)]),
            new ReceiptColumns([.. receipts.Select(r => r.Id)], [.. receipts.Select(r => r.Peer)], [.. receipts.Select(r => r.At)], [.. receipts.Select(_ => 1)], [.. receipts.Select(_ => 0)]),
            DuplicatesDropped: 3, Crashes: [], SeedEvents: [], Deaths: [], Steps: [new StepRecord(0, 0, 0), new StepRecord(10, 2, 1)],
            Samples: [new SampleRecord(0, 0, [first, first + 1], links, 0)],
            new SliceTraffic(4, 400, 40, 4000, new FrameDropsReport(0, 0, 0, 1), new long[8], SignatureChecks: 3 + slice, Forged: slice),
            new ResourceReport(5, 1.5, 100 << 20, 1 << 20, 200),
            Security: new SecurityCounts(1 + slice, 2, 3, 4, 5, 4, 1));
    }

    private string Write(string name, SlicePart part)
    {
        var path = Path.Combine(_folder.Path, name);
        File.WriteAllText(path, part.ToJson());
        return path;
    }

    private static async Task<(int Exit, string Output, string Errors)> MergeAsync(CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await MergeCommand.RunAsync(args, output, errors, cancellationToken);
        return (exit, output.ToString(), errors.ToString());
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Two_parts_merge_into_one_report_that_counts_every_slices_receipts_of_every_slices_messages(CancellationToken cancellationToken)
    {
        var a = Write("run.slice0.json", Part(0));
        var b = Write("run.slice1.json", Part(1));

        var (exit, output, errors) = await MergeAsync(cancellationToken, b, a);

        Assert.That(exit, Is.Zero, errors);
        var merged = Path.Combine(_folder.Path, "run.json");
        var (report, problem) = P2PSim.Experiments.Reports.ReportFile.Parse(await File.ReadAllTextAsync(merged, cancellationToken));
        Assert.That(report, Is.Not.Null, problem);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(report!.Peers, Is.EqualTo(4));
            Assert.That(report.Delivery.MessagesPublished, Is.EqualTo(2));
            Assert.That(report.Delivery.ExpectedDeliveries, Is.EqualTo(6), "each message at the three peers but its origin");
            Assert.That(report.Delivery.Deliveries, Is.EqualTo(6));
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Traffic.PayloadTransmissions, Is.EqualTo(8), "the slices' counts added up");
            Assert.That(report.Traffic.DuplicatesDropped, Is.EqualTo(6));
            Assert.That(report.Signatures, Is.EqualTo(new SignatureReport("verify", 7, 1)), "the slices' signature checks and forgeries added up");
            Assert.That(report.Security, Is.EqualTo(new SecurityCounts(3, 4, 6, 8, 10, 8, 2)), "the slices' security counts added up");
            Assert.That(output, Does.Match(@"\n  dials refused for another id +3\n"), "and printed in the merged report");
            Assert.That(report.Overlay.Edges, Is.EqualTo(3), "the links of both slices, the one across counted once");
            Assert.That(report.Overlay.Connected, Is.True);
            Assert.That(report.Overlay.BuildTimeMs, Is.EqualTo(1001), "from the first slice's start to the last join");
            Assert.That(report.DurationMs, Is.EqualTo(5002));
            Assert.That(report.Resources!.CpuSeconds, Is.EqualTo(3.0));
            Assert.That(output, Does.Contain("slice 0 (run.slice0.json): peers 0-1").And.Contain("slice 1 (run.slice1.json): peers 2-3"));
            Assert.That(File.Exists(Path.ChangeExtension(merged, ".html")), Is.True);
        }
    }

    [Test]
    public void A_live_peer_a_seed_removed_counts_as_false_only_while_its_own_slice_still_ran()
    {
        // Slice 1 ends at 3,001 ms and stops its peers; slice 0's seed removes slice 1's peer 2 at 2,500 ms (it was live:
        // a false removal) and peer 3 at 3,500 ms (its slice had ended: it was stopping, not live).
        SeedEventRecord[] removals = [new(0, 2, 2500, SeedEventRecord.Removed), new(0, 3, 3500, SeedEventRecord.Removed)];

        var (merged, error) = SliceMerge.Merge([("run.slice0.json", Part(0) with { SeedEvents = removals }), ("run.slice1.json", Part(1))]);

        Assert.That(merged, Is.Not.Null, error);
        Assert.That(merged!.Report.Faults.LivePeersRemoved, Is.EqualTo(1), "peer 2 only");
        Assert.That(merged.Report.Faults.LivePeersReportedDead, Is.EqualTo(1), "peer 2 only");
    }

    [Test]
    public void A_part_written_before_the_security_counts_leaves_the_merged_report_without_them_rather_than_short()
    {
        var (merged, error) = SliceMerge.Merge([("run.slice0.json", Part(0) with { Security = null }), ("run.slice1.json", Part(1))]);

        Assert.That(merged, Is.Not.Null, error);
        Assert.That(merged!.Report.Security, Is.Null, "one slice's counts alone would read as the run's");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_receipt_missing_in_one_slice_shows_in_the_merged_delivery(CancellationToken cancellationToken)
    {
        var a = Write("run.slice0.json", Part(0));
        var b = Write("run.slice1.json", Part(1, missing: (2, IdA)));
        var merged = Path.Combine(_folder.Path, "out", "merged.json");

        var (exit, _, errors) = await MergeAsync(cancellationToken, a, b, "--out", merged);

        Assert.That(exit, Is.Zero, errors);
        var (report, _) = P2PSim.Experiments.Reports.ReportFile.Parse(await File.ReadAllTextAsync(merged, cancellationToken));
        Assert.That(report!.Delivery.Deliveries, Is.EqualTo(5));
        Assert.That(report.Delivery.MessagesReachingAll, Is.EqualTo(1), "peer 2 of slice 1 missed peer 0's message");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Parts_of_different_runs_are_refused_in_one_line(CancellationToken cancellationToken)
    {
        var a = Write("a.slice0.json", Part(0));
        var b = Write("b.slice1.json", Part(1, runSeed: 8));

        var (exit, output, errors) = await MergeAsync(cancellationToken, a, b);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors.TrimEnd(), Is.EqualTo("P2PSim merge: a.slice0.json and b.slice1.json are parts of different runs: run seed 7 and 8"));
        Assert.That(output, Is.Empty);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_missing_slice_is_named(CancellationToken cancellationToken)
    {
        var a = Write("run.slice0.json", Part(0, slices: 3));
        var b = Write("run.slice1.json", Part(1, slices: 3));

        var (exit, _, errors) = await MergeAsync(cancellationToken, a, b);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors.TrimEnd(), Is.EqualTo(
            "P2PSim merge: slice 2 of 3 is missing (given: slice 0 in run.slice0.json, slice 1 in run.slice1.json); every slice's part is needed"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_slice_given_twice_is_named(CancellationToken cancellationToken)
    {
        var a = Write("run.slice0.json", Part(0));
        var copy = Write("copy.json", Part(0));
        var b = Write("run.slice1.json", Part(1));

        var (exit, _, errors) = await MergeAsync(cancellationToken, a, b, copy);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors.TrimEnd(), Is.EqualTo("P2PSim merge: slice 0 of 2 is given twice: run.slice0.json and copy.json"));
    }

    [TestCase("{\"networkKind\":\"tcp\"}", "an experiment report, not a slice's part of one")]
    [TestCase("[1, 2]", "not a slice's part of a report")]
    [TestCase("{ cut", "not a slice's part of a report")]
    [TestCase("{\"format\":\"p2psim-slice-part/9\"}", "a part of format 'p2psim-slice-part/9', which this P2PSim does not read")]
    public async Task A_file_that_is_no_part_is_refused_in_one_line(string json, string why)
    {
        var path = Path.Combine(_folder.Path, "odd.json");
        await File.WriteAllTextAsync(path, json);

        var (exit, _, errors) = await MergeAsync(CancellationToken.None, path);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.StartWith($"P2PSim merge: {path}: {why}"));
        Assert.That(errors.Trim().Split('\n'), Has.Length.EqualTo(1), "one line, no stack trace");
    }

    [Test]
    public async Task A_part_whose_receipts_point_outside_it_is_refused()
    {
        var part = Part(0);
        var broken = part with { Receipts = part.Receipts with { Id = [.. part.Receipts.Id.Select(_ => 5)] } };
        var path = Write("broken.slice0.json", broken);

        var (exit, _, errors) = await MergeAsync(CancellationToken.None, path);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors.TrimEnd(), Is.EqualTo($"P2PSim merge: {path}: a slice's part that does not add up (its receipts)"));
    }

    [TestCase("experiments/tcp-burst-600-seed1.slice0.json", "experiments/tcp-burst-600-seed1.json")]
    [TestCase("parts/a.slice12.json", "parts/a.json")]
    [TestCase("parts/part0.json", "parts/merged.json")]
    public void The_merged_report_is_named_after_the_parts(string first, string merged) =>
        Assert.That(MergeCommand.DefaultOut(first), Is.EqualTo(merged));
}
