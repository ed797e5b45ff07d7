using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>The demo's aggregated console (Demo:Console), as a user sees it.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ConsoleSummaryProcessTests
{
    private string _workingDirectory = null!;

    [SetUp]
    public void CreateWorkingDirectory()
    {
        _workingDirectory = Path.Combine(Path.GetTempPath(), "p2psim-summary", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_workingDirectory);
    }

    [TearDown]
    public void RemoveWorkingDirectory()
    {
        try
        {
            Directory.Delete(_workingDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Summary_counts_the_nodes_lines_per_second_shows_warnings_in_full_and_the_log_files_keep_every_line(CancellationToken ct)
    {
        using var child = ChildProcess.Start(_workingDirectory,
            "--Network:Seeds=2", "--Network:Peers=4", "--Network:SeedBasePort=0", "--Network:PeerBasePort=0",
            "--Network:PeerJoinInterval=00:00:00.050", "--Peer:GossipInterval=00:00:00.100", "--Peer:MessagesPerPeer=3",
            "--Peer:LivenessInterval=00:00:00.200", "--Demo:CrashAfter=00:00:01", "--Demo:Console=summary");
        await Eventually.HoldsAsync(
            () => child.Stdout.Contains("gossip received", StringComparison.Ordinal) && child.Stdout.Contains("from the peer list", StringComparison.Ordinal)
                ? null
                : $"no count of received gossip or no seed removing the crashed peer yet:\n{child.Stdout}\n{child.Stderr}",
            TimeSpan.FromSeconds(30), ct);
        child.Interrupt();
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(10), ct), Is.True, "still running after SIGINT");
        var logs = Directory.GetFiles(Path.Combine(_workingDirectory, "logs"), "Log_*.txt").Select(File.ReadAllText).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.Zero, child.Stderr);
            Assert.That(child.Stdout, Does.Match(@"\[Network\] \d+ events: \d+ "));
            Assert.That(child.Stdout, Does.Not.Contain("Received gossip"), "a node's information line was printed");
            Assert.That(child.Stdout, Does.Contain("WARN: Neighbour 127.0.0.1:"), "warnings are printed in full");
            Assert.That(child.Stdout, Does.Contain("P2PSim summary"));
            Assert.That(logs.Any(l => l.Contains("Received gossip", StringComparison.Ordinal)), Is.True, "the log files have every line");
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task An_unknown_console_mode_stops_start_up_naming_the_setting(CancellationToken ct)
    {
        using var child = ChildProcess.Start(_workingDirectory, "--Network:SeedBasePort=0", "--Network:PeerBasePort=0", "--Demo:Console=loud");
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True, "it did not exit");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.EqualTo(2));
            Assert.That(child.Stderr, Does.Contain("'loud' at 'Demo:Console'"));
        });
    }
}
