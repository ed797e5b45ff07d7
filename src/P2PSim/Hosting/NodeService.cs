using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Logging;
using P2PSim.Nodes;
using P2PSim.Overlay;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Transport;

namespace P2PSim.Hosting;

/// <summary>
/// The thin shell around one node's state machine: binds the transport in <see cref="StartAsync"/>
/// (so a port clash fails start-up and seeds listen before any peer dials), then runs one loop
/// that feeds transport events, timer wake-ups and commands to the machine one at a time and
/// carries out the actions it returns. One failing event is logged and costs nothing else.
/// </summary>
public sealed partial class NodeService : BackgroundService, ITransportHandler
{
    /// <summary>
    /// Inputs waiting for the node's loop, one batch (<see cref="FlushEvery"/>). Frames beyond it wait in the transport's
    /// receive queues, where the process queue budget counts them (Transport:ProcessQueueBytes): a large inbox would hold
    /// a backlog that no budget sees (16,384 inputs per node held 2.3 million decoded frames, about 0.6 GB, in a 1,000-peer
    /// classic run).
    /// </summary>
    private const int InboxCapacity = FlushEvery;
    private const int LivenessLaneCapacity = 1024;

    /// <summary>Inputs handled between two flushes of the frames they produced, when the inbox holds a backlog.</summary>
    private const int FlushEvery = 64;
    private static readonly NodeInput.Inspect Wake = new(static _ => { });

    private readonly NodeSpec _spec;
    private readonly PeerOptions _peerOptions;
    private readonly TransportOptions _transportOptions;
    private readonly SeedOptions _seedOptions;
    private readonly GossipOptions _gossipOptions;
    private readonly GroupOptions _groupOptions;
    private readonly PrivateOptions _privateOptions;
    private readonly SecurityOptions _securityOptions;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly NodeDirectory _directory;
    private readonly NetworkStats _stats;
    private readonly RandomSource _random;
    private readonly JoinSequencer _joins;
    private readonly QueueBudget _budget;
    private readonly FileBudget _files;
    private readonly SeedBook _seedBook;
    private readonly NodeKeys _keys;
    private readonly INodeEventObserver[] _observers;
    private readonly Channel<NodeInput> _inbox = Channel.CreateBounded<NodeInput>(new BoundedChannelOptions(InboxCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // readers of connections wait: back-pressure, never a silent drop
    });
    private readonly ConcurrentQueue<NodeInput.Received> _livenessLane = new(); // Pongs: handled before the inbox backlog
    private int _livenessLaneCount;
    private readonly SentFrameCounter _sent = new();
    private MessageSigning? _signing;
    private readonly LogRateLimit _violationLines = LogRateLimit.ForViolations(); // the node's loop writes its lines, one at a time
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITransport? _transport;
    private NodeRuntime? _runtime;
    private ILogger _logger;
    private ITimer? _timer;
    private NetworkStats.NodeCounters? _counters;
    private int _timerDue;
    private long _armedFor = long.MaxValue; // UTC ticks the wake timer is set for; MaxValue: not set (or it fired)
    private bool _joinedSignalled;
    private DateTimeOffset? _stopDeadline;
    private readonly CancellationToken _networkStopping;
    private CancellationTokenRegistration _onNetworkStopping;

