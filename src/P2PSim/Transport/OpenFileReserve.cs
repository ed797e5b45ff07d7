using Microsoft.Extensions.Logging;
using P2PSim.Configuration;

namespace P2PSim.Transport;

/// <summary>
/// The process's open files, with a few always kept free for the .NET runtime. A process out of files is not only one
/// that cannot open another socket: the runtime aborts it ("Out of memory.", exit code 134), because a thread it starts
/// (the thread pool adds workers under load) needs files of its own, and a thread that cannot start is fatal to it
/// (seen with strace: a new thread's <c>pipe2</c> failed with EMFILE, then the abort). Sockets are what grows with the
/// network, so every transport of the process takes one from here before it opens a socket (dials) or keeps one (an
/// accepted connection), and gives it back when the connection ends. Once only <see cref="Reserve"/> files would be
/// left, that one connection is refused instead (an accepted one closed at once, a dial failed with the reason),
/// counted, and logged at most once a second for the whole process; the nodes go on with the links they have, and retry
/// what failed as they do after any failed dial.
/// </summary>
/// <remarks>
/// Other files (listening sockets, log files, the runtime's) are counted from <c>/proc/self/fd</c>: at the start, then
/// at most every <see cref="RecountEvery"/>, or every <see cref="RecountNearLimitEvery"/> once the sockets come within
/// twice the reserve of what is left. Where the limit or the open files cannot be read (not Linux), nothing is refused.
/// </remarks>
internal sealed partial class OpenFileReserve
{
    /// <summary>Files never taken for sockets: room for the runtime to start threads and load what it needs (a new thread needs 3).</summary>
    public const int Reserve = 64;

    /// <summary>How often, at most, the files open in the process are counted again.</summary>
    public static readonly TimeSpan RecountEvery = TimeSpan.FromSeconds(1);

    /// <summary>How often, at most, they are counted again once the sockets near the limit.</summary>
    public static readonly TimeSpan RecountNearLimitEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>At most one "out of files" line per this interval, for the whole process; the line counts the ones in between.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(1);

    private readonly long? _limit;
    private readonly Func<long?> _countOpenFiles;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly object _countGate = new();
    private long _sockets;
    private long _others;
    private long _countedAtTicks;
    private long _refused;
    private long _refusedSinceLog;
    private DateTimeOffset _loggedAt = DateTimeOffset.MinValue;

    /// <param name="limit">The files this process may open (<c>ulimit -n</c>); null: unknown, nothing is refused.</param>
    /// <param name="countOpenFiles">Files open in the process right now (null: cannot tell).</param>
    /// <param name="time">The clock of the recounts and the log throttle.</param>
    public OpenFileReserve(long? limit, Func<long?> countOpenFiles, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(countOpenFiles);
        ArgumentNullException.ThrowIfNull(time);
        _limit = limit;
        _countOpenFiles = countOpenFiles;
        _time = time;
        _others = countOpenFiles() ?? 0;
        _countedAtTicks = time.GetUtcNow().UtcTicks;
    }

    /// <summary>The one of this process: its <c>ulimit -n</c>, its <c>/proc/self/fd</c>, the system clock.</summary>
    public static OpenFileReserve Process { get; } = new(OpenFileLimit.Current(), () => OpenFiles.Now(), TimeProvider.System);

    /// <summary>Sockets taken and not given back.</summary>
    public long Sockets => Interlocked.Read(ref _sockets);

    /// <summary>Sockets refused so far because the process was out of files.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>
    /// Takes one file for a socket; false when that would leave fewer than <see cref="Reserve"/> free: then the caller
    /// refuses the connection and calls <see cref="Refuse"/>.
    /// </summary>
    public bool TryTake()
    {
        var sockets = Interlocked.Increment(ref _sockets);
        if (_limit is not { } limit)
        {
            return true;
        }
        var near = sockets + Interlocked.Read(ref _others) + (2 * Reserve) > limit;
        Recount(sockets, near ? RecountNearLimitEvery : RecountEvery);
        if (sockets + Interlocked.Read(ref _others) + Reserve <= limit)
        {
            return true;
        }
        Interlocked.Decrement(ref _sockets);
        return false;
    }

    /// <summary>Gives back a file taken by <see cref="TryTake"/> (the socket is closed).</summary>
    public void Return() => Interlocked.Decrement(ref _sockets);

    /// <summary>Counts a refused connection and logs it on <paramref name="logger"/> unless a line went out within <see cref="LogInterval"/>.</summary>
    /// <param name="logger">The log of the node that refused it.</param>
    /// <param name="what">What was refused, in words ("a connection from 127.0.0.1:4711", "a dial to 127.0.0.1:6003").</param>
    public void Refuse(ILogger logger, string what)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var refused = Interlocked.Increment(ref _refused);
        long unlogged;
        lock (_gate)
        {
            _refusedSinceLog++;
            var now = _time.GetUtcNow();
            if (now - _loggedAt < LogInterval)
            {
                return;
            }
            unlogged = _refusedSinceLog - 1;
            _refusedSinceLog = 0;
            _loggedAt = now;
        }
        LogWarningOutOfFiles(logger, what, Sockets, Interlocked.Read(ref _others), _limit ?? 0, Reserve, refused, unlogged);
    }

    /// <summary>The reason a dial fails with when this process is out of files.</summary>
    public string DialRefusal => $"this process is out of open files (ulimit -n {_limit}, {Reserve} kept free for the runtime): no socket opened";

    /// <summary>Counts the other files open in the process again, unless that was done within <paramref name="every"/> or is being done now.</summary>
    private void Recount(long sockets, TimeSpan every)
    {
        var now = _time.GetUtcNow();
        if (now - new DateTimeOffset(Interlocked.Read(ref _countedAtTicks), TimeSpan.Zero) < every || !Monitor.TryEnter(_countGate))
        {
            return;
        }
        try
        {
            if (now - new DateTimeOffset(Interlocked.Read(ref _countedAtTicks), TimeSpan.Zero) < every)
            {
                return;
            }
            Interlocked.Exchange(ref _countedAtTicks, now.UtcTicks);
            if (_countOpenFiles() is { } open)
            {
                Interlocked.Exchange(ref _others, Math.Max(0, open - sockets));
            }
        }
        finally
        {
            Monitor.Exit(_countGate);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Out of open files: refused {What}; {Sockets} sockets and {Others} other files are open in this process, which may open {Limit} (ulimit -n) and keeps {Reserve} free for the runtime; {Refused} connections refused so far, {Unlogged} since the last such line. Raise the limit or run fewer peers in this process")]
    private static partial void LogWarningOutOfFiles(ILogger logger, string what, long sockets, long others, long limit, int reserve, long refused, long unlogged);
}
