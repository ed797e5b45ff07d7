using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>
/// The seed session alone, for PeerAt(1): registration with a majority of the seeds, re-registration every 30 s with
/// backoff, failover, dead-node reports and leaving, on a scripted clock (registration timeout 3 s, retry after 2 s,
/// reports followed for (3 + 1) x 10 s).
/// </summary>
[TestFixture]
public sealed class SeedSessionTests
{
    private static readonly NodeEndpoint Self = PeerAt(1);
    private static readonly NodeEndpoint Dead = PeerAt(9);
    private static readonly TimeSpan Reregister = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Retry = QuietShortIntervals().RetryInterval;
    private static readonly int[] BackoffSeconds = [2, 4, 8, 16, 30, 30];

    /// <summary>How long a dead-node report is followed: (MaxMissedLiveness + 1) x LivenessInterval.</summary>
    private static readonly TimeSpan ReportFollowedFor = (QuietShortIntervals().MaxMissedLiveness + 1) * QuietShortIntervals().LivenessInterval;

    /// <summary>A session over <paramref name="seedCount"/> seeds; what it raises is noted.</summary>
    private sealed class Bench
    {
        public Bench(int seedCount, int randomSeed = 1, Action<PeerOptions>? tweak = null)
        {
            Session = new SeedSession(Self, Seeds(seedCount), QuietShortIntervals(o =>
            {
                o.ReregisterInterval = Reregister;
                tweak?.Invoke(o);
            }), new Random(randomSeed), Part.Outbox)
            {
                Joined = Joins.Add,
                PeersLearned = Learned.Add,
            };
        }

        public PartBench Part { get; } = new();

        public SeedSession Session { get; }

        public List<DateTimeOffset> Joins { get; } = [];

        public List<DateTimeOffset> Learned { get; } = [];

        public DateTimeOffset Now => Part.Now;

        /// <summary>Starts the round; returns the seeds dialed.</summary>
        public NodeEndpoint[] Start()
        {
            Session.Start(Part.Now);
            return Part.Take().DialTargets();
        }

        /// <summary>The dial to <paramref name="seed"/> connects; returns what the session did.</summary>
        public NodeAction[] Connect(NodeEndpoint seed)
        {
            Session.OnConnected(Part.Link(seed, NodeRole.Seed));
            return Part.Take();
        }

        /// <summary>The seed answers on the open connection with a peer list; returns what the session did.</summary>
        public NodeAction[] Answer(NodeEndpoint seed, params NodeEndpoint[] peers) => Receive(seed, new PeerList(peers));

        public NodeAction[] Receive(NodeEndpoint seed, Message message)
        {
            Session.OnMessage(Part.Connections[seed], message, Part.Now);
            return Part.Take();
        }

        /// <summary>The dial to <paramref name="seed"/> connects and the seed answers the registration.</summary>
        public NodeAction[] Registers(NodeEndpoint seed, params NodeEndpoint[] peers) => [.. Connect(seed), .. Answer(seed, peers)];

        public NodeAction[] DialFails(NodeEndpoint seed)
        {
            Session.OnDialFailed(seed, "connection refused", Part.Now);
            return Part.Take();
        }

        public NodeAction[] TimerAt(DateTimeOffset at)
        {
            Part.Now = at;
            Session.OnTimer(at);
            return Part.Take();
        }

        /// <summary>Starts, and every seed dialed answers at once; returns them. The outbox and the notes are cleared.</summary>
        public NodeEndpoint[] Joined()
        {
            var seeds = Start();
            foreach (var seed in seeds)
            {
                Registers(seed, Peers(2, 3));
            }
            Assert.That(Joins, Has.Count.EqualTo(1), "joined");
            Joins.Clear();
            Learned.Clear();
            return seeds;
        }

        /// <summary>The report of <see cref="Dead"/> this peer sends at <paramref name="at"/>.</summary>
        public static DeadNode ReportAt(DateTimeOffset at) => new(Dead, at.ToUnixTimeMilliseconds(), Self);
    }

