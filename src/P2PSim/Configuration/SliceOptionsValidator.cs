using System.Net;
using Microsoft.Extensions.Options;

namespace P2PSim.Configuration;

/// <summary>
/// <c>Network:Seeds</c> written as a list: each entry well formed, names and endpoints unique. The short form is
/// checked by <see cref="NetworkOptionsValidator"/>.
/// </summary>
internal sealed class SeedListValidator : IValidateOptions<NetworkOptions>
{
    public ValidateOptionsResult Validate(string? name, NetworkOptions o)
    {
        var checks = new SettingsChecks();
        foreach (var problem in o.SeedListProblems)
        {
            checks.That(false, problem);
        }
        var names = new Dictionary<string, SeedAddress>(StringComparer.OrdinalIgnoreCase);
        var endpoints = new Dictionary<(string Host, int Port), SeedAddress>();
        foreach (var seed in o.SeedList)
        {
            if (seed.Name.Length > 0 && !names.TryAdd(seed.Name, seed))
            {
                checks.That(false, $"{seed.Setting}:Name '{seed.Name}' is used twice (also {names[seed.Name].Setting}); every seed needs its own name.");
            }
            var host = IPAddress.TryParse(seed.Host, out var ip) ? ip.ToString() : seed.Host.ToLowerInvariant();
            if (seed.Port > 0 && seed.Host.Length > 0 && !endpoints.TryAdd((host, seed.Port), seed))
            {
                checks.That(false, $"{seed.Setting} lists {seed.Host}:{seed.Port}, the endpoint of {endpoints[(host, seed.Port)].Setting} too; every seed needs its own host and port.");
            }
        }
        return checks.Result();
    }
}

/// <summary>
/// <c>Slice:*</c>: which slice this process is, its seeds by name, its addresses; and what several slices need of the
/// rest of the settings (known ports, one crash victim for all). Failures name the setting.
/// </summary>
internal sealed class SliceOptionsValidator(IOptions<NetworkOptions> network, IOptions<DemoOptions> demo) : IValidateOptions<SliceOptions>
{
    public ValidateOptionsResult Validate(string? name, SliceOptions o)
    {
        const string S = SliceOptions.Section;
        var n = network.Value;
        var checks = new SettingsChecks()
            .Range($"{S}:Count", o.Count, 1, 1000);
        if (o.Count >= 1)
        {
            checks.That(o.Index >= 0 && o.Index < o.Count, $"{S}:Index must be between 0 and {S}:Count - 1 = {o.Count - 1} (was {o.Index}).");
        }
        var bind = SliceLayout.BindAddressOf(n, o);
        checks.That(string.IsNullOrWhiteSpace(o.BindAddress) || bind is not null, $"{S}:BindAddress must be an IP address such as 127.0.0.2 or 0.0.0.0 (was '{o.BindAddress}').");
        var announce = SliceLayout.AnnounceAddressOf(n, o);
        if (!string.IsNullOrWhiteSpace(o.AnnounceHost))
        {
            checks.That(announce is not null, $"{S}:AnnounceHost must be an IP address the other slices can reach, such as 10.0.0.5 (was '{o.AnnounceHost}').");
        }
        if (announce is not null && (announce.Equals(IPAddress.Any) || announce.Equals(IPAddress.IPv6Any)))
        {
            checks.That(false, $"{S}:AnnounceHost must be set when the nodes listen on every address ({S}:BindAddress {bind}): it is the address the other slices dial.");
        }
        if (n.AddressPerNode == true)
        {
            foreach (var problem in NodeAddresses.Problems(n, o))
            {
                checks.That(false, problem);
            }
        }
        var all = n.AllSeeds();
        var named = SliceLayout.NamedSeeds(o);
        if (named is not null)
        {
            foreach (var seed in named)
            {
                checks.That(all.Any(s => s.Name.Equals(seed, StringComparison.OrdinalIgnoreCase)),
                    $"{S}:Seeds names '{seed}', which is not a seed of {NetworkOptions.Section}:Seeds ({string.Join(", ", all.Select(s => s.Name))}).");
            }
            checks.That(named.Distinct(StringComparer.OrdinalIgnoreCase).Count() == named.Count, $"{S}:Seeds names a seed twice ({o.Seeds}).");
        }
        if (o.Count > 1)
        {
            checks.That(n.SeedList.Count > 0 || n.SeedBasePort > 0,
                $"{NetworkOptions.Section}:SeedBasePort must not be 0 with several slices ({S}:Count {o.Count}): the other slices must know the seeds' ports.");
            checks.That(n.PeerBasePort > 0,
                $"{NetworkOptions.Section}:PeerBasePort must not be 0 with several slices ({S}:Count {o.Count}): every slice derives each peer's port from it.");
            var d = demo.Value;
            checks.That(d.CrashAfter == TimeSpan.Zero || d.CrashPeer >= 0 || n.RandomSeed != 0,
                $"{NetworkOptions.Section}:RandomSeed must be set (the same in every slice) or {DemoOptions.Section}:CrashPeer given with several slices ({S}:Count {o.Count}), so that the slices agree on which peer crashes.");
        }
        if (checks.Result().Succeeded && bind is not null && announce is not null)
        {
            CheckLocalSeeds(checks, n, o, announce);
        }
        return checks.Result();
    }

    /// <summary>A seed this slice runs is listed at an address that must be this slice's; its port must not be a local peer's.</summary>
    private static void CheckLocalSeeds(SettingsChecks checks, NetworkOptions n, SliceOptions o, IPAddress announce)
    {
        var layout = SliceLayout.From(n, o);
        foreach (var j in layout.LocalSeeds)
        {
            var seed = layout.Seeds[j];
            if (IPAddress.TryParse(seed.Host, out var listed))
            {
                checks.That(listed.Equals(announce),
                    $"{seed.Setting} lists seed {seed.Name} at {seed.Host}, but this slice runs it and announces {announce} ({SliceOptions.Section}:AnnounceHost / BindAddress, else {NetworkOptions.Section}:Host); list it at this slice's address.");
            }
            if (seed.Port > 0 && n.PeerBasePort > 0 && layout.PeerCount > 0)
            {
                var first = n.PeerBasePort + layout.FirstPeer;
                var last = first + layout.PeerCount - 1;
                checks.That(seed.Port < first || seed.Port > last,
                    $"{seed.Setting} gives seed {seed.Name} port {seed.Port}, which this slice's peers use too ({NetworkOptions.Section}:PeerBasePort: ports {first}-{last}).");
            }
        }
    }
}
