using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>The built executable, as a user runs it.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ProcessTests
{
    private string _workingDirectory = null!;

    [SetUp]
    public void CreateWorkingDirectory()
    {
        _workingDirectory = Path.Combine(Path.GetTempPath(), "p2psim-process", Guid.NewGuid().ToString("N"));
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
    public async Task The_demo_writes_logs_shows_the_crash_and_prints_the_summary_then_exits_0_on_SIGINT(CancellationToken ct)
    {
        using var child = ChildProcess.Start(_workingDirectory,
            "--Network:Seeds=2", "--Network:Peers=4", "--Network:SeedBasePort=0", "--Network:PeerBasePort=0",
            "--Network:PeerJoinInterval=00:00:00.050", "--Peer:GossipInterval=00:00:00.100", "--Peer:MessagesPerPeer=5",
            "--Peer:LivenessInterval=00:00:00.200", "--Demo:CrashAfter=00:00:01.500", "--Logs:Directory=node-logs");

        await Eventually.HoldsAsync(
            () => child.Stdout.Contains("from the peer list", StringComparison.Ordinal) && child.Stdout.Contains("Dead Node:", StringComparison.Ordinal)
                ? null
                : $"the crash was not reported to a seed yet; output so far:\n{Tail(child.Stdout)}\n{child.Stderr}",
            TimeSpan.FromSeconds(30), ct);

        var watch = Stopwatch.StartNew();
        child.Interrupt();
        var exited = await child.WaitForExitAsync(TimeSpan.FromSeconds(5), ct);
        Assert.That(exited, Is.True, $"still running 5 s after SIGINT:\n{Tail(child.Stdout)}");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.Zero, child.Stderr);
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
            Assert.That(child.Stdout, Does.Contain("P2PSim summary"));
            Assert.That(child.Stdout, Does.Match(@"Delivery: (\d+) of \1 expected receipts \(100\.0 %\)"));
            Assert.That(child.Stdout, Does.Contain("Crash: 127.2.0."), "peers have addresses of their own (Network:AddressPerNode)");
            Assert.That(child.Stdout, Does.Contain("removed from all 2 seeds that had it"));
            Assert.That(child.Stdout, Does.Not.Contain("FALSE DEATH"));
            Assert.That(child.Stderr.Trim(), Does.StartWith($"warning: no appsettings.json in {_workingDirectory}: the built-in defaults are used"),
                "the one line on stderr says that no settings file was found (the test runs in an empty folder)");
            Assert.That(child.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
            Assert.That(child.Stdout, Does.StartWith("Settings: the built-in defaults, 2 environment variables and 10 on the command line"),
                "ChildProcess sets LiveView__Port and Security__Links");
        });
        var logs = Directory.GetFiles(Path.Combine(_workingDirectory, "node-logs"), "Log_*.txt");
        Assert.That(logs, Has.Length.EqualTo(6), "one log file per node");
        foreach (var log in logs)
        {
            Assert.That(File.ReadAllText(log), Does.Match(@"Listening on 127\.[12]\.0\.\d+:"), log); // each node on its own address
        }
    }

    [TestCase("--Network:Seeds=0", "Network:Seeds must be between 1 and 1000 (was 0)")]
    [TestCase("--Network:Peers=-3", "Network:Peers must be between 0 and 100000 (was -3)")]
    [TestCase("--Peer:GossipInterval=00:00:00", "Peer:GossipInterval must be between")]
    [TestCase("--Network:Peers=lots", "Network:Peers")]
    [TestCase("--Network:PeerBasePort=5001", "Network:PeerBasePort clashes with Network:SeedBasePort")]
    [TestCase("--Transport:ProcessQueueBytes=1000", "Transport:ProcessQueueBytes must be 0 (the default: 8192 bytes per node, at least 8388608) or between 65536")]
    [CancelAfter(30_000)]
    public async Task An_invalid_setting_stops_start_up_with_one_clear_message_and_a_non_zero_exit_code(string argument, string message, CancellationToken ct)
    {
        using var child = ChildProcess.Start(_workingDirectory, "--Network:SeedBasePort=5000", argument);
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True, "it did not exit");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.EqualTo(2));
            Assert.That(child.Stderr, Does.Contain(message));
            Assert.That(child.Stderr + child.Stdout, Does.Not.Contain("   at "), "no stack trace for a mistake in the settings");
            Assert.That(Directory.Exists(Path.Combine(_workingDirectory, "logs")), Is.False, "nothing started");
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Invalid_settings_of_several_sections_are_all_reported_once(CancellationToken ct)
    {
        using var child = ChildProcess.Start(_workingDirectory, "--Network:Seeds=0", "--Peer:MaxNeighbours=0", "--Transport:IdleTimeout=00:00:00");
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True, "it did not exit");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.EqualTo(2));
            Assert.That(child.Stderr, Does.Contain("P2PSim cannot start: 3 problems with the settings"));
            Assert.That(child.Stderr, Does.Contain("Network:Seeds must be between").And.Contain("Peer:MaxNeighbours must be between").And.Contain("Transport:IdleTimeout must be between"));
            Assert.That(child.Stderr + child.Stdout, Does.Not.Contain("ERROR"), "said once, not also logged by the host");
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task The_settings_file_read_is_named(CancellationToken ct)
    {
        await File.WriteAllTextAsync(Path.Combine(_workingDirectory, "appsettings.json"), """{ "Network": { "Seeds": 0 } }""", ct);
        using var child = ChildProcess.Start(_workingDirectory);
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True, "it did not exit");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.EqualTo(2));
            Assert.That(child.Stdout, Does.StartWith($"Settings: {Path.Combine(_workingDirectory, "appsettings.json")}"));
            Assert.That(child.Stderr, Does.Not.Contain("warning: no appsettings.json"));
            Assert.That(child.Stderr, Does.Contain("Network:Seeds must be between 1 and 1000 (was 0)"));
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_misspelt_verb_exits_2_with_one_line_and_runs_nothing(CancellationToken ct)
    {
        using var child = ChildProcess.Start(_workingDirectory, "experimnt");
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True, "it did not exit");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.EqualTo(2));
            Assert.That(child.Stderr.Trim(), Is.EqualTo("P2PSim: unknown command 'experimnt'; did you mean 'experiment'? (P2PSim --help lists the commands)"));
            Assert.That(child.Stdout, Is.Empty);
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_port_already_in_use_is_named_with_the_setting_to_change(CancellationToken ct)
    {
        // Seed 0's own address (Network:AddressPerNode): a port taken on 127.0.0.1 would not be in its way.
        using var squatter = new TcpListener(IPAddress.Parse("127.1.0.1"), 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        using var child = ChildProcess.Start(_workingDirectory, "--Network:Seeds=1", $"--Network:SeedBasePort={port}", "--Network:PeerBasePort=0", "--Network:Peers=1");
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True, "it did not exit");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.EqualTo(2));
            Assert.That(child.Stderr, Does.Contain($"cannot listen on 127.1.0.1:{port}: the port is already in use"));
            Assert.That(child.Stderr, Does.Contain("Network:SeedBasePort"));
            Assert.That(child.Stderr, Does.Not.Contain("invalid settings").And.Not.Contain("problems with the settings"), "a port in use is no invalid setting");
            Assert.That(child.Stderr + child.Stdout, Does.Not.Contain("ERROR"), "said once, not also logged by the host");
            Assert.That(child.Stderr + child.Stdout, Does.Not.Contain("   at "));
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_bad_key_file_stops_start_up_with_one_line_naming_it(CancellationToken ct)
    {
        var keys = Path.Combine(_workingDirectory, "keys");
        Directory.CreateDirectory(keys);
        File.WriteAllText(Path.Combine(keys, "seed-0.key"), "not a key\n");
        using var child = ChildProcess.Start(_workingDirectory, "--Network:Seeds=1", "--Network:SeedBasePort=0", "--Network:PeerBasePort=0", "--Network:Peers=1",
            "--Security:KeyFolder=keys");
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True, "it did not exit");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.EqualTo(2));
            Assert.That(child.Stderr, Does.Contain("seed-0.key is not a line of 64 hex digits").And.Contain("Security:KeyFolder"));
            Assert.That(child.Stderr + child.Stdout, Does.Not.Contain("   at "));
        });
    }

    private static string Tail(string text) => text.Length > 3000 ? text[^3000..] : text;
}