    public NodeService(NodeSpec spec, IOptions<PeerOptions> peerOptions, IOptions<TransportOptions> transportOptions, IOptions<SeedOptions> seedOptions, IOptions<GossipOptions> gossipOptions, IOptions<PrivateOptions> privateOptions, IOptions<GroupOptions> groupOptions, TimeProvider time,
        ILoggerFactory loggerFactory, NodeDirectory directory, NetworkStats stats, RandomSource random, JoinSequencer joins,
        IEnumerable<INodeEventObserver> observers, QueueBudget budget, SeedBook seedBook, IHostApplicationLifetime lifetime, FileBudget files, NodeKeys keys,
        IOptions<SecurityOptions> securityOptions)
    {
        _securityOptions = securityOptions.Value;
        _keys = keys;
        _networkStopping = lifetime.ApplicationStopping;
        _budget = budget;
        _files = files;
        _seedBook = seedBook;
        _observers = observers.ToArray();
        _spec = spec;
        _peerOptions = peerOptions.Value;
        _transportOptions = transportOptions.Value;
        _seedOptions = seedOptions.Value;
        _gossipOptions = gossipOptions.Value;
        _groupOptions = groupOptions.Value;
        _privateOptions = privateOptions.Value;
        _time = time;
        _loggerFactory = loggerFactory;
        _directory = directory;
        _stats = stats;
        _random = random;
        _joins = joins;
        _logger = loggerFactory.CreateLogger(NodeCategory.For(spec.Role, spec.BindTo.Port));
    }

    public NodeRole Role => _spec.Role;

    /// <summary>False for a peer that cannot be dialled from outside (<c>Private:NotDialablePeers</c>): its transport accepts no connection.</summary>
    public bool Dialable => _spec.Role == NodeRole.Seed || _privateOptions.IsDialable(_spec.Index);

    public int Index => _spec.Index;

    /// <summary>What this node runs as and where it binds (a restart on the same endpoint keeps the rest of it).</summary>
    public NodeSpec Spec => _spec;

    /// <summary>The node's transport, for tests and tools that look at its links (null before start).</summary>
    internal TcpTransport? Transport => _transport as TcpTransport;

    /// <summary>The listening endpoint (known after start; the port is read back, so port 0 works).</summary>
    public NodeEndpoint Endpoint => _transport?.LocalEndpoint ?? _spec.BindTo;

    /// <summary>Who the node is: its key's public half (known after start; default before).</summary>
    public Security.NodeId Id => (_transport as TcpTransport)?.Key.Id ?? default;

    /// <summary>True once the node crashed (demo, tests) or stopped.</summary>
    public bool IsDown => _finished.Task.IsCompleted;

    /// <summary>The transport's counters: connections, refusals, frames dropped per send class, queue depths (null before start).</summary>
    public TransportStats? TransportStats => _transport?.GetStats();

    /// <summary>Gossip payloads and tree control frames this node handed to its transport, with their bytes (see <see cref="SentFrameCounter"/>).</summary>
    public SentFrameCounter Sent => _sent;

