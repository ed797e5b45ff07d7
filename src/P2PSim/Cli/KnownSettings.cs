using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.LiveView;

namespace P2PSim.Cli;

/// <summary>One setting a section binds: <c>Network:Peers</c>, its type and its built-in default.</summary>
internal sealed record KnownSetting(string Section, string Key, Type Type, string Default)
{
    public string Name => $"{Section}:{Key}";

    /// <summary>A duration (<see cref="TimeSpan"/>, nullable or not).</summary>
    public bool IsDuration => (Nullable.GetUnderlyingType(Type) ?? Type) == typeof(TimeSpan);
}

/// <summary>
/// Every setting there is, read by reflection from the options types each section binds to, so a new property is a new
/// setting with nothing else to update. Checks given settings before anything binds them: a name that is no setting
/// (with the nearest one suggested), a duration written as a bare number (which .NET would read as days), a value that
/// does not convert. Every problem is reported, not just the first.
/// </summary>
internal static class KnownSettings
{
    /// <summary>Sections whose keys are free-form (the standard .NET logging settings).</summary>
    public const string LoggingSection = "Logging";

    /// <summary>The sections in the order help lists them, each with the options type it binds to.</summary>
    public static readonly IReadOnlyList<(string Section, Type Options)> Sections =
    [
        (NetworkOptions.Section, typeof(NetworkOptions)),
        (PeerOptions.Section, typeof(PeerOptions)),
        (SeedOptions.Section, typeof(SeedOptions)),
        (GossipOptions.Section, typeof(GossipOptions)),
        (GroupOptions.Section, typeof(GroupOptions)),
        (PrivateOptions.Section, typeof(PrivateOptions)),
        (TransportOptions.Section, typeof(TransportOptions)),
        (SecurityOptions.Section, typeof(SecurityOptions)),
        (DemoOptions.Section, typeof(DemoOptions)),
        (LiveViewOptions.Section, typeof(LiveViewOptions)),
        (SliceOptions.Section, typeof(SliceOptions)),
        (LogOptions.Section, typeof(LogOptions)),
        (ExperimentOptions.Section, typeof(ExperimentOptions)),
    ];

    /// <summary>Keys the Generic Host itself reads from the command line (<c>--environment Development</c>).</summary>
    private static readonly string[] HostKeys = ["environment", "applicationName", "contentRoot"];

    private static readonly Lazy<IReadOnlyList<KnownSetting>> AllSettings = new(() => [.. Sections.SelectMany(s => Of(s.Section, s.Options))]);

    public static IReadOnlyList<KnownSetting> All => AllSettings.Value;

    public static IEnumerable<KnownSetting> InSection(string section) => All.Where(s => s.Section == section);

    /// <summary>The sections the demo reads (no verb, or <c>demo</c>).</summary>
    public static readonly IReadOnlyList<string> DemoSections =
    [
        NetworkOptions.Section, SliceOptions.Section, PeerOptions.Section, SeedOptions.Section, GossipOptions.Section, GroupOptions.Section, PrivateOptions.Section,
        TransportOptions.Section, DemoOptions.Section, LiveViewOptions.Section, LogOptions.Section, SecurityOptions.Section, LoggingSection,
    ];

    /// <summary>
    /// The sections an experiment reads: its own, and the peers', seeds', routing's and connections'
    /// (<see cref="ExperimentOptions.From"/>); over slices also where the seeds are and which slice this is
    /// (<c>Experiments/Slices</c>).
    /// </summary>
    public static readonly IReadOnlyList<string> ExperimentSections =
    [
        ExperimentOptions.Section, PeerOptions.Section, SeedOptions.Section, GossipOptions.Section, PrivateOptions.Section, TransportOptions.Section,
        SecurityOptions.Section,
        NetworkOptions.Section, SliceOptions.Section,
    ];

    /// <summary>
    /// Whether <paramref name="verb"/> ignores <paramref name="key"/> although it reads its section: an experiment takes
    /// where the seeds are from <c>Network</c> (over slices), but its sizes from its own section (<c>Experiment:Peers</c>,
    /// <c>Experiment:Seeds</c>).
    /// </summary>
    public static bool IgnoredBy(string verb, string key) =>
        verb == ExperimentCommand.Verb
        && (string.Equals(key, $"{NetworkOptions.Section}:{nameof(NetworkOptions.Peers)}", StringComparison.OrdinalIgnoreCase));

    /// <summary>The sections <paramref name="verb"/> reads, in the order help lists them (<c>compare</c> reads none).</summary>
    public static IReadOnlyList<string> SectionsOf(string verb) => verb switch
    {
        P2PSimCommandLine.DemoVerb => DemoSections,
        ExperimentCommand.Verb => ExperimentSections,
        _ => [],
    };

