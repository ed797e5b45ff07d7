using System.Net.Sockets;
using P2PSim.Configuration;

namespace P2PSim.Tests.Configuration;

/// <summary>
/// The process's open files are counted right (the transport's reserve and the experiment reports rely on it) and
/// without a stat per file, so counting 18,000 sockets stays cheap.
/// </summary>
[TestFixture]
[NonParallelizable] // other tests open and close sockets; this one compares two counts of the same moment
public sealed class OpenFilesTests
{
    [Test]
    public void Sockets_opened_are_counted_and_the_count_matches_the_entries_of_proc_self_fd()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("/proc/self/fd is Linux only");
        }
        var before = OpenFiles.Now();
        var sockets = Enumerable.Range(0, 500).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ToList();
        try
        {
            var listedBefore = Directory.GetFiles("/proc/self/fd").Length;
            var counted = OpenFiles.Now();
            var listedAfter = Directory.GetFiles("/proc/self/fd").Length;

            Assert.That(before, Is.Not.Null);
            Assert.That(counted, Is.GreaterThanOrEqualTo(before!.Value + 450), "the 500 sockets just opened (a little slack for files other threads close)");
            // Directory.GetFiles holds one descriptor of its own on the folder while it lists it; the count does not include its own.
            Assert.That(counted, Is.InRange(Math.Min(listedBefore, listedAfter) - 11, Math.Max(listedBefore, listedAfter) + 10));
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
        Assert.That(OpenFiles.Now(), Is.LessThanOrEqualTo(before!.Value + 50), "closed sockets are no longer counted");
    }
}
