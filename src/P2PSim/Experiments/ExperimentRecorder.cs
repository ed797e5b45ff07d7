using P2PSim.Protocol;

namespace P2PSim.Experiments;

/// <summary>
/// Turns the node events of one experiment into the numbers of an <see cref="ExperimentReport"/>.
/// It does not care what network produced the events (simulated or TCP): the driver tells it
/// when peers joined and crashed and hands it every event, in time order, from one thread.
/// Events are folded in as they come (nothing per event is kept except one latency per first
/// receipt), so a run of 100,000 peers does not hold millions of event objects.
/// <para>Order of calls: construct, <see cref="MarkVictim"/> for every peer that will crash and
/// <see cref="MarkLeaver"/> for every peer that will leave cleanly (before the first message is
/// originated), then events, <see cref="PeerJoined"/>, <see cref="PeerCrashed"/>, <see cref="PeerLeft"/>,
/// <see cref="SeedCrashed"/> and <see cref="SeedRestarted"/> as they happen, then the <c>Build...</c> methods.</para>
/// </summary>
public sealed partial class ExperimentRecorder
{
    private const long NotYet = long.MaxValue;

    /// <summary>The latency buffer is sized up front to at most this many entries (128 MB); beyond, it grows as needed.</summary>
    private const long MaxPreallocatedReceipts = 1L << 24;

    private readonly int _seedCount;
    private readonly long _start;
    private readonly Dictionary<NodeEndpoint, int> _peerIndex;
    private readonly long[] _joinedAt;
    private readonly bool[] _victim;
    private readonly bool[] _leaver;
    private readonly SeedListTracker _seedLists;

    /// <param name="peers">Every peer's listening endpoint; its position is the peer's index in the other calls.</param>
    /// <param name="seedCount">Number of seeds (seed indices are 0 to seedCount - 1).</param>
    /// <param name="start">When the run started (times in the report count from here).</param>
    /// <param name="receiptCapacityHint">Expected first receipts (messages x peers), to size the latency buffer once.</param>
    public ExperimentRecorder(IReadOnlyList<NodeEndpoint> peers, int seedCount, DateTimeOffset start, long receiptCapacityHint = 0)
        : this(peers?.Count ?? throw new ArgumentNullException(nameof(peers)), seedCount, start, receiptCapacityHint)
    {
        for (var i = 0; i < peers.Count; i++)
        {
            _peerIndex.Add(peers[i], i);
        }
    }

    /// <summary>For peers whose endpoints are known only once they listen (port 0): tell each with <see cref="SetPeerEndpoint"/>.</summary>
    public ExperimentRecorder(int peerCount, int seedCount, DateTimeOffset start, long receiptCapacityHint = 0)
    {
        _seedCount = seedCount;
        _start = start.UtcTicks;
        _peerIndex = new Dictionary<NodeEndpoint, int>(peerCount);
        _joinedAt = new long[peerCount];
        Array.Fill(_joinedAt, NotYet);
        _victim = new bool[peerCount];
        _leaver = new bool[peerCount];
        _seedLists = new SeedListTracker(seedCount);
        _latencies = new long[(int)Math.Clamp(receiptCapacityHint, 16, MaxPreallocatedReceipts)];
    }

    /// <summary>Peer <paramref name="peer"/> listens on <paramref name="endpoint"/> (dead-node reports name peers by endpoint).</summary>
    public void SetPeerEndpoint(int peer, NodeEndpoint endpoint) => _peerIndex[endpoint] = peer;

    public int PeerCount => _joinedAt.Length;

    /// <summary>Bytes the log of receipt latencies holds (its capacity: it is made for every receipt expected).</summary>
    public long ReceiptLogBytes => (long)_latencies.Length * sizeof(long);

    /// <summary>Seeds this recorder was told about.</summary>
    public int SeedCount => _seedCount;

    /// <summary>Declares that <paramref name="peer"/> will crash: it is not expected to receive anything.</summary>
    public void MarkVictim(int peer)
    {
        ThrowIfMessages("Victims");
        _victim[peer] = true;
        _expectedStale = true;
    }

    /// <summary>Declares that <paramref name="peer"/> will leave cleanly during the run: it is not expected to receive anything.</summary>
    public void MarkLeaver(int peer)
    {
        ThrowIfMessages("Leavers");
        _leaver[peer] = true;
        _expectedStale = true;
    }

    public bool IsVictim(int peer) => _victim[peer];

    /// <summary>True when the peer was marked to crash or to leave: it is not an expected receiver.</summary>
    public bool Departs(int peer) => _victim[peer] || _leaver[peer];

    /// <summary>True once the peer's join was recorded.</summary>
    public bool HasJoined(int peer) => _joinedAt[peer] != NotYet;

    /// <summary>The peer finished joining at <paramref name="at"/>: it is expected to receive messages originated from then on.</summary>
    public void PeerJoined(int peer, DateTimeOffset at)
    {
        _joinedAt[peer] = at.UtcTicks;
        _expectedStale = true;
    }

    private void ThrowIfMessages(string what)
    {
        if (_messages.Count > 0)
        {
            throw new InvalidOperationException($"{what} must be marked before the first message is originated.");
        }
    }
}
