using System.Globalization;
using System.Text;

namespace P2PSim.Logging;

/// <summary>
/// A text that came from the network, as a log line shows it: one line whatever it holds. Control characters (a newline
/// that would forge a whole log line, an ANSI escape that would drive the reader's terminal) and the Unicode
/// characters that reorder or hide text (bidirectional overrides, zero-width marks) are written as escapes (<c>\n</c>,
/// <c>\x1b</c>, <c>\u202e</c>), a backslash as <c>\\</c>, so nothing is lost and nothing is mistaken; past
/// <see cref="MaxChars"/> characters the rest is left out and counted.
/// </summary>
public readonly struct LogText(string text)
{
    /// <summary>Characters of a text a log line shows at most.</summary>
    public const int MaxChars = 512;

    public override string ToString() => Escape(text);

    /// <summary>The text as a log line shows it (see <see cref="LogText"/>); the text itself when nothing needs escaping.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var clean = text.Length <= MaxChars;
        for (var i = 0; clean && i < text.Length; i++)
        {
            clean = !NeedsEscape(text[i]);
        }
        if (clean)
        {
            return text;
        }
        var shown = Math.Min(text.Length, MaxChars);
        var sb = new StringBuilder(shown + 16);
        for (var i = 0; i < shown; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                default:
                    if (!NeedsEscape(c))
                    {
                        sb.Append(c);
                    }
                    else if (c <= '\u00ff')
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    }
                    else
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }
                    break;
            }
        }
        if (text.Length > shown)
        {
            sb.Append(CultureInfo.InvariantCulture, $"... ({text.Length - shown} more characters)");
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(char c) =>
        c == '\\' || char.IsControl(c) // C0, DEL and C1 (ESC starts every ANSI sequence; U+009B is a one-character CSI)
        || c is >= '\u200b' and <= '\u200f' // zero-width space, joiners, left-to-right and right-to-left marks
        || c is >= '\u202a' and <= '\u202e' // bidirectional embeddings and overrides
        || c is >= '\u2066' and <= '\u2069' // bidirectional isolates
        || c is '\u2028' or '\u2029' or '\ufeff'; // line and paragraph separators, byte order mark
}
