using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// Where this process finds every seed of the network: the seeds it runs from the nodes themselves (their bound ports,
/// port 0 included), the others from <c>Network:Seeds</c>, a host name resolved with DNS. Names are resolved when the
/// process starts, before its peers first dial a seed, and retried with backoff (saying so once per attempt) until they
/// resolve, so a slice may start before the slices that run its seeds (a Kubernetes headless Service's names appear
/// with their pods). Node logic only ever sees IP endpoints; names stay on this side.
/// <para>
/// A seed whose pod is replaced comes back under its name at another address. The nodes keep knowing a seed by the
/// endpoint its name first resolved to; when the nodes of this process keep failing to reach it
/// (<see cref="FailuresBeforeResolving"/> failed registrations, re-registrations or reports in a row, counted from the
/// nodes' events), its name is resolved again, at most once per <c>Peer:RetryInterval</c>, doubling up to 30 s while it
/// resolves to the same address. When it resolves elsewhere, every dial to the seed goes to the new address from then on
/// (<see cref="DialAddress"/>, used by each node's transport), and the log says so once.
/// </para>
/// </summary>
public sealed partial class SeedBook : IHostedService, IDisposable, INodeEventObserver
{
    /// <summary>Failed attempts to reach a seed, in a row and by any node of this process, before its name is resolved again.</summary>
    public const int FailuresBeforeResolving = 3;

    private static readonly TimeSpan MaxResolveWait = TimeSpan.FromSeconds(30);

    private readonly NodeDirectory _directory;
    private readonly TimeProvider _time;
    private readonly ILogger<SeedBook> _logger;
    private readonly TimeSpan _retry;
    private readonly NodeEndpoint?[] _remote;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _resolved = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ISeedResolver _resolver;
    private readonly object _gate = new();
    private readonly bool[] _named;
    private readonly int[] _failures;
    private readonly bool[] _reresolving;
    private readonly DateTimeOffset[] _nextResolve;
    private readonly TimeSpan[] _resolveWait;
    private volatile NodeEndpoint?[] _movedTo;
    private volatile bool _anyMoved;
    private Task _resolving = Task.CompletedTask;

    /// <param name="resolver">How names are resolved; DNS when not given (tests give their own).</param>
    public SeedBook(IOptions<NetworkOptions> network, IOptions<SliceOptions> slice, IOptions<PeerOptions> peer, NodeDirectory directory,
        TimeProvider time, ILogger<SeedBook> logger, ISeedResolver? resolver = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(slice);
        ArgumentNullException.ThrowIfNull(peer);
        Layout = SliceLayout.From(network.Value, slice.Value);
        _directory = directory;
        _time = time;
        _logger = logger;
        _retry = peer.Value.RetryInterval;
        _remote = new NodeEndpoint?[Layout.Seeds.Count];
        _resolver = resolver ?? new DnsSeedResolver();
        var count = Layout.Seeds.Count;
        _named = [.. Enumerable.Range(0, count).Select(j => !Layout.LocalSeeds.Contains(j) && !IPAddress.TryParse(Layout.Seeds[j].Host, out _))];
        _failures = new int[count];
        _reresolving = new bool[count];
        _nextResolve = new DateTimeOffset[count];
        _resolveWait = [.. Enumerable.Repeat(_retry, count)];
        _movedTo = new NodeEndpoint?[count];
        Live = Layout.AllSeedsLocal ? directory.LiveSeedEndpoints : new LiveList(this);
        if (Layout.AllSeedsLocal)
        {
            _resolved.TrySetResult();
        }
    }

    public SliceLayout Layout { get; }

    /// <summary>
    /// The seeds known so far, in configured order (for seeds, which relay confirmed deaths to the others): complete
    /// once every name has resolved. With every seed in this process it is <see cref="NodeDirectory.LiveSeedEndpoints"/>.
    /// </summary>
    public IReadOnlyList<NodeEndpoint> Live { get; }

