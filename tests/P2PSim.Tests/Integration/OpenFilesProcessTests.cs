using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Integration;

/// <summary>
/// A process that runs out of open files refuses connections and lives on: before, the runtime aborted it ("Out of
/// memory.", exit code 134) when a thread it started could not get a file.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class OpenFilesProcessTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task Connections_beyond_the_open_file_limit_are_refused_and_logged_and_the_demo_runs_on_and_exits_0(CancellationToken ct)
    {
        using var directory = TempDirectory.Create("p2psim-openfiles");
        // 2 seeds and 6 peers need about 270 files; 400 leave room for them but not for 400 more connections.
        using var child = ChildProcess.StartWithFileLimit(directory.Path, 400,
            "--Network:Seeds=2", "--Network:Peers=6", "--Network:SeedBasePort=0", "--Network:PeerBasePort=0",
            "--Network:PeerJoinInterval=00:00:00.050", "--Peer:GossipInterval=00:00:00.500", "--Peer:MessagesPerPeer=20",
            "--Demo:CrashAfter=00:00:00", "--Demo:PrivateMessages=0", "--Demo:Console=lines",
            "--Network:AddressPerNode=false"); // every node on 127.0.0.1, where this test connects
        if (child is null)
        {
            Assert.Ignore("prlimit is not on this machine");
        }
        var port = 0;
        await Eventually.HoldsAsync(() =>
        {
            var match = PeerTag().Match(child.Stdout);
            port = match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            return port > 0 && child.Stdout.Contains("; chose ", StringComparison.Ordinal) ? null : $"no peer has joined yet:\n{ChildProcess.Tail(child.Stdout)}\n{child.Stderr}";
        }, TimeSpan.FromSeconds(30), ct);

        // 400 connections that say nothing, to one peer: more than the process has files for.
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 400; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                silent.Add(socket);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
            }
            await Eventually.HoldsAsync(() => Refusal().IsMatch(child.Stdout)
                ? null : $"no refusal logged:\n{ChildProcess.Tail(child.Stdout)}\n{child.Stderr}", TimeSpan.FromSeconds(20), ct);
        }
        finally
        {
            foreach (var socket in silent)
            {
                socket.Dispose();
            }
        }
        var refusals = Refusal().Count(child.Stdout);

        child.Interrupt();
        var exited = await child.WaitForExitAsync(TimeSpan.FromSeconds(15), ct);
        Assert.That(exited, Is.True, $"still running 15 s after SIGINT:\n{ChildProcess.Tail(child.Stdout)}");
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.Zero, $"{ChildProcess.Tail(child.Stdout)}\n{child.Stderr}");
            Assert.That(child.Stderr, Does.Not.Contain("Out of memory"));
            Assert.That(child.Stdout, Does.Contain("P2PSim summary"));
            Assert.That(refusals, Is.LessThan(40), "logged at most once a second, not once per connection");
            Assert.That(child.Stdout, Does.Contain("400 (ulimit -n)"), "the refusal names the limit");
        });
    }

    /// <summary>
    /// A refusal for want of files: the process's reserve for the runtime (Transport/OpenFileReserve.cs) or, usually first,
    /// the flooded node's share of the files (Transport/FileBudget.cs).
    /// </summary>
    [GeneratedRegex("Out of open files: refused|its share of the process's open files")]
    private static partial Regex Refusal();

    [GeneratedRegex(@"\[Peer (\d+)\]")]
    private static partial Regex PeerTag();
}
