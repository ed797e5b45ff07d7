using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using P2PSim.Experiments.Reports;

namespace P2PSim.Tests.Deploy;

/// <summary>
/// <c>deploy/netns/run.sh</c>: one network as three processes in three network namespaces joined by a bridge, each with
/// its own address, as three hosts would be; a crash experiment, its parts merged. 100 % delivery, crashed peers
/// declared dead by peers of other slices and removed by the seeds; every namespace, link and process the script made is
/// gone afterwards, also when it is stopped half-way. Skipped, saying why, where namespaces cannot be made (not root, no
/// <c>ip</c>).
/// </summary>
[TestFixture]
[Parallelizable] // it waits most of its time for the slices' start (a 25 s lead): the simulated fixtures run meanwhile (see Parallelism.cs)
public sealed partial class NetnsRunTests
{
    private TempDirectory _directory = null!;

    private static string Script([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "deploy", "netns", "run.sh"));

    private static string Dll => typeof(P2PSim.Hosting.P2PSimApp).Assembly.Location;

    /// <summary>A tag no other run uses: every namespace and link of the run starts with it.</summary>
    private static string NewTag() => "t" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..7];

    [SetUp]
    public void SetUp() => _directory = TempDirectory.Create("p2psim-netns");

    [TearDown]
    public void TearDown() => _directory.Dispose();

    [Test]
    [CancelAfter(150_000)]
    public async Task Three_slices_in_three_namespaces_one_without_a_seed_deliver_everything_detect_crashes_across_slices_and_leave_nothing_behind(CancellationToken ct)
    {
        var tag = NewTag();
        var output = Path.Combine(_directory.Path, "run");
        var subnet = NewSubnet();
        using var script = Script(ScriptArgs(tag, output, subnet));

        var exited = await script.WaitAsync(TimeSpan.FromSeconds(120), ct);

        SkipWhereNamespacesCannotBeMade(script);
        Assert.That(exited, Is.True, $"run.sh still runs after 120 s:\n{script.Output}");
        Assert.That(script.ExitCode, Is.Zero, script.Output);
        var (report, problem) = ReportFile.Parse(await File.ReadAllTextAsync(Path.Combine(output, "parts", "run.json"), ct));
        Assert.That(report, Is.Not.Null, problem);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(report!.Peers, Is.EqualTo(90));
            Assert.That(report.Seeds, Is.EqualTo(2), "slices 0 and 1 run a seed each, slice 2 peers only");
            Assert.That(report.Overlay.Connected, Is.True);
            Assert.That(report.Delivery.MessagesPublished, Is.EqualTo(20));
            Assert.That(report.Delivery.Deliveries, Is.EqualTo(report.Delivery.ExpectedDeliveries).And.Positive, script.Output);
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0));
            Assert.That(report.Crash!.CrashedPeers, Is.EqualTo(9));
            Assert.That(report.Crash.DetectedEverywhere, Is.EqualTo(9), "every seed that listed a crashed peer removed it");
            Assert.That(report.Faults.LivePeersReportedDead, Is.Zero);
            Assert.That(script.Output, Does.Contain($"on {subnet}.11").And.Contain($"on {subnet}.12").And.Contain($"on {subnet}.13"), "each slice on its namespace's address");
        }
        var across = AcrossSlices().Matches(script.Output).Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.That(across, Is.Positive, $"crashed peers declared dead by peers of other slices:\n{script.Output}");
        await AssertNothingLeftAsync(tag, output, ct);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_run_stopped_half_way_removes_its_slices_namespaces_and_links(CancellationToken ct)
    {
        var tag = NewTag();
        var output = Path.Combine(_directory.Path, "stopped");
        using var script = Script(ScriptArgs(tag, output, NewSubnet()));

        // Until every slice runs in its namespace (or the script ended: skipped, or failed).
        await Eventually.HoldsAsync(async () =>
        {
            if (script.HasExited)
            {
                return null;
            }
            var running = 0;
            for (var i = 0; i < 3; i++)
            {
                running += (await RunAsync("ip", $"netns pids {tag}-{i}", ct)).Trim().Length > 0 ? 1 : 0;
            }
            return running == 3 ? null : $"{running} of 3 namespaces have their slice running;\n{script.Output}";
        }, TimeSpan.FromSeconds(40), ct);
        SkipWhereNamespacesCannotBeMade(script);
        Assert.That(script.HasExited, Is.False, $"run.sh ended before it was stopped:\n{script.Output}");

        script.Signal("TERM");

        Assert.That(await script.WaitAsync(TimeSpan.FromSeconds(30), ct), Is.True, "run.sh still runs 30 s after SIGTERM");
        Assert.That(script.ExitCode, Is.EqualTo(143), script.Output);
        await AssertNothingLeftAsync(tag, output, ct);
    }

    /// <summary>
    /// A subnet of its own (10.214.x): two runs at once (a test and someone's run of the script with its default
    /// 10.213.0) would otherwise give two bridges the same addresses.
    /// </summary>
    private static string NewSubnet() => $"10.214.{Random.Shared.Next(0, 256)}";

    /// <remarks>
    /// A lead of 25 s: the workload starts that long after the script, the same instant for every slice. On a busy
    /// machine (load 30 on 2 cores) three .NET processes took 5-8 s just to start, and with a 10 s lead most peers had
    /// not joined when the first message went out: the run then measured the start-up, not the network. Liveness every
    /// second, not 300 ms: at that load a 300 ms ping went unanswered often enough that dozens of live peers were declared
    /// dead (a crash is still detected within about 3 s, well inside the run).
    /// </remarks>
    private static string[] ScriptArgs(string tag, string output, string subnet) =>
        ["--dll", Dll, "--tag", tag, "--out", output, "--subnet", subnet, "--slices", "3", "--seeds", "2", "--peers", "30", "--workload", "crash", "--messages", "20", "--lead", "25",
            "--", "--Security:Links=plain", "--Peer:LivenessInterval=00:00:01", "--Peer:RetryInterval=00:00:00.500", "--Experiment:SampleInterval=00:00:00.500"];

    private static void SkipWhereNamespacesCannotBeMade(ScriptRun script)
    {
        if (script.HasExited && script.ExitCode == 77)
        {
            Assert.Ignore($"network namespaces cannot be made here: {script.Output.Trim()}");
        }
    }

    /// <summary>No namespace or link of the run's tag, and no process whose command line names the run's folder.</summary>
    private static async Task AssertNothingLeftAsync(string tag, string output, CancellationToken ct)
    {
        var namespaces = await RunAsync("ip", "netns list", ct);
        var links = await RunAsync("ip", "-o link show", ct);
        var processes = Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)).Select(d =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                return "";
            }
            catch (UnauthorizedAccessException)
            {
                return "";
            }
        }).Where(c => c.Contains(output, StringComparison.Ordinal)).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(namespaces.Split('\n').Where(l => l.StartsWith(tag, StringComparison.Ordinal)), Is.Empty, "namespaces left behind");
            Assert.That(links.Split('\n').Where(l => l.Contains(tag, StringComparison.Ordinal)), Is.Empty, "links left behind");
            Assert.That(processes, Is.Empty, "processes left behind");
        }
    }

    private static async Task<string> RunAsync(string file, string arguments, CancellationToken ct)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var text = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return text;
    }

    [GeneratedRegex(@"(\d+) of them in other slices")]
    private static partial Regex AcrossSlices();

    private static ScriptRun Script(string[] args) => ScriptRun.Start(Script(), args);

    /// <summary>run.sh as a child process, its standard output and error captured together.</summary>
    private sealed class ScriptRun : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private ScriptRun(Process process) => _process = process;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public bool HasExited => _process.HasExited;

        public int ExitCode => _process.ExitCode;

        public static ScriptRun Start(string script, string[] args)
        {
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(script);
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }
            var process = new Process { StartInfo = info };
            var run = new ScriptRun(process);
            process.OutputDataReceived += (_, e) => run.Append(e.Data);
            process.ErrorDataReceived += (_, e) => run.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return run;
        }

        public void Signal(string signal)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {_process.Id}") { UseShellExecute = false })!;
            kill.WaitForExit();
        }

        public async Task<bool> WaitAsync(TimeSpan within, CancellationToken ct)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(within);
            try
            {
                await _process.WaitForExitAsync(deadline.Token);
                _process.WaitForExit(); // drains the redirected output
                return true;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return false;
            }
        }

        /// <summary>Stops the script if it still runs (its trap removes what it made).</summary>
        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Signal("TERM");
                if (!_process.WaitForExit(30_000))
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
