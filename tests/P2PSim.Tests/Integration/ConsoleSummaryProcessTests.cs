using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>The demo's aggregated console (Demo:Console), as a user sees it.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ConsoleSummaryProcessTests
{
    private TempDirectory _directory = null!;

    private string WorkingDirectory => _directory.Path;

    [SetUp]
    public void CreateWorkingDirectory() => _directory = TempDirectory.Create("p2psim-summary");

    [TearDown]
    public void RemoveWorkingDirectory() => _directory.Dispose();

    [Test]
    [CancelAfter(60_000)]
    public async Task Summary_counts_the_nodes_lines_per_second_shows_warnings_in_full_and_the_log_files_keep_every_line(CancellationToken ct)
    {
        // Also: an earlier run's log files are moved aside, and the end of the script is announced.
        var logFolder = Path.Combine(WorkingDirectory, "logs");
        Directory.CreateDirectory(logFolder);
        await File.WriteAllTextAsync(Path.Combine(logFolder, "Log_1.txt"), "an earlier, bigger run", ct);
        using var child = ChildProcess.Start(WorkingDirectory,
            "--Network:Seeds=2", "--Network:Peers=4", "--Network:SeedBasePort=0", "--Network:PeerBasePort=0",
            "--Network:PeerJoinInterval=00:00:00.050", "--Peer:GossipInterval=00:00:00.100", "--Peer:MessagesPerPeer=3",
            "--Peer:LivenessInterval=00:00:00.200", "--Demo:CrashAfter=00:00:01", "--Demo:Console=summary",
            "--Demo:PrivateMessages=0"); // a private message to the crashed peer retries for 30 s before the script is over
        await Eventually.HoldsAsync(
            () => child.Stdout.Contains("gossip received", StringComparison.Ordinal) && child.Stdout.Contains("Demo: the scripted part is over", StringComparison.Ordinal)
                ? null
                : $"no count of received gossip or the script is not over yet:\n{child.Stdout}\n{child.Stderr}",
            TimeSpan.FromSeconds(30), ct);
        child.Interrupt();
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(10), ct), Is.True, "still running after SIGINT");
        var logs = Directory.GetFiles(logFolder, "Log_*.txt").Select(File.ReadAllText).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.Zero, child.Stderr);
            Assert.That(child.Stdout, Does.Match(@"\[Network\] \d+ events: \d+ "));
            Assert.That(child.Stdout, Does.Not.Contain("Received gossip"), "a node's information line was printed");
            Assert.That(child.Stdout, Does.Contain("WARN: Neighbour 127.2.0."), "warnings are printed in full");
            Assert.That(child.Stdout, Does.Contain("P2PSim summary"));
            Assert.That(logs.Any(l => l.Contains("Received gossip", StringComparison.Ordinal)), Is.True, "the log files have every line");
            Assert.That(child.Stdout, Does.Contain("Demo: the scripted part is over (every peer sent its messages; the crash was detected)"));
            Assert.That(child.Stdout, Does.Contain($"Logs: moved the earlier run's 1 log file to {Path.Combine("logs", "previous")}"));
            Assert.That(File.Exists(Path.Combine(logFolder, "Log_1.txt")), Is.False, "the earlier run's file is still among this run's");
            Assert.That(File.ReadAllText(Path.Combine(logFolder, "previous", "Log_1.txt")), Is.EqualTo("an earlier, bigger run"));
            Assert.That(child.Stdout, Does.Contain($"Log files: {Path.Combine("logs", "Log_<port>.txt")}"), "the folder as the user knows it, not a machine path");
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task An_unknown_console_mode_stops_start_up_naming_the_setting(CancellationToken ct)
    {
        using var child = ChildProcess.Start(WorkingDirectory, "--Network:SeedBasePort=0", "--Network:PeerBasePort=0", "--Demo:Console=loud");
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True, "it did not exit");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.EqualTo(2));
            Assert.That(child.Stderr, Does.Contain("Demo:Console").And.Contain("'loud' is not a valid value; use auto, lines or summary"));
        });
    }
}
