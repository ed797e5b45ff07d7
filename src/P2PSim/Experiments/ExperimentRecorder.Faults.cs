using P2PSim.Nodes;

namespace P2PSim.Experiments;

/// <summary>
/// Fault accounting: crashed peers and the seeds that still have to remove them, peers that left cleanly, dead-node
/// reports about peers that had not crashed, expiries, and the seeds' peer lists after a seed restart.
/// </summary>
public sealed partial class ExperimentRecorder
{
    private readonly Dictionary<int, Victim> _crashed = new();
    private readonly HashSet<int> _liveReportedDead = new();
    private readonly HashSet<int> _liveRemoved = new();
    private readonly HashSet<int> _liveExpired = new();
    private int _removedByExpiry;
    private readonly HashSet<int> _leaversReportedDead = new();
    private long _crashAt = NotYet;
    private int _removalsPending;

    /// <summary>True once every crashed peer has been removed by every seed that listed it at its crash.</summary>
    public bool AllCrashesDetected => _removalsPending == 0;

    /// <summary>When the first peer crashed; null while none has.</summary>
    public DateTimeOffset? FirstCrashAt => _crashAt == NotYet ? null : new DateTimeOffset(_crashAt, TimeSpan.Zero);

    /// <summary>Peers that left cleanly so far.</summary>
    public int PeersLeft { get; private set; }

    /// <summary>Distinct peers that never crashed nor left but reached a seed in a dead-node report.</summary>
    public int LivePeersReportedDead => _liveReportedDead.Count;

    /// <summary>Of <see cref="LivePeersReportedDead"/>, those some seed removed.</summary>
    public int LivePeersRemoved => _liveRemoved.Count;

    /// <summary>Distinct peers that never crashed nor left, removed by a seed because they stopped registering.</summary>
    public int LivePeersExpired => _liveExpired.Count;

    /// <summary>Crashed peers that some seed which listed them at the crash still lists.</summary>
    public int CrashedStillListed { get; private set; }

    /// <summary>Distinct peers that left cleanly and reached a seed in a dead-node report anyway.</summary>
    public int LeaversReportedDead => _leaversReportedDead.Count;

    /// <summary>Every seed's peer-list size now, followed from the seeds' events.</summary>
    public int[] SeedListSizes => _seedLists.Sizes;

    /// <summary>True when every restarted seed lists as many peers as at its crash (and when none restarted).</summary>
    public bool AllSeedsRelearned => _seedLists.AllRelearned;

    /// <summary>When the last restarted seed got its peer list back to its size at the crash; null while one has not.</summary>
    public DateTimeOffset? SeedsRelearnedAt => _seedLists.RelearnedAt;

    /// <summary>A peer marked with <see cref="MarkLeaver"/> left (said goodbye).</summary>
    public void PeerLeft(int peer, DateTimeOffset at)
    {
        if (!_leaver[peer])
        {
            throw new InvalidOperationException($"Peer {peer} left without being marked as a leaver first.");
        }
        PeersLeft++;
    }

    /// <summary>Seed <paramref name="seed"/> crashed: a restart has to get back to its peer-list size now.</summary>
    public void SeedCrashed(int seed) => _seedLists.Crashed(seed);

    /// <summary>Seed <paramref name="seed"/> came back empty. Call before the new seed handles anything.</summary>
    public void SeedRestarted(int seed, DateTimeOffset at) => _seedLists.Restarted(seed, at);

    /// <summary>The peer crashed; <paramref name="listingSeeds"/> are the seeds that had it in their peer list at that moment.</summary>
    public void PeerCrashed(int peer, DateTimeOffset at, IEnumerable<int> listingSeeds)
    {
        ArgumentNullException.ThrowIfNull(listingSeeds);
        if (!_victim[peer])
        {
            throw new InvalidOperationException($"Peer {peer} crashed without being marked as a victim first.");
        }
        var victim = new Victim(at.UtcTicks);
        foreach (var seed in listingSeeds)
        {
            if (victim.Pending.Add(seed))
            {
                _removalsPending++;
            }
        }
        if (victim.Pending.Count == 0)
        {
            victim.DetectedAt = at.UtcTicks; // no seed listed it: nothing to detect
        }
        else
        {
            CrashedStillListed++;
        }
        _crashed[peer] = victim;
        _crashAt = Math.Min(_crashAt, at.UtcTicks);
    }

