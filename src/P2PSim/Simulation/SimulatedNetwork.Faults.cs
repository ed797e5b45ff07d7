using P2PSim.Nodes;

namespace P2PSim.Simulation;

/// <summary>The faults a driver can inject: crash, clean stop, restart on the same endpoint, partition and heal.</summary>
public sealed partial class SimulatedNetwork
{
    /// <summary>
    /// Stops a node abruptly, like a killed process: it handles nothing more, what was on its
    /// way to it is lost, and the other end of each of its connections is told one latency later.
    /// </summary>
    public void Crash(int node)
    {
        var n = _nodes[node];
        if (n.Crashed)
        {
            return;
        }
        EnterDriverCall();
        n.Crashed = true;
        _crashed[node] = true;
        _stopping[node] = false;
        n.TimerGeneration++;
        foreach (var end in n.OpenEnds)
        {
            _links[end >> 1].SetClosed(end & 1);
            Counters.ConnectionsClosed++;
            NotifyClosed(end >> 1, 1 - (end & 1), ResetByCrash);
        }
        n.OpenEnds.Clear();
        _busy = false;
    }

    /// <summary>
    /// Stops a running node cleanly, like a process shutting down: its <see cref="NodeMachine.Stop"/> runs now
    /// (goodbyes), it keeps handling events until <see cref="NodeMachine.StopComplete"/> or until
    /// <paramref name="grace"/> has passed, and then every connection it still has is closed after what was
    /// sent on it (the other ends learn it one latency later, behind that traffic). From then on it refuses
    /// connections. It counts as running until then.
    /// </summary>
    public void Stop(int node, TimeSpan grace)
    {
        var n = _nodes[node];
        if (!n.Running)
        {
            throw new InvalidOperationException($"Node {n.Endpoint} is not running.");
        }
        if (n.Stopping)
        {
            return;
        }
        EnterDriverCall();
        try
        {
            n.Stopping = true;
            _stopping[node] = true;
            NodeRuntime.Stop(n.Machine, new NodeHost(this, node), Now);
            AfterStep(node);
        }
        finally
        {
            _busy = false;
        }
        if (!n.Stopped)
        {
            Schedule(Now + grace, () => FinishStop(n));
        }
    }

    /// <summary>True from <see cref="Stop"/> until the node is down.</summary>
    public bool IsStopping(int node) => _nodes[node].Stopping && !_nodes[node].Stopped;

    /// <summary>
    /// Brings a crashed node back as a new process on the same endpoint: <paramref name="machine"/> (with fresh
    /// state) becomes a new node with its own index (returned; start it with <see cref="Start"/>), and dials to
    /// the endpoint reach it from now on. The crashed node stays crashed, so nothing addressed to the old process
    /// (its timers, its connections, dials it had under way) ever reaches the new one.
    /// </summary>
    public int Restart(int crashedNode, NodeMachine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var old = _nodes[crashedNode];
        if (!old.Crashed)
        {
            throw new InvalidOperationException($"Node {old.Endpoint} has not crashed; only a crashed node can be restarted.");
        }
        if (machine.Self != old.Endpoint)
        {
            throw new ArgumentException($"A restart must listen on {old.Endpoint}, not {machine.Self}.", nameof(machine));
        }
        var index = AddNode(machine);
        _byEndpoint[machine.Self] = index;
        _notDialable[index] = _notDialable[crashedNode];
        return index;
    }

    /// <summary>
    /// Cuts the network in two: until <see cref="Heal"/>, no node of <paramref name="sideA"/> reaches a node of
    /// <paramref name="sideB"/> or the reverse. Dials across fail ("network unreachable"); every open connection
    /// across is reset (what is in flight on it is lost, and both ends learn it one latency later). Nodes in
    /// neither side (the seeds, say) still reach both. Replaces any earlier partition.
    /// </summary>
    public void Partition(IEnumerable<int> sideA, IEnumerable<int> sideB)
    {
        ArgumentNullException.ThrowIfNull(sideA);
        ArgumentNullException.ThrowIfNull(sideB);
        var a = sideA.ToArray();
        var b = sideB.ToArray();
        EnterDriverCall();
        try
        {
            Array.Clear(_side);
            foreach (var node in a)
            {
                _side[node] = 1;
            }
            foreach (var node in b)
            {
                if (_side[node] == 1)
                {
                    throw new ArgumentException($"Node {_nodes[node].Endpoint} is on both sides of the partition.", nameof(sideB));
                }
                _side[node] = 2;
            }
            _partitioned = true;
            foreach (var node in a.Concat(b))
            {
                foreach (var end in _nodes[node].OpenEnds)
                {
                    CutIfAcross(end >> 1);
                }
            }
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>Ends the partition: dials across work again. Connections it reset stay gone; nodes dial anew.</summary>
    public void Heal()
    {
        _partitioned = false;
        Array.Clear(_side);
    }

    /// <summary>True between <see cref="Partition"/> and <see cref="Heal"/>.</summary>
    public bool IsPartitioned => _partitioned;

    /// <summary>Connections reset by partitions so far.</summary>
    public long ConnectionsCut { get; private set; }

    /// <summary>True when a partition separates the two nodes.</summary>
    private bool Blocked(int a, int b) => _partitioned && _side[a] != 0 && _side[b] != 0 && _side[a] != _side[b];

    private void CutIfAcross(int linkIndex)
    {
        ref var link = ref _links[linkIndex];
        if (link.Cut || !Blocked(link.Dialer, link.Acceptor))
        {
            return;
        }
        link.Cut = true;
        ConnectionsCut++;
        NotifyClosed(linkIndex, 0, ResetByPartition);
        NotifyClosed(linkIndex, 1, ResetByPartition);
    }

    private void FinishStopWhenComplete(SimNode node)
    {
        if (node.Machine.StopComplete)
        {
            FinishStop(node);
        }
    }

    /// <summary>The stopping node goes down: its remaining connections close after what was sent on them.</summary>
    private void FinishStop(SimNode node)
    {
        if (node.Stopped || node.Crashed)
        {
            return;
        }
        node.Stopped = true;
        _stopping[node.Index] = false;
        node.TimerGeneration++;
        foreach (var end in node.OpenEnds)
        {
            _links[end >> 1].SetClosed(end & 1);
            Counters.ConnectionsClosed++;
            NotifyClosed(end >> 1, 1 - (end & 1), ClosedByRemote);
        }
        node.OpenEnds.Clear();
    }
}
