using System.Globalization;

namespace P2PSim.Logging;

/// <summary>A count with its noun, singular for one: <c>1 neighbour</c>, <c>3 neighbours</c>; formatted only when a line is written.</summary>
public readonly struct Plural(long count, string singular, string? plural = null)
{
    public override string ToString() => Of(count, singular, plural);

    /// <summary><c>1 peer</c>, <c>0 peers</c>, <c>2 peers</c>; <paramref name="plural"/> defaults to the singular plus s.</summary>
    public static string Of(long count, string singular, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? singular : plural ?? singular + "s")}");
}
