using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Simulation;

/// <summary>
/// A single-threaded, deterministic discrete-event simulation of a P2PSim network: the same
/// <see cref="SeedMachine"/> and <see cref="PeerMachine"/> the TCP shell drives, wired to an
/// in-memory network with virtual time. Each event is one call into one machine; the
/// machine's actions are carried out at once (a dial, send or close arrives one latency
/// later; a wake request becomes a timer event). Nothing depends on wall-clock time or on
/// thread scheduling, so a run is a function of its inputs and seeds.
/// <para>
/// Connections: a dial reaches its target after one latency; if the target runs, both sides
/// get <see cref="NodeMachine.OnConnected"/> then (the acceptor first, seeing the dialer's
/// listening endpoint and role, <c>Inbound = true</c>), else the dialer gets
/// <see cref="NodeMachine.OnDialFailed"/>. A close reaches the other side after one latency,
/// behind whatever was sent before it (aborts are not distinguished from flushed closes).
/// A node does not hear about closes it made itself. <see cref="Crash"/> stops a node at once
/// and resets its connections: the other ends learn it one latency later. Faults beyond a
/// crash (a clean <see cref="Stop"/>, a <see cref="Restart"/> on the same endpoint, a
/// <see cref="Partition"/> and <see cref="Heal"/>) are in <c>SimulatedNetwork.Faults.cs</c>.
/// </para>
/// <para>
/// Not thread-safe. An <see cref="INodeEventSink"/> is called in the middle of an event and
/// must not call back into the network; <see cref="Schedule"/> a callback instead.
/// </para>
/// </summary>
public sealed partial class SimulatedNetwork
{
    /// <summary>Virtual time zero: 2000-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset Epoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const string ClosedByRemote = "connection closed by the remote";
    private const string ResetByCrash = "connection reset (the remote stopped abruptly)";
    private const string Refused = "connection refused";
    private const string NoSuchHost = "no node listens there";
    private const string Unreachable = "network unreachable (partition)";
    private const string ResetByPartition = "connection reset (network partition)";

    private readonly SimulatedNetworkOptions _options;
    private readonly Random _random;
    private readonly INodeEventSink? _sink;
    private readonly EventScheduler<SimEvent> _queue;
    private readonly List<SimNode> _nodes = [];
    private NodeMachine[] _machines = new NodeMachine[64];
    private NodeRole[] _roles = new NodeRole[64];
    private bool[] _crashed = new bool[64];
    private bool[] _stopping = new bool[64];
    private byte[] _side = new byte[64];
    private bool[] _notDialable = new bool[64];
    private bool _partitioned;
    private readonly Dictionary<NodeEndpoint, int> _byEndpoint = new();
    private readonly long _latency;
    private readonly long _jitter;
    private readonly long _minimumTimerDelay;
    private readonly double _loss;
    private readonly bool _lossOnAll;
    private readonly bool _echoPings;
    private SimLink[] _links = new SimLink[1024];
    private int _linkCount;
    private long _now;
    private Message? _lastSized;
    private int _lastSize;
    private int _timerNode = -1;
    private bool _busy;

    /// <param name="options">The link model.</param>
    /// <param name="seed">Seed of the network's own random numbers (jitter and loss draws).</param>
    /// <param name="sink">Receives every node event; may be null.</param>
    public SimulatedNetwork(SimulatedNetworkOptions options, int seed, INodeEventSink? sink = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _random = new Random(seed);
        _sink = sink;
        _queue = new EventScheduler<SimEvent>(4096);
        _latency = options.Latency.Ticks;
        _jitter = options.Jitter.Ticks;
        _minimumTimerDelay = options.MinimumTimerDelay.Ticks;
        _loss = options.LossProbability;
        _lossOnAll = options.LossScope == LossScope.AllMessages;
        _echoPings = options.EchoPings;
    }

    public SimulatedNetworkOptions Options => _options;

    /// <summary>The current virtual time.</summary>
    public DateTimeOffset Now => new(Epoch.UtcTicks + _now, TimeSpan.Zero);

    /// <summary>Virtual time since <see cref="Epoch"/>.</summary>
    public TimeSpan Elapsed => new(_now);

