using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// Where this process finds every seed of the network: the seeds it runs from the nodes themselves (their bound ports,
/// port 0 included), the others from <c>Network:Seeds</c>, a host name resolved with DNS. Names are resolved when the
/// process starts, before its peers first dial a seed, and retried with backoff (saying so once per attempt) until they
/// resolve, so a slice may start before the slices that run its seeds (a Kubernetes headless Service's names appear
/// with their pods). Node logic only ever sees IP endpoints; names stay on this side.
/// </summary>
public sealed partial class SeedBook : IHostedService, IDisposable
{
    private readonly NodeDirectory _directory;
    private readonly TimeProvider _time;
    private readonly ILogger<SeedBook> _logger;
    private readonly TimeSpan _retry;
    private readonly NodeEndpoint?[] _remote;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _resolved = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _resolving = Task.CompletedTask;

    public SeedBook(IOptions<NetworkOptions> network, IOptions<SliceOptions> slice, IOptions<PeerOptions> peer, NodeDirectory directory,
        TimeProvider time, ILogger<SeedBook> logger)
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

    private static async Task<(IPAddress? Address, string Problem)> ResolveAsync(string host, AddressFamily family, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return (literal, "");
        }
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot resolve seeds {Seeds} yet; this slice's peers wait, retrying in {Seconds} s")]
    private static partial void LogWarningUnresolved(ILogger logger, string seeds, double seconds);
}