    /// <summary>The section of a setting's name (<c>Network</c> of <c>Network:Peers</c>), as the sections spell it.</summary>
    public static string? SectionOf(string key)
    {
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        var section = colon < 0 ? key : key[..colon];
        return Sections.Select(s => s.Section).Append(LoggingSection).FirstOrDefault(s => string.Equals(s, section, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The problems of the given settings (<c>Section:Key</c> to value), one sentence each naming the setting; empty when
    /// every one is known and well written. <paramref name="source"/> says where they were given ("on the command line");
    /// <paramref name="spell"/> writes a setting's name as that source does (an environment variable: <c>Slice__Index</c>).
    /// </summary>
    public static IReadOnlyList<string> Check(IEnumerable<KeyValuePair<string, string?>> given, string source, Func<string, string>? spell = null)
    {
        spell ??= static name => name;
        var problems = new List<string>();
        foreach (var (key, value) in given)
        {
            if (key.StartsWith(LoggingSection + ":", StringComparison.OrdinalIgnoreCase) || HostKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }
            if (IsSeedListEntry(key, value, out var listProblem))
            {
                if (listProblem is not null)
                {
                    problems.Add($"{spell(key)} ({source}): {listProblem}");
                }
                continue;
            }
            var setting = Find(key);
            if (setting is null)
            {
                problems.Add($"{spell(key)} ({source}) is not a setting; did you mean {spell(Nearest(key))}?");
                continue;
            }
            if (value is null)
            {
                continue;
            }
            var problem = ValueProblem(setting, value);
            if (problem is not null)
            {
                problems.Add($"{spell(setting.Name)} ({source}): {problem}");
            }
        }
        return problems;
    }

    /// <summary>
    /// <c>Network:Seeds</c> written as a list: <c>Network:Seeds:&lt;n&gt;:Name|Host|Port</c> (read by <c>SeedListReader</c>,
    /// which checks names and hosts); a port must be a number here.
    /// </summary>
    private static bool IsSeedListEntry(string key, string? value, out string? problem)
    {
        problem = null;
        var parts = key.Split(':');
        if (parts.Length != 4 || !string.Equals(parts[0], NetworkOptions.Section, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(parts[1], nameof(NetworkOptions.Seeds), StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out _)
            || !new[] { "Name", "Host", "Port" }.Contains(parts[3], StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }
        if (string.Equals(parts[3], "Port", StringComparison.OrdinalIgnoreCase) && value is not null
            && !int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            problem = $"'{value}' is not a port number";
        }
        return true;
    }

    public static KnownSetting? Find(string key) => All.FirstOrDefault(s => string.Equals(s.Name, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>The setting, verb or word nearest to <paramref name="given"/> (Levenshtein distance, ignoring case).</summary>
    public static string Nearest(string given, IEnumerable<string>? candidates = null) =>
        (candidates ?? All.Select(s => s.Name))
            .OrderBy(c => Distance(given.ToUpperInvariant(), c.ToUpperInvariant()))
            .ThenBy(c => c, StringComparer.Ordinal)
            .First();

    /// <summary>Levenshtein distance: the fewest insertions, deletions and substitutions that turn one into the other.</summary>
    public static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>Why <paramref name="value"/> is no value of <paramref name="setting"/>, or null when it is one.</summary>
    private static string? ValueProblem(KnownSetting setting, string value)
    {
        var type = Nullable.GetUnderlyingType(setting.Type) ?? setting.Type;
        if (setting.IsDuration)
        {
            // TimeSpan.Parse reads a bare "5" as five days: a duration must say its unit by its form.
            if (!value.Contains(':', StringComparison.Ordinal))
            {
                return $"a duration is written hh:mm:ss[.fff], e.g. 00:00:05 for five seconds (was '{value}'; a bare number is not taken).";
            }
            return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _)
                ? null
                : $"'{value}' is no duration; write hh:mm:ss[.fff], e.g. 00:00:05 for five seconds.";
        }
        if (Nullable.GetUnderlyingType(setting.Type) is not null && value.Length == 0)
        {
            return null; // empty: unset
        }
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            var what = type.IsEnum ? char.ToLowerInvariant(ex.Message[0]) + ex.Message[1..]
                : type == typeof(bool) ? "use true or false."
                : $"use a number{(type == typeof(double) ? " such as 0.25" : "")}.";
            return $"'{value}' is not a valid value; {what}";
        }
    }

    /// <summary>The settings of one options type: public properties with a setter of a simple type (nested sections excluded).</summary>
    private static IEnumerable<KnownSetting> Of(string section, Type options)
    {
        var defaults = Activator.CreateInstance(options);
        foreach (var property in options.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } || !IsSimple(property.PropertyType))
            {
                continue;
            }
            yield return new KnownSetting(section, property.Name, property.PropertyType, Format(property.GetValue(defaults)));
        }
    }

    private static bool IsSimple(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal);
    }

    private static string Format(object? value) => value switch
    {
        null => "(unset)",
        "" => "(empty)",
        Enum e => e.ToString().ToLowerInvariant(),
        bool b => b ? "true" : "false",
        TimeSpan t => t.ToString(t.Milliseconds == 0 ? @"hh\:mm\:ss" : @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
