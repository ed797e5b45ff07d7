using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;

namespace P2PSim.Logging;

/// <summary>
/// Writes one file per node, <c>Log_{port}.txt</c> in <c>Logs:Directory</c>: one timestamped
/// line per event. Other categories are left to the console. Lines are buffered and flushed
/// every half second and on dispose, so logging never waits for the disk on the hot path.
/// Before the first file of a run is opened, the <c>Log_*.txt</c> files an earlier run left in the folder are moved to
/// its <c>previous/</c> subfolder (replacing what was there), so a smaller run's files are not mixed with a bigger
/// earlier run's (<see cref="MovedAside"/> says how many).
/// </summary>
[ProviderAlias("NodeFile")]
public sealed class NodeFileLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentDictionary<int, NodeFile> _files = new();
    private readonly string _directory;
    private readonly bool _enabled;
    private readonly TimeProvider _time;
    private readonly ITimer _flushTimer;
    private readonly object _prepareGate = new();
    private bool _prepared;
    private int _movedAside;

    public NodeFileLoggerProvider(IOptions<LogOptions> options, TimeProvider time)
    {
        _enabled = options.Value.WriteFiles;
        _directory = Path.GetFullPath(options.Value.Directory);
        _time = time;
        _flushTimer = time.CreateTimer(_ => Flush(), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
    }

    public string Directory => _directory;

    /// <summary>The folder the earlier run's log files were moved to.</summary>
    public string PreviousDirectory => Path.Combine(_directory, "previous");

    /// <summary>How many log files of an earlier run were moved to <see cref="PreviousDirectory"/> (0 until the first file opens).</summary>
    public int MovedAside => Volatile.Read(ref _movedAside);

    public ILogger CreateLogger(string categoryName)
    {
        if (!_enabled || NodeCategory.PortOf(categoryName) is not { } port)
        {
            return Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        }
        var file = _files.GetOrAdd(port, p => new NodeFile(Path.Combine(_directory, $"Log_{p}.txt"), PrepareDirectory));
        return new FileLogger(file, _time);
    }

    /// <summary>Once, before the first file of this run is created: the earlier run's files go to <see cref="PreviousDirectory"/>.</summary>
    private void PrepareDirectory()
    {
        lock (_prepareGate)
        {
            if (_prepared)
            {
                return;
            }
            _prepared = true;
            if (!System.IO.Directory.Exists(_directory))
            {
                return;
            }
            var old = System.IO.Directory.GetFiles(_directory, "Log_*.txt");
            if (old.Length == 0)
            {
                return;
            }
            try
            {
                System.IO.Directory.CreateDirectory(PreviousDirectory);
                foreach (var stale in System.IO.Directory.GetFiles(PreviousDirectory, "Log_*.txt"))
                {
                    File.Delete(stale);
                }
                foreach (var path in old)
                {
                    File.Move(path, Path.Combine(PreviousDirectory, Path.GetFileName(path)), overwrite: true);
                    _movedAside++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file in use or a read-only folder: the old files stay; this run's files overwrite theirs.
            }
        }
    }

    public void Flush()
    {
        foreach (var file in _files.Values)
        {
            file.Flush();
        }
    }

    public void Dispose()
    {
        _flushTimer.Dispose();
        foreach (var file in _files.Values)
        {
            file.Dispose();
        }
        _files.Clear();
    }

    private sealed class NodeFile : IDisposable
    {
        private readonly object _gate = new();
        private readonly string _path;
        private readonly Action _beforeCreate;
        private StreamWriter? _writer;
        private bool _disposed;

        public NodeFile(string path, Action beforeCreate)
        {
            _path = path;
            _beforeCreate = beforeCreate;
        }

        public void Write(string line)
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }
                if (_writer is null)
                {
                    _beforeCreate();
                    System.IO.Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
                    _writer = new StreamWriter(new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false), 64 * 1024);
                }
                _writer.Write(line);
            }
        }

        public void Flush()
        {
            lock (_gate)
            {
                _writer?.Flush();
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _writer?.Dispose();
                _writer = null;
            }
        }
    }

    private sealed class FileLogger(NodeFile file, TimeProvider time) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            var line = new StringBuilder(160)
                .Append(time.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture))
                .Append(' ')
                .Append(LevelTag.Of(logLevel))
                .Append(' ')
                .Append(formatter(state, exception));
            if (exception is not null)
            {
                line.Append(" | ").Append(exception.GetType().Name).Append(": ").Append(exception.Message);
            }
            file.Write(line.Append('\n').ToString());
        }
    }
}

/// <summary>Short fixed-width level names for log lines.</summary>
internal static class LevelTag
{
    public static string Of(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE",
        LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO ",
        LogLevel.Warning => "WARN ",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "CRIT ",
        _ => "     ",
    };
}
