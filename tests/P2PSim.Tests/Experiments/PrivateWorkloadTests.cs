using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Experiments;

/// <summary>The private workload: messages between random pairs, a share of the peers not dialable, some recipients crashing.</summary>
[TestFixture]
public sealed class PrivateWorkloadTests
{
    private static ExperimentOptions Options(int peers, double notDialable, double crash, int messages = 40) => new()
    {
        Seeds = 3,
        Peers = peers,
        RunSeed = 3,
        Workload = WorkloadKind.Private,
        Messages = messages,
        Spacing = TimeSpan.FromMilliseconds(50),
        NotDialableShare = notDialable,
        CrashShare = crash,
        Peer = new PeerOptions
        {
            LivenessInterval = TimeSpan.FromSeconds(1),
            RegistrationTimeout = TimeSpan.FromMilliseconds(500),
            RetryInterval = TimeSpan.FromMilliseconds(200),
            ReregisterInterval = TimeSpan.FromSeconds(2),
        },
        Private = new PrivateOptions { AckTimeout = TimeSpan.FromMilliseconds(500), Attempts = 3 },
        SampleInterval = TimeSpan.FromMilliseconds(500),
    };

    [Test]
    public void On_the_simulated_network_every_live_recipient_gets_its_messages_once_nobody_else_does_and_crashed_ones_are_reported()
    {
        var report = new SimulatedExperiment(Options(peers: 50, notDialable: 0.2, crash: 0.1)).Run();

        var p = report.Private!;
        Assert.Multiple(() =>
        {
            Assert.That(report.Workload, Is.EqualTo("private"));
            Assert.That(p.Sent, Is.EqualTo(40));
            Assert.That(p.NotDialablePeers, Is.EqualTo(10));
            Assert.That(p.Reliability, Is.EqualTo(1.0), "every message to a peer that never crashed is delivered");
            Assert.That(p.Leakage, Is.Zero, "delivered to nobody but its recipient");
            Assert.That(p.DuplicateDeliveries, Is.Zero);
            Assert.That(p.UndeliverableToLiveRecipients, Is.Zero);
            Assert.That(p.Pending, Is.Zero, "every message acknowledged or reported undeliverable");
            Assert.That(p.Acknowledged + p.Undeliverable, Is.EqualTo(p.Sent));
            Assert.That(p.AcknowledgedThroughSeed, Is.Positive, "some recipients could not be dialled");
            Assert.That(p.ToCrashedRecipients, Is.Positive, "the run seed sends some messages to peers that crash");
            Assert.That(p.Undeliverable, Is.EqualTo(p.ToCrashedRecipients - p.DeliveredToCrashedRecipients), "what crashed recipients did not get was reported");
            Assert.That(p.TransmissionsPerDelivery, Is.GreaterThanOrEqualTo(1.0));
            Assert.That(p.LatencyP50Ms, Is.Not.Null);
            Assert.That(report.Crash!.DetectedEverywhere, Is.EqualTo(5), "the crashed peers, some of them not dialable, were detected");
            Assert.That(report.Faults.LivePeersReportedDead, Is.Zero, "no live peer, dialable or not, was taken for dead");
        });
    }

    [Test]
    public void Without_peers_behind_a_NAT_or_crashes_a_message_costs_one_payload_transmission_and_one_acknowledgement()
    {
        var report = new SimulatedExperiment(Options(peers: 30, notDialable: 0, crash: 0, messages: 20)).Run();

        var p = report.Private!;
        Assert.Multiple(() =>
        {
            Assert.That(p.Reliability, Is.EqualTo(1.0));
            Assert.That(p.PayloadTransmissions, Is.EqualTo(20));
            Assert.That(p.TransmissionsPerDelivery, Is.EqualTo(1.0));
            Assert.That(p.Acknowledgements, Is.EqualTo(20));
            Assert.That(p.AcknowledgedThroughSeed, Is.Zero);
        });
    }

    [Test]
    public void A_simulated_run_is_the_same_every_time_and_its_report_says_it()
    {
        var options = Options(peers: 30, notDialable: 0.3, crash: 0.1, messages: 20);

        var first = ReportWriter.ToDeterministicJson(new SimulatedExperiment(options).Run());
        var second = ReportWriter.ToDeterministicJson(new SimulatedExperiment(options).Run());

        Assert.That(second, Is.EqualTo(first));
        Assert.That(first, Does.Contain("\"private\": {"));
        using var text = new StringWriter();
        ReportWriter.WriteText(text, new SimulatedExperiment(options).Run());
        Assert.That(text.ToString(), Does.Contain("leakage / repeated deliveries"));
    }

    [Test]
    [NonParallelizable]
    [CancelAfter(90_000)]
    public async Task On_tcp_messages_reach_their_recipients_directly_and_through_seeds(CancellationToken ct)
    {
        var options = Options(peers: 12, notDialable: 0.25, crash: 0, messages: 20) with
        {
            Peer = TcpTestOptions.FastLiveness(),
            DrainTimeout = TimeSpan.FromSeconds(20),
        };

        var report = await new TcpExperiment(options).RunAsync(cancellationToken: ct);

        var p = report.Private!;
        Assert.Multiple(() =>
        {
            Assert.That(p.Sent, Is.EqualTo(20));
            Assert.That(p.NotDialablePeers, Is.EqualTo(3));
            Assert.That(p.Reliability, Is.EqualTo(1.0));
            Assert.That(p.Leakage, Is.Zero);
            Assert.That(p.DuplicateDeliveries, Is.Zero);
            Assert.That(p.Pending, Is.Zero);
            Assert.That(p.Acknowledged, Is.EqualTo(20));
            Assert.That(p.Acknowledgements, Is.Null, "not counted on tcp");
        });
    }

    [Test]
    public void The_settings_are_checked()
    {
        var result = new ExperimentOptionsValidator().Validate(null, Options(peers: 1, notDialable: 1.5, crash: 1));

        Assert.That(result.Failures, Has.Some.StartsWith("Experiment:Peers must be between 2"));
        Assert.That(result.Failures, Has.Some.StartsWith("Experiment:NotDialableShare must be between 0 and 1"));
        Assert.That(result.Failures, Has.Some.StartsWith("Experiment:CrashShare must be below 1 with the private workload"));
    }
}
