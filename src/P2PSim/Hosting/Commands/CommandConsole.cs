using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Logging;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Hosting.Commands;

/// <summary>Where <see cref="CommandConsole"/> reads its lines: standard input in the demo, a string in tests.</summary>
public sealed class CommandInput(TextReader reader)
{
    public TextReader Reader { get; } = reader;
}

/// <summary>
/// Commands on the console while the demo runs (<see cref="ConsoleCommand"/>): reads standard input line by line, carries
/// each command out on the nodes (a node's state is read on its own loop, <see cref="NodeService.InspectAsync{T}"/>) and
/// answers with one line, or one line of error. Standard input that is closed or redirected from nothing simply ends it;
/// a read still pending at shutdown is abandoned, so it never holds Ctrl+C up. Peers it starts (<c>add</c>, <c>restart</c>)
/// are not the host's: it stops them itself when the host stops.
/// </summary>
public sealed partial class CommandConsole(
    CommandInput input,
    NodeDirectory directory,
    NetworkStats stats,
    IServiceProvider services,
    IOptions<NetworkOptions> network,
    IOptions<PeerOptions> peerOptions,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger("P2PSim.Command");
    private readonly List<NodeService> _started = [];
    private readonly object _gate = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogInformationReady(_logger);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Console.In reads synchronously whatever the method says: on its own task, abandoned at shutdown.
                var line = await Task.Run(() => input.Reader.ReadLineAsync(stoppingToken).AsTask(), stoppingToken)
                    .WaitAsync(stoppingToken).ConfigureAwait(false);
                if (line is null)
                {
                    LogDebugInputClosed(_logger);
                    return;
                }
                await HandleAsync(line, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
        catch (IOException ex)
        {
            LogDebugInputFailed(_logger, ex.Message);
        }
    }

    /// <summary>Parses and carries out one line; the outcome is one log line (help: one per command).</summary>
    public async Task HandleAsync(string line, CancellationToken cancellationToken)
    {
        var command = ConsoleCommand.Parse(line, out var error);
        if (error is not null)
        {
            LogWarningBadCommand(_logger, error);
            return;
        }
        if (command is null)
        {
            return;
        }
        try
        {
            if (command is ConsoleCommand.Help)
            {
                foreach (var (usage, meaning) in ConsoleCommand.Usage)
                {
                    var padded = usage.PadRight(32);
                    LogInformationHelp(_logger, padded, meaning);
                }
                return;
            }
            var result = await RunAsync(command, cancellationToken).ConfigureAwait(false);
            LogInformationDone(_logger, result);
        }
        catch (CommandFailedException ex)
        {
            LogWarningBadCommand(_logger, ex.Message);
        }
        catch (ChannelClosedException)
        {
            LogWarningBadCommand(_logger, $"{line.Trim()}: the node went down meanwhile");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogWarningCommandFailed(_logger, line.Trim(), ex.Message);
        }
    }

    private async Task<string> RunAsync(ConsoleCommand command, CancellationToken cancellationToken)
    {
        switch (command)
        {
            case ConsoleCommand.Nodes:
                return DescribeNodes();
            case ConsoleCommand.Quit:
                lifetime.StopApplication();
                return "Stopping the network, as Ctrl+C does; the summary follows";
            case ConsoleCommand.Send s:
            {
                var peer = Running(Find(s.Port), "send");
                RequirePeer(peer, "send", "seeds do not gossip");
                var id = await peer.PublishAsync(cancellationToken).ConfigureAwait(false);
                return $"Peer {s.Port} sent message [{id.Short}]; its receipts follow";
            }
            case ConsoleCommand.Join j:
            {
                var peer = Running(Find(j.Port), "join");
                RequirePeer(peer, "join", "seeds are in no group");
                return await peer.ApplyToPeerAsync((m, now) => m.JoinGroup(j.Group, now), cancellationToken).ConfigureAwait(false)
                    ? $"Peer {j.Port} joined group \"{j.Group}\": it asks its seeds for the members, links to some, and catches up on the group's recent messages"
                    : Fail($"Peer {j.Port} is in group \"{j.Group}\" already");
            }
            case ConsoleCommand.Leave l:
            {
                var peer = Running(Find(l.Port), "leave");
                RequirePeer(peer, "leave", "seeds are in no group");
                return await peer.ApplyToPeerAsync((m, now) => m.LeaveGroup(l.Group, now), cancellationToken).ConfigureAwait(false)
                    ? $"Peer {l.Port} left group \"{l.Group}\" (goodbye to its neighbours there): it receives none of its messages from now on"
                    : Fail($"Peer {l.Port} is not in group \"{l.Group}\"; groups {l.Port} lists its groups");
            }
            case ConsoleCommand.GroupMessage g:
            {
                var peer = Running(Find(g.Port), "group");
                RequirePeer(peer, "group", "seeds publish nothing");
                var id = await peer.ApplyToPeerAsync((m, now) => m.Publish(g.Group, now, g.Text), cancellationToken).ConfigureAwait(false);
                return id is { } sent
                    ? $"Peer {g.Port} published [{sent.Short}] to group \"{g.Group}\"; its members' receipts follow"
                    : Fail($"Peer {g.Port} is not in group \"{g.Group}\", and only members publish to it; join {g.Port} {g.Group} first");
            }
            case ConsoleCommand.Groups gs:
            {
                var peer = Running(Find(gs.Port), "groups");
                RequirePeer(peer, "groups", "seeds are in no group (neighbours " + gs.Port + " shows its peer list)");
                var groups = await peer.ApplyToPeerAsync((m, _) => m.Groups.Select(g => (Group: g, Neighbours: m.GroupNeighbours(g).Count)).ToArray(), cancellationToken)
                    .ConfigureAwait(false);
                return groups.Length == 0
                    ? $"Peer {gs.Port} is in no group; join {gs.Port} <group> joins one"
                    : $"Peer {gs.Port} is in {Plural.Of(groups.Length, "group")}: {string.Join(", ", groups.Select(g => $"\"{g.Group}\" ({Plural.Of(g.Neighbours, "neighbour")})"))}";
            }
            case ConsoleCommand.Private p:
            {
                var from = Running(Find(p.Port), "private");
                RequirePeer(from, "private", "seeds send no private messages");
                var to = Find(p.ToPort);
                if (to.Role != NodeRole.Peer)
                {
                    return Fail($"private {p.Port} {p.ToPort}: {p.ToPort} is a seed; private messages go to peers");
                }
                MessageId id;
                try
                {
                    id = await from.SendPrivateAsync(to.Endpoint, p.Text, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                    return Fail($"private {p.Port} {p.ToPort}: {ex.Message}");
                }
                var how = to.IsDown ? $"; {p.ToPort} is down, so watch the retries and then undeliverable"
                    : !to.Dialable ? $"; {p.ToPort} cannot be dialled, so a seed relays it" : "";
                return $"Peer {p.Port} sent private message [{id.Short}] to {p.ToPort}{how}; its delivery follows";
            }
            case ConsoleCommand.Crash c:
            {
                var node = Running(Find(c.Port), "crash");
                await node.CrashAsync(cancellationToken).ConfigureAwait(false);
                return node.Role == NodeRole.Peer
                    ? $"Peer {c.Port} crashed (no goodbye); its neighbours notice within {peerOptions.Value.MaxMissedLiveness} liveness rounds and report it to the seeds"
                    : $"Seed {c.Port} crashed (no goodbye); its peers register with other seeds; restart {c.Port} brings it back empty";
            }
            case ConsoleCommand.Stop st:
            {
                var node = Running(Find(st.Port), "stop");
                await node.StopAsync(cancellationToken).ConfigureAwait(false);
                stats.RecordLeft(node.Endpoint); // a peer's own Leaving event already said so; a seed has none
                return $"{node.Role} {st.Port} left cleanly (goodbye to its neighbours and seeds): not a death";
            }
            case ConsoleCommand.Restart r:
            {
                var old = Find(r.Port);
                if (!old.IsDown)
                {
                    return Fail($"{old.Role} {r.Port} is running; crash {r.Port} or stop {r.Port} first");
                }
                stats.RecordRestart(old.Endpoint);
                await StartNodeAsync(old.Spec with { BindTo = old.Endpoint }, cancellationToken).ConfigureAwait(false);
                return old.Role == NodeRole.Peer
                    ? $"Peer {r.Port} started again, empty: it registers with the seeds and joins the overlay"
                    : $"Seed {r.Port} started again, empty: it relearns its peers as they register again";
            }
            case ConsoleCommand.Add a:
            {
                var layout = services.GetRequiredService<SeedBook>().Layout;
                var ports = new List<int>();
                for (var i = 0; i < a.Count; i++)
                {
                    var index = directory.Peers.Select(p => p.Index).DefaultIfEmpty(-1).Max() + 1;
                    var node = await StartNodeAsync(P2PSimServiceCollectionExtensions.PeerSpec(network.Value, layout, index), cancellationToken).ConfigureAwait(false);
                    ports.Add(node.Endpoint.Port);
                }
                return $"Added {Plural.Of(ports.Count, "peer")} ({string.Join(", ", ports)}); they join one by one";
            }
            case ConsoleCommand.Neighbours n:
            {
                var node = Running(Find(n.Port), "neighbours");
                if (node.Role == NodeRole.Seed)
                {
                    var list = await node.InspectAsync(m => ((SeedMachine)m).PeerList.ToArray(), cancellationToken).ConfigureAwait(false);
                    return $"Seed {n.Port} lists {Plural.Of(list.Length, "peer")}{Listed(list)}";
                }
                var (connected, all) = await node.InspectAsync(m => (((PeerMachine)m).ConnectedNeighbours.ToArray(), ((PeerMachine)m).Neighbours.ToArray()), cancellationToken)
                    .ConfigureAwait(false);
                var retrying = all.Except(connected).ToArray();
                return $"Peer {n.Port} has {Plural.Of(connected.Length, "neighbour")}{Listed(connected)}"
                    + (retrying.Length > 0 ? $"; reconnecting to {string.Join(", ", retrying.OrderBy(e => e.Port))}" : "");
            }
            case ConsoleCommand.MessageList l:
            {
                var node = Running(Find(l.Port), "list");
                RequirePeer(node, "list", "seeds keep no Message List; neighbours " + l.Port + " shows its peer list");
                var (count, capacity, ttl, originated, received, duplicates) = await node.InspectAsync(m =>
                {
                    var p = (PeerMachine)m;
                    return (p.Messages.Count, p.Messages.Capacity, p.Messages.Ttl, p.Originated, p.Received, p.Duplicates);
                }, cancellationToken).ConfigureAwait(false);
                return $"Peer {l.Port}: Message List holds {Plural.Of(count, "message")} (at most {capacity}, each kept {ttl.TotalMinutes:0.#} min); "
                    + $"sent {originated}, received {received}, {Plural.Of(duplicates, "duplicate")} dropped";
            }
            default:
                return Fail($"{command} is not handled");
        }
    }

    private async Task<NodeService> StartNodeAsync(NodeSpec spec, CancellationToken cancellationToken)
    {
        var node = ActivatorUtilities.CreateInstance<NodeService>(services, spec);
        try
        {
            await node.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (StartupException ex)
        {
            node.Dispose();
            return Fail<NodeService>(ex.Message);
        }
        lock (_gate)
        {
            _started.Add(node);
        }
        return node;
    }

    /// <summary>The nodes this console started stop with the host (they are not its hosted services), all at once.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        NodeService[] started;
        lock (_gate)
        {
            started = [.. _started];
        }
        await Task.WhenAll(started.Select(n => n.StopAsync(cancellationToken))).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        lock (_gate)
        {
            foreach (var node in _started)
            {
                node.Dispose();
            }
            _started.Clear();
        }
        base.Dispose();
    }

    private NodeService Find(int port) =>
        directory.Seeds.Concat(directory.Peers).FirstOrDefault(n => n.Endpoint.Port == port)
        ?? Fail<NodeService>($"No node has port {port}; nodes lists them");

    private static NodeService Running(NodeService node, string verb) =>
        node.IsDown ? Fail<NodeService>($"{node.Role} {node.Endpoint.Port} is down; restart {node.Endpoint.Port} starts it again") : node;

    private static void RequirePeer(NodeService node, string verb, string why)
    {
        if (node.Role != NodeRole.Peer)
        {
            Fail($"{verb} {node.Endpoint.Port}: {node.Endpoint.Port} is a seed, and {why}");
        }
    }

    private string DescribeNodes()
    {
        static string Ports(IEnumerable<NodeService> nodes) =>
            string.Join(" ", nodes.OrderBy(n => n.Endpoint.Port).Select(n => n.IsDown ? $"{n.Endpoint.Port}(down)" : n.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var seeds = directory.Seeds;
        var peers = directory.Peers;
        return $"{Plural.Of(seeds.Count, "seed")}: {Ports(seeds)}; {Plural.Of(peers.Count, "peer")}: {Ports(peers)}";
    }

    private static string Listed(IEnumerable<NodeEndpoint> endpoints)
    {
        var list = endpoints.OrderBy(e => e.Port).ToArray();
        return list.Length == 0 ? "" : ": " + new P2PSim.Logging.EndpointList(list);
    }

    private static string Fail(string message) => throw new CommandFailedException(message);

    private static T Fail<T>(string message) => throw new CommandFailedException(message);

    private sealed class CommandFailedException(string message) : Exception(message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Commands: type help for the list (send 6003, crash 6005, neighbours 6001, ...); Ctrl+C ends the demo")]
    private static partial void LogInformationReady(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Usage} {Meaning}")]
    private static partial void LogInformationHelp(ILogger logger, string usage, string meaning);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Result}")]
    private static partial void LogInformationDone(ILogger logger, string result);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Error}")]
    private static partial void LogWarningBadCommand(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "\"{Command}\" failed: {Reason}")]
    private static partial void LogWarningCommandFailed(ILogger logger, string command, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Standard input is closed: no more commands (Ctrl+C still ends the demo)")]
    private static partial void LogDebugInputClosed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading standard input failed: {Reason}; no more commands")]
    private static partial void LogDebugInputFailed(ILogger logger, string reason);
}

public static class CommandConsoleServiceCollectionExtensions
{
    /// <summary>Commands typed on <paramref name="input"/> (standard input in the demo) while the network runs.</summary>
    public static IServiceCollection AddConsoleCommands(this IServiceCollection services, TextReader input)
    {
        services.AddSingleton(new CommandInput(input));
        services.AddSingleton<IHostedService, CommandConsole>();
        return services;
    }
}
