using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>
/// Seeds cooperating on deaths: a seed that confirmed a death a peer reported relays the report to the other configured
/// seeds; a relayed report is checked like a peer's, taken only from a configured seed, and never relayed further.
/// </summary>
[TestFixture]
public sealed class SeedCooperationTests
{
    private MachineProbe<SeedMachine> _seed = null!;

    [SetUp]
    public void CreateSeed()
    {
        _seed = new MachineProbe<SeedMachine>(NewSeed(SeedAt(1), seeds: Seeds(3)), T0);
        _seed.Start();
    }

    private void Registers(NodeEndpoint peer) => _seed.PeerRegisters(peer, $"127.0.0.1:{40_000 + peer.Port}");

    private static DeadNode ReportOf(NodeEndpoint dead, NodeEndpoint reporter) => new(dead, T0.ToUnixTimeMilliseconds(), reporter);

    /// <summary>Another node, claiming role Seed and listening endpoint <paramref name="from"/>, hands the seed a report.</summary>
    private NodeAction[] RelayFrom(NodeEndpoint from, DeadNode report, string? remoteAddress = null)
    {
        var connection = _seed.Connect(from, NodeRole.Seed, inbound: true, remoteAddress: remoteAddress ?? "127.0.0.1:51999");
        _seed.Receive(connection, report);
        return _seed.Take();
    }

    [Test]
    public void A_confirmed_death_a_peer_reported_is_relayed_to_every_other_configured_seed_at_once()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        var report = ReportOf(PeerAt(1), PeerAt(2));
        _seed.Receive(PeerAt(2), report);
        _seed.Take();

        _seed.DialFails(PeerAt(1));
        var confirmed = _seed.Take();
        var toSeed2 = _seed.ConnectSeed(SeedAt(2));
        var delivered2 = _seed.Take();
        var toSeed3 = _seed.ConnectSeed(SeedAt(3));
        var delivered3 = _seed.Take();

