using System.Text.Json;
using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>The <c>experiment</c> command: settings checked up front, a run printed and written as JSON.</summary>
[TestFixture]
public sealed class ExperimentCommandTests
{
    private static async Task<(int Exit, string Output, string Errors)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ExperimentCommand.RunAsync(args, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    [Test]
    public async Task A_partition_on_tcp_is_refused_with_the_setting_named_and_exit_code_2()
    {
        var (exit, _, errors) = await RunAsync("--Experiment:Workload=partition");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("Experiment:Workload partition runs on the simulated network only"));
    }

    [Test]
    public async Task A_partition_longer_than_the_history_window_is_refused()
    {
        var (exit, _, errors) = await RunAsync("--Experiment:Network=simulated", "--Experiment:Workload=partition",
            "--Experiment:PartitionDuration=00:02:00", "--Peer:HistoryWindow=00:01:00");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("Experiment:PartitionDuration").And.Contain("Peer:HistoryWindow"));
    }

    [TestCase("--Experiment:ChurnLeaveShare=0.95", "Experiment:ChurnLeaveShare + Experiment:ChurnJoinShare must be below 1")]
    [TestCase("--Experiment:SeedCrashes=4", "Experiment:SeedCrashes must be between 1 and 3")]
    public async Task Bad_fault_settings_are_refused(string setting, string message)
    {
        var workload = setting.Contains("SeedCrashes", StringComparison.Ordinal) ? "--Experiment:Workload=seedcrash" : "--Experiment:Workload=churn";

        var (exit, _, errors) = await RunAsync("--Experiment:Network=simulated", workload, setting);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain(message));
    }

    [TestCase("--Experiment:Workload=storm", "Experiment:Workload (on the command line): 'storm' is not a valid value", "use burst, classic, crash, seedcrash, churn, partition, private, groups or attack")]
    [TestCase("--Experiment:Network=1", "Experiment:Network (on the command line): '1' is not a valid value", "use tcp or simulated")]
    [TestCase("--Experiment:Network=tcp,simulated", "Experiment:Network (on the command line): 'tcp,simulated'", "use tcp or simulated")]
    public async Task A_network_or_workload_that_is_no_name_is_refused_with_the_setting_and_the_names_to_use(string setting, string named, string names)
    {
        var (exit, _, errors) = await RunAsync(setting);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain(named).And.Contain(names));
        Assert.That(errors, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public async Task Network_and_workload_names_are_taken_in_any_case_and_written_in_lower_case()
    {
        var folder = Directory.CreateTempSubdirectory("p2psim-names-");
        try
        {
            var (exit, output, errors) = await RunAsync("--Experiment:Network=Simulated", "--Experiment:Workload=SeedCrash", "--Experiment:Peers=10",
                "--Experiment:Messages=4", "--Peer:ReregisterInterval=00:00:05", $"--Experiment:ReportPath={folder.FullName}/{{network}}-{{workload}}.json");

            Assert.That(exit, Is.Zero, errors);
            Assert.That(output, Does.StartWith("P2PSim experiment: simulated network"));
            Assert.That(File.Exists(Path.Combine(folder.FullName, "simulated-seedcrash.json")), Is.True);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    public async Task A_churn_run_prints_connectivity_and_false_deaths_and_writes_them_as_json()
    {
        var path = Path.Combine(Path.GetTempPath(), $"p2psim-churn-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, output, errors) = await RunAsync("--Experiment:Network=simulated", "--Experiment:Workload=churn", "--Experiment:Peers=40",
                "--Experiment:Messages=20", "--Experiment:ChurnLeaveShare=0.2", "--Experiment:ChurnJoinShare=0.2", "--Experiment:SampleInterval=00:00:00.500",
                "--Peer:LivenessInterval=00:00:01", $"--Experiment:ReportPath={path}");

            Assert.That(exit, Is.Zero, errors);
            Assert.That(output, Does.Contain("false death reports").And.Contain("Connectivity over time").And.Contain("churn: joined late"));
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path));
            var root = json.RootElement;
            Assert.That(root.GetProperty("faults").GetProperty("livePeersReportedDead").GetInt32(), Is.Zero);
            Assert.That(root.GetProperty("faults").GetProperty("churn").GetProperty("peersJoinedLate").GetInt32(), Is.EqualTo(8));
            Assert.That(root.GetProperty("connectivity").GetProperty("samples").GetArrayLength(), Is.GreaterThan(2));
            Assert.That(root.GetProperty("delivery").GetProperty("reliability").GetDouble(), Is.EqualTo(1.0));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
