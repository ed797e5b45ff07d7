namespace P2PSim.Simulation;

/// <summary>What a scheduled simulation event does when its time comes.</summary>
internal enum SimEventKind : byte
{
    /// <summary>A node's timer (<see cref="SimEvent.Arg"/> is the wake generation; stale ones are skipped).</summary>
    Timer,

    /// <summary>A dial reaches its target (<see cref="SimEvent.Arg"/> is the target node or -1).</summary>
    DialArrive,

    /// <summary>A message reaches a connection end (<see cref="SimEvent.Arg"/> is the end).</summary>
    Deliver,

    /// <summary>The remote closed (or crashed): the end's node learns the connection is gone.</summary>
    Closed,

    /// <summary>A driver callback (<see cref="SimEvent.Payload"/> is an <see cref="Action"/>).</summary>
    Callback,
}

/// <summary>One scheduled event, stored inline in the <see cref="EventScheduler{T}"/> (no allocation).</summary>
internal readonly struct SimEvent(SimEventKind kind, int node, long arg, object? payload)
{
    public readonly object? Payload = payload;
    public readonly long Arg = arg;
    public readonly int Node = node;
    public readonly SimEventKind Kind = kind;
}
