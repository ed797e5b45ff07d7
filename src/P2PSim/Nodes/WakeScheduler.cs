namespace P2PSim.Nodes;

/// <summary>
/// A node's one timer, shared by its parts: each part says when it next needs the clock (its deadline, or none), the
/// node asks for a wake-up at the earliest of them, and asks again only when that moment changed. Seeds and peers use
/// it alike. The driver keeps only the latest <see cref="WakeAt"/> of a node, so one request at a time is enough.
/// </summary>
public sealed class WakeScheduler(Outbox outbox)
{
    private DateTimeOffset? _requested;

    /// <summary>The wake-up asked for and not yet delivered, if any.</summary>
    public DateTimeOffset? Requested => _requested;

    /// <summary>The timer fired: the request is used up, the next <see cref="Request"/> asks anew.</summary>
    public void Fired() => _requested = null;

    /// <summary>Asks for a wake-up at <paramref name="due"/> unless exactly that is already asked for; none when null.</summary>
    public void Request(DateTimeOffset? due)
    {
        if (due is { } at && at != _requested)
        {
            _requested = at;
            outbox.WakeAt(at);
        }
    }

    /// <summary>The earlier of two optional deadlines.</summary>
    public static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is not { } x ? b : b is not { } y ? a : x <= y ? x : y;
}
