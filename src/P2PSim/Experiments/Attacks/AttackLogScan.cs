using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace P2PSim.Experiments.Attacks;

/// <summary>
/// The log lines of every node of an attack run, as a node's log file would get them (the formatted message, which is
/// what <c>Log_{port}.txt</c> and the console write), read as they are written and not kept: it counts the lines that
/// hold a token an attack put into a forged text (a forged text in a log means a node took it), and the lines that hold
/// a raw control character (a newline that forges a log line, an ANSI escape that drives a terminal): both must stay 0.
/// </summary>
internal sealed class AttackLogScan : ILoggerProvider
{
    private readonly ConcurrentDictionary<string, long> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _unverified = new(StringComparer.Ordinal);
    private long _rawControl;
    private long _lines;

    /// <summary>Lines written so far at Information or above.</summary>
    public long Lines => Interlocked.Read(ref _lines);

    /// <summary>Lines holding a raw control character (a newline, a carriage return, an escape, ...) so far.</summary>
    public long RawControlLines => Interlocked.Read(ref _rawControl);

    /// <summary>From now on, counts the lines that hold <paramref name="token"/>.</summary>
    public void Watch(string token) => _tokens.TryAdd(token, 0);

    /// <summary>Lines that held <paramref name="token"/> since it was watched.</summary>
    public long LinesWith(string token) => _tokens.TryGetValue(token, out var n) ? n : 0;

    /// <summary>Of <see cref="LinesWith"/>, the lines that mark the message's origin <c>(unverified)</c> (protocol version 8).</summary>
    public long UnverifiedLinesWith(string token) => _unverified.TryGetValue(token, out var n) ? n : 0;

    public ILogger CreateLogger(string categoryName) => new Scanner(this);

    public void Dispose()
    {
    }

    private void Scan(string line)
    {
        Interlocked.Increment(ref _lines);
        foreach (var c in line)
        {
            if (char.IsControl(c) && c != '\t')
            {
                Interlocked.Increment(ref _rawControl);
                break;
            }
        }
        if (_tokens.IsEmpty)
        {
            return;
        }
        foreach (var (token, _) in _tokens)
        {
            if (line.Contains(token, StringComparison.Ordinal))
            {
                _tokens.AddOrUpdate(token, 1, static (_, n) => n + 1);
                if (line.Contains(" (unverified)", StringComparison.Ordinal))
                {
                    _unverified.AddOrUpdate(token, 1, static (_, n) => n + 1);
                }
            }
        }
    }

    private sealed class Scanner(AttackLogScan scan) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                scan.Scan(formatter(state, exception));
            }
        }
    }
}
