using Microsoft.Extensions.Options;

namespace P2PSim.Configuration;

/// <summary>Checks the <c>Private</c> section: timings in range, and a list of peer indices the network has.</summary>
internal sealed class PrivateOptionsValidator(IOptions<NetworkOptions> network) : IValidateOptions<PrivateOptions>
{
    public ValidateOptionsResult Validate(string? name, PrivateOptions o)
    {
        const string S = PrivateOptions.Section;
        var checks = new SettingsChecks()
            .Interval($"{S}:AckTimeout", o.AckTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1))
            .Range($"{S}:Attempts", o.Attempts, 1, 20)
            .Interval($"{S}:IdleTimeout", o.IdleTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
        var peers = SettingsChecks.ValidOrNull(network)?.Peers; // null: the Network section is invalid, and reported by its own validator
        if (o.NotDialable(out var problem) is not { } indices)
        {
            checks.That(false, $"{S}:NotDialablePeers must be peer indices separated by commas, e.g. 2,5 ({problem}; was '{o.NotDialablePeers}').");
        }
        else if (peers is { } n && indices.Where(i => i >= n).Order().FirstOrDefault(-1) is var beyond and >= 0)
        {
            checks.That(false, $"{S}:NotDialablePeers names peer {beyond}, but the peers are numbered 0 to {n - 1} (Network:Peers is {n}).");
        }
        return checks.Result();
    }
}
