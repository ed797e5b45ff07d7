using P2PSim.Logging;

namespace P2PSim.Tests.Logging;

/// <summary>A text from the network cannot forge a log line or drive the terminal (issue 11: a newline forged a whole line in six log files).</summary>
public sealed class LogTextTests
{
    [Test]
    public void A_plain_text_is_shown_as_it_is()
    {
        const string text = "1700000000123:127.0.0.1:5001:7 héllo ✓";
        Assert.That(LogText.Escape(text), Is.SameAs(text));
    }

    [TestCase("a\nb", @"a\nb")]
    [TestCase("a\r\nINFO forged", @"a\r\nINFO forged")]
    [TestCase("\u001b[31mred\u001b[0m", @"\x1b[31mred\x1b[0m")]
    [TestCase("\u009b31m", @"\x9b31m")]
    [TestCase("abc\u202egnp.exe", @"abc\u202egnp.exe")]
    [TestCase("zero\u200bwidth", @"zero\u200bwidth")]
    [TestCase(@"back\slash", @"back\\slash")]
    [TestCase("tab\tbell\a", @"tab\tbell\x07")]
    public void Control_and_reordering_characters_are_written_as_escapes(string text, string shown) =>
        Assert.That(LogText.Escape(text), Is.EqualTo(shown));

    [Test]
    public void A_long_text_is_cut_and_the_rest_counted()
    {
        var shown = LogText.Escape(new string('x', 4096));
        Assert.That(shown, Is.EqualTo(new string('x', LogText.MaxChars) + $"... ({4096 - LogText.MaxChars} more characters)"));
    }
}
