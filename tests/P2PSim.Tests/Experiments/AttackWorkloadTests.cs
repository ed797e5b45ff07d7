using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.Experiments.Attacks;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// The attack workload on real nodes over loopback, on TLS links (as by default) and on Noise links, the attackers
/// speaking each with keys of their own: every attack really happens (attempts, and the honest nodes' own counters for
/// its defence moved) and gets nothing through, while honest delivery stays 100 %, as in a baseline run without
/// attackers. Take a defence away and its row's refused count falls to 0 or its got-through count rises. The noise
/// network is smaller (the suite's time): every attack still has its victims.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AttackWorkloadTests
{
    [TestCase(LinkSecurity.Tls, 20, 40)]
    [TestCase(LinkSecurity.Noise, 12, 20)]
    [CancelAfter(120_000)]
    public async Task Every_attack_is_refused_and_gets_nothing_through_while_honest_delivery_stays_complete(LinkSecurity links, int peers, int messages, CancellationToken ct)
    {
        var options = new ExperimentOptions
        {
            Workload = WorkloadKind.Attack,
            Seeds = 2,
            Peers = peers,
            Security = new SecurityOptions { Links = links },
            RunSeed = 11,
            Messages = messages,
            Spacing = TimeSpan.FromMilliseconds(200),
            AttackStrength = 0.5,
            // A smaller allowance than the default, so half the default flood (1,000) is throttled and the flooder cut off.
            Gossip = new GossipOptions { OriginBurst = 200, OriginRate = 50 },
            Transport = new TransportOptions { HandshakeTimeout = TimeSpan.FromSeconds(1) },
        };

        var report = await new TcpExperiment(options).RunAsync(cancellationToken: ct);

        var attacks = report.Attacks;
        Assert.That(attacks, Is.Not.Null, "the attack workload reports its attacks");
        var text = new StringWriter();
        ReportWriter.WriteText(text, report);
        await TestContext.Out.WriteLineAsync(text.ToString());
        AttackResult Row(string prefix) => attacks!.Results.Single(r => r.Attack.StartsWith(prefix, StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(report.Delivery.Reliability, Is.EqualTo(1.0), "every honest message reached every peer");
            Assert.That(report.Faults.LivePeersRemoved, Is.Zero, "no live peer removed from a seed");
            Assert.That(attacks!.Results.Where(r => r.Attack.Contains("failed", StringComparison.Ordinal)), Is.Empty, "every attack ran");
            foreach (var row in attacks.Results.Where(static r => !r.Open))
            {
                Assert.That(row.Attempts, Is.GreaterThan(0), $"{row.Attack}: attempted");
                Assert.That(row.GotThrough, Is.Zero, $"{row.Attack}: got through ({row.Measure})");
            }
            foreach (var row in attacks.Results.Where(static r => !r.Open && !r.Attack.Contains("ANSI", StringComparison.Ordinal)))
            {
                Assert.That(row.Refused + row.Throttled, Is.GreaterThan(0), $"{row.Attack}: the honest nodes counted their defence");
            }
            Assert.That(Row("connections:").Refused, Is.GreaterThanOrEqualTo(50 - options.Transport.MaxInboundPerAddress), "refused beyond the cap per address");
            Assert.That(Row("flood:").Throttled, Is.GreaterThan(0), "the flood was throttled");
            Assert.That(Row("flood:").Closed, Is.EqualTo(1), "and the flooder cut off");
            Assert.That(Row("death report:").Refused, Is.GreaterThan(0), "the seed's own check refuted the report");
            Assert.That(Row("impostor Hello:").Closed, Is.EqualTo(Row("impostor Hello:").Attempts), "every impostor closed");
            Assert.That(attacks.RawControlLogLines, Is.Zero, "no log line holds a raw newline or escape");
            Assert.That(attacks.LogLines, Is.GreaterThan(0), "the log lines were read");
            Assert.That(attacks.GotThrough, Is.Zero);
            Assert.That(attacks.Cost, Is.Not.Null, "a baseline run without attackers came first");
            Assert.That(attacks.Cost?.BaselineReliability, Is.EqualTo(1.0));
            Assert.That(attacks.Cost?.Reliability, Is.EqualTo(report.Delivery.Reliability));
            Assert.That(attacks.Cost?.CpuSeconds, Is.GreaterThan(0));
            Assert.That(text.ToString(), Does.Contain("Attacks (attempts / refused / closed / throttled / got through)").And.Contain("forged gossip: bad signature"));
            Assert.That(report.LinkSecurity, Is.EqualTo(EnumSetting.Name(links)), "the network ran on the links asked");
            var noiseRows = attacks.Results.Count(static r => r.Attack.StartsWith("bad handshake: Noise:", StringComparison.Ordinal));
            Assert.That(noiseRows, links == LinkSecurity.Noise ? Is.EqualTo(13) : Is.Zero, "the Noise handshakes and records, on noise links only");
            Assert.That(Row("bad handshake: a Hello claiming another id").Refused, Is.GreaterThan(0), "a Hello claiming another id than the link's key is refused");
        });
        foreach (var kind in Enum.GetValues<AttackKind>())
        {
            Assert.That(report.WorkloadDescription, Does.Contain(EnumSetting.Name(kind)), "every attack ran by default");
        }
    }

    [Test]
    public void The_attack_workload_runs_on_tcp_only_and_names_an_unknown_attack()
    {
        var simulated = new ExperimentOptions { Workload = WorkloadKind.Attack, Network = NetworkKind.Simulated };
        var unknown = new ExperimentOptions { Workload = WorkloadKind.Attack, Attacks = "flood,sybil" };
        var weak = new ExperimentOptions { Workload = WorkloadKind.Attack, AttackStrength = 0 };

        Assert.That(() => simulated.Validate(), Throws.ArgumentException.With.Message.Contains("Experiment:Workload attack runs on the tcp network only"));
        Assert.That(() => unknown.Validate(), Throws.ArgumentException.With.Message.Contains("Experiment:Attacks").And.Message.Contains("\"sybil\""));
        Assert.That(() => weak.Validate(), Throws.ArgumentException.With.Message.Contains("Experiment:AttackStrength"));
        Assert.That(AttackKinds.Parse("Flood, forged", out _), Is.EqualTo(new[] { AttackKind.Flood, AttackKind.Forged }));
    }
}
