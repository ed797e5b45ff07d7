namespace P2PSim.Experiments.Attacks;

/// <summary>
/// The attack workload (tcp only): a burst of honest messages as in <see cref="BurstWorkload"/> while
/// <see cref="Attacks"/> run one after the other against the live network, each attacker on real sockets (see
/// <see cref="AttackCampaign"/>); <see cref="Strength"/> scales how many connections, messages and requests each sends.
/// The report gets an <c>attacks</c> section.
/// </summary>
internal sealed record AttackWorkload : PublishingWorkload
{
    public required IReadOnlyList<AttackKind> Attacks { get; init; }

    public required double Strength { get; init; }

    public override string Name => "attack";

    public override string Describe() =>
        $"{DescribeBurst()} from random live peers, while attackers run: {string.Join(", ", Attacks.Select(static k => Configuration.EnumSetting.Name(k)))} (strength {Strength:0.##})";
}
