using System.Globalization;
using System.Text;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// The account of deaths: each crash, who noticed it first and how fast, which seeds removed it; deaths reported of
/// nodes that had not crashed; and the summary's lines for them.
/// </summary>
public sealed partial class NetworkStats
{
    /// <summary>Each crash: when, who noticed first, which seeds removed it and how long that took; and deaths reported of nodes that had not crashed.</summary>
    public IReadOnlyList<DeathAccount> ComputeDeaths()
    {
        lock (_gate)
        {
            var accounts = new List<DeathAccount>();
            foreach (var (node, crashedAt) in _crashes.OrderBy(c => c.Value))
            {
                accounts.Add(CrashAccount(node, crashedAt, elsewhere: false));
            }
            // Crashed by the slice that runs it: its time is when this slice's script said so. It is told here whether or
            // not a peer of this slice neighboured it (a seed here may only have removed it on another seed's report).
            var elsewhere = _deathReports.Keys.Concat(_seedRemovals.Keys).Concat(_seedsHolding.Values.SelectMany(h => h))
                .Where(n => !_crashes.ContainsKey(n) && !_nodes.ContainsKey(n) && _remoteCrashes.ContainsKey(n.Port)).Distinct();
            foreach (var node in elsewhere.OrderBy(n => _remoteCrashes[n.Port]))
            {
                accounts.Add(CrashAccount(node, _remoteCrashes[node.Port], elsewhere: true));
            }
            foreach (var (node, reports) in _deathReports.Where(r => !_crashes.ContainsKey(r.Key) && !(!_nodes.ContainsKey(r.Key) && _remoteCrashes.ContainsKey(r.Key.Port))))
            {
                accounts.Add(new DeathAccount(node, null, false, reports.Select(r => r.Reporter).Distinct().ToArray(), null, [], 0, null));
            }
            return accounts;
        }
    }

    /// <summary>
    /// The account of one crash at <paramref name="crashedAt"/> (for a crash run by another slice, <paramref name="elsewhere"/>,
    /// when its script said so): who reported it first and when, which seeds held it and how long they took to remove it.
    /// Called under the lock.
    /// </summary>
    private DeathAccount CrashAccount(NodeEndpoint node, DateTimeOffset crashedAt, bool elsewhere)
    {
        var reports = _deathReports.GetValueOrDefault(node) ?? [];
        var holders = _seedsHolding.Where(h => h.Value.Contains(node)).Select(h => h.Key).ToArray();
        var removals = _seedRemovals.GetValueOrDefault(node) ?? new Dictionary<NodeEndpoint, DateTimeOffset>();
        TimeSpan? firstDetection = reports.Count > 0 ? reports.Min(r => r.At) - crashedAt : null;
        TimeSpan? allSeeds = holders.Length > 0 && holders.All(removals.ContainsKey) ? holders.Max(h => removals[h]) - crashedAt : null;
        return new DeathAccount(node, crashedAt, true, reports.Select(r => r.Reporter).Distinct().ToArray(), firstDetection,
            holders, holders.Count(removals.ContainsKey), allSeeds, Elsewhere: elsewhere);
    }

    /// <summary>The summary's lines on deaths: one a crash, one a false report, or "Deaths: none".</summary>
    private void AppendDeaths(StringBuilder sb)
    {
        var inv = CultureInfo.InvariantCulture;
        var deaths = ComputeDeaths();
        if (deaths.Count == 0)
        {
            sb.AppendLine("Deaths: none");
        }
        foreach (var death in deaths)
        {
            if (!death.Crashed)
            {
                sb.AppendLine(inv, $"FALSE DEATH REPORT: {death.Node} was reported dead by {string.Join(", ", death.Reporters)} but had not crashed");
                continue;
            }
            var here = OneSlice ? " here" : ""; // a slice sees its own nodes' part of the detection
            var detected = death.FirstDetection is { } f
                ? $"detected after {f.TotalSeconds:0.0} s, reported by {death.Reporters.Count} neighbour(s){here}"
                : NotDetected(death, here);
            var removed = death.AllSeedsRemovedAfter is { } r
                ? $"removed from all {death.SeedsHolding.Count} seeds{here} that had it after {r.TotalSeconds:0.0} s"
                : $"removed from {death.SeedsRemoved} of {death.SeedsHolding.Count} seeds{here} that had it";
            sb.AppendLine(death.Elsewhere
                ? string.Create(inv, $"Crash: {death.Node} crashed in another slice at about {death.CrashedAt!.Value.ToLocalTime():HH:mm:ss}; {detected}; {removed}")
                : string.Create(inv, $"Crash: {death.Node} crashed at {death.CrashedAt!.Value.ToLocalTime():HH:mm:ss}; {detected}; {removed}"));
        }
    }

    /// <summary>
    /// A crash no neighbour reported: where the run ended before the liveness rule could have noticed it (about
    /// (misses + 1) rounds), it says so and how long is needed, so that a short demo does not look like a failure.
    /// </summary>
    private string NotDetected(DeathAccount death, string here)
    {
        DateTimeOffset end;
        lock (_gate)
        {
            end = _endedAt ?? time.GetUtcNow();
        }
        if (Liveness is not var (interval, misses) || death.CrashedAt is not { } crashedAt || death.Elsewhere)
        {
            return $"not detected{here}";
        }
        var within = (misses + 1) * interval;
        var ran = end - crashedAt;
        return ran >= within
            ? string.Create(CultureInfo.InvariantCulture, $"not detected{here} within {ran.TotalSeconds:0.0} s (expected within about {within.TotalSeconds:0} s)")
            : string.Create(CultureInfo.InvariantCulture,
                $"not detected yet{here}: the run ended {ran.TotalSeconds:0.0} s after the crash, and detection takes up to about {within.TotalSeconds:0} s ((Peer:MaxMissedLiveness + 1) x Peer:LivenessInterval; run longer to see it)");
    }
}