    public NetworkCounters Counters { get; } = new();

    /// <summary>
    /// Called with the receiving node's index and the envelope whenever a payload (<see cref="Protocol.Gossip"/>) reaches a
    /// running node, just before the node handles it: what a measurement of where payloads went (a group message's
    /// copies that reached a non-member) needs. Like an <see cref="INodeEventSink"/> it must not call back into the network.
    /// </summary>
    public Action<int, Protocol.Gossip>? PayloadDelivered { get; set; }

    /// <summary>Events handled so far (stale timers included).</summary>
    public long EventsProcessed { get; private set; }

    /// <summary>Events waiting (stale timers included).</summary>
    public int PendingEvents => _queue.Count;

    public int NodeCount => _nodes.Count;

    /// <summary>Adds a node (not started yet: it refuses connections until <see cref="Start"/>). Returns its index.</summary>
    public int Add(NodeMachine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        if (!_byEndpoint.TryAdd(machine.Self, _nodes.Count))
        {
            throw new ArgumentException($"Another node already listens on {machine.Self}.", nameof(machine));
        }
        return AddNode(machine);
    }

    private int AddNode(NodeMachine machine)
    {
        var index = _nodes.Count;
        _nodes.Add(new SimNode(index, machine));
        if (index == _machines.Length)
        {
            Array.Resize(ref _machines, index * 2);
            Array.Resize(ref _roles, index * 2);
            Array.Resize(ref _crashed, index * 2);
            Array.Resize(ref _stopping, index * 2);
            Array.Resize(ref _side, index * 2);
            Array.Resize(ref _notDialable, index * 2);
        }
        // Dense copies of what every delivery checks, so the hot path touches fewer objects.
        _machines[index] = machine;
        _roles[index] = machine.Role;
        return index;
    }

    public NodeMachine Machine(int node) => _nodes[node].Machine;

    public NodeEndpoint Endpoint(int node) => _nodes[node].Endpoint;

    public bool TryGetNode(NodeEndpoint endpoint, out int node) => _byEndpoint.TryGetValue(endpoint, out node);

    /// <summary>Started, and neither crashed nor stopped (a node still saying goodbye runs).</summary>
    public bool IsRunning(int node) => _nodes[node].Running;

    public bool IsCrashed(int node) => _nodes[node].Crashed;

    /// <summary>
    /// Marks a node as one that cannot be dialled from outside (as behind a NAT; <c>Private:NotDialablePeers</c>): from
    /// now on every dial to it fails, refused as by a port that does not listen, while its own dials work. A restart on
    /// its endpoint keeps the mark.
    /// </summary>
    public void SetDialable(int node, bool dialable) => _notDialable[node] = !dialable;

    /// <summary>Whether dials to the node can reach it (see <see cref="SetDialable"/>).</summary>
    public bool IsDialable(int node) => !_notDialable[node];

    /// <summary>Dials the node issued whose outcome it has not been told yet.</summary>
    public int PendingDials(int node) => _nodes[node].PendingDials;

