using System.Collections;

namespace P2PSim.Cli;

/// <summary>
/// The environment variables P2PSim reads as settings. .NET reads every environment variable as a setting, with
/// <c>__</c> for <c>:</c> (<c>Slice__Index</c> is <c>Slice:Index</c>), and the host also those prefixed <c>DOTNET_</c>
/// (the prefix stripped). P2PSim's own are those whose first part names one of its sections, in any case:
/// <c>Network__Peers</c>, <c>DOTNET_Network__Peers</c>, <c>Logging__LogLevel__Default</c>. They are checked as the
/// command line is. Every other variable (PATH, HOME, DOTNET_gcServer, ASPNETCORE_URLS, ...) is none of P2PSim's business
/// and left alone, except that one whose first part is a near miss of a section (<c>Netwrk__Peers</c>) earns a warning,
/// since it was most likely meant for P2PSim and does nothing.
/// </summary>
internal sealed class EnvironmentSettings
{
    /// <summary>One of P2PSim's variables: its name, the prefix the host strips (<c>DOTNET_</c> or none), the setting and its value.</summary>
    public sealed record Variable(string Name, string Prefix, string Key, string? Value);

    private EnvironmentSettings(IReadOnlyList<Variable> own, IReadOnlyList<string> lookalikes)
    {
        Own = own;
        Lookalikes = lookalikes;
    }

    /// <summary>The variables of P2PSim's sections, by name.</summary>
    public IReadOnlyList<Variable> Own { get; }

    /// <summary>Warnings, one line each, about variables that look meant for P2PSim but name no section of it.</summary>
    public IReadOnlyList<string> Lookalikes { get; }

    /// <summary>A setting's name as an environment variable spells it: <c>Slice:Index</c> is <c>Slice__Index</c>.</summary>
    public static string VariableName(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    public static EnvironmentSettings Read(IDictionary environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var own = new List<Variable>();
        var lookalikes = new List<string>();
        var sections = KnownSettings.Sections.Select(static s => s.Section).Append(KnownSettings.LoggingSection).ToArray();
        foreach (var name in environment.Keys.OfType<string>().Order(StringComparer.Ordinal))
        {
            var prefix = name.StartsWith(SettingsGate.DotnetPrefix, StringComparison.OrdinalIgnoreCase) ? name[..SettingsGate.DotnetPrefix.Length] : "";
            var rest = name[prefix.Length..];
            var split = rest.IndexOf("__", StringComparison.Ordinal);
            if (split <= 0)
            {
                continue; // no section in it: PATH, DOTNET_ENVIRONMENT
            }
            var first = rest[..split];
            var key = rest.Replace("__", ":", StringComparison.Ordinal);
            if (KnownSettings.SectionOf(first) is not null)
            {
                own.Add(new Variable(name, prefix, key, environment[name] as string));
            }
            else if (NearMiss(first, sections) is { } section)
            {
                var keyInSection = key[(first.Length + 1)..];
                var setting = section == KnownSettings.LoggingSection ? $"{section}:{keyInSection}" : KnownSettings.Find($"{section}:{keyInSection}")?.Name;
                var meant = setting is not null ? prefix + VariableName(setting) : $"section {section}";
                lookalikes.Add($"warning: the environment variable {name} is not read: {first} is no section of P2PSim's (did you mean {meant}?)");
            }
        }
        return new EnvironmentSettings(own, lookalikes);
    }

    /// <summary>The section <paramref name="first"/> is a typo of (one edit away, two for names longer than 5 letters), or null.</summary>
    private static string? NearMiss(string first, IEnumerable<string> sections)
    {
        foreach (var section in sections)
        {
            var distance = KnownSettings.Distance(first.ToUpperInvariant(), section.ToUpperInvariant());
            if (distance <= (section.Length > 5 ? 2 : 1))
            {
                return section;
            }
        }
        return null;
    }
}
