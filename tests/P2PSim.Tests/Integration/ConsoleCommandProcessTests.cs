using System.Text.RegularExpressions;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>The demo executable, talked to on its standard input while it runs.</summary>
[TestFixture]
[NonParallelizable]
public sealed partial class ConsoleCommandProcessTests
{
    private TempDirectory _directory = null!;

    private string WorkingDirectory => _directory.Path;

    [SetUp]
    public void CreateWorkingDirectory() => _directory = TempDirectory.Create("p2psim-commands");

    [TearDown]
    public void RemoveWorkingDirectory() => _directory.Dispose();

    [Test]
    [CancelAfter(90_000)]
    public async Task Commands_on_standard_input_act_on_the_running_network_and_Ctrl_C_still_ends_it_with_the_summary(CancellationToken ct)
    {
        using var child = ChildProcess.Start(WorkingDirectory,
            "--Network:Seeds=2", "--Network:Peers=3", "--Network:SeedBasePort=0", "--Network:PeerBasePort=0",
            "--Network:PeerJoinInterval=00:00:00.050", "--Peer:GossipInterval=00:00:00.200", "--Peer:MessagesPerPeer=2",
            "--Peer:LivenessInterval=00:00:00.300", "--Demo:CrashAfter=00:00:00");
        await SeenAsync(child, "[Command] Commands: type help", ct);
        var peers = await PeersAsync(child, 3, ct);
        var (a, b) = (peers[0], peers[1]);

        await child.WriteLineAsync("help", ct);
        await SeenAsync(child, "[Command] quit ", ct);
        await child.WriteLineAsync($"send {a}", ct);
        await SeenAsync(child, $"[Command] Peer {a} sent message [", ct);
        await child.WriteLineAsync($"neighbours {a}", ct);
        await SeenAsync(child, $"[Command] Peer {a} has ", ct);
        await child.WriteLineAsync($"list {a}", ct);
        await SeenAsync(child, $"[Command] Peer {a}: Message List holds ", ct);
        await child.WriteLineAsync($"private {a} {peers[2]} hello  there", ct);
        await SeenAsync(child, $"[Command] Peer {a} sent private message [", ct);
        await SeenAsync(child, $"[Peer {peers[2]}] Private from {Endpoint(child, a)}: hello  there [", ct);
        await SeenAsync(child, $"[Peer {a}] Private to {Endpoint(child, peers[2])}: delivered and acknowledged", ct);
        await child.WriteLineAsync($"private {a} {a} me", ct);
        await SeenAsync(child, $"[Command] WARN: private {a} {a}: a peer does not send private messages to itself", ct);
        await child.WriteLineAsync($"crash {b}", ct);
        await SeenAsync(child, $"[Command] Peer {b} crashed (no goodbye)", ct);
        await child.WriteLineAsync($"send {b}", ct);
        await SeenAsync(child, $"[Command] WARN: Peer {b} is down; restart {b} starts it again", ct);
        await child.WriteLineAsync($"restart {b}", ct);
        await SeenAsync(child, $"[Command] Peer {b} started again", ct);
        await SeenAsync(child, $"[Peer {b}] Registered with ", ct);
        await child.WriteLineAsync("add 1", ct);
        await SeenAsync(child, "[Command] Added 1 peer (", ct);
        await child.WriteLineAsync("fly away", ct);
        await SeenAsync(child, "[Command] WARN: Unknown command \"fly\"; type help for the list", ct);
        await child.WriteLineAsync($"join {a} news", ct);
        await SeenAsync(child, $"[Command] Peer {a} joined group \"news\"", ct);
        await child.WriteLineAsync($"group {a} news hello members", ct);
        await SeenAsync(child, $"[Command] Peer {a} published [", ct);
        await SeenAsync(child, $"[Peer {a}] Group \"news\": published \"hello members\"", ct);
        await child.WriteLineAsync($"group {a} sports hello", ct);
        await SeenAsync(child, $"[Command] WARN: Peer {a} is not in group \"sports\", and only members publish to it", ct);
        await child.WriteLineAsync($"leave {a} news", ct);
        await SeenAsync(child, $"[Command] Peer {a} left group \"news\"", ct);
        await child.WriteLineAsync("publish 1 news hello", ct);
        await SeenAsync(child, "[Command] WARN: No node has port 1", ct);

        child.CloseInput(); // no more commands: the demo goes on until Ctrl+C
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromMilliseconds(500), ct), Is.False, "closing standard input ended the demo");
        child.Interrupt();
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(10), ct), Is.True, $"still running 10 s after SIGINT:\n{ChildProcess.Tail(child.Stdout)}");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.Zero, child.Stderr);
            Assert.That(child.Stdout, Does.Contain("P2PSim summary"));
            Assert.That(child.Stdout, Does.Contain("(restarted once)"));
            Assert.That(child.Stdout, Does.Contain($"Crash: {Endpoint(child, b)} crashed"));
            Assert.That(child.Stdout, Does.Contain("Private messages: "), "the summary counts the private messages");
            Assert.That(child.Stdout + child.Stderr, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(child.Stderr.Trim().Split('\n').Where(l => l.Length > 0 && !l.StartsWith("warning: no appsettings.json", StringComparison.Ordinal)), Is.Empty,
                "nothing on standard error but the missing settings file's warning (the test runs in an empty folder)");
        });
    }

    private static Task SeenAsync(ChildProcess child, string text, CancellationToken ct) =>
        Eventually.HoldsAsync(
            () => child.Stdout.Contains(text, StringComparison.Ordinal) ? null : $"no \"{text}\" yet; output so far:\n{ChildProcess.Tail(child.Stdout)}\n{child.Stderr}",
            TimeSpan.FromSeconds(20), ct);

    /// <summary>The ports of the first <paramref name="count"/> peers that registered, in the order they did.</summary>
    private static async Task<int[]> PeersAsync(ChildProcess child, int count, CancellationToken ct)
    {
        int[] ports = [];
        await Eventually.HoldsAsync(() =>
        {
            ports = RegisteredPeer().Matches(child.Stdout).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToArray();
            return ports.Length >= count ? null : $"{ports.Length} of {count} peers registered; output so far:\n{ChildProcess.Tail(child.Stdout)}";
        }, TimeSpan.FromSeconds(20), ct);
        return ports;
    }

    /// <summary>Where the node on <paramref name="port"/> listens, as its first line said (each node has an address of its own).</summary>
    private static string Endpoint(ChildProcess child, int port) =>
        Regex.Match(child.Stdout, $@"\] Listening on (127\.\d+\.\d+\.\d+:{port})\b") is { Success: true } m ? m.Groups[1].Value : $"(no Listening line for port {port})";

    [GeneratedRegex(@"\[Peer (\d+)\] Registered with ")]
    private static partial Regex RegisteredPeer();

}
