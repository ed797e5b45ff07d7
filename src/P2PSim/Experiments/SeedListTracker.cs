using P2PSim.Nodes;

namespace P2PSim.Experiments;

/// <summary>
/// Each seed's peer-list size, followed from the seed's own events (a new registration adds one; a goodbye or a
/// dead-node removal reports the size left), and, for a seed that crashed and restarted empty, when it listed as
/// many peers again as at its crash. Network-agnostic, like <see cref="ExperimentRecorder"/>, which feeds it.
/// </summary>
internal sealed class SeedListTracker
{
    private const long Never = long.MaxValue;

    private readonly int[] _size;
    private readonly int[] _sizeAtCrash;
    private readonly long[] _restartedAt;
    private readonly long[] _relearnedAt;
    private int _relearnPending;

    public SeedListTracker(int seeds)
    {
        _size = new int[seeds];
        _sizeAtCrash = new int[seeds];
        _restartedAt = new long[seeds];
        _relearnedAt = new long[seeds];
        Array.Fill(_restartedAt, Never);
        Array.Fill(_relearnedAt, Never);
    }

    /// <summary>Every seed's peer-list size now.</summary>
    public int[] Sizes => [.. _size];

    /// <summary>True when every restarted seed lists as many peers as at its crash (and when none restarted).</summary>
    public bool AllRelearned => _relearnPending == 0;

    /// <summary>When the last restarted seed got there; null while one has not, or when none restarted.</summary>
    public DateTimeOffset? RelearnedAt
    {
        get
        {
            if (_relearnPending > 0)
            {
                return null;
            }
            var latest = Never;
            foreach (var at in _relearnedAt)
            {
                latest = at == Never ? latest : latest == Never ? at : Math.Max(latest, at);
            }
            return latest == Never ? null : new DateTimeOffset(latest, TimeSpan.Zero);
        }
    }

    public void Record(int seed, NodeEvent e)
    {
        switch (e)
        {
            case PeerRegistered { Again: false }:
                _size[seed]++;
                if (_restartedAt[seed] != Never && _relearnedAt[seed] == Never && _size[seed] >= _sizeAtCrash[seed])
                {
                    _relearnedAt[seed] = e.At.UtcTicks;
                    _relearnPending--;
                }
                break;
            case PeerDeregistered left:
                _size[seed] = left.PeersLeft;
                break;
            case PeerExpired expired:
                _size[seed] = expired.PeersLeft;
                break;
            case DeadNodeReceived { Removed: true } removed:
                _size[seed] = removed.PeersLeft;
                break;
        }
    }

    /// <summary>The seed crashed: its list is remembered as the size a restart has to get back to.</summary>
    public void Crashed(int seed) => _sizeAtCrash[seed] = _size[seed];

    /// <summary>The seed came back empty at <paramref name="at"/>. Call before the new seed handles anything.</summary>
    public void Restarted(int seed, DateTimeOffset at)
    {
        _size[seed] = 0;
        _restartedAt[seed] = at.UtcTicks;
        if (_sizeAtCrash[seed] == 0)
        {
            _relearnedAt[seed] = at.UtcTicks;
            return;
        }
        _relearnedAt[seed] = Never;
        _relearnPending++;
    }
}