    /// <summary>Signatures this node has checked with real Ed25519 work (messages new to it, acknowledgements); 0 before it starts.</summary>
    public long SignatureChecks => _signing?.Verifications ?? 0;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // A peer needs every seed's address; seeds of other slices given by name may take a while to resolve.
        IReadOnlyList<NodeEndpoint> seeds = [];
        if (_spec.Role == NodeRole.Peer)
        {
            try
            {
                seeds = await _seedBook.ResolvedAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _finished.TrySetResult(); // the process stops before this peer's seeds resolved: it never starts
                return;
            }
        }
        var key = _keys.For(_spec.Role, _spec.Index); // a bad key file stops start-up here, naming the file
        var tls = _securityOptions.Links == LinkSecurity.Tls ? TlsLinks.Create(key, _time) : null; // the transport owns it
        var noise = _securityOptions.Links == LinkSecurity.Noise ? NoiseLinks.Create(key, _time) : null; // so does it this
        try
        {
            // The logger is named after the real port, so port 0 still gives each node its own Log_{port}.txt.
            _transport = new TcpTransport(_spec.BindTo, _spec.Role, _transportOptions, _time,
                bound => _logger = _loggerFactory.CreateLogger(NodeCategory.For(_spec.Role, bound.Port)), _budget,
                _spec.Announce, _spec.DialFromBindAddress, _seedBook.DialAddress, acceptsConnections: Dialable, capPerAddress: _spec.OwnAddress, files: _files,
                key: key, tls: tls, idWork: _keys.WorkFor(_spec.Role, _spec.Index), noise: noise);
        }
        catch (SocketException ex)
        {
            tls?.Dispose();
            noise?.Dispose();
            var why = ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "the port is already in use",
                SocketError.AddressNotAvailable => "that address is not on this machine",
                SocketError.AccessDenied => "permission denied",
                _ => ex.Message,
            };
            throw new StartupException(
                $"{_spec.Role} {_spec.Index} cannot listen on {_spec.BindTo}: {why}. Choose other ports with {_spec.PortSetting} (0 lets the system pick free ports).", ex);
        }
        _signing = MessageSigning.Verify(key); // a real network always checks signatures (Security:Signatures=skip is refused)
        NodeMachine machine = _spec.Role == NodeRole.Seed
            ? new SeedMachine(_transport.LocalEndpoint, _random.For("seed", _spec.Index), seeds: _seedBook.Live, peerExpiry: _seedOptions.PeerExpiry(_peerOptions))
            {
                Id = key.Id,
                // The cap per address means something only where every node has an address of its own.
                Guard = new SeedGuard(_seedOptions.DialBack, _spec.OwnAddress ? _seedOptions.MaxRegistrationsPerAddress : 0, JudgeReporters: true),
                TenureAfter = _seedOptions.TenureAfter,
                Signing = _signing,
                AttestationLifetime = _seedOptions.AttestationLifetimeFor(_peerOptions),
            }
            : new PeerMachine(_transport.LocalEndpoint, seeds, _peerOptions, _random.For("peer", _spec.Index), gossip: _gossipOptions, reportTreeLinks: true,
                privateMessages: _privateOptions, dialable: Dialable, groups: _groupOptions, startGroups: _groupOptions.GroupsOf(_spec.Index),
                signing: _signing, scoring: NeighbourScoring.From(_peerOptions, _spec.OwnAddress))
            {
                UnverifiedOrigins = _securityOptions.UnverifiedOrigins,
            };
        _runtime = new NodeRuntime(machine, new Host(this), _transportOptions.EchoPings);
        _timer = _time.CreateTimer(static state => ((NodeService)state!).OnTimerFired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _counters = _stats.Register(_transport.LocalEndpoint, _spec.Role);
        _directory.Add(this);
        // The whole network stops (Ctrl+C): every peer hears it at once, before any neighbour's goodbye reaches it, so no
        // peer repairs its overlay while the others leave (see Handle). Seeds stop later, with the host, after the peers
        // (services stop in reverse order), so the peers' goodbyes still reach them.
        _onNetworkStopping = _spec.Role == NodeRole.Seed ? default : _networkStopping.Register(static state => ((NodeService)state!)._inbox.Writer.TryWrite(new NodeInput.Stop()), this);
        _transport.Start(this);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_finished.Task.IsCompleted)
        {
            _inbox.Writer.TryWrite(new NodeInput.Stop());
            try
            {
                await _finished.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _transport?.Abort();
            }
        }
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Crashes the node abruptly, as a killed process: no goodbye, every socket reset.</summary>
    public async Task CrashAsync(CancellationToken cancellationToken = default)
    {
        await _inbox.Writer.WriteAsync(new NodeInput.Crash(), cancellationToken).ConfigureAwait(false);
        await _finished.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the state machine safely, on the node's own loop (tests, tools).</summary>
    public async Task<T> InspectAsync<T>(Func<NodeMachine, T> read, CancellationToken cancellationToken = default)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        T value = default!;
        Exception? failure = null;
        var ran = false;
        // The caller hears the result once the step's actions are carried out, not when the action returns: an experiment
        // that publishes and then reads its recorder must find the origination there (it found none once, ended its drain
        // at once because every earlier message was in, and reported the last message as reaching no one).
        var input = new NodeInput.Inspect(
            machine =>
            {
                ran = true;
                try
                {
                    value = read(machine);
                }
                catch (Exception ex)
                {
                    failure = ex;
                }
            },
            () =>
            {
                if (!ran)
                {
                    result.TrySetException(new InvalidOperationException("The node's step failed before the input ran (logged)."));
                }
                else if (failure is not null)
                {
                    result.TrySetException(failure);
                }
                else
                {
                    result.TrySetResult(value);
                }
            });
        if (!_inbox.Writer.TryWrite(input))
        {
            await _inbox.Writer.WriteAsync(input, cancellationToken).ConfigureAwait(false);
        }
        return await result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Has this peer send a private message to <paramref name="recipient"/> now (console command, tests, experiments);
    /// returns its id. A message that cannot be sent throws (see <see cref="PeerMachine.SendPrivate"/>).
    /// </summary>
    public Task<MessageId> SendPrivateAsync(NodeEndpoint recipient, string text, CancellationToken cancellationToken = default) =>
        InspectAsync(m => m is PeerMachine peer ? peer.SendPrivate(recipient, text, _time.GetUtcNow()) : throw new InvalidOperationException("Only a peer sends private messages."), cancellationToken);

    /// <summary>Has this peer originate one gossip message now (tests, experiments); returns its id.</summary>
    public Task<MessageId> PublishAsync(CancellationToken cancellationToken = default) =>
        InspectAsync(m => m is PeerMachine peer ? peer.Publish(_time.GetUtcNow()) : throw new InvalidOperationException("Only a peer publishes gossip."), cancellationToken);

    /// <summary>Feeds one input to this peer's machine on the node's own loop (console commands, tests) and returns its result.</summary>
    public Task<T> ApplyToPeerAsync<T>(Func<PeerMachine, DateTimeOffset, T> input, CancellationToken cancellationToken = default) =>
        InspectAsync(m => m is PeerMachine peer ? input(peer, _time.GetUtcNow()) : throw new InvalidOperationException("Only a peer takes this input."), cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runtime = _runtime!;
        var machine = runtime.Machine;
        try
        {
            if (_spec.Role == NodeRole.Peer)
            {
                _ = BeginWhenItIsOurTurnAsync(stoppingToken);
            }
            else
            {
                _inbox.Writer.TryWrite(new NodeInput.Begin());
            }
            var reader = _inbox.Reader;
            var running = true;
            while (running && await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                // Everything queued now is handled before the frames it produced are flushed: one write per
                // connection for the whole batch (bounded, so a long backlog still sends as it goes).
                var handled = 0;
                while (running && reader.TryRead(out var input))
                {
                    HandleLivenessLane();
                    if (!Handle(input))
                    {
                        running = false;
                        break;
                    }
                    HandleLivenessLane();
                    if (Interlocked.Exchange(ref _timerDue, 0) == 1)
                    {
                        Step(NodeInput.Timer.Instance);
                    }
                    if (_stopDeadline is { } deadline && (machine.StopComplete || _time.GetUtcNow() >= deadline))
                    {
                        _transport!.Flush();
                        await _transport.ShutdownAsync(_transportOptions.ShutdownGrace).ConfigureAwait(false);
                        running = false;
                        break;
                    }
                    SignalJoinedOnce(machine);
                    if (++handled == FlushEvery)
                    {
                        _transport!.Flush();
                        handled = 0;
                    }
                }
                _transport!.Flush();
            }
        }
        finally
        {
            _inbox.Writer.TryComplete();
            _timer?.Dispose();
            _finished.TrySetResult();
            // Anyone still waiting on an Inspect hears that the node is down.
            while (_inbox.Reader.TryRead(out var left))
            {
                if (left is NodeInput.Inspect inspect)
                {
                    inspect.Action(machine);
                    inspect.Done?.Invoke();
                }
            }
        }
    }

    private async Task BeginWhenItIsOurTurnAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _joins.WaitForTurnAsync(_spec.Turn, stoppingToken).ConfigureAwait(false);
            await _inbox.Writer.WriteAsync(new NodeInput.Begin(), stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            _joins.Joined(_spec.Turn);
        }
    }

    private void HandleLivenessLane()
    {
        while (_livenessLane.TryDequeue(out var reply))
        {
            Interlocked.Decrement(ref _livenessLaneCount);
            Handle(reply);
        }
    }

    /// <summary>Handles one input; false ends the loop.</summary>
    private bool Handle(NodeInput input)
    {
        if (_stopDeadline is null && _spec.Role == NodeRole.Peer && _networkStopping.IsCancellationRequested && input is not (NodeInput.Stop or NodeInput.Crash))
        {
            // The network is stopping: this node stops before it handles anything else. A goodbye (or a lost link) of a
            // neighbour that stopped first would otherwise start a repair: dialing peers that are leaving too.
            Handle(new NodeInput.Stop());
        }
        switch (input)
        {
            case NodeInput.Stop when _stopDeadline is null:
                _stopDeadline = _time.GetUtcNow() + _transportOptions.ShutdownGrace;
                _timer?.Change(_transportOptions.ShutdownGrace, Timeout.InfiniteTimeSpan);
                Step(input);
                break;
            case NodeInput.Stop:
                break;
            case NodeInput.Crash:
                LogWarningCrashing(_logger, Endpoint);
                _stats.RecordCrash(Endpoint, _time.GetUtcNow());
                _transport!.Abort();
                _joins.Joined(_spec.Turn);
                return false;
            case NodeInput.Timer:
                Interlocked.Exchange(ref _timerDue, 0);
                Step(input);
                break;
            default:
                Step(input);
                break;
        }
        return true;
    }

    /// <summary>One input to the machine, through the runtime, which carries out its actions. A failing step is logged and costs nothing else.</summary>
    private void Step(NodeInput input)
    {
        var runtime = _runtime!;
        var now = _time.GetUtcNow();
        try
        {
            switch (input)
            {
                case NodeInput.Received r:
                    runtime.OnMessage(r.Connection, r.Message, now); // the transport already applied AnswerAtOnce
                    break;
                case NodeInput.Timer:
                    runtime.OnTimer(now);
                    break;
                case NodeInput.Connected c:
                    runtime.OnConnected(c.Connection, now);
                    break;
                case NodeInput.Closed c:
                    runtime.OnClosed(c.Connection, c.Reason, now);
                    break;
                case NodeInput.OwnGossipShed shed:
                    runtime.OnOwnGossipShed(shed.Connection, shed.Frames, now);
                    break;
                case NodeInput.DialFailed f:
                    runtime.OnDialFailed(f.Target, f.Purpose, f.Reason, now);
                    break;
                case NodeInput.DialMetOtherId m:
                    runtime.OnDialMetOtherId(m.Target, m.Purpose, m.Expected, m.Met, now);
                    break;
                case NodeInput.Begin:
                    runtime.Start(now);
                    break;
                case NodeInput.Stop:
                    runtime.Stop(now);
                    break;
                case NodeInput.Inspect inspect:
                    try
                    {
                        runtime.Apply((machine, _) => inspect.Action(machine), now);
                    }
                    finally
                    {
                        inspect.Done?.Invoke();
                    }
                    break;
            }
        }
        catch (Exception ex)
        {
            LogErrorStepFailed(_logger, Describe(input), ex);
        }
    }

    private static string Describe(NodeInput input) => input switch
    {
        NodeInput.Received => "message",
        NodeInput.Timer => "timer",
        NodeInput.Connected => "connection",
        NodeInput.Closed => "closed connection",
        NodeInput.OwnGossipShed => "frames dropped for the budget",
        NodeInput.DialFailed or NodeInput.DialMetOtherId => "failed dial",
        NodeInput.Begin => "start",
        NodeInput.Stop => "stop",
        _ => "command",
    };

    private void SignalJoinedOnce(NodeMachine machine)
    {
        if (!_joinedSignalled && machine is PeerMachine { Settled: true })
        {
            _joinedSignalled = true;
            _joins.Joined(_spec.Turn);
        }
    }

    private void OnTimerFired()
    {
        Volatile.Write(ref _armedFor, long.MaxValue);
        Interlocked.Exchange(ref _timerDue, 1);
        _inbox.Writer.TryWrite(NodeInput.Timer.Instance); // if the inbox is full, the flag still gets the timer handled
    }

    // ---- transport events: queued for the loop; waiting here slows that connection's reader ----

    ValueTask ITransportHandler.OnConnectedAsync(ConnectionInfo connection) => Post(new NodeInput.Connected(connection));

    ValueTask ITransportHandler.OnDialFailedAsync(NodeEndpoint target, string reason) => Post(new NodeInput.DialFailed(target, reason));

    ValueTask ITransportHandler.OnDialFailedAsync(NodeEndpoint target, LinkPurpose purpose, string reason) => Post(new NodeInput.DialFailed(target, reason, purpose));

    ValueTask ITransportHandler.OnDialMetOtherIdAsync(NodeEndpoint target, LinkPurpose purpose, Security.NodeId expected, Security.NodeId met, string reason) =>
        Post(new NodeInput.DialMetOtherId(target, purpose, expected, met));

    ValueTask ITransportHandler.OnOwnGossipShedAsync(ConnectionId connection, int frames) => Post(new NodeInput.OwnGossipShed(connection, frames));

    ValueTask ITransportHandler.OnMessageAsync(ConnectionId connection, Message message)
    {
        var input = new NodeInput.Received(connection, message);
        // Liveness first (NodeRuntime.GoesFirst): a liveness reply must not wait behind a gossip backlog, or a busy node
        // declares its live neighbours dead. Pongs go to a short lane the loop empties before and after every inbox item
        // (a Pong overtaking gossip of the same link changes nothing). The lane is bounded; beyond it a Pong waits in the
        // inbox like the rest.
        if (NodeRuntime.GoesFirst(message))
        {
            if (Interlocked.Increment(ref _livenessLaneCount) <= LivenessLaneCapacity)
            {
                _livenessLane.Enqueue(input);
                _inbox.Writer.TryWrite(Wake); // wakes an idle loop; a full inbox means the loop is busy and gets to the lane anyway
                return ValueTask.CompletedTask;
            }
            Interlocked.Decrement(ref _livenessLaneCount);
        }
        return Post(input);
    }

    ValueTask ITransportHandler.OnClosedAsync(ConnectionId connection, string reason) => Post(new NodeInput.Closed(connection, reason));

    Message? ITransportHandler.AnswerAtOnce(ConnectionInfo connection, Message message) =>
        NodeRuntime.AnswerAtOnce(message, connection.Role, _transportOptions.EchoPings);

    bool ITransportHandler.GoesFirst(Message message) => NodeRuntime.GoesFirst(message);

    private async ValueTask Post(NodeInput input)
    {
        if (_inbox.Writer.TryWrite(input))
        {
            return;
        }
        try
        {
            await _inbox.Writer.WriteAsync(input).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The node is down; what arrives now has nowhere to go.
        }
    }

    public override void Dispose()
    {
        _onNetworkStopping.Dispose();
        _timer?.Dispose();
        _transport?.Abort(); // no-op after a clean stop; releases the port when start-up failed half-way
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "CRASHING {Node} abruptly: no goodbye, every connection reset")]
    private static partial void LogWarningCrashing(ILogger logger, NodeEndpoint node);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling a {What} failed; the node carries on")]
    private static partial void LogErrorStepFailed(ILogger logger, string what, Exception exception);
}