        Assert.That(confirmed.ReportsOf<DeadNodeReceived>().Single().Removed, Is.True);
        Assert.That(confirmed.DialTargets(), Is.EqualTo(new[] { SeedAt(2), SeedAt(3) }), "both seeds dialed in the same step: one dial round-trip");
        Assert.That(confirmed.ReportsOf<DeadNodeRelayed>().Single(), Is.EqualTo(new DeadNodeRelayed(T0, report, [SeedAt(2), SeedAt(3)])).Using<DeadNodeRelayed>(SameRelay));
        Assert.That(delivered2.Where(a => a is Send or Close), Is.EqualTo(new NodeAction[] { new Send(toSeed2, report), new Close(toSeed2, "relay delivered") }),
            "the very report, unchanged (original reporter and time), then a close after flushing");
        Assert.That(delivered3.Where(a => a is Send or Close), Is.EqualTo(new NodeAction[] { new Send(toSeed3, report), new Close(toSeed3, "relay delivered") }));
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(2) }));
    }

    private static bool SameRelay(DeadNodeRelayed a, DeadNodeRelayed b) => a.At == b.At && a.Report == b.Report && a.Seeds.SequenceEqual(b.Seeds);

    [Test]
    public void A_relayed_report_about_a_live_peer_is_checked_and_refuted_and_the_peer_stays()
    {
        Registers(PeerAt(1));
        var report = ReportOf(PeerAt(1), PeerAt(5));

        var received = RelayFrom(SeedAt(2), report);
        var probe = _seed.Connect(PeerAt(1), NodeRole.Peer);
        var answered = _seed.Take();

        Assert.That(received.DialTargets(), Is.EqualTo(new[] { PeerAt(1) }), "the seed checks for itself");
        Assert.That(received.ReportsOf<DeadNodeChecking>().Single(), Is.EqualTo(new DeadNodeChecking(T0, report, "127.0.0.1:51999", AlreadyChecking: false, RelayedBy: SeedAt(2))));
        Assert.That(received.ReportsOf<DeadNodeReceived>(), Is.Empty, "never removed on another seed's word");
        Assert.That(answered.ReportsOf<DeadNodeRefuted>().Single().RelayedBy, Is.EqualTo(SeedAt(2)));
        Assert.That(answered.Closes().Single().Connection, Is.EqualTo(probe));
        Assert.That(answered.DialTargets(), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    [Test]
    public void A_relayed_report_that_the_check_confirms_removes_the_peer_and_goes_no_further()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));

        RelayFrom(SeedAt(2), ReportOf(PeerAt(1), PeerAt(2)));
        _seed.DialFails(PeerAt(1));
        var confirmed = _seed.Take();
        var later = _seed.TimerAfter(TimeSpan.FromMinutes(5));

        var verdict = confirmed.ReportsOf<DeadNodeReceived>().Single();
        Assert.That(verdict.Removed, Is.True);
        Assert.That(verdict.RelayedBy, Is.EqualTo(SeedAt(2)));
        Assert.That(confirmed.ReportsOf<DeadNodeRelayed>(), Is.Empty, "a relayed report is not relayed on: no loops");
        Assert.That(confirmed.DialTargets().Concat(later.DialTargets()), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(2) }));
    }

    [Test]
    public void A_relayed_report_about_a_peer_this_seed_does_not_list_changes_nothing()
    {
        Registers(PeerAt(2));

        var actions = RelayFrom(SeedAt(3), ReportOf(PeerAt(1), PeerAt(2)));

        var verdict = actions.ReportsOf<DeadNodeReceived>().Single();
        Assert.That(verdict.Removed, Is.False);
        Assert.That(verdict.Confirmation, Is.Null);
        Assert.That(verdict.RelayedBy, Is.EqualTo(SeedAt(3)));
        Assert.That(actions.DialTargets(), Is.Empty);
    }

    [TestCase(9007, "127.0.0.1:51999", "the sender 127.0.0.1:9007 is a seed that is not configured", TestName = "From a seed that is not configured")]
    [TestCase(9002, "10.1.2.3:40000", "claims to listen on 127.0.0.1:9002 but connects from 10.1.2.3", TestName = "From a configured seed's endpoint but another address")]
    [TestCase(9001, "127.0.0.1:51999", "the sender claims to be this seed", TestName = "Claiming to be this very seed")]
    public void A_relayed_report_from_a_sender_that_is_not_a_configured_seed_is_rejected(int port, string remoteAddress, string reason)
    {
        Registers(PeerAt(1));

        var actions = RelayFrom(NodeEndpoint.Loopback(port), ReportOf(PeerAt(1), PeerAt(5)), remoteAddress);

        Assert.That(actions.ReportsOf<DeadNodeRejected>().Single().Reason, Is.EqualTo(reason));
        Assert.That(actions.DialTargets(), Is.Empty, "not even checked");
        Assert.That(actions.ReportsOf<DeadNodeChecking>(), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    [Test]
    public void A_peer_that_is_not_registered_cannot_pass_its_report_off_as_a_relay()
    {
        Registers(PeerAt(1));
        var stranger = _seed.Connect(PeerAt(7), NodeRole.Peer, inbound: true, remoteAddress: "127.0.0.1:51000");

        _seed.Receive(stranger, ReportOf(PeerAt(1), SeedAt(2)));
        var actions = _seed.Take();

        Assert.That(actions.ReportsOf<DeadNodeRejected>().Single().Reason, Is.EqualTo("the sender 127.0.0.1:10007 is not a registered peer"));
        Assert.That(actions.DialTargets(), Is.Empty);
    }

    [Test]
    public void A_relay_to_an_unreachable_seed_is_tried_three_times_then_skipped_and_holds_up_nothing_else()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));
        Registers(PeerAt(3));
        _seed.Receive(PeerAt(2), ReportOf(PeerAt(1), PeerAt(2)));
        _seed.DialFails(PeerAt(1));
        _seed.Take();
        _seed.ConnectSeed(SeedAt(3));
        var toSeed3 = _seed.Take();

        var failures = new List<DeadNodeRelayFailed>();
        var retries = new List<NodeAction[]>();
        _seed.DialFails(SeedAt(2));
        var first = _seed.Take();
        failures.AddRange(first.ReportsOf<DeadNodeRelayFailed>());
        // Meanwhile the seed goes on with everything else: a new report is checked at once.
        _seed.Receive(PeerAt(3), ReportOf(PeerAt(2), PeerAt(3)));
        var other = _seed.Take();
        for (var attempt = 2; attempt <= 3; attempt++)
        {
            retries.Add(_seed.TimerAt(failures[^1].RetryAt!.Value));
            _seed.DialFails(SeedAt(2));
            failures.AddRange(_seed.Take().ReportsOf<DeadNodeRelayFailed>());
        }
        var afterGivingUp = _seed.TimerAfter(TimeSpan.FromMinutes(5));

        Assert.That(toSeed3.SendsOf<DeadNode>(), Has.Length.EqualTo(1), "the reachable seed got its relay at once");
        Assert.That(first.WakeRequests(), Is.EqualTo(new[] { T0 + SeedMachine.RelayRetryInterval }));
        Assert.That(other.DialTargets(), Is.EqualTo(new[] { PeerAt(2) }), "an unreachable seed blocks no check");
        Assert.That(retries.Select(r => r.DialTargets()), Is.All.EqualTo(new[] { SeedAt(2) }));
        Assert.That(failures.Select(f => f.Seed), Is.All.EqualTo(SeedAt(2)));
        Assert.That(string.Join(", ", failures.Select(f => f.RetryAt.HasValue ? "retry" : "skip")), Is.EqualTo("retry, retry, skip"), "3 attempts in all, then that seed is skipped");
        Assert.That(failures.Select(f => f.Reports.Single().Dead), Is.All.EqualTo(PeerAt(1)));
        Assert.That(afterGivingUp.DialTargets(), Is.Empty);
    }

    [Test]
    public void A_check_that_a_relay_started_and_a_peer_report_joined_is_relayed_but_not_back_to_the_seed_that_relayed_it()
    {
        Registers(PeerAt(1));
        Registers(PeerAt(2));

        RelayFrom(SeedAt(2), ReportOf(PeerAt(1), PeerAt(9)));
        _seed.Receive(PeerAt(2), ReportOf(PeerAt(1), PeerAt(2)));
        var joined = _seed.Take();
        _seed.DialFails(PeerAt(1));
        var confirmed = _seed.Take();

        Assert.That(joined.ReportsOf<DeadNodeChecking>().Single().AlreadyChecking, Is.True);
        Assert.That(joined.DialTargets(), Is.Empty);
        Assert.That(confirmed.ReportsOf<DeadNodeRelayed>().Single().Seeds, Is.EqualTo(new[] { SeedAt(3) }));
        Assert.That(confirmed.DialTargets(), Is.EqualTo(new[] { SeedAt(3) }));
    }

    [Test]
    public void A_registration_claiming_a_seeds_endpoint_is_refused()
    {
        var connection = _seed.Connect(SeedAt(2), NodeRole.Peer, inbound: true, remoteAddress: "127.0.0.1:50001");

        _seed.Receive(connection, Register.Instance);
        var actions = _seed.Take();

        Assert.That(actions.ReportsOf<RequestRejected>().Single().Reason, Is.EqualTo("claims to listen on 127.0.0.1:9002, the endpoint of a seed"));
        Assert.That(actions.Sends(), Is.Empty);
        Assert.That(_seed.Machine.PeerList, Is.Empty);
    }

    // ---- on the in-memory wire ----

    private static PeerOptions Options() => QuietShortIntervals();

    [TestCase(true, TestName = "With the configured seeds, the seeds relay: removed everywhere")]
    [TestCase(false, TestName = "Without, the seed nobody reported to keeps the dead peer (issue 4)")]
    public void A_dead_peer_leaves_every_seed_that_listed_it_even_one_its_neighbours_never_registered_with(bool cooperate)
    {
        var net = new MachineHarness(T0);
        var seeds = Seeds(3).Select(s => net.Add(NewSeed(s, seeds: cooperate ? Seeds(3) : null))).ToArray();
        var survivor = net.Add(NewPeer(PeerAt(1), Seeds(3), Options(), RandomSeedRegisteringWith(PeerAt(1), 3, SeedAt(1), SeedAt(2))));
        var victim = net.Add(NewPeer(PeerAt(2), Seeds(3), Options(), RandomSeedRegisteringWith(PeerAt(2), 3, SeedAt(2), SeedAt(3))));
        net.Start(survivor);
        net.Start(victim);
        Assert.That(victim.ConnectedNeighbours, Is.EqualTo(new[] { PeerAt(1) }), "the survivor is the victim's only neighbour");
        Assert.That(seeds[2].PeerList, Is.EqualTo(new[] { PeerAt(2) }), "seed 3 lists the victim; the survivor never registered there");
        var crashedAt = net.Now;

        net.Crash(PeerAt(2));
        net.AdvanceBy(TimeSpan.FromSeconds(60));

        var reported = net.EventsOf<DeadNodeReportSent>(PeerAt(1)).Select(r => r.Seed);
        Assert.That(reported, Is.EquivalentTo(new[] { SeedAt(1), SeedAt(2) }), "the survivor reports to its own seeds only");
        Assert.That(seeds[1].PeerList, Does.Not.Contain(PeerAt(2)));
        if (!cooperate)
        {
            Assert.That(seeds[2].PeerList, Does.Contain(PeerAt(2)));
            return;
        }
        Assert.That(seeds.SelectMany(s => s.PeerList), Does.Not.Contain(PeerAt(2)));
        var removal = net.EventsOf<DeadNodeReceived>(SeedAt(3)).Single();
        Assert.That(removal.Removed, Is.True);
        Assert.That(removal.RelayedBy, Is.EqualTo(SeedAt(2)));
        Assert.That(removal.Confirmation, Is.EqualTo("connection refused"), "seed 3 checked for itself");
        var target = (Options().MaxMissedLiveness + 1) * Options().LivenessInterval;
        Assert.That(removal.At - crashedAt, Is.LessThanOrEqualTo(target), "within (MaxMissedLiveness + 1) liveness intervals");
        Assert.That(net.EventsOf<DeadNodeRefuted>(), Is.Empty);
    }

    [Test]
    public void Relays_end_after_one_hop_whatever_the_number_of_reporters()
    {
        var net = new MachineHarness(T0);
        var seeds = Seeds(3).Select((s, i) => net.Add(NewSeed(s, i + 1, Seeds(3)))).ToArray();
        var options = ShortIntervals(o => { o.MessagesPerPeer = 0; o.MaxNeighbours = 3; });
        var peers = Enumerable.Range(1, 12).Select(i => net.Add(NewPeer(PeerAt(i), Seeds(3), options, 700 + i))).ToArray();
        foreach (var peer in peers)
        {
            net.Start(peer);
            net.AdvanceBy(TimeSpan.FromMilliseconds(50));
        }
        var victim = peers.OrderByDescending(p => p.ConnectedNeighbours.Count()).First();
        var listing = seeds.Where(s => s.PeerList.Contains(victim.Self)).Select(s => s.Self).ToArray();

        net.Crash(victim.Self);
        net.AdvanceBy(TimeSpan.FromMinutes(2)); // the harness throws if messages kept bouncing without end

        var fromPeers = net.EventsOf<DeadNodeChecking>().Where(c => c.Event.RelayedBy is null).Select(c => c.Node).ToHashSet();
        var relayed = net.EventsOf<DeadNodeRelayed>().ToArray();
        var seedToSeed = net.Delivered.Count(d => d.Message is DeadNode && Seeds(3).Contains(d.From));
        Assert.That(net.EventsOf<NeighbourDead>().Count(), Is.GreaterThan(1), "several neighbours reported the death");
        Assert.That(relayed.Select(r => r.Node), Is.Unique, "each seed relays a death once at most");
        Assert.That(relayed.Select(r => r.Node), Is.SubsetOf(fromPeers), "only seeds a peer reported to relay");
        Assert.That(seedToSeed, Is.LessThanOrEqualTo(relayed.Sum(r => r.Event.Seeds.Count)), "nothing relayed beyond those relays");
        Assert.That(net.EventsOf<DeadNodeReceived>().Where(e => e.Event.Removed).Select(e => e.Node), Is.EquivalentTo(listing), "each listing seed removed it once");
        Assert.That(seeds.SelectMany(s => s.PeerList), Does.Not.Contain(victim.Self));
    }

    [Test]
    public void A_false_relay_from_a_configured_seeds_endpoint_is_refuted_on_the_wire_and_goes_no_further()
    {
        var net = new MachineHarness(T0);
        var seed = net.Add(NewSeed(SeedAt(1), seeds: Seeds(3)));
        var other = net.Add(NewSeed(SeedAt(3), seeds: Seeds(3)));
        var honest = net.Add(NewPeer(PeerAt(1), [SeedAt(1)], Options()));
        var liar = net.Add(new ScriptedNode(SeedAt(2), NodeRole.Seed));
        net.Start(honest);

        net.Act(liar, (l, now) => { l.DialAndSend(SeedAt(1), new DeadNode(PeerAt(1), now.ToUnixTimeMilliseconds(), PeerAt(9))); return 0; });
        net.AdvanceBy(TimeSpan.FromSeconds(30));

        Assert.That(net.EventsOf<DeadNodeChecking>(SeedAt(1)).Single().RelayedBy, Is.EqualTo(SeedAt(2)));
        Assert.That(net.EventsOf<DeadNodeRefuted>(SeedAt(1)), Has.Exactly(1).Items);
        Assert.That(seed.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
        Assert.That(net.EventsOf<DeadNodeRelayed>(), Is.Empty);
        Assert.That(net.Delivered.Where(d => d.To == other.Self), Is.Empty);
        Assert.That(honest.Joined, Is.True);
    }

    [Test]
    public void A_relay_from_a_node_that_is_not_a_configured_seed_is_rejected_on_the_wire()
    {
        var net = new MachineHarness(T0);
        var seed = net.Add(NewSeed(SeedAt(1), seeds: Seeds(3)));
        var honest = net.Add(NewPeer(PeerAt(1), [SeedAt(1)], Options()));
        var impostor = net.Add(new ScriptedNode(SeedAt(7), NodeRole.Seed));
        net.Start(honest);

        net.Act(impostor, (i, now) => { i.DialAndSend(SeedAt(1), new DeadNode(PeerAt(1), now.ToUnixTimeMilliseconds(), PeerAt(9))); return 0; });

        Assert.That(net.EventsOf<DeadNodeRejected>(SeedAt(1)).Single().Reason, Is.EqualTo("the sender 127.0.0.1:9007 is a seed that is not configured"));
        Assert.That(net.EventsOf<DeadNodeChecking>(), Is.Empty);
        Assert.That(seed.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }
}
