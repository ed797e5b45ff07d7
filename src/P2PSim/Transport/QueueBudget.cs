namespace P2PSim.Transport;

/// <summary>
/// The process-wide budget for queued frame bytes (Transport:ProcessQueueBytes): every send queue and every receive
/// queue of every transport in the process charges the wire bytes of the frames it holds to one shared instance and
/// gives them back when a frame leaves (written, handed to the node, or thrown away with its connection). The host
/// creates one; a transport started on its own makes its own. See TRANSPORT.md, "The process queue budget".
/// <para>
/// Each queue holds an <see cref="Account"/>. A gossip frame is admitted only while the total stays within the budget,
/// and then when its account would stay within <see cref="GuaranteedBytes"/> (or the account is empty: one frame always
/// fits), or else when the account would hold no more than what is left free under the frame's class ceiling after it:
/// <c>used + size &lt;= ceiling - (total + size)</c>. That is the dynamic threshold of shared-memory switches (Choudhury and Hahne): one busy queue
/// gets at most half of the ceiling, n busy queues at most 1/(n+1) each, and a new queue always finds room.
/// </para>
/// <para>
/// The ceilings order the refusals: forwarded gossip still to be sent, three quarters of the budget; forwarded gossip
/// received, seven eighths (a frame refused before the wire costs nothing yet, one refused after it wasted the
/// sender's and the receiver's work); own gossip, either way, the whole budget. Control frames are never refused
/// here: they are charged (bounded per connection by Transport:ControlQueueCapacity and Transport:ReceiveQueueBytes)
/// and may push the total past the budget; gossip never does.
/// </para>
/// <para>
/// Fairness among origins (<c>QueueBudget.Origins.cs</c>): while one origin holds more than
/// <see cref="LightOriginBytes"/>, a gossip frame of any other origin that holds little is admitted past the shares and
/// the ceilings, up to the budget itself, so a flood of one origin's valid messages cannot crowd out everyone else's.
/// </para>
/// Thread-safe: the total is reserved with a compare-and-swap, so gossip never takes it past a ceiling; an account is
/// normally used under its queue's lock, but any thread may charge or release it.
/// </summary>
public sealed partial class QueueBudget
{
    /// <summary>What every queue may hold while the total is within the budget, whatever the ceilings and the fair shares: a few gossip frames.</summary>
    public const int GuaranteedBytes = 512;

    /// <summary>Default budget per node of the process (Transport:ProcessQueueBytes = 0); see TRANSPORT.md for the arithmetic.</summary>
    public const long DefaultBytesPerNode = 8 * 1024;

    /// <summary>The default is never below this, so a small network is not starved (a catch-up reply alone can be 64 KiB).</summary>
    public const long MinimumDefaultBytes = 8 * 1024 * 1024;

    private readonly long[][] _ceilings; // per QueueSide, per SendClass
    private long _total;
    private long _peak;
    private long _droppedOwn;
    private long _droppedForwarded;
    private long _droppedAnnouncements;

