using P2PSim.Configuration;
using P2PSim.Liveness;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Liveness;

/// <summary>
/// The liveness monitor alone, over a neighbour table that has not joined (so a death starts no repair): rounds of
/// pings, misses, redials and deaths, on a scripted clock.
/// </summary>
[TestFixture]
public sealed class LivenessMonitorTests
{
    private static readonly TimeSpan Interval = QuietShortIntervals().LivenessInterval;
    private static readonly int Limit = QuietShortIntervals().MaxMissedLiveness;
    private static readonly NodeEndpoint Silent = PeerAt(2);
    private static readonly NodeEndpoint Chatty = PeerAt(3);

    /// <summary>When the k-th round of a monitor that began at T0 is due.</summary>
    private static DateTimeOffset Round(int k) => T0 + (k * Interval);

    /// <summary>A monitor that began at T0, watching <paramref name="neighbours"/> (each on an open link); the outbox is empty.</summary>
    private static (TableBench Bench, LivenessMonitor Monitor) Watching(PeerOptions options, params NodeEndpoint[] neighbours)
    {
        var bench = new TableBench(options);
        var monitor = new LivenessMonitor(options, bench.Part.Outbox, bench.Table);
        bench.Liveness = monitor;
        foreach (var neighbour in neighbours)
        {
            bench.Connect(neighbour);
        }
        monitor.Begin(T0);
        bench.Part.Take();
        bench.Events.Clear();
        return (bench, monitor);
    }

    private static (TableBench Bench, LivenessMonitor Monitor) Watching(params NodeEndpoint[] neighbours) =>
        Watching(QuietShortIntervals(), neighbours);

    /// <summary>Runs the k-th round at its time; returns what it did.</summary>
    private static NodeAction[] RunRound(TableBench bench, LivenessMonitor monitor, int k)
    {
        bench.Part.Now = Round(k);
        monitor.RunRound(bench.Part.Now);
        return bench.Part.Take();
    }

    private static Send PingOn(TableBench bench, NodeEndpoint neighbour, ulong sequence) =>
        new(bench.Part.Connections[neighbour], new Ping(sequence));

    /// <summary>The <see cref="Chatty"/> neighbour answers the ping it got in <paramref name="round"/>.</summary>
    private static void ChattyAnswers(TableBench bench, LivenessMonitor monitor, NodeAction[] round)
    {
        var ping = (Ping)round.SendsOf<Ping>().Single(s => s.Connection == bench.Part.Connections[Chatty]).Message;
        monitor.OnPong(Chatty, new Pong(ping.Sequence));
    }

    [Test]
    public void Each_round_pings_every_connected_neighbour_with_increasing_sequences()
    {
        var (bench, monitor) = Watching(Silent, Chatty);

        var first = RunRound(bench, monitor, 1);
        monitor.OnPong(Silent, new Pong(1));
        monitor.OnPong(Chatty, new Pong(2));
        var second = RunRound(bench, monitor, 2);

        Assert.That(first, Is.EqualTo(new[] { PingOn(bench, Silent, 1), PingOn(bench, Chatty, 2) }));
        Assert.That(second, Is.EqualTo(new[] { PingOn(bench, Silent, 3), PingOn(bench, Chatty, 4) }), "both answered: no miss, fresh sequences");
    }

    [Test]
    public void Only_the_Pong_with_the_outstanding_sequence_clears_the_misses()
    {
        var (bench, monitor) = Watching(Silent, Chatty);
        ChattyAnswers(bench, monitor, RunRound(bench, monitor, 1));
        var second = RunRound(bench, monitor, 2);
        ChattyAnswers(bench, monitor, second);

        monitor.OnPong(Silent, new Pong(1)); // the answer to round 1's ping, a round late
        monitor.OnPong(Chatty, new Pong(3)); // the sequence of Silent's outstanding ping, from another neighbour
        var third = RunRound(bench, monitor, 3);
        ChattyAnswers(bench, monitor, third);
        monitor.OnPong(Silent, new Pong(5)); // the answer to its outstanding ping
        var fourth = RunRound(bench, monitor, 4);

        Assert.That(second.ReportsOf<LivenessMissed>(), Is.EqualTo(new[] { new LivenessMissed(Round(2), Silent, 1, Limit) }));
        Assert.That(second.SendsOf<Ping>().First(), Is.EqualTo(PingOn(bench, Silent, 3)));
        Assert.That(third.ReportsOf<LivenessMissed>(), Is.EqualTo(new[] { new LivenessMissed(Round(3), Silent, 2, Limit) }));
        Assert.That(third.SendsOf<Ping>().First(), Is.EqualTo(PingOn(bench, Silent, 5)));
        Assert.That(fourth.ReportsOf<LivenessMissed>(), Is.Empty, "the right Pong cleared both misses");
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(5)]
    public void A_neighbour_is_declared_dead_after_exactly_MaxMissedLiveness_unanswered_rounds(int limit)
    {
        var (bench, monitor) = Watching(QuietShortIntervals(o => o.MaxMissedLiveness = limit), Silent, Chatty);
        var eventsBefore = new List<int>();
        for (var k = 1; k <= limit; k++)
        {
            ChattyAnswers(bench, monitor, RunRound(bench, monitor, k));
            eventsBefore.Add(bench.Events.Count);
        }

        var fatal = RunRound(bench, monitor, limit + 1);

        Assert.That(eventsBefore, Is.All.Zero, "alive until the limit");
        Assert.That(bench.Events, Is.EqualTo(new[] { ("removed", Silent), ("died", Silent) }));
        Assert.That(fatal.ReportsOf<NeighbourDead>(), Is.EqualTo(new[] { new NeighbourDead(Round(limit + 1), Silent, limit, "liveness requests unanswered") }));
        Assert.That(fatal.Closes(), Is.EqualTo(new[] { new Close(bench.Part.Connections[Silent], "declared dead", AfterFlush: false) }));
        Assert.That(fatal.SendsOf<Ping>().Select(s => s.Connection), Is.EqualTo(new[] { bench.Part.Connections[Chatty] }), "the dead one is not pinged again");
        Assert.That(bench.Table.Entries.Keys, Is.EqualTo(new[] { Chatty }));
    }