    /// <summary>Every seed's endpoint, in configured order, once every name has resolved (for a peer about to start).</summary>
    public async ValueTask<IReadOnlyList<NodeEndpoint>> ResolvedAsync(CancellationToken cancellationToken)
    {
        if (Layout.AllSeedsLocal)
        {
            return _directory.SeedEndpoints;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        await _resolved.Task.WaitAsync(linked.Token).ConfigureAwait(false);
        return Snapshot();
    }

    /// <summary>
    /// Where a dial to <paramref name="target"/> connects: a seed's new address once its name resolved elsewhere, else the
    /// target itself. Called on every dial of every node; costs one read while no seed has moved.
    /// </summary>
    public NodeEndpoint DialAddress(NodeEndpoint target)
    {
        if (!_anyMoved)
        {
            return target;
        }
        var moved = _movedTo;
        for (var j = 0; j < moved.Length; j++)
        {
            if (moved[j] is { } to && _remote[j] is { } known && known == target)
            {
                return to;
            }
        }
        return target;
    }

    /// <summary>Counts failed and successful attempts of this process's nodes to reach the seeds given by name.</summary>
    public void OnNodeEvent(NodeService node, NodeEvent nodeEvent)
    {
        switch (nodeEvent)
        {
            case SeedRegistrationFailed f:
                Failed(f.Seed, f.At);
                break;
            case SeedUnreachable u:
                Failed(u.Seed, u.At);
                break;
            case ReregistrationFailed r:
                Failed(r.Seed, r.At);
                break;
            case DeadNodeRelayFailed d:
                Failed(d.Seed, d.At);
                break;
            case RegisteredWithSeed ok:
                Reached(ok.Seed);
                break;
            case SeedRefreshed ok:
                Reached(ok.Seed);
                break;
        }
    }

    /// <summary>The seed given by name that the nodes know as <paramref name="endpoint"/>; -1 for none.</summary>
    private int NamedSeedAt(NodeEndpoint endpoint)
    {
        for (var j = 0; j < _named.Length; j++)
        {
            if (_named[j] && _remote[j] is { } known && known == endpoint)
            {
                return j;
            }
        }
        return -1;
    }

    private void Reached(NodeEndpoint seed)
    {
        var j = NamedSeedAt(seed);
        if (j < 0)
        {
            return;
        }
        lock (_gate)
        {
            _failures[j] = 0;
            _resolveWait[j] = _retry;
        }
    }

    private void Failed(NodeEndpoint seed, DateTimeOffset at)
    {
        var j = NamedSeedAt(seed);
        if (j < 0)
        {
            return;
        }
        int failures;
        lock (_gate)
        {
            failures = ++_failures[j];
            if (failures < FailuresBeforeResolving || _reresolving[j] || at < _nextResolve[j] || _stopping.IsCancellationRequested)
            {
                return;
            }
            _reresolving[j] = true;
        }
        _ = ResolveAgainAsync(j, failures, _stopping.Token);
    }

    /// <summary>Resolves seed <paramref name="j"/>'s name again; when it names another address, dials to the seed go there from now on.</summary>
    private async Task ResolveAgainAsync(int j, int failures, CancellationToken stoppingToken)
    {
        var seed = Layout.Seeds[j];
        var known = _remote[j]!.Value;
        try
        {
            var (address, problem) = await ResolveAsync(seed.Host, Layout.AnnounceAddress.AddressFamily, stoppingToken).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            var current = _movedTo[j] ?? known;
            lock (_gate)
            {
                _reresolving[j] = false;
                if (address is not null && !address.Equals(current.Address))
                {
                    var moved = (NodeEndpoint?[])_movedTo.Clone();
                    moved[j] = address.Equals(known.Address) ? null : new NodeEndpoint(address, seed.Port);
                    _movedTo = moved;
                    _anyMoved = moved.Any(m => m is not null);
                    _failures[j] = 0;
                    _resolveWait[j] = _retry;
                    _nextResolve[j] = now + _retry;
                }
                else
                {
                    _nextResolve[j] = now + _resolveWait[j];
                    _resolveWait[j] = TimeSpan.FromTicks(Math.Min(_resolveWait[j].Ticks * 2, Math.Max(_retry.Ticks, MaxResolveWait.Ticks)));
                }
            }
            if (address is null)
            {
                LogWarningNotResolvedAgain(_logger, seed.Name, seed.Host, problem, failures, current);
            }
            else if (!address.Equals(current.Address))
            {
                LogInformationMoved(_logger, seed.Name, seed.Host, new NodeEndpoint(address, seed.Port), current, failures);
            }
            else
            {
                LogInformationUnmoved(_logger, seed.Name, seed.Host, current, failures);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The process is stopping.
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Layout.IsWholeNetwork)
        {
            var l = Layout;
            var local = l.LocalSeeds.Count == 0 ? "none" : string.Join(", ", l.LocalSeeds.Select(j => l.Seeds[j].Name));
            var peers = l.PeerCount == 0 ? "none" : $"{l.FirstPeer}-{l.FirstPeer + l.PeerCount - 1}";
            var all = string.Join(", ", l.Seeds.Select(s => $"{s.Name}={s.Host}:{s.Port}"));
            LogInformationSlice(_logger, l.Index, l.Count, local, peers, l.TotalPeers, l.BindAddress, l.AnnounceAddress, all);
        }
        if (!Layout.AllSeedsLocal)
        {
            _resolving = ResolveAllAsync(_stopping.Token);
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _resolving.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();

    private NodeEndpoint[] Snapshot()
    {
        var local = _directory.Seeds;
        var list = new List<NodeEndpoint>(Layout.Seeds.Count);
        for (var j = 0; j < Layout.Seeds.Count; j++)
        {
            var endpoint = _remote[j] ?? local.FirstOrDefault(s => s.Index == j)?.Endpoint;
            if (endpoint is { } e)
            {
                list.Add(e);
            }
        }
        return list.ToArray();
    }

    /// <summary>Resolves every seed this process does not run; retries what fails with backoff until it resolves or the process stops.</summary>
    private async Task ResolveAllAsync(CancellationToken stoppingToken)
    {
        var family = Layout.AnnounceAddress.AddressFamily;
        var wait = _retry;
        try
        {
            while (true)
            {
                var failed = new List<string>();
                for (var j = 0; j < Layout.Seeds.Count; j++)
                {
                    if (Layout.LocalSeeds.Contains(j) || _remote[j] is not null)
                    {
                        continue;
                    }
                    var seed = Layout.Seeds[j];
                    var (address, problem) = await ResolveAsync(seed.Host, family, stoppingToken).ConfigureAwait(false);
                    if (address is null)
                    {
                        failed.Add($"{seed.Name} ({seed.Host}: {problem})");
                        continue;
                    }
                    _remote[j] = new NodeEndpoint(address, seed.Port);
                    if (!IPAddress.TryParse(seed.Host, out _))
                    {
                        LogInformationResolved(_logger, seed.Name, seed.Host, _remote[j]!.Value);
                    }
                }
                if (failed.Count == 0)
                {
                    _resolved.TrySetResult();
                    return;
                }
                LogWarningUnresolved(_logger, string.Join("; ", failed), wait.TotalSeconds);
                await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(false);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, Math.Max(_retry.Ticks, TimeSpan.FromSeconds(30).Ticks)));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The process is stopping.
        }
    }

    private async Task<(IPAddress? Address, string Problem)> ResolveAsync(string host, AddressFamily family, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return (literal, "");
        }
        try
        {
            var addresses = await _resolver.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            var pick = addresses.FirstOrDefault(a => a.AddressFamily == family) ?? addresses.FirstOrDefault();
            return pick is null ? (null, "no address") : (pick, "");
        }
        catch (SocketException ex)
        {
            return (null, ex.Message);
        }
    }

    private sealed class LiveList(SeedBook book) : IReadOnlyList<NodeEndpoint>
    {
        private IReadOnlyList<NodeEndpoint> Current => book.Snapshot();

        public int Count => Current.Count;

        public NodeEndpoint this[int index] => Current[index];

        public IEnumerator<NodeEndpoint> GetEnumerator() => Current.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Slice {Index} of {Count}: runs seeds {Seeds} and peers {Peers} of {Total}, listening on {Bind}, announced as {Announce}; the network's seeds: {All}")]
    private static partial void LogInformationSlice(ILogger logger, int index, int count, string seeds, string peers, int total, System.Net.IPAddress bind, System.Net.IPAddress announce, string all);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed {Name}: {Host} resolves to {Endpoint}")]
    private static partial void LogInformationResolved(ILogger logger, string name, string host, NodeEndpoint endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed {Name}: {Host} now resolves to {Endpoint} (was {Was}) after {Failures} failed attempts to reach it; this slice's nodes dial it there")]
    private static partial void LogInformationMoved(ILogger logger, string name, string host, NodeEndpoint endpoint, NodeEndpoint was, int failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed {Name}: {Host} still resolves to {Endpoint} after {Failures} failed attempts to reach it; the nodes keep retrying it there")]
    private static partial void LogInformationUnmoved(ILogger logger, string name, string host, NodeEndpoint endpoint, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Seed {Name}: {Host} cannot be resolved again ({Problem}) after {Failures} failed attempts to reach it; the nodes keep retrying {Endpoint}")]
    private static partial void LogWarningNotResolvedAgain(ILogger logger, string name, string host, string problem, int failures, NodeEndpoint endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot resolve seeds {Seeds} yet; this slice's peers wait, retrying in {Seconds} s")]
    private static partial void LogWarningUnresolved(ILogger logger, string seeds, double seconds);
}

/// <summary>How <see cref="SeedBook"/> turns a seed's host name into addresses (DNS; tests give their own).</summary>
public interface ISeedResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system's resolver (DNS, <c>/etc/hosts</c>).</summary>
public sealed class DnsSeedResolver : ISeedResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}
