using P2PSim.Protocol;

namespace P2PSim.Liveness;

/// <summary>
/// A seed's memory of the peers whose dead-node reports its own checks refuted (the peer answered, or something
/// listening there turned the check away). Each check costs the seed a dial, and a false report that got through would
/// cut a live peer off, so a reporter is trusted less with every refuted report:
/// <list type="bullet">
/// <item>after <see cref="RateLimitAfter"/> refuted reports, at most one of its reports is checked per <see cref="RateLimitInterval"/>;</item>
/// <item>after <see cref="IgnoreAfter"/>, every report of it is ignored for <see cref="IgnoreFor"/> (then it is on probation:
/// rate-limited, and ignored again after one more refutation);</item>
/// <item>a confirmed report takes one refutation off; refutations are forgotten <see cref="ForgetAfter"/> after the latest.</item>
/// </list>
/// Honest peers are refuted now and then (a neighbour slow for three liveness rounds that still answers the seed), so
/// the limits leave room for that. Keyed by the reporter's endpoint; at most <see cref="MaxRecords"/> records, clean
/// and expired ones dropped first. Pure: time is passed in.
/// </summary>
public sealed class ReporterRecord
{
    public const int RateLimitAfter = 3;

    public const int IgnoreAfter = 5;

    public const int MaxRecords = 4096;

    public static readonly TimeSpan RateLimitInterval = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan IgnoreFor = TimeSpan.FromMinutes(10);

    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);

    private readonly Dictionary<NodeEndpoint, Entry> _entries = new();

    /// <summary>Reports not checked because their reporter was rate-limited or ignored.</summary>
    public long Ignored { get; private set; }

    /// <summary>Reporters that were ignored (each time one started to be).</summary>
    public long ReportersIgnored { get; private set; }

    /// <summary>The verdict on a new report from <paramref name="reporter"/>.</summary>
    public Verdict Judge(NodeEndpoint reporter, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(reporter, out var entry) || Forget(reporter, entry, now))
        {
            return Verdict.Check;
        }
        if (entry.IgnoredUntil is { } until && now < until)
        {
            Ignored++;
            return Verdict.Ignored;
        }
        if (entry.Refuted >= RateLimitAfter)
        {
            if (entry.LastChecked is { } last && now - last < RateLimitInterval)
            {
                Ignored++;
                return Verdict.RateLimited;
            }
            entry.LastChecked = now;
        }
        return Verdict.Check;
    }

    /// <summary>
    /// A report of <paramref name="reporter"/> was refuted. True when the reporter is ignored from now on (the
    /// caller says so in one log line).
    /// </summary>
    public bool Refuted(NodeEndpoint reporter, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(reporter, out var entry) || Forget(reporter, entry, now))
        {
            MakeRoom(now);
            entry = new Entry();
            _entries[reporter] = entry;
        }
        entry.Refuted++;
        entry.LastRefuted = now;
        if (entry.Refuted >= IgnoreAfter && !(entry.IgnoredUntil is { } until && now < until))
        {
            entry.IgnoredUntil = now + IgnoreFor;
            entry.Refuted = IgnoreAfter - 1; // afterwards: on probation
            ReportersIgnored++;
            return true;
        }
        return false;
    }

    /// <summary>A report of <paramref name="reporter"/> was confirmed: one refutation less.</summary>
    public void Confirmed(NodeEndpoint reporter, DateTimeOffset now)
    {
        if (_entries.TryGetValue(reporter, out var entry) && entry.Refuted > 0 && !(entry.IgnoredUntil is { } until && now < until))
        {
            entry.Refuted--;
        }
    }

    /// <summary>Refutations counted against <paramref name="reporter"/> now.</summary>
    public int RefutationsOf(NodeEndpoint reporter, DateTimeOffset now) =>
        _entries.TryGetValue(reporter, out var entry) && !Forget(reporter, entry, now) ? entry.Refuted : 0;

    /// <summary>Drops a record whose last refutation is old and that is not being ignored; true when it did.</summary>
    private bool Forget(NodeEndpoint reporter, Entry entry, DateTimeOffset now)
    {
        if ((entry.IgnoredUntil is not { } until || now >= until) && now - entry.LastRefuted >= ForgetAfter)
        {
            _entries.Remove(reporter);
            return true;
        }
        return false;
    }

    private void MakeRoom(DateTimeOffset now)
    {
        if (_entries.Count < MaxRecords)
        {
            return;
        }
        foreach (var (reporter, entry) in _entries.ToArray())
        {
            Forget(reporter, entry, now);
        }
        if (_entries.Count >= MaxRecords)
        {
            // Every record is recent: drop the one refuted longest ago (a reporter being ignored last of all).
            var oldest = _entries.MinBy(e => (e.Value.IgnoredUntil is null ? 0 : 1, e.Value.LastRefuted)).Key;
            _entries.Remove(oldest);
        }
    }

    public enum Verdict
    {
        /// <summary>Check the report.</summary>
        Check,

        /// <summary>Not checked: the reporter's reports were refuted often, and one was checked within <see cref="RateLimitInterval"/>.</summary>
        RateLimited,

        /// <summary>Not checked: the reporter is ignored for a while.</summary>
        Ignored,
    }

    private sealed class Entry
    {
        public int Refuted;
        public DateTimeOffset LastRefuted;
        public DateTimeOffset? LastChecked;
        public DateTimeOffset? IgnoredUntil;
    }
}