    [Test]
    public void A_neighbour_whose_link_is_down_is_redialed_each_round_and_dead_after_the_same_count()
    {
        var (bench, monitor) = Watching(Silent);
        RunRound(bench, monitor, 1);
        bench.Table.OnClosed(bench.Part.Connections[Silent], "connection reset", Round(1));
        bench.Part.Take();

        var rounds = new List<NodeAction[]>();
        for (var k = 2; k <= Limit; k++)
        {
            rounds.Add(RunRound(bench, monitor, k));
            bench.Table.OnDialFailed(Silent, "connection refused", Round(k));
            rounds[^1] = [.. rounds[^1], .. bench.Part.Take()];
        }
        var fatal = RunRound(bench, monitor, Limit + 1);

        Assert.That(bench.Events, Is.EqualTo(new[] { ("lost", Silent), ("removed", Silent), ("died", Silent) }));
        Assert.That(rounds[0], Is.EqualTo(new NodeAction[] { new Report(new LivenessMissed(Round(2), Silent, 1, Limit)), new Dial(Silent) }));
        Assert.That(rounds[1], Is.EqualTo(new NodeAction[] { new Report(new LivenessMissed(Round(3), Silent, 2, Limit)), new Dial(Silent) }));
        Assert.That(fatal, Is.EqualTo(new NodeAction[] { new Report(new NeighbourDead(Round(Limit + 1), Silent, Limit, "connection lost and could not be re-established")) }));
    }

    [Test]
    public void A_redial_that_connects_starts_the_count_afresh()
    {
        var (bench, monitor) = Watching(Silent);
        RunRound(bench, monitor, 1);
        bench.Table.OnClosed(bench.Part.Connections[Silent], "connection reset", Round(1));
        RunRound(bench, monitor, 2);
        bench.Connect(Silent);
        bench.Part.Take();

        var third = RunRound(bench, monitor, 3);
        var fourth = RunRound(bench, monitor, 4);

        Assert.That(third, Is.EqualTo(new[] { PingOn(bench, Silent, 2) }), "no miss for the round the link was back");
        Assert.That(fourth.ReportsOf<LivenessMissed>(), Is.EqualTo(new[] { new LivenessMissed(Round(4), Silent, 1, Limit) }));
    }

    [Test]
    public void Rounds_keep_their_cadence_when_a_timer_fires_late()
    {
        var monitor = new LivenessMonitor(QuietShortIntervals(), new Outbox(), new TableBench(QuietShortIntervals()).Table);
        var beforeBegin = monitor.NextRound;

        monitor.Begin(T0);
        var justBefore = monitor.RoundDue(Round(1) - TimeSpan.FromMilliseconds(1));
        var onTime = monitor.RoundDue(Round(1));
        monitor.ScheduleNext(Round(1) + TimeSpan.FromSeconds(3));
        var afterLateRound = monitor.NextRound;
        monitor.ScheduleNext(Round(3) + TimeSpan.FromSeconds(1));
        var afterMissingARound = monitor.NextRound;
        monitor.Stop();
        monitor.ScheduleNext(Round(5));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(beforeBegin, Is.Null);
            Assert.That(justBefore, Is.False);
            Assert.That(onTime, Is.True);
            Assert.That(afterLateRound, Is.EqualTo(Round(2)), "one interval after the round was due, not after it ran");
            Assert.That(afterMissingARound, Is.EqualTo(Round(4) + TimeSpan.FromSeconds(1)), "a round already past is not run twice: one interval from now");
            Assert.That(monitor.NextRound, Is.Null, "stopped");
            Assert.That(monitor.RoundDue(Round(5)), Is.False);
        }
    }

    [Test]
    public void A_Ping_is_answered_with_the_same_sequence()
    {
        var (bench, monitor) = Watching(Silent);

        monitor.OnPing(bench.Part.Connections[Silent], new Ping(77));

        Assert.That(bench.Part.Take(), Is.EqualTo(new[] { new Send(bench.Part.Connections[Silent], new Pong(77)) }));
    }
}
