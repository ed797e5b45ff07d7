using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>The <c>experiment</c> verb with several slices refuses what a run over slices cannot do, naming the setting.</summary>
[TestFixture]
public sealed class SliceExperimentSettingsTests
{
    private const string Future = "2099-01-01T00:00:00Z";

    private static async Task<(int Exit, string Errors)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ExperimentCommand.RunAsync(["--Slice:Count=3", .. args], output, errors);
        return (exit, errors.ToString());
    }

    [TestCase("--Experiment:Workload=seedcrash", "Experiment:Workload seedcrash does not run over slices (Slice:Count): use burst, classic or crash")]
    [TestCase("--Experiment:Network=simulated", "Experiment:Network simulated runs in one process")]
    [TestCase("--Experiment:Seeds=5", "Experiment:Seeds (5) and Network:Seeds (3) disagree")]
    [TestCase("--Slice:Index=3", "Slice:Index must be between 0 and Slice:Count - 1 = 2 (was 3)")]
    [TestCase("--Network:PeerBasePort=0", "Network:PeerBasePort must not be 0 with several slices")]
    public async Task A_setting_a_run_over_slices_cannot_take_is_refused_with_its_name(string setting, string message)
    {
        var (exit, errors) = await RunAsync($"--Experiment:StartAt={Future}", setting);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain(message));
        Assert.That(errors, Does.Not.Contain("   at "), "no stack trace");
    }

    [TestCase("", "Experiment:StartAt must be set with several slices (Slice:Count): the same UTC time for every slice")]
    [TestCase("--Experiment:StartAt=tomorrow", "Experiment:StartAt must be a UTC time such as")]
    [TestCase("--Experiment:StartAt=2099-01-01T00:00:00", "Experiment:StartAt must be a UTC time such as")]
    public async Task The_start_time_must_be_one_utc_time(string setting, string message)
    {
        var (exit, errors) = await RunAsync(setting.Length > 0 ? [setting] : []);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain(message));
    }

    [Test]
    public async Task A_slice_too_big_for_the_open_file_limit_says_how_many_peers_fit()
    {
        var max = P2PSim.Configuration.OpenFileLimit.Current() ?? long.MaxValue;
        if (max > 1_000_000)
        {
            Assert.Ignore("the open-file limit cannot be read here, or is too high to exceed with a test's slice");
        }
        var peers = (max / 9 * 3) + 3000;

        var (exit, errors) = await RunAsync($"--Experiment:StartAt={Future}", $"--Experiment:Peers={peers}");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("Slice 0 of 3 (Slice:Index), its share of Experiment:Peers").And.Contain("Or cut the network into more slices (Slice:Count)"));
    }
}
