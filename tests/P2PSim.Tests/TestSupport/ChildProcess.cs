using System.Diagnostics;
using System.Text;

namespace P2PSim.Tests.TestSupport;

/// <summary>The built P2PSim executable run as a child process, its output captured as it comes.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>dotnet P2PSim.dll args</c> in <paramref name="workingDirectory"/>.</summary>
    public static ChildProcess Start(string workingDirectory, params string[] args) => Start(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Start(string, string[])"/>, with <paramref name="environment"/> added to the child's environment variables.</summary>
    public static ChildProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(workingDirectory, environment, fileLimit: null, args);

    /// <summary>
    /// As <see cref="Start(string, string[])"/>, the child allowed at most <paramref name="fileLimit"/> open files
    /// (<c>prlimit --nofile</c>, as <c>ulimit -n</c> in its shell would). Null when <c>prlimit</c> is not on this machine.
    /// </summary>
    public static ChildProcess? StartWithFileLimit(string workingDirectory, int fileLimit, params string[] args) =>
        File.Exists("/usr/bin/prlimit") ? Start(workingDirectory, new Dictionary<string, string>(), fileLimit, args) : null;

    private static ChildProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, int? fileLimit, string[] args)
    {
        var dll = typeof(P2PSim.Hosting.P2PSimApp).Assembly.Location;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var info = new ProcessStartInfo(fileLimit is null ? dotnet : "/usr/bin/prlimit")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (fileLimit is { } limit)
        {
            info.ArgumentList.Add(FormattableString.Invariant($"--nofile={limit}:{limit}"));
            info.ArgumentList.Add(dotnet);
        }
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // The demo's live view on a free port, so a test never clashes with a demo (or another test) on port 5080;
        // a test's own --LiveView:... arguments still win over this.
        info.Environment["LiveView__Port"] = "0";
        // Plain links, as TestNetwork's: these tests start whole networks (and several processes) on a shared machine
        // and test the demo's and the slices' behaviour; TLS has tests of its own (Transport/TlsLinkTests.cs,
        // Integration/TlsNetworkTests.cs). A test's own --Security:Links=... still wins over this.
        info.Environment["Security__Links"] = "plain";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => Append(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(child._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The last 3,000 characters of <paramref name="text"/>, for a failure message.</summary>
    public static string Tail(string text) => text.Length > 3000 ? text[^3000..] : text;

    /// <summary>Types one line on the child's standard input.</summary>
    public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
    }

    /// <summary>Closes the child's standard input (end of file).</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-INT {_process.Id}") { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(within);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            _process.WaitForExit(); // drains the redirected output
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    private static void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (target)
        {
            target.AppendLine(line);
        }
    }
}