    /// <summary>Starts a node now: it begins to accept connections and its <see cref="NodeMachine.Start"/> runs.</summary>
    public void Start(int node)
    {
        var n = _nodes[node];
        if (n.Started)
        {
            throw new InvalidOperationException($"Node {n.Endpoint} was already started.");
        }
        EnterDriverCall();
        try
        {
            n.Started = true;
            NodeRuntime.Start(n.Machine, new NodeHost(this, node), Now);
            AfterStep(node);
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>Feeds an input to a running node now (for example <c>PeerMachine.Publish</c>) and carries out its actions.</summary>
    public void Apply(int node, Action<NodeMachine, DateTimeOffset> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var n = _nodes[node];
        if (!n.Running)
        {
            throw new InvalidOperationException($"Node {n.Endpoint} is not running.");
        }
        EnterDriverCall();
        try
        {
            NodeRuntime.Apply(n.Machine, new NodeHost(this, node), input, Now);
            AfterStep(node);
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>Runs <paramref name="action"/> on the simulation thread at virtual time <paramref name="at"/> (not earlier than now).</summary>
    public void Schedule(DateTimeOffset at, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var ticks = Math.Max(_now, at.UtcTicks - Epoch.UtcTicks);
        _queue.Enqueue(ticks, new SimEvent(SimEventKind.Callback, -1, 0, action));
    }

    /// <summary>The time of the next event, if any.</summary>
    public bool TryPeekNext(out DateTimeOffset at)
    {
        if (_queue.TryPeekTime(out var ticks))
        {
            at = new DateTimeOffset(Epoch.UtcTicks + ticks, TimeSpan.Zero);
            return true;
        }
        at = default;
        return false;
    }

    /// <summary>Handles the next event; false when nothing is scheduled.</summary>
    public bool Step()
    {
        if (!_queue.TryDequeue(out var time, out var e))
        {
            return false;
        }
        EnterDriverCall();
        _now = time;
        EventsProcessed++;
        try
        {
            switch (e.Kind)
            {
                case SimEventKind.Deliver:
                    OnDeliver(e);
                    break;
                case SimEventKind.Timer:
                    OnTimer(e);
                    break;
                case SimEventKind.Closed:
                    OnClosed(e);
                    break;
                case SimEventKind.DialArrive:
                    OnDialArrive(e);
                    break;
                case SimEventKind.Callback:
                    _busy = false;
                    ((Action)e.Payload!).Invoke();
                    break;
            }
        }
        finally
        {
            _busy = false;
            _timerNode = -1;
        }
        return true;
    }

    /// <summary>Handles every event due at or before <paramref name="at"/>, then moves the clock to it.</summary>
    public void AdvanceTo(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - Epoch.UtcTicks;
        while (_queue.TryPeekTime(out var next) && next <= ticks)
        {
            Step();
        }
        _now = Math.Max(_now, ticks);
    }

    // ---- events ----

    private void OnDeliver(in SimEvent e)
    {
        var message = (Message)e.Payload!;
        Counters.MessagesInFlight--;
        if (message.Type == MessageType.Gossip)
        {
            Counters.PayloadsInFlight--;
        }
        var node = e.Node;
        var end = (int)e.Arg;
        ref var link = ref _links[end >> 1];
        if (_crashed[node] || !link.IsOpen(end & 1) || link.Cut)
        {
            Counters.MessagesDropped++;
            return;
        }
        Counters.MessagesDelivered++;
        if (PayloadDelivered is { } probe && message is Protocol.Gossip payload)
        {
            probe(node, payload);
        }
        NodeRuntime.OnMessage(_machines[node], new NodeHost(this, node), _echoPings, new ConnectionId(end + 1L), message, _roles[link.Node(1 - (end & 1))], Now);
        AfterStep(node);
    }

    private void OnTimer(in SimEvent e)
    {
        var n = _nodes[e.Node];
        if (!n.Running || n.TimerGeneration != (int)e.Arg)
        {
            return;
        }
        _timerNode = n.Index;
        NodeRuntime.OnTimer(n.Machine, new NodeHost(this, n.Index), Now);
        AfterStep(n.Index);
        _timerNode = -1;
    }

    private void OnClosed(in SimEvent e)
    {
        var n = _nodes[e.Node];
        var end = (int)e.Arg;
        ref var link = ref _links[end >> 1];
        if (n.Crashed || !link.IsOpen(end & 1))
        {
            return;
        }
        link.SetClosed(end & 1);
        n.RemoveEnd(end);
        Counters.ConnectionsClosed++;
        NodeRuntime.OnClosed(n.Machine, new NodeHost(this, n.Index), new ConnectionId(end + 1L), (string)e.Payload!, Now);
        AfterStep(n.Index);
    }

    private void OnDialArrive(in SimEvent e)
    {
        var dialer = _nodes[e.Node];
        if (dialer.Crashed || dialer.Stopped)
        {
            return;
        }
        dialer.PendingDials--;
        var targetIndex = (int)e.Arg;
        var purpose = e.Payload is PurposedDial purposed ? purposed.Purpose : LinkPurpose.Overlay;
        if (targetIndex < 0 || !_nodes[targetIndex].Running || Blocked(dialer.Index, targetIndex) || _notDialable[targetIndex])
        {
            Counters.DialsFailed++;
            var target = targetIndex >= 0 ? _nodes[targetIndex].Endpoint : e.Payload is PurposedDial unknown ? unknown.Target : (NodeEndpoint)e.Payload!;
            var reason = targetIndex < 0 ? NoSuchHost : !_nodes[targetIndex].Running || _notDialable[targetIndex] ? Refused : Unreachable;
            if (purpose.IsOverlay)
            {
                NodeRuntime.OnDialFailed(dialer.Machine, new NodeHost(this, dialer.Index), target, reason, Now);
            }
            else
            {
                NodeRuntime.OnDialFailed(dialer.Machine, new NodeHost(this, dialer.Index), target, purpose, reason, Now);
            }
            AfterStep(dialer.Index);
            return;
        }
        var acceptor = _nodes[targetIndex];
        if (e.Payload is PurposedDial { Expected: { } expected } && expected != acceptor.Machine.Id)
        {
            // The handshake (not modelled: the node's id stands for what it proves) shows another id than the one expected:
            // the dialer refuses the link before its own proof, so the acceptor never sees it.
            Counters.DialsFailed++;
            NodeRuntime.OnDialMetOtherId(dialer.Machine, new NodeHost(this, dialer.Index), acceptor.Endpoint, purpose, expected, acceptor.Machine.Id, Now);
            AfterStep(dialer.Index);
            return;
        }
        if (_linkCount == _links.Length)
        {
            Array.Resize(ref _links, _links.Length * 2);
        }
        var linkIndex = _linkCount++;
        _links[linkIndex] = new SimLink
        {
            Dialer = dialer.Index,
            Acceptor = acceptor.Index,
            DialerOpen = true,
            AcceptorOpen = true,
            LastArrivalAtAcceptor = _now,
            LastArrivalAtDialer = _now,
        };
        var dialerEnd = linkIndex * 2;
        var acceptorEnd = dialerEnd + 1;
        dialer.OpenEnds.Add(dialerEnd);
        acceptor.OpenEnds.Add(acceptorEnd);
        Counters.ConnectionsOpened++;
        var now = Now;
        NodeRuntime.OnConnected(acceptor.Machine, new NodeHost(this, acceptor.Index), new ConnectionInfo(new ConnectionId(acceptorEnd + 1L), dialer.Endpoint, dialer.Role, Inbound: true, dialer.AddressText, purpose, dialer.Machine.Id), now);
        AfterStep(acceptor.Index);
        if (_links[linkIndex].DialerOpen)
        {
            NodeRuntime.OnConnected(dialer.Machine, new NodeHost(this, dialer.Index), new ConnectionInfo(new ConnectionId(dialerEnd + 1L), acceptor.Endpoint, acceptor.Role, Inbound: false, acceptor.AddressText, purpose, acceptor.Machine.Id), now);
            AfterStep(dialer.Index);
        }
    }

    // ---- actions ----

    /// <summary>After each input to a node: a stopping node goes down once it owes nothing more.</summary>
    private void AfterStep(int node)
    {
        if (_stopping[node])
        {
            FinishStopWhenComplete(_nodes[node]);
        }
    }

    private void DoSend(int sender, ConnectionId connection, Message message)
    {
        var end = EndOf(sender, connection);
        ref var link = ref _links[end >> 1];
        if (!link.IsOpen(end & 1))
        {
            Counters.SendsOnClosed++;
            return;
        }
        if (!ReferenceEquals(message, _lastSized))
        {
            // A broadcast hands the same message object to every neighbour: size it once.
            _lastSize = FrameCodec.FrameSize(message);
            _lastSized = message;
        }
        var size = _lastSize;
        var isPayload = message.Type == MessageType.Gossip;
        Counters.MessagesSent++;
        Counters.BytesSent += size;
        if (isPayload)
        {
            Counters.PayloadTransmissions++;
            Counters.PayloadBytes += size;
        }
        else if (message.Type == MessageType.DirectAck)
        {
            Counters.DirectAcks++;
        }
        else
        {
            Counters.TreeControlCounter.Count(message.Type, size);
        }
        if (_loss > 0 && (isPayload || _lossOnAll) && _random.NextDouble() < _loss)
        {
            Counters.MessagesLost++;
            return;
        }
        var side = 1 - (end & 1);
        var receiver = link.Node(side);
        if (_crashed[receiver] || !link.IsOpen(side) || link.Cut)
        {
            Counters.MessagesDropped++; // would be dropped on arrival anyway
            return;
        }
        var delay = _latency;
        if (_jitter > 0)
        {
            delay += (long)(_random.NextDouble() * _jitter);
        }
        var arrival = link.NextArrival(side, _now + delay);
        Counters.MessagesInFlight++;
        if (isPayload)
        {
            Counters.PayloadsInFlight++;
        }
        _queue.Enqueue(arrival, new SimEvent(SimEventKind.Deliver, receiver, end ^ 1, message));
    }

    private void DoClose(SimNode node, ConnectionId connection)
    {
        var end = EndOf(node.Index, connection);
        ref var link = ref _links[end >> 1];
        if (!link.IsOpen(end & 1))
        {
            return;
        }
        link.SetClosed(end & 1);
        node.RemoveEnd(end);
        Counters.ConnectionsClosed++;
        NotifyClosed(end >> 1, 1 - (end & 1), ClosedByRemote);
    }

    /// <summary>Tells end <paramref name="side"/> of link <paramref name="linkIndex"/>, one latency from now and behind what is in flight, that the connection is gone.</summary>
    private void NotifyClosed(int linkIndex, int side, string reason)
    {
        ref var link = ref _links[linkIndex];
        var other = _nodes[link.Node(side)];
        if (!link.IsOpen(side) || other.Crashed)
        {
            return;
        }
        var arrival = link.NextArrival(side, _now + _latency);
        _queue.Enqueue(arrival, new SimEvent(SimEventKind.Closed, other.Index, (linkIndex * 2) + side, reason));
    }

    private void DoWake(SimNode node, DateTimeOffset due)
    {
        var ticks = due.UtcTicks - Epoch.UtcTicks;
        if (ticks <= _now)
        {
            ticks = _timerNode == node.Index ? _now + _minimumTimerDelay : _now;
        }
        var generation = ++node.TimerGeneration;
        _queue.Enqueue(ticks, new SimEvent(SimEventKind.Timer, node.Index, generation, null));
    }

    private void DoDial(SimNode dialer, NodeEndpoint target, LinkPurpose purpose = default, NodeId? expected = null)
    {
        Counters.DialsAttempted++;
        dialer.PendingDials++;
        var known = _byEndpoint.TryGetValue(target, out var targetIndex);
        // An overlay dial to any id carries nothing but the target's index; another purpose or an expected id rides along.
        object? payload = !purpose.IsOverlay || expected is not null ? new PurposedDial(target, purpose) { Expected = expected } : known ? null : target;
        _queue.Enqueue(_now + _latency, new SimEvent(SimEventKind.DialArrive, dialer.Index, known ? targetIndex : -1, payload));
    }

    /// <summary>
    /// A dial for a group's or a direct link, or one that expects an id at its target: what the dial event carries besides
    /// the target's index.
    /// </summary>
    private sealed record PurposedDial(NodeEndpoint Target, LinkPurpose Purpose)
    {
        /// <summary>The id the dialer expects at the target (<see cref="Dial.ExpectedId"/>); null: any.</summary>
        public NodeId? Expected { get; init; }
    }

    private int EndOf(int node, ConnectionId connection)
    {
        var end = connection.Value - 1;
        if (end < 0 || end >= _linkCount * 2L || _links[end >> 1].Node((int)(end & 1)) != node)
        {
            throw new InvalidOperationException($"Node {_nodes[node].Endpoint} used connection {connection}, which is not one of its own.");
        }
        return (int)end;
    }

    private void EnterDriverCall()
    {
        if (_busy)
        {
            throw new InvalidOperationException("The simulated network was called from inside a node event; schedule a callback instead.");
        }
        _busy = true;
    }
}
