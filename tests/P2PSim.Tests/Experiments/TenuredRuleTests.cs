using Microsoft.Extensions.Configuration;
using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// Tenured neighbours in experiments: during a network's first <c>Seed:TenureAfter</c> (an experiment's whole run) each
/// seed's 5 oldest peers would take every joiner's tenured link, so a tcp experiment's nodes have the rule only in the
/// attack workload (and its baseline), or where the settings name <c>Seed:TenureAfter</c> or <c>Peer:TenuredNeighbours</c>;
/// every other workload runs as before the rule. (AgreementTests shows a default tcp burst building the simulated
/// network's very overlay, which the rule would change.)
/// </summary>
[TestFixture]
public sealed class TenuredRuleTests
{
    [TestCase("burst", null, null, 0, 0)]
    [TestCase("crash", null, null, 0, 0)]
    [TestCase("churn", null, null, 0, 0)]
    [TestCase("attack", null, null, 1, 300)]
    [TestCase("burst", "2", null, 2, 300)]
    [TestCase("burst", null, "00:01:00", 1, 60)]
    [TestCase("crash", "0", null, 0, 300)]
    [TestCase("attack", "0", "00:00:00", 0, 0)]
    public void The_nodes_of_a_run_keep_tenured_neighbours_in_the_attack_workload_or_when_the_settings_name_them(
        string workload, string? tenuredNeighbours, string? tenureAfter, int expectedNeighbours, int expectedTenureSeconds)
    {
        var settings = new Dictionary<string, string?> { ["Experiment:Workload"] = workload };
        if (tenuredNeighbours is not null)
        {
            settings["Peer:TenuredNeighbours"] = tenuredNeighbours;
        }
        if (tenureAfter is not null)
        {
            settings["Seed:TenureAfter"] = tenureAfter;
        }
        var options = ExperimentOptions.From(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

        Assert.That(options.PeerOptionsForRun().TenuredNeighbours, Is.EqualTo(expectedNeighbours), "Peer:TenuredNeighbours of the run's peers");
        Assert.That(options.SeedOptionsForRun().TenureAfter, Is.EqualTo(TimeSpan.FromSeconds(expectedTenureSeconds)), "Seed:TenureAfter of the run's seeds");
    }

    [Test]
    public void An_attack_runs_baseline_has_the_rule_as_the_attack_run_does()
    {
        var attack = new ExperimentOptions { Workload = WorkloadKind.Attack };
        var baseline = attack with { Workload = WorkloadKind.Burst, AttackBaselineRun = true }; // as TcpExperiment builds it

        Assert.That(baseline.PeerOptionsForRun().TenuredNeighbours, Is.EqualTo(attack.PeerOptionsForRun().TenuredNeighbours).And.EqualTo(1));
        Assert.That(baseline.SeedOptionsForRun().TenureAfter, Is.EqualTo(attack.SeedOptionsForRun().TenureAfter).And.EqualTo(TimeSpan.FromMinutes(5)));
    }
}
