namespace P2PSim.Simulation;

/// <summary>
/// One simulated connection. End 0 belongs to the dialer, end 1 to the acceptor; a node's
/// <see cref="Nodes.ConnectionId"/> for its end is <c>link * 2 + side + 1</c>. Each direction
/// remembers its latest arrival time so that jitter never reorders a direction (FIFO).
/// </summary>
internal struct SimLink
{
    public int Dialer;
    public int Acceptor;
    public bool DialerOpen;
    public bool AcceptorOpen;

    /// <summary>A partition reset this connection: nothing on it arrives any more (both ends are being told).</summary>
    public bool Cut;

    /// <summary>Latest arrival scheduled towards the acceptor (ticks).</summary>
    public long LastArrivalAtAcceptor;

    /// <summary>Latest arrival scheduled towards the dialer (ticks).</summary>
    public long LastArrivalAtDialer;

    public readonly int Node(int side) => side == 0 ? Dialer : Acceptor;

    public readonly bool IsOpen(int side) => side == 0 ? DialerOpen : AcceptorOpen;

    public void SetClosed(int side)
    {
        if (side == 0)
        {
            DialerOpen = false;
        }
        else
        {
            AcceptorOpen = false;
        }
    }

    /// <summary>Arrival time at end <paramref name="side"/> for something leaving the other end now, keeping FIFO order.</summary>
    public long NextArrival(int side, long earliest)
    {
        if (side == 0)
        {
            LastArrivalAtDialer = Math.Max(earliest, LastArrivalAtDialer);
            return LastArrivalAtDialer;
        }
        LastArrivalAtAcceptor = Math.Max(earliest, LastArrivalAtAcceptor);
        return LastArrivalAtAcceptor;
    }
}
