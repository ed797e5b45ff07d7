using P2PSim.Configuration;
using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// <c>Security:Signatures</c>: a simulated run checks signatures for real by default, may skip the cryptography and then
/// delivers exactly the same (sizes and rules kept); a network on real sockets refuses to skip it.
/// </summary>
[TestFixture]
public sealed class SignatureModeTests
{
    private static IEnumerable<TestCaseData> Runs()
    {
        yield return new TestCaseData(new ExperimentOptions { Peers = 60, RunSeed = 21, Workload = WorkloadKind.Burst, Messages = 20, Jitter = TimeSpan.FromMilliseconds(2), Loss = 0.02 })
            .SetName("{m}(burst, lossy links)");
        yield return new TestCaseData(new ExperimentOptions
        {
            Peers = 60,
            RunSeed = 22,
            Workload = WorkloadKind.Crash,
            CrashShare = 0.2,
            Messages = 20,
            Peer = new PeerOptions
            {
                LivenessInterval = TimeSpan.FromSeconds(1),
                RegistrationTimeout = TimeSpan.FromMilliseconds(500),
                RetryInterval = TimeSpan.FromMilliseconds(200),
                ReregisterInterval = TimeSpan.FromSeconds(2),
                HistoryWindow = TimeSpan.FromSeconds(30),
            },
            Gossip = new GossipOptions { Routing = Routing.Spanning },
        }).SetName("{m}(crash, spanning tree: grafts and catch-up carry the signatures too)");
        yield return new TestCaseData(new ExperimentOptions { Peers = 40, RunSeed = 23, Workload = WorkloadKind.Private, Messages = 30, NotDialableShare = 0.2 })
            .SetName("{m}(private messages, some relayed by seeds)");
        yield return new TestCaseData(new ExperimentOptions { Peers = 40, RunSeed = 24, Workload = WorkloadKind.Groups, Messages = 20, Groups = 3, GroupShare = 0.4 })
            .SetName("{m}(groups)");
    }

    [TestCaseSource(nameof(Runs))]
    public void A_simulated_run_delivers_the_same_whether_it_checks_signatures_or_skips_the_cryptography(ExperimentOptions options)
    {
        var verified = new SimulatedExperiment(options with { Security = new SecurityOptions { Signatures = SignatureMode.Verify } }).Run();
        var skipped = new SimulatedExperiment(options with { Security = new SecurityOptions { Signatures = SignatureMode.Skip } }).Run();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(verified.Signatures!.Mode, Is.EqualTo("verify"));
            Assert.That(skipped.Signatures!.Mode, Is.EqualTo("skip"));
            Assert.That(verified.Signatures.Checked, Is.Positive, "signatures were checked");
            Assert.That(verified.Signatures.Forged, Is.Zero, "an honest network forges nothing");
            Assert.That(verified.Private?.Reliability ?? verified.Groups?.Reliability ?? verified.Delivery.Reliability, Is.EqualTo(1.0));
            // Everything else, byte counts included, is the same: only the cryptography was skipped.
            Assert.That(ReportWriter.ToDeterministicJson(skipped with { Signatures = skipped.Signatures with { Mode = "verify" } }),
                Is.EqualTo(ReportWriter.ToDeterministicJson(verified)));
        }
    }

    [Test]
    public void Simulated_runs_check_signatures_for_real_unless_told_otherwise() =>
        Assert.That(new ExperimentOptions().Security.Signatures, Is.EqualTo(SignatureMode.Verify));

    [Test]
    public void A_tcp_experiment_refuses_to_skip_the_cryptography_naming_the_setting()
    {
        var tcp = new ExperimentOptionsValidator().Validate(null, new ExperimentOptions { Network = NetworkKind.Tcp, Security = new SecurityOptions { Signatures = SignatureMode.Skip } });
        var simulated = new ExperimentOptionsValidator().Validate(null, new ExperimentOptions { Network = NetworkKind.Simulated, Security = new SecurityOptions { Signatures = SignatureMode.Skip } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(tcp.Failed, Is.True);
            Assert.That(tcp.FailureMessage, Does.Contain("Security:Signatures=skip is for simulated experiments only"));
            Assert.That(simulated.Succeeded, Is.True, simulated.FailureMessage);
        }
    }

    [Test]
    public async Task The_demo_refuses_to_skip_the_cryptography_with_one_line_naming_the_setting()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();

        var exit = await P2PSim.Cli.P2PSimCommandLine.RunAsync(["--Security:Signatures=skip"], output, errors);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(errors.ToString(), Does.Contain("Security:Signatures=skip is for simulated experiments only"));
            Assert.That(errors.ToString().Split('\n').Count(l => l.Contains("Security:Signatures", StringComparison.Ordinal)), Is.EqualTo(1), "one line");
            Assert.That(errors.ToString(), Does.Not.Contain("   at "), "no stack trace");
        }
    }

    [Test]
    public async Task A_tcp_experiment_on_the_command_line_refuses_to_skip_the_cryptography()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();

        var exit = await P2PSim.Cli.P2PSimCommandLine.RunAsync(["experiment", "--Experiment:Peers=5", "--Security:Signatures=skip"], output, errors);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors.ToString() + output.ToString(), Does.Contain("Security:Signatures=skip is for simulated experiments only"));
    }
}
