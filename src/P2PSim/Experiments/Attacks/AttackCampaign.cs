namespace P2PSim.Experiments.Attacks;

/// <summary>
/// Runs the chosen attacks one after the other against the live network, while the honest peers publish (the attack
/// workload's burst), and gathers their rows into the report's <c>attacks</c> section. One after the other, so what the
/// honest nodes counted during an attack is that attack's. An attack that fails (an exception of its own) gets a row
/// saying so, with nothing attempted, and the others run on.
/// </summary>
internal static class AttackCampaign
{
    public static Attack For(AttackKind kind) => kind switch
    {
        AttackKind.Connections => new ConnectionFloodAttack(),
        AttackKind.Flood => new FloodAttack(),
        AttackKind.Forged => new ForgedGossipAttack(),
        AttackKind.Requests => new ForgedRequestAttack(),
        AttackKind.Impostor => new ImpostorAttack(),
        AttackKind.Death => new DeathReportAttack(),
        AttackKind.Handshakes => new BadHandshakeAttack(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no such attack"),
    };

    public static async Task<AttackReport> RunAsync(AttackContext context, AttackWorkload workload, CancellationToken ct)
    {
        var results = new List<AttackResult>();
        foreach (var kind in workload.Attacks)
        {
            try
            {
                results.AddRange(await For(kind).RunAsync(context, ct).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                results.Add(new AttackResult($"{Configuration.EnumSetting.Name(kind)}: the attack failed ({ex.GetType().Name}: {ex.Message})", 0, 0, 0, 0, 0, "nothing: it did not run"));
            }
        }
        return new AttackReport(string.Join(",", workload.Attacks.Select(static k => Configuration.EnumSetting.Name(k))), workload.Strength, results,
            context.Logs.Lines, context.Logs.RawControlLines);
    }
}
