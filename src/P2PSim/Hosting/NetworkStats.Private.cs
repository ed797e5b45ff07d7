using System.Globalization;
using System.Text;
using P2PSim.Nodes;

namespace P2PSim.Hosting;

/// <summary>
/// The account of private messages: sent by this process's peers, delivered and acknowledged (through a seed or not),
/// undeliverable, still awaiting their acknowledgement; and deliveries to this process's peers. Counted without the
/// stats lock.
/// </summary>
public sealed partial class NetworkStats
{
    private long _privateSent;
    private long _privateAcknowledged;
    private long _privateRelayed;
    private long _privateUndeliverable;
    private long _privateDelivered;

    /// <summary>The private messages of this process's peers so far.</summary>
    public PrivateDelivery Private => new(
        Interlocked.Read(ref _privateSent), Interlocked.Read(ref _privateAcknowledged), Interlocked.Read(ref _privateRelayed),
        Interlocked.Read(ref _privateUndeliverable), Interlocked.Read(ref _privateDelivered));

    /// <summary>Counts a private-message event; false when <paramref name="e"/> is none.</summary>
    private bool RecordPrivate(NodeEvent e)
    {
        switch (e)
        {
            case PrivateSent:
                Interlocked.Increment(ref _privateSent);
                return true;
            case PrivateAcknowledged a:
                Interlocked.Increment(ref _privateAcknowledged);
                if (a.RelayedBy is not null)
                {
                    Interlocked.Increment(ref _privateRelayed);
                }
                return true;
            case PrivateUndeliverable:
                Interlocked.Increment(ref _privateUndeliverable);
                return true;
            case PrivateDelivered:
                Interlocked.Increment(ref _privateDelivered);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The summary's line on private messages (none when no peer here sent or received one).</summary>
    private void AppendPrivate(StringBuilder sb)
    {
        var p = Private;
        if (p.Sent == 0 && p.Received == 0)
        {
            return;
        }
        sb.AppendLine(FormatPrivate(p, OneSlice));
    }

    /// <summary><c>Private messages: 3 sent, 3 delivered and acknowledged (1 relayed by a seed), 0 undeliverable</c>.</summary>
    public static string FormatPrivate(PrivateDelivery p, bool oneSlice = false)
    {
        ArgumentNullException.ThrowIfNull(p);
        var inv = CultureInfo.InvariantCulture;
        var line = new StringBuilder();
        line.Append(inv, $"Private messages: {p.Sent} sent{(oneSlice ? " here" : "")}, {p.Acknowledged} delivered and acknowledged");
        if (p.Relayed > 0)
        {
            line.Append(inv, $" ({p.Relayed} relayed by a seed)");
        }
        line.Append(inv, $", {p.Undeliverable} undeliverable");
        if (p.Pending > 0)
        {
            line.Append(inv, $", {p.Pending} still awaiting the acknowledgement");
        }
        if (oneSlice)
        {
            line.Append(inv, $"; {p.Received} received here");
        }
        return line.ToString();
    }
}

/// <summary>
/// Private messages: <paramref name="Sent"/> by this process's peers, <paramref name="Acknowledged"/> by their recipients
/// (<paramref name="Relayed"/> of them through a seed), <paramref name="Undeliverable"/>; <paramref name="Received"/>:
/// delivered to this process's peers.
/// </summary>
public sealed record PrivateDelivery(long Sent, long Acknowledged, long Relayed, long Undeliverable, long Received)
{
    /// <summary>Sent and neither acknowledged nor given up yet.</summary>
    public long Pending => Sent - Acknowledged - Undeliverable;
}