    private static NodeEndpoint Other(int seedCount, params NodeEndpoint[] than) => Seeds(seedCount).Except(than).Single();

    /// <summary>A session over three seeds that registered with two of them at T0; <c>Spare</c> is the third.</summary>
    private static (Bench Bench, NodeEndpoint First, NodeEndpoint Second, NodeEndpoint Spare) JoinedWithTwoOfThree()
    {
        var bench = new Bench(3);
        var registered = bench.Joined();
        return (bench, registered[0], registered[1], Other(3, registered));
    }

    // ---- the first round ----

    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(3, 2)]
    [TestCase(4, 3)]
    [TestCase(5, 3)]
    public void It_dials_a_majority_of_distinct_seeds_and_registers_on_each_connection(int seedCount, int majority)
    {
        var bench = new Bench(seedCount);

        var dialed = bench.Start();
        var registered = dialed.Select(seed => bench.Connect(seed).Sends().Single()).ToArray();

        Assert.That(dialed, Has.Length.EqualTo(majority).And.Unique.And.SubsetOf(Seeds(seedCount)));
        Assert.That(registered.Select(s => s.Message), Is.All.EqualTo(Register.Instance));
        Assert.That(registered.Select(s => s.Connection), Is.EqualTo(dialed.Select(seed => bench.Part.Connections[seed])));
    }

    [Test]
    public void The_seeds_are_tried_in_a_random_order()
    {
        var firstChoices = Enumerable.Range(1, 30).Select(randomSeed => new Bench(3, randomSeed).Start()[0]).ToArray();

        Assert.That(firstChoices.Distinct(), Is.EquivalentTo(Seeds(3)), "each seed comes first for some random seed");
    }

    [Test]
    public void A_seed_that_cannot_be_reached_is_replaced_by_the_next_untried_one()
    {
        var bench = new Bench(3);
        var dialed = bench.Start();
        var untried = Other(3, dialed);

        var replaced = bench.DialFails(dialed[0]);

        Assert.That(replaced, Is.EqualTo(new NodeAction[]
        {
            new Report(new SeedRegistrationFailed(T0, dialed[0], "connection refused")),
            new Dial(untried),
        }));
    }

    [Test]
    public void Failed_seeds_are_replaced_only_by_seeds_not_tried_before()
    {
        var bench = new Bench(5);
        var dialed = bench.Start().ToList();

        var replacements = new List<NodeEndpoint[]>();
        for (var i = 0; i < 3; i++)
        {
            replacements.Add(bench.DialFails(dialed[i]).DialTargets());
        }

        Assert.That(replacements.Take(2).SelectMany(r => r), Is.EquivalentTo(Seeds(5).Except(dialed)));
        Assert.That(replacements[2], Is.Empty, "every seed has been tried");
    }

    [Test]
    public void A_seed_that_does_not_answer_in_time_is_told_goodbye_and_replaced()
    {
        var bench = new Bench(3);
        var dialed = bench.Start();
        bench.Registers(dialed[0], Peers(2));
        bench.Connect(dialed[1]);
        var slow = bench.Part.Connections[dialed[1]];

        var timedOut = bench.TimerAt(T0 + QuietShortIntervals().RegistrationTimeout);

        Assert.That(timedOut, Is.EqualTo(new NodeAction[]
        {
            new Send(slow, Goodbye.Instance),
            new Close(slow, "registration timed out"),
            new Report(new SeedRegistrationFailed(bench.Now, dialed[1], "no peer list before the registration timeout")),
            new Dial(Other(3, dialed)),
        }), "a slow seed may still register this peer: the goodbye withdraws it");
    }

    [Test]
    public void Joined_is_raised_once_when_the_majority_has_answered()
    {
        var bench = new Bench(3);
        var dialed = bench.Start();

        bench.Registers(dialed[0], Peers(2));
        var afterOne = bench.Joins.ToArray();
        bench.Part.Now = T0 + TimeSpan.FromSeconds(1);
        var second = bench.Registers(dialed[1], Peers(3));
        bench.TimerAt(T0 + Reregister + TimeSpan.FromSeconds(1));
        bench.Registers(dialed[0], Peers(2));
        bench.Registers(dialed[1], Peers(3));

        Assert.That(afterOne, Is.Empty);
        Assert.That(bench.Joins, Is.EqualTo(new[] { T0 + TimeSpan.FromSeconds(1) }), "not again on re-registrations");
        var finished = second.ReportsOf<RegistrationFinished>().Single();
        Assert.That(finished.Seeds, Is.EquivalentTo(dialed));
        Assert.That((finished.Wanted, finished.Configured), Is.EqualTo((2, 3)));
        Assert.That(bench.Learned, Has.Count.EqualTo(4), "every peer list is news");
        Assert.That(bench.Session.Known.Known(), Is.EquivalentTo(Peers(2, 3)), "the union of the lists");
    }

    [Test]
    public void When_no_seed_answers_the_round_ends_without_joining_and_the_seeds_are_retried()
    {
        var bench = new Bench(3);
        var dialed = bench.Start();
        var last = bench.DialFails(dialed[0]).DialTargets().Single();
        bench.DialFails(dialed[1]);
        var finished = bench.DialFails(last).ReportsOf<RegistrationFinished>().Single();
        var retryAt = bench.Session.NextDeadline;

        var retried = bench.TimerAt(T0 + Retry).DialTargets();
        bench.Registers(retried[0], Peers(2));
        bench.DialFails(retried[1]);

        Assert.That(finished.Seeds, Is.Empty);
        Assert.That(retryAt, Is.EqualTo(T0 + Retry));
        Assert.That(retried, Is.EqualTo(dialed), "the failed seeds again, in the order they failed, as many as are missing");
        Assert.That(bench.Joins, Is.EqualTo(new[] { T0 + Retry }), "joined through the one seed that answered the retry");
    }

    [Test]
    public void With_no_seeds_configured_the_peer_joins_at_once()
    {
        var bench = new Bench(0);

        var dialed = bench.Start();

        Assert.That(dialed, Is.Empty);
        Assert.That(bench.Joins, Is.EqualTo(new[] { T0 }));
        Assert.That(bench.Session.NextDeadline, Is.Null);
    }

    // ---- registering again ----

    [Test]
    public void A_registered_seed_is_registered_with_again_every_ReregisterInterval()
    {
        var bench = new Bench(1);
        var seed = bench.Joined().Single();
        var due = bench.Session.NextDeadline!.Value;

        var early = bench.TimerAt(due - TimeSpan.FromTicks(1));
        var again = bench.TimerAt(due);
        var replyDue = bench.Session.NextDeadline;
        var answered = bench.Registers(seed, Peers(4));

        Assert.That(due, Is.InRange(T0 + (Reregister / 2), T0 + Reregister), "the first time at a random 50-100 % of the interval");
        Assert.That(early, Is.Empty);
        Assert.That(again, Is.EqualTo(new[] { new Dial(seed) }));
        Assert.That(replyDue, Is.EqualTo(due + QuietShortIntervals().RegistrationTimeout));
        Assert.That(answered.ReportsOf<SeedRefreshed>().Single().FailedAttempts, Is.Zero);
        Assert.That(bench.Session.NextDeadline, Is.InRange(due + (Reregister * 0.9), due + Reregister), "then at a random 90-100 %");
        Assert.That(bench.Session.Known.Known(), Is.EqualTo(Peers(4)), "the new list replaces the old one");
    }

    [Test]
    public void Peers_that_joined_at_the_same_moment_register_again_spread_over_half_the_interval_not_in_one_wave()
    {
        var firsts = new List<DateTimeOffset>();
        var seconds = new List<DateTimeOffset>();
        for (var randomSeed = 1; randomSeed <= 50; randomSeed++)
        {
            var bench = new Bench(1, randomSeed);
            var seed = bench.Joined().Single();
            var first = bench.Session.NextDeadline!.Value;
            bench.TimerAt(first);
            bench.Registers(seed, Peers(4));
            firsts.Add(first);
            seconds.Add(bench.Session.NextDeadline!.Value);
        }

        Assert.That(firsts, Has.All.InRange(T0 + (Reregister / 2), T0 + Reregister), "never later than the interval: a seed's expiry counts intervals");
        Assert.That(firsts.Max() - firsts.Min(), Is.GreaterThan(Reregister / 3), "spread over the second half of the interval");
        Assert.That(firsts.Distinct().Count(), Is.EqualTo(50));
        Assert.That(seconds.Zip(firsts, (s, f) => s - f), Has.All.InRange(Reregister * 0.9, Reregister), "later ones at 90-100 % of the interval");
        var again = new Bench(1, randomSeed: 7);
        again.Joined();
        Assert.That(again.Session.NextDeadline, Is.EqualTo(firsts[6]), "the same node seed draws the same time");
    }

    [Test]
    public void Failed_reregistrations_back_off_from_RetryInterval_doubling_up_to_ReregisterInterval()
    {
        var bench = new Bench(1);
        var seed = bench.Joined().Single();
        bench.TimerAt(T0 + Reregister);

        var gaps = new List<TimeSpan>();
        var failures = new List<ReregistrationFailed>();
        foreach (var _ in BackoffSeconds)
        {
            failures.Add(bench.DialFails(seed).ReportsOf<ReregistrationFailed>().Single());
            gaps.Add(bench.Session.NextDeadline!.Value - bench.Now);
            bench.TimerAt(bench.Session.NextDeadline.Value);
        }
        var back = bench.Registers(seed, Peers(2));

        Assert.That(gaps, Is.EqualTo(BackoffSeconds.Select(s => TimeSpan.FromSeconds(s))));
        Assert.That(failures.Select(f => f.Failures), Is.EqualTo(Enumerable.Range(1, BackoffSeconds.Length)));
        Assert.That(failures.Select(f => f.RetryAt - f.At), Is.EqualTo(gaps), "the report says when the next try is");
        Assert.That(back.ReportsOf<SeedRefreshed>().Single().FailedAttempts, Is.EqualTo(BackoffSeconds.Length));
        Assert.That(bench.Session.NextDeadline, Is.InRange(bench.Now + (Reregister * 0.9), bench.Now + Reregister), "back on the regular schedule");
    }

    [Test]
    public void With_ReregisterInterval_zero_a_peer_registers_once_only()
    {
        var bench = new Bench(1, tweak: o => o.ReregisterInterval = TimeSpan.Zero);
        bench.Joined();

        Assert.That(bench.Session.NextDeadline, Is.Null);
        Assert.That(bench.TimerAt(T0 + TimeSpan.FromHours(1)), Is.Empty);
    }

    [Test]
    public void After_FailoverAfterFailures_failed_reregistrations_the_peer_registers_with_another_configured_seed()
    {
        var (bench, lost, kept, spare) = JoinedWithTwoOfThree();
        bench.TimerAt(T0 + Reregister);
        bench.Registers(kept, Peers(2));

        var firstFailure = bench.DialFails(lost);
        bench.TimerAt(bench.Session.NextDeadline!.Value);
        var secondFailure = bench.DialFails(lost);
        var adopted = bench.Registers(spare, Peers(2, 4));

        Assert.That(SeedSession.FailoverAfterFailures, Is.EqualTo(2));
        Assert.That(firstFailure.ReportsOf<SeedFailover>(), Is.Empty, "one failure is not enough to switch");
        Assert.That(firstFailure.DialTargets(), Is.Empty);
        var failover = secondFailure.ReportsOf<SeedFailover>().Single();
        Assert.That((failover.Seed, failover.Reachable, failover.Wanted), Is.EqualTo((spare, 1, 2)));
        Assert.That(failover.Unreachable, Is.EqualTo(new[] { lost }));
        Assert.That(secondFailure.DialTargets(), Is.EqualTo(new[] { spare }));
        Assert.That(adopted.ReportsOf<RegisteredWithSeed>().Single().Seed, Is.EqualTo(spare));
        Assert.That(bench.Session.Registered, Is.EquivalentTo(Seeds(3)), "the lost seed stays registered and is retried");
        Assert.That(bench.Joins, Is.Empty, "a failover is no second join");
    }

    [Test]
    public void AskForPeers_registers_again_with_every_registered_seed_that_is_not_failing()
    {
        var (bench, failing, answering, _) = JoinedWithTwoOfThree();
        bench.TimerAt(T0 + Reregister);
        bench.Registers(answering, Peers(2));
        bench.DialFails(failing);
        bench.Part.Now = T0 + Reregister + TimeSpan.FromSeconds(1);

        var asked = bench.Session.AskForPeers(bench.Now);

        Assert.That(asked, Is.EqualTo(new[] { answering }), "the failing one is retried on its own schedule");
        Assert.That(bench.Part.Take(), Is.EqualTo(new[] { new Dial(answering) }));
    }

    // ---- dead-node reports ----

    [Test]
    public void A_dead_node_report_goes_to_every_registered_seed()
    {
        var bench = new Bench(3);
        var registered = bench.Joined();
        // Before the first re-registration can fall due (at 50-100 % of the interval), so the retries below are the only dials.
        var report = Bench.ReportAt(bench.Part.Advance(TimeSpan.FromSeconds(5)));

        bench.Session.ReportDeath(Dead, bench.Now);
        var reported = bench.Part.Take();
        var delivered = registered.Select(bench.Connect).ToArray();

        Assert.That(reported.DialTargets(), Is.EquivalentTo(registered));
        Assert.That(reported.ReportsOf<DeadNodeReportSent>(), Is.EquivalentTo(registered.Select(s => new DeadNodeReportSent(bench.Now, s, report))));
        for (var i = 0; i < registered.Length; i++)
        {
            var link = bench.Part.Connections[registered[i]];
            Assert.That(delivered[i], Is.EqualTo(new NodeAction[] { new Send(link, report), new Close(link, "report delivered") }));
        }
    }

    [Test]
    public void A_report_a_registered_seed_cannot_take_is_redirected_to_another_seed_registered_first()
    {
        var (bench, failing, taking, substitute) = JoinedWithTwoOfThree();
        // Before the first re-registration can fall due (at 50-100 % of the interval), so the retries below are the only dials.
        var report = Bench.ReportAt(bench.Part.Advance(TimeSpan.FromSeconds(5)));
        bench.Session.ReportDeath(Dead, bench.Now);
        bench.Part.Take();
        bench.Connect(taking);

        var redirected = bench.DialFails(failing);
        var failedAt = bench.Now;
        var atSubstitute = bench.Connect(substitute);
        var link = bench.Part.Connections[substitute];
        var adopted = bench.Answer(substitute, Peers(2));
        var retried = bench.TimerAt(failedAt + Retry);

        Assert.That(redirected.ReportsOf<SeedUnreachable>(), Is.EqualTo(new[] { new SeedUnreachable(failedAt, failing, "DeadNode", "connection refused", WillRetry: true) }));
        Assert.That(redirected.ReportsOf<DeadNodeReportRedirected>(), Is.EqualTo(new[] { new DeadNodeReportRedirected(failedAt, report, failing, substitute) }));
        Assert.That(redirected.ReportsOf<SeedFailover>().Single().Seed, Is.EqualTo(substitute));
        Assert.That(redirected.ReportsOf<DeadNodeReportSent>(), Is.EqualTo(new[] { new DeadNodeReportSent(failedAt, substitute, report) }));
        Assert.That(redirected.DialTargets(), Is.EqualTo(new[] { substitute }));
        Assert.That(atSubstitute.Sends(), Is.EqualTo(new[] { new Send(link, Register.Instance), new Send(link, report) }), "a seed takes reports only from its registered peers");
        Assert.That(adopted.ReportsOf<RegisteredWithSeed>().Single().Seed, Is.EqualTo(substitute));
        Assert.That(retried.DialTargets(), Is.EqualTo(new[] { failing }), "the failed seed is tried again too");
    }

    [Test]
    public void A_report_a_seed_missed_is_handed_to_it_when_it_answers_again_after_failures()
    {
        var bench = new Bench(2);
        var registered = bench.Joined();
        var (back, other) = (registered[0], registered[1]);
        // Before the first re-registration can fall due (at 50-100 % of the interval), so the retries below are the only dials.
        var report = Bench.ReportAt(bench.Part.Advance(TimeSpan.FromSeconds(5)));
        bench.Session.ReportDeath(Dead, bench.Now);
        bench.Connect(other);
        var gaveUp = FailEveryDelivery(bench, back);
        bench.TimerAt(T0 + Reregister);
        bench.Registers(other, Peers(2));
        bench.DialFails(back);

        bench.TimerAt(bench.Session.NextDeadline!.Value);
        var answered = bench.Registers(back, Peers(2));
        var handed = bench.Connect(back);

        Assert.That(gaveUp.WillRetry, Is.False, "its delivery attempts were used up");
        Assert.That(answered.ReportsOf<SeedRefreshed>().Single().FailedAttempts, Is.EqualTo(1));
        Assert.That(answered.ReportsOf<DeadNodeReportSent>(), Is.EqualTo(new[] { new DeadNodeReportSent(bench.Now, back, report) }));
        Assert.That(answered.DialTargets(), Is.EqualTo(new[] { back }));
        Assert.That(handed.Sends(), Is.EqualTo(new[] { new Send(bench.Part.Connections[back], report) }));
    }

    [Test]
    public void A_report_no_seed_took_is_handed_to_the_seed_when_it_answers_its_next_reregistration()
    {
        var bench = new Bench(1);
        var seed = bench.Joined().Single();
        var reportedAt = bench.Part.Advance(TimeSpan.FromSeconds(5));
        var report = Bench.ReportAt(reportedAt);
        bench.Session.ReportDeath(Dead, bench.Now);
        var gaveUp = FailEveryDelivery(bench, seed);

        bench.TimerAt(T0 + Reregister);
        var answered = bench.Registers(seed, Peers(2));
        var handed = bench.Connect(seed);

        Assert.That(gaveUp.WillRetry, Is.False, "no seed has the report");
        Assert.That(bench.Now, Is.LessThan(reportedAt + ReportFollowedFor), "still within the report's follow period");
        Assert.That(answered.ReportsOf<DeadNodeReportSent>(), Is.EqualTo(new[] { new DeadNodeReportSent(bench.Now, seed, report) }));
        Assert.That(handed.Sends(), Is.EqualTo(new[] { new Send(bench.Part.Connections[seed], report) }));
    }

    /// <summary>Every attempt to deliver what is queued for <paramref name="seed"/> fails, retries included; returns the last failure's report.</summary>
    private static SeedUnreachable FailEveryDelivery(Bench bench, NodeEndpoint seed)
    {
        var failures = new List<SeedUnreachable>();
        for (var attempt = 1; attempt <= SeedLinks.MaxDeliveryAttempts; attempt++)
        {
            failures.AddRange(bench.DialFails(seed).ReportsOf<SeedUnreachable>());
            if (attempt < SeedLinks.MaxDeliveryAttempts)
            {
                Assert.That(bench.TimerAt(bench.Now + Retry).DialTargets(), Is.EqualTo(new[] { seed }), "retried");
            }
        }
        Assert.That(failures, Has.Count.EqualTo(SeedLinks.MaxDeliveryAttempts));
        return failures[^1];
    }

    // ---- leaving ----

    [Test]
    public void Leave_says_goodbye_to_every_registered_seed_and_retries_nothing()
    {
        var (bench, told, unreachable, _) = JoinedWithTwoOfThree();
        bench.Part.Now = T0 + TimeSpan.FromSeconds(5);

        bench.Session.Leave();
        var leaving = bench.Part.Take();
        var goodbye = bench.Connect(told);
        var link = bench.Part.Connections[told];
        var failed = bench.DialFails(unreachable);

        Assert.That(leaving.DialTargets(), Is.EquivalentTo(new[] { told, unreachable }));
        Assert.That(goodbye, Is.EqualTo(new NodeAction[] { new Send(link, Goodbye.Instance), new Close(link, "goodbye delivered") }));
        Assert.That(failed, Is.EqualTo(new[] { new Report(new SeedUnreachable(bench.Now, unreachable, "Goodbye", "connection refused", WillRetry: false)) }));
        Assert.That(bench.Session.IsIdle, Is.True);
        Assert.That(bench.Session.NextDeadline, Is.Null, "no re-registration, no retry");
        Assert.That(bench.TimerAt(T0 + (3 * Reregister)), Is.Empty);
    }

    [Test]
    public void A_peer_list_that_arrives_while_leaving_is_answered_with_Goodbye()
    {
        var bench = new Bench(3);
        var dialed = bench.Start();
        bench.Connect(dialed[0]);
        var link = bench.Part.Connections[dialed[0]];

        bench.Session.Leave();
        var leaving = bench.Part.Take();
        var answered = bench.Answer(dialed[0], Peers(2));
        var failed = bench.DialFails(dialed[1]);

        Assert.That(leaving, Is.Empty, "no seed had registered it yet");
        Assert.That(answered.Take(2), Is.EqualTo(new NodeAction[] { new Send(link, Goodbye.Instance), new Close(link, "registration complete") }),
            "the seed has just registered a peer that is leaving");
        Assert.That(bench.Joins, Is.Empty);
        Assert.That(failed.DialTargets(), Is.Empty, "no other seed is tried while leaving");
    }

    // ---- what a seed may send ----

    private static IEnumerable<TestCaseData> NotAPeerList()
    {
        yield return new TestCaseData(new Ping(1)).SetName("A Ping from a seed is a protocol violation");
        yield return new TestCaseData(Goodbye.Instance).SetName("A Goodbye from a seed is a protocol violation");
        yield return new TestCaseData(Register.Instance).SetName("A Register from a seed is a protocol violation");
        yield return new TestCaseData(new DeadNode(PeerAt(9), 1, PeerAt(2))).SetName("A DeadNode from a seed is a protocol violation");
    }

    [TestCaseSource(nameof(NotAPeerList))]
    public void A_frame_other_than_PeerList_from_a_seed_is_a_protocol_violation(Message frame)
    {
        var bench = new Bench(3);
        var dialed = bench.Start();
        bench.Connect(dialed[0]);
        var link = bench.Part.Connections[dialed[0]];
        var reason = $"unexpected {frame.Type} from a seed";

        var violation = bench.Receive(dialed[0], frame);
        bench.Session.OnClosed(link, reason, bench.Now);
        var afterClose = bench.Part.Take();

        Assert.That(violation, Is.EqualTo(new NodeAction[]
        {
            new Report(new ProtocolViolation(T0, dialed[0].ToString(), reason)),
            new Close(link, reason, AfterFlush: false),
        }));
        Assert.That(afterClose.DialTargets(), Is.EqualTo(new[] { Other(3, dialed) }), "the seed counts as failed and is replaced");
        Assert.That(bench.Session.Registered, Is.Empty);
    }

    [Test]
    public void A_seed_that_connects_to_check_this_peer_is_alive_gets_only_the_Hello()
    {
        var bench = new Bench(3);
        bench.Joined();
        var check = bench.Part.Link(SeedAt(1), NodeRole.Seed, inbound: true);

        var changed = bench.Session.OnConnected(check);

        Assert.That(changed, Is.False);
        Assert.That(bench.Part.Take(), Is.EqualTo(new[] { new Close(check.Id, "a seed checked that this peer is alive") }));
        Assert.That(bench.Session.Owns(check.Id), Is.False);
    }
}
