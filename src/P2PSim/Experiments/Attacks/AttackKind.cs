using P2PSim.Configuration;

namespace P2PSim.Experiments.Attacks;

/// <summary>The attacks of the attack workload (<c>Experiment:Attacks</c>: <c>all</c>, or some of these names, comma-separated).</summary>
public enum AttackKind
{
    /// <summary>Many silent connections from one address to one node.</summary>
    Connections,

    /// <summary>A neighbour flooding valid messages signed by itself.</summary>
    Flood,

    /// <summary>Forged, altered, replayed, ill-timed, ill-hopped and control-character gossip from a neighbour.</summary>
    Forged,

    /// <summary>Goodbye and Register sent to a seed in another peer's name (from that peer's own address).</summary>
    Requests,

    /// <summary>Hellos claiming a victim's neighbours' endpoints (an eclipse through crossed connections).</summary>
    Impostor,

    /// <summary>A registered attacker reporting a live peer dead, while it holds that peer's inbound slots.</summary>
    Death,

    /// <summary>Garbage, stalled, oversized and cut-short handshakes and frames.</summary>
    Handshakes,
}

/// <summary>Reads <c>Experiment:Attacks</c>.</summary>
internal static class AttackKinds
{
    /// <summary>The attacks <paramref name="setting"/> names (<c>all</c> or empty: every one), or null with the reason when a name is unknown.</summary>
    public static IReadOnlyList<AttackKind>? Parse(string? setting, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(setting) || setting.Trim().Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return Enum.GetValues<AttackKind>();
        }
        var kinds = new List<AttackKind>();
        foreach (var name in setting.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse<AttackKind>(name, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(name, out _))
            {
                problem = $"{ExperimentOptions.Section}:Attacks must be all or a comma-separated list of {EnumSetting.Choices<AttackKind>()} (was \"{setting}\": \"{name}\" is none of them).";
                return null;
            }
            if (!kinds.Contains(kind))
            {
                kinds.Add(kind);
            }
        }
        return kinds.Count > 0 ? kinds : Enum.GetValues<AttackKind>();
    }
}
