using P2PSim.Configuration;

namespace P2PSim.Tests.Configuration;

/// <summary>A network of real nodes that cannot fit into the process's open files is refused with the numbers, not started.</summary>
[TestFixture]
public sealed class OpenFileLimitTests
{
    [Test]
    public void A_network_that_fits_passes_and_one_that_does_not_is_refused_naming_the_setting_and_what_fits()
    {
        Assert.That(OpenFileLimit.Check("Network:Peers", 2199, 3, 4, 20_000), Is.Null, "2199 x 9 + 3 + 200 = 19,994");

        var refusal = OpenFileLimit.Check("Network:Peers", 2200, 3, 4, 20_000);

        Assert.That(refusal, Does.StartWith("Network:Peers (2200) needs about 20003 open files"));
        Assert.That(refusal, Does.Contain("this process may open 20000 (ulimit -n)"));
        Assert.That(refusal, Does.Contain("at most about 2199 peers"));
    }

    [Test]
    public void More_neighbours_need_more_files_and_an_unknown_limit_checks_nothing()
    {
        Assert.That(OpenFileLimit.Needed(1000, 3, 8), Is.EqualTo((1000 * 17) + 3 + OpenFileLimit.Overhead));
        Assert.That(OpenFileLimit.Check("Experiment:Peers", 1000, 3, 8, 10_000), Does.Contain("at most about 576 peers"));
        Assert.That(OpenFileLimit.Check("Experiment:Peers", 1_000_000, 3, 4, limit: null), Is.Null);
    }

    [Test]
    public void This_process_limit_is_read_on_linux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("/proc/self/limits is Linux only");
        }
        Assert.That(OpenFileLimit.Current(), Is.GreaterThan(0));
    }
}
