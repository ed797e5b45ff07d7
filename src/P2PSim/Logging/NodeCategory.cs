using System.Globalization;
using P2PSim.Protocol;

namespace P2PSim.Logging;

/// <summary>
/// The logger category of a node is its tag on the console and names its file:
/// <c>Seed 5000</c> writes <c>Log_5000.txt</c>.
/// </summary>
public static class NodeCategory
{
    public static string For(NodeRole role, int port) => string.Create(CultureInfo.InvariantCulture, $"{role} {port}");

    /// <summary>The port of a node category, or null for any other category.</summary>
    public static int? PortOf(string category)
    {
        var space = category.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !Enum.TryParse<NodeRole>(category.AsSpan(0, space), out _))
        {
            return null;
        }
        return int.TryParse(category.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
    }
}
