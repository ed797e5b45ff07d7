using Microsoft.Extensions.Options;
using P2PSim.Configuration;

namespace P2PSim.LiveView;

/// <summary>Checks the <c>LiveView</c> section: a port in range that none of the nodes listens on.</summary>
internal sealed class LiveViewOptionsValidator(IOptions<NetworkOptions> network) : IValidateOptions<LiveViewOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveViewOptions o)
    {
        const string S = LiveViewOptions.Section;
        var n = SettingsChecks.ValidOrNull(network) ?? new NetworkOptions { SeedBasePort = 0, PeerBasePort = 0 }; // invalid: reported by its own validator
        return new SettingsChecks()
            .Range($"{S}:Port", o.Port, 0, 65535)
            .That(!o.Enabled || o.Port == 0 || !(Within(o.Port, n.SeedBasePort, n.Seeds) || Within(o.Port, n.PeerBasePort, n.Peers)),
                $"{S}:Port {o.Port} is also a node's port (seeds {n.SeedBasePort}+, peers {n.PeerBasePort}+); choose another, 0 for a free one, or turn the page off with {S}:Enabled=false.")
            .Result();
    }

    private static bool Within(int port, int basePort, int count) => basePort != 0 && port >= basePort && port < basePort + count;
}