    public void RecordSeedEvent(int seed, NodeEvent nodeEvent)
    {
        CountRefusal(nodeEvent);
        if (nodeEvent is GossipForged)
        {
            Forged++; // a seed refused to relay a forged private message or acknowledgement
            return;
        }
        _seedLists.Record(seed, nodeEvent);
        if (nodeEvent is DeadNodeRefuted refuted && _peerIndex.TryGetValue(refuted.Report.Dead, out var alive))
        {
            FalseReport(alive, removed: false); // reported dead, though the seed's own check found it alive
            return;
        }
        if (nodeEvent is PeerExpired expired && _peerIndex.TryGetValue(expired.Peer, out var silent))
        {
            if (_crashed.TryGetValue(silent, out var gone))
            {
                _removedByExpiry += RemovedAt(seed, gone, expired.At) ? 1 : 0;
            }
            else if (!_victim[silent] && !_leaver[silent])
            {
                _liveExpired.Add(silent);
            }
            return;
        }
        if (nodeEvent is not DeadNodeReceived dead || !_peerIndex.TryGetValue(dead.Report.Dead, out var peer))
        {
            return;
        }
        if (!_crashed.TryGetValue(peer, out var victim))
        {
            FalseReport(peer, dead.Removed);
            return;
        }
        if (dead.Removed)
        {
            RemovedAt(seed, victim, dead.At);
        }
    }

    /// <summary>A seed that listed a crashed peer removed it; false when that seed had already (or had not listed it).</summary>
    private bool RemovedAt(int seed, Victim victim, DateTimeOffset at)
    {
        if (!victim.Pending.Remove(seed))
        {
            return false;
        }
        _removalsPending--;
        if (victim.Pending.Count == 0)
        {
            victim.DetectedAt = at.UtcTicks;
            CrashedStillListed--;
        }
        return true;
    }

    /// <summary>A dead-node report about a peer that had not crashed: about a live peer, or about one that left cleanly.</summary>
    private void FalseReport(int peer, bool removed)
    {
        if (_victim[peer])
        {
            return; // will crash: a report before its crash is not told apart
        }
        if (_leaver[peer])
        {
            _leaversReportedDead.Add(peer);
            return;
        }
        _liveReportedDead.Add(peer);
        if (removed)
        {
            _liveRemoved.Add(peer);
        }
    }

    /// <summary>Failure-detection numbers; null when no peer crashed.</summary>
    public CrashReport? BuildCrash()
    {
        if (_crashed.Count == 0)
        {
            return null;
        }
        var times = new List<long>(_crashed.Count);
        var missing = 0;
        foreach (var (_, victim) in _crashed)
        {
            if (victim.Pending.Count == 0)
            {
                times.Add(victim.DetectedAt - victim.CrashedAt);
            }
            missing += victim.Pending.Count;
        }
        var (p50, _, max) = Statistics.Summarise(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(times));
        return new CrashReport(
            CrashedPeers: _crashed.Count,
            CrashAtMs: (_crashAt - _start) / (double)TimeSpan.TicksPerMillisecond,
            DetectedEverywhere: times.Count,
            SeedRemovalsMissing: missing,
            SeedRemovalsByExpiry: _removedByExpiry,
            DetectionP50Ms: Statistics.Milliseconds(p50),
            DetectionMaxMs: Statistics.Milliseconds(max),
            LivePeersReportedDead: _liveReportedDead.Count)
        {
            DetectionCdf = Statistics.Cdf(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(times)),
        };
    }

    private sealed class Victim(long crashedAt)
    {
        public long CrashedAt { get; } = crashedAt;

        public long DetectedAt { get; set; } = NotYet;

        public HashSet<int> Pending { get; } = [];
    }
}
