namespace P2PSim.Transport;

/// <summary>
/// Counting: open connections, frames dropped (at full send queues, or for the process queue budget), Pings echoed, the
/// most frames ever queued on one connection, bytes queued, and the frames and bytes every connection wrote and decoded
/// (ended ones included), for <see cref="GetStats"/>.
/// </summary>
public sealed partial class TcpTransport
{
    private readonly long[] _dropped = new long[3];
    private readonly long[] _budgetDropped = new long[3];
    private readonly object _endedGate = new();
    private WireCounts _endedSent;
    private WireCounts _endedReceived;
    private long _echoed;
    private int _peakQueued;

    public int OpenConnections => _connections.Count(static p => p.Value.Info is not null && !p.Value.IsClosing);

    public long DroppedFrames => Drops.Total;

    public FrameDrops Drops => Read(_dropped);

    /// <summary>The part of <see cref="Drops"/> that the process queue budget refused (sending and receiving).</summary>
    public FrameDrops BudgetDrops => Read(_budgetDropped);

    private static FrameDrops Read(long[] counts) => new(
        Interlocked.Read(ref counts[(int)SendClass.Control]),
        Interlocked.Read(ref counts[(int)SendClass.OwnGossip]),
        Interlocked.Read(ref counts[(int)SendClass.ForwardedGossip]));

    public TransportStats GetStats()
    {
        var queued = 0;
        var queuedBytes = 0L;
        var waiting = 0;
        var peak = Volatile.Read(ref _peakQueued);
        WireCounts sent, received;
        lock (_endedGate)
        {
            (sent, received) = (_endedSent, _endedReceived);
        }
        foreach (var (_, connection) in _connections)
        {
            queued += connection.QueuedFrames;
            queuedBytes += connection.QueuedBytes;
            waiting += connection.ReceivedWaiting;
            peak = Math.Max(peak, connection.PeakQueuedFrames);
            sent += connection.Sent;
            received += connection.Received;
        }
        return new TransportStats(OpenConnections, InboundConnections, Interlocked.Read(ref _refused), Drops, queued, peak, waiting, Interlocked.Read(ref _echoed), sent, received,
            queuedBytes, BudgetDrops, Budget.GetStats(), RefusedPerAddress, RefusedForFiles, OutOfFiles, RejectedInputs);
    }

    /// <summary>Counts a dropped frame of <paramref name="sendClass"/>; <paramref name="budget"/>: the process queue budget refused it.</summary>
    internal void CountDrop(SendClass sendClass, bool budget)
    {
        Interlocked.Increment(ref _dropped[(int)sendClass]);
        if (budget)
        {
            Interlocked.Increment(ref _budgetDropped[(int)sendClass]);
        }
    }

    internal void CountEcho() => Interlocked.Increment(ref _echoed);

    private long _badProofs;

    /// <summary>Handshakes refused because the remote's HelloProof did not verify for the id its Hello claimed.</summary>
    public long RefusedProofs => Interlocked.Read(ref _badProofs);

    internal void CountBadProof() => Interlocked.Increment(ref _badProofs);

    private long _rejectedInputs;

    /// <summary>Connections closed for bad input: a frame or TLS record it could not take, a bad handshake, a stall (each also logged, rate-limited).</summary>
    public long RejectedInputs => Interlocked.Read(ref _rejectedInputs);

    internal void CountRejectedInput() => Interlocked.Increment(ref _rejectedInputs);

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }
}