    public QueueBudget(long limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limitBytes, 1);
        LimitBytes = limitBytes;
        _ceilings =
        [
            [long.MaxValue, limitBytes, limitBytes - (limitBytes / 4)], // to send
            [long.MaxValue, limitBytes, limitBytes - (limitBytes / 8)], // received
        ];
        AnnouncementCeiling = limitBytes / 2;
        LightOriginBytes = Math.Max(GuaranteedBytes, limitBytes / 16);
    }

    /// <summary>
    /// Most bytes an announcement (a broadcast tree's IHave, forwarded gossip by class) may bring the total to, sent or
    /// received: half the budget, so announcements are refused before any payload. They are the tree's safety net, and
    /// its biggest frames: at 500 peers a spanning tree's announcements were three quarters of every byte queued, and
    /// crowded out the payloads they announce.
    /// </summary>
    public long AnnouncementCeiling { get; }

    /// <summary>The part of <see cref="Drops"/>' forwarded gossip that were announcements.</summary>
    public long DroppedAnnouncements => Volatile.Read(ref _droppedAnnouncements);

    /// <summary>The budget for a process of <paramref name="nodes"/> nodes: <paramref name="configured"/>, or the default when that is 0.</summary>
    public static long BytesFor(long configured, int nodes) =>
        configured > 0 ? configured : Math.Max(MinimumDefaultBytes, DefaultBytesPerNode * Math.Max(1, nodes));

    public long LimitBytes { get; }

    /// <summary>Bytes charged right now, over every account.</summary>
    public long QueuedBytes => Volatile.Read(ref _total);

    /// <summary>Most bytes ever charged at once.</summary>
    public long PeakQueuedBytes => Volatile.Read(ref _peak);

    /// <summary>Gossip frames refused because the budget was used up, per class (control is never refused).</summary>
    public FrameDrops Drops => new(0, Volatile.Read(ref _droppedOwn), Volatile.Read(ref _droppedForwarded));

    /// <summary>Most bytes a frame of <paramref name="sendClass"/> in a queue of <paramref name="side"/> may bring the total to (beyond the guaranteed shares).</summary>
    public long Ceiling(SendClass sendClass, QueueSide side = QueueSide.Send) => _ceilings[(int)side][(int)sendClass];

    public BudgetStats GetStats() => new(LimitBytes, QueuedBytes, PeakQueuedBytes, Drops, DroppedAnnouncements);

    /// <summary>A new, empty account for one queue of frames to send, or of frames received.</summary>
    public Account Open(QueueSide side = QueueSide.Send) => new(this, side);

    /// <summary>
    /// Charges <paramref name="bytes"/> to <paramref name="account"/> if the rules admit a frame of <paramref name="sendClass"/>;
    /// false (and the drop is counted) when they do not. Control is always admitted.
    /// </summary>
    /// <param name="announcement">The frame is an announcement (IHave): its ceiling is <see cref="AnnouncementCeiling"/>.</param>
    /// <param name="origin">
    /// The frame's origin (<see cref="OriginKey(P2PSim.Protocol.Message)"/>; 0: none): its bytes are counted for that origin until they are
    /// released with the same key, and a light origin is let past the shares while a heavy one holds the room.
    /// </param>
    public bool TryCharge(Account account, int bytes, SendClass sendClass, bool announcement = false, int origin = 0)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        CheckOwner(account);
        var ceiling = announcement && sendClass != SendClass.Control ? AnnouncementCeiling : _ceilings[(int)account.Side][(int)sendClass];
        var held = account.Used;
        var guaranteed = held == 0 || held + bytes <= GuaranteedBytes;
        bool? beside = null; // a light origin beside a heavy one: judged once, when the shares would refuse it
        long total;
        while (true)
        {
            total = Volatile.Read(ref _total);
            if (sendClass != SendClass.Control
                && (total + bytes > LimitBytes
                    || (!guaranteed && held + bytes > ceiling - (total + bytes) && !(beside ??= LightBesideHeavy(origin, bytes, announcement)))))
            {
                Interlocked.Increment(ref sendClass == SendClass.OwnGossip ? ref _droppedOwn : ref _droppedForwarded);
                if (announcement)
                {
                    Interlocked.Increment(ref _droppedAnnouncements);
                }
                return false;
            }
            if (Interlocked.CompareExchange(ref _total, total + bytes, total) == total)
            {
                break;
            }
        }
        Interlocked.Add(ref account.UsedBytes, bytes);
        ChargeOrigin(origin, bytes);
        if (beside == true && !guaranteed && held + bytes > ceiling - (total + bytes))
        {
            Interlocked.Increment(ref _admittedBesideHeavy);
        }
        RaisePeak(total + bytes);
        return true;
    }

    /// <summary>Gives back <paramref name="bytes"/> that <paramref name="account"/> was charged (its frame left the queue), with the origin it was charged with.</summary>
    public void Release(Account account, int bytes, int origin = 0)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        CheckOwner(account);
        long held;
        do
        {
            held = Volatile.Read(ref account.UsedBytes);
            if (bytes > held)
            {
                throw new InvalidOperationException($"Releasing {bytes} bytes from an account that holds {held}: a frame was released twice or never charged.");
            }
        }
        while (Interlocked.CompareExchange(ref account.UsedBytes, held - bytes, held) != held);
        Interlocked.Add(ref _total, -bytes);
        ChargeOrigin(origin, -bytes);
    }

    /// <summary>
    /// Gives back everything <paramref name="account"/> still holds (its queue was emptied at once); returns how much. The
    /// queue gives its frames' origins back first (<see cref="ReleaseOrigin"/>).
    /// </summary>
    public long ReleaseAll(Account account)
    {
        ArgumentNullException.ThrowIfNull(account);
        CheckOwner(account);
        var held = Interlocked.Exchange(ref account.UsedBytes, 0);
        Interlocked.Add(ref _total, -held);
        return held;
    }

    private void CheckOwner(Account account)
    {
        if (account.Budget != this)
        {
            throw new ArgumentException("The account belongs to another budget.", nameof(account));
        }
    }

    private void RaisePeak(long value)
    {
        var current = Volatile.Read(ref _peak);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref _peak, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    /// <summary>What one queue holds of the budget.</summary>
    public sealed class Account
    {
        internal long UsedBytes;

        internal Account(QueueBudget budget, QueueSide side)
        {
            Budget = budget;
            Side = side;
        }

        internal QueueBudget Budget { get; }

        public QueueSide Side { get; }

        /// <summary>Bytes this queue holds right now.</summary>
        public long Used => Volatile.Read(ref UsedBytes);
    }
}

/// <summary>Which queues an account belongs to: frames to send, or frames received and not yet taken by the node.</summary>
public enum QueueSide
{
    Send = 0,
    Receive = 1,
}

/// <summary>A snapshot of the process queue budget.</summary>
/// <param name="LimitBytes">The budget (Transport:ProcessQueueBytes, or its default).</param>
/// <param name="QueuedBytes">Wire bytes of the frames queued right now in every send and receive queue of the process.</param>
/// <param name="PeakQueuedBytes">The most ever queued at once.</param>
/// <param name="Drops">Gossip frames refused because the budget was used up, per class (sending and receiving; control never).</param>
public readonly record struct BudgetStats(long LimitBytes, long QueuedBytes, long PeakQueuedBytes, FrameDrops Drops, long DroppedAnnouncements = 0);
