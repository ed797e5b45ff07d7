using P2PSim.Configuration;

namespace P2PSim.Transport;

/// <summary>
/// The open files (sockets) of the process, shared by every node's transport: all nodes of a run live in one process and
/// under one open-file limit (<c>ulimit -n</c>), so a client that floods one node with connections must not be able to
/// take the files the others need, nor the ones the runtime itself needs (past the limit it fails to create its own
/// handles and the process aborts). Every transport charges its listening socket, each socket it dials and each
/// connection it accepts, and gives each back when it is closed.
/// <list type="bullet">
/// <item><b>Reserve</b>: <see cref="OpenFileLimit.Overhead"/> files plus a sixteenth of the limit are never used by
/// nodes' sockets: they are the runtime's, the log files', and room for an accept that is refused at once.</item>
/// <item><b>Inbound, fair share</b>: an accepted connection is admitted only while the sockets held stay within the
/// limit less the reserve, and then if its node holds fewer than <see cref="GuaranteedInbound"/> inbound connections, or
/// no more than what is left free after it: the dynamic threshold of <see cref="QueueBudget"/> again (Choudhury and
/// Hahne). One flooded node gets at most half of the free files, n flooded nodes 1/(n+1) each, and a node that is not
/// flooded always finds room for its neighbours.</item>
/// <item><b>Dials</b> are the node's own, steady links (start-up checked that they fit): admitted up to the limit less
/// half of the reserve.</item>
/// </list>
/// Where the limit cannot be read (not Linux), nothing is refused. Lock-free: one compare-and-swap per charge.
/// </summary>
public sealed class FileBudget
{
    /// <summary>Inbound connections every node may hold while the process is within its budget, whatever the fair shares.</summary>
    public const int GuaranteedInbound = 16;

    private long _held;
    private long _refusedInbound;
    private long _refusedDials;

    /// <summary>A budget for <paramref name="limit"/> open files (null: unknown, nothing is refused).</summary>
    public FileBudget(long? limit)
    {
        Limit = limit is { } l && l > 0 ? l : null;
        Reserve = Limit is { } max ? Math.Min(max / 2, OpenFileLimit.Overhead + (max / 16)) : 0;
    }

    /// <summary>The budget of this process, from its soft open-file limit (read once).</summary>
    public static FileBudget Process { get; } = new(OpenFileLimit.Current());

    /// <summary>The process's open-file limit, or null where it is unknown.</summary>
    public long? Limit { get; }

    /// <summary>Files never given to nodes' accepted connections (see the class).</summary>
    public long Reserve { get; }

    /// <summary>Sockets the nodes may hold for accepted connections and everything else they hold.</summary>
    public long Usable => Limit is { } max ? max - Reserve : long.MaxValue;

    /// <summary>Sockets every transport holds now (listeners, dialed and accepted connections).</summary>
    public long Held => Interlocked.Read(ref _held);

    /// <summary>Accepted connections refused because the node had used up its share.</summary>
    public long RefusedInbound => Interlocked.Read(ref _refusedInbound);

    /// <summary>Dials refused because the process's files were nearly used up.</summary>
    public long RefusedDials => Interlocked.Read(ref _refusedDials);

    /// <summary>
    /// Charges an accepted connection of a node that holds <paramref name="nodeInbound"/> inbound connections besides it;
    /// false (and nothing charged) when the process is out of budget or the node past its share.
    /// </summary>
    public bool TryTakeInbound(int nodeInbound)
    {
        var usable = Usable;
        while (true)
        {
            var held = Interlocked.Read(ref _held);
            var free = usable - (held + 1); // left after this one
            if (free < 0 || (nodeInbound >= GuaranteedInbound && nodeInbound + 1 > free))
            {
                Interlocked.Increment(ref _refusedInbound);
                return false;
            }
            if (Interlocked.CompareExchange(ref _held, held + 1, held) == held)
            {
                return true;
            }
        }
    }

    /// <summary>Charges a socket this node dials; false (nothing charged) when the process's files are nearly used up.</summary>
    public bool TryTakeDial()
    {
        var ceiling = Limit is { } max ? max - (Reserve / 2) : long.MaxValue;
        while (true)
        {
            var held = Interlocked.Read(ref _held);
            if (held + 1 > ceiling)
            {
                Interlocked.Increment(ref _refusedDials);
                return false;
            }
            if (Interlocked.CompareExchange(ref _held, held + 1, held) == held)
            {
                return true;
            }
        }
    }

    /// <summary>Charges a socket that is needed whatever the budget (a node's listening socket).</summary>
    public void Take() => Interlocked.Increment(ref _held);

    /// <summary>Gives back one socket charged before.</summary>
    public void Give()
    {
        var held = Interlocked.Decrement(ref _held);
        System.Diagnostics.Debug.Assert(held >= 0, "a file was given back that was never charged");
    }
}
