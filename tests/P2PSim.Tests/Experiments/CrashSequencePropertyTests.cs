using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using CsCheck;
using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Simulation;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Experiments;

/// <summary>
/// Property tests of dissemination under crashes (issue "Broadcast trees"): for any sequence of crashes that leaves the
/// overlay of the live peers connected at the end of the run (because it never split, or because repair through the
/// seeds joined it again), every message that survived the crashes reaches every live peer, and no peer reports a first
/// receipt of a message twice (nor of its own). Checked with flooding, with broadcast trees and with the computed
/// spanning tree, on cases CsCheck makes:
/// 20-50 peers and 1-3 seeds on the simulated network (virtual time, 1-150 ms links), messages published before, between
/// and after one to five waves of crashes at random times, often a few milliseconds after a publication; a wave crashes
/// a random set of up to half the peers, plus every neighbour of one peer (which cuts that peer off, so repair has to
/// act) or the peer that published last.
/// <para>
/// A message "survived" when a peer that is live at the end holds it: its origin, or any peer that received it. One that
/// only crashed peers ever held is gone with them; such messages are counted, not checked. Cases whose overlay ends
/// split, or with fewer than two live peers, are counted and not checked, and each property asserts that most cases did
/// exercise it (and that many of those split on the way and were repaired).
/// </para>
/// <para>
/// The suite runs the same <see cref="SuiteCases"/> cases every time (fixed CsCheck seeds, so it never flakes). A failure
/// names the case's seed: <c>CsCheck_Seed=&lt;seed&gt; CsCheck_Iter=2000 dotnet test --filter CrashSequencePropertyTests</c>
/// replays it and shrinks it, and <c>CsCheck_Iter=N</c> alone explores N new random cases per routing (so does the
/// explicit long run). A failing case is printed as C# (<see cref="CrashCase.ToCode"/>), ready to keep as a test.
/// </para>
/// </summary>
[TestFixture]
[Parallelizable] // the simulated network only: virtual time, no sockets, no shared state (see Parallelism.cs)
public sealed class CrashSequencePropertyTests
{
    /// <summary>Cases per routing in the ordinary suite.</summary>
    private const int SuiteCases = 100;

    /// <summary>The CsCheck seed of suite case i is <c>new PCG(i, SuiteSeed)</c>.</summary>
    private const ulong SuiteSeed = 20_261_202;

    /// <summary>Virtual time after the join within which every publication and crash happens.</summary>
    private const int ScheduleMs = 6_000;

    /// <summary>Virtual time after the schedule for detection, repair, catch-up and grafts to finish.</summary>
    private const int SettleMs = 8_000;

    /// <summary>Short intervals: a crash is detected within about a second, the seeds are asked again every 2 s.</summary>
    private static PeerOptions Quick() => new()
    {
        LivenessInterval = TimeSpan.FromMilliseconds(250),
        RegistrationTimeout = TimeSpan.FromMilliseconds(500),
        RetryInterval = TimeSpan.FromMilliseconds(200),
        ReregisterInterval = TimeSpan.FromSeconds(2),
        MessagesPerPeer = 0,
    };

    // ---- the cases ----

    /// <summary>Whom a wave crashes besides its random victims.</summary>
    internal enum Target
    {
        /// <summary>Only the victims.</summary>
        Victims,

        /// <summary>Also every live neighbour of live peer number Victims[0] (mod the live count): that peer is cut off.</summary>
        Neighbourhood,

        /// <summary>Also the peer that published last, while its message may still be on its way.</summary>
        LastPublisher,
    }

    /// <summary>At <see cref="AtMs"/> after the join the peers <see cref="Victims"/> crash (and whom <see cref="Target"/> adds).</summary>
    internal sealed record Wave(int AtMs, Target Target, int[] Victims);

    /// <summary>At <see cref="AtMs"/> after the join, live peer number <see cref="Publisher"/> (mod the live count) publishes a message.</summary>
    internal sealed record Publication(int AtMs, int Publisher);

    /// <summary>One run: the network, and what happens after every peer has joined.</summary>
    internal sealed record CrashCase(int Seeds, int Peers, int RunSeed, int LatencyMs, int JitterMs, Wave[] Waves, Publication[] Messages)
    {
        /// <summary>The case as C#, to paste into a test.</summary>
        public string ToCode()
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"new CrashCase(Seeds: {Seeds}, Peers: {Peers}, RunSeed: {RunSeed}, LatencyMs: {LatencyMs}, JitterMs: {JitterMs},\n    Waves: [");
            text.AppendJoin(", ", Waves.Select(w => string.Create(CultureInfo.InvariantCulture, $"new({w.AtMs}, Target.{w.Target}, [{string.Join(", ", w.Victims)}])")));
            text.Append("],\n    Messages: [");
            text.AppendJoin(", ", Messages.Select(m => string.Create(CultureInfo.InvariantCulture, $"new({m.AtMs}, {m.Publisher})")));
            text.Append("])");
            return text.ToString();
        }
    }

    /// <summary>A wave at a random time or a few milliseconds after a publication (while the message spreads, or the tree repairs around an earlier crash).</summary>
    private static Gen<Wave> WaveGen(int peers, Publication[] messages) =>
        from at in Gen.Frequency(
            (1, Gen.Int[300, 4_000]),
            (1, from i in Gen.Int[0, messages.Length - 1] from delay in Gen.Int[0, 60] select Math.Max(300, messages[i].AtMs + delay)))
        from target in Gen.Frequency((2, Gen.Const(Target.Victims)), (1, Gen.Const(Target.Neighbourhood)), (1, Gen.Const(Target.LastPublisher)))
        from victims in Gen.Int[0, peers - 1].Array[1, Math.Max(1, peers / 2)]
        select new Wave(at, target, victims);

    private static readonly Gen<Publication> PublicationGen =
        from at in Gen.Int[0, ScheduleMs]
        from publisher in Gen.Int[0, 1_000]
        select new Publication(at, publisher);

    /// <summary>One message before the first wave and one after the last are always there.</summary>
    private static readonly Gen<CrashCase> CaseGen =
        from peers in Gen.Int[20, 50]
        from seeds in Gen.Int[1, 3]
        from runSeed in Gen.Int[1, 1_000_000]
        from latency in Gen.OneOf(Gen.Int[1, 5], Gen.Int[5, 40], Gen.Int[40, 150])
        from jitter in Gen.Int[0, 5]
        from messages in PublicationGen.Array[2, 12]
        from waves in WaveGen(peers, messages).Array[1, 5]
        from first in Gen.Int[0, 1_000]
        from last in Gen.Int[0, 1_000]
        select new CrashCase(seeds, peers, runSeed, latency, jitter, waves,
            [new Publication(0, first), .. messages, new Publication(waves.Max(w => w.AtMs) + 1, last)]);

    // ---- running one case ----

    /// <summary>What a case showed.</summary>
    internal enum Outcome
    {
        /// <summary>The live overlay ended connected and messages survived: the property was checked.</summary>
        Checked,

        /// <summary>The live overlay ended in more than one piece: delivery not checked.</summary>
        Split,

        /// <summary>Fewer than two live peers, or no message survived: delivery not checked.</summary>
        Vacuous,
    }

    /// <param name="SplitOnTheWay">The live overlay was split at some 100 ms sample during the run (and, if checked, repaired by the end).</param>
    /// <param name="Violations">What broke the property; empty when it held (or did not apply).</param>
    internal sealed record Result(Outcome Outcome, bool SplitOnTheWay, int Survived, int Lost, int LivePeers, IReadOnlyList<string> Violations);

    internal static Result Run(CrashCase c, Routing routing, PeerOptions? peer = null)
    {
        var sim = Build(c, routing, peer, trace: false);
        var (start, split) = Drive(sim, c);
        return Check(sim, start, split);
    }

    internal static GossipSimulation Build(CrashCase c, Routing routing, PeerOptions? peer, bool trace)
    {
        var links = new SimulatedNetworkOptions { Latency = TimeSpan.FromMilliseconds(c.LatencyMs), Jitter = TimeSpan.FromMilliseconds(c.JitterMs) };
        return new GossipSimulation(c.Seeds, c.Peers, c.RunSeed, peer ?? Quick(), new GossipOptions { Routing = routing }, links, trace);
    }

    /// <summary>Joins every peer, plays the schedule and lets the network settle. Returns when the schedule started and whether the live overlay was split at some sample.</summary>
    internal static (TimeSpan Start, bool Split) Drive(GossipSimulation sim, CrashCase c)
    {
        var notJoined = sim.JoinAll(TimeSpan.FromSeconds(5));
        if (notJoined > 0)
        {
            throw new InvalidOperationException($"{notJoined} peers did not join: the case is broken, not the property");
        }
        var start = sim.Elapsed;
        // At equal times publications go first, then waves; each in the order generated.
        var steps = c.Messages.Select((m, i) => (m.AtMs, Kind: 0, Index: i))
            .Concat(c.Waves.Select((w, i) => (w.AtMs, Kind: 1, Index: i)))
            .OrderBy(s => s.AtMs).ThenBy(s => s.Kind).ThenBy(s => s.Index);
        var split = false;
        var nextSample = 0;
        var lastPublisher = -1;
        void RunTo(int ms)
        {
            for (; nextSample <= ms; nextSample += 100)
            {
                sim.RunUntil(start + TimeSpan.FromMilliseconds(nextSample));
                split |= !sim.Overlay().Connected;
            }
            sim.RunUntil(start + TimeSpan.FromMilliseconds(ms));
        }
        foreach (var step in steps)
        {
            RunTo(step.AtMs);
            var live = sim.LivePeers();
            if (live.Count == 0)
            {
                continue;
            }
            if (step.Kind == 0)
            {
                lastPublisher = live[c.Messages[step.Index].Publisher % live.Count];
                sim.Publish(lastPublisher);
                continue;
            }
            var wave = c.Waves[step.Index];
            var victims = wave.Victims.Where(v => v < c.Peers).ToList();
            if (wave.Target == Target.Neighbourhood)
            {
                victims.AddRange(sim.LiveNeighbours(live[wave.Victims[0] % live.Count]));
            }
            else if (wave.Target == Target.LastPublisher && lastPublisher >= 0)
            {
                victims.Add(lastPublisher);
            }
            sim.Crash(victims);
        }
        RunTo(ScheduleMs + SettleMs);
        return (start, split);
    }

    private static Result Check(GossipSimulation sim, TimeSpan start, bool splitOnTheWay)
    {
        var live = sim.LivePeers();
        var violations = new List<string>();
        // Whatever happened: no peer reports a first receipt twice, and no origin receives its own message.
        foreach (var (peer, id, count) in sim.RepeatedReceipts())
        {
            violations.Add($"peer {peer} reported {count} first receipts of {Describe(sim, start, id)}");
        }
        foreach (var (id, origin, _) in sim.Originated)
        {
            if (sim.Receipts(origin, id) > 0)
            {
                violations.Add($"peer {origin} received its own {Describe(sim, start, id)}");
            }
        }
        var survivors = sim.Originated.Where(m => sim.IsLive(m.Origin) || live.Any(p => sim.Receipts(p, m.Id) > 0)).ToArray();
        var lost = sim.Originated.Count - survivors.Length;
        if (live.Count < 2 || survivors.Length == 0)
        {
            return new Result(Outcome.Vacuous, splitOnTheWay, survivors.Length, lost, live.Count, violations);
        }
        if (!sim.Overlay().Connected)
        {
            return new Result(Outcome.Split, splitOnTheWay, survivors.Length, lost, live.Count, violations);
        }
        foreach (var (id, origin, _) in survivors)
        {
            var missing = live.Where(p => p != origin && sim.Receipts(p, id) == 0).ToArray();
            if (missing.Length > 0)
            {
                violations.Add($"{Describe(sim, start, id)} is missing at {missing.Length} of {live.Count} live peers: {string.Join(", ", missing.Take(10))}");
            }
        }
        return new Result(Outcome.Checked, splitOnTheWay, survivors.Length, lost, live.Count, violations);
    }

    private static string Describe(GossipSimulation sim, TimeSpan start, MessageId id)
    {
        var (_, origin, at) = sim.Originated.First(m => m.Id == id);
        var state = sim.IsLive(origin) ? "live" : "crashed";
        return string.Create(CultureInfo.InvariantCulture, $"message {id.Short} (from peer {origin}, {state}, at {(at - start).TotalMilliseconds:0} ms of the schedule)");
    }

    // ---- the properties ----

    /// <summary>What a batch of cases showed (updated from several threads).</summary>
    private sealed class Tally
    {
        private int _checked, _split, _vacuous, _repaired, _lost;

        public int Checked => _checked;

        public int Repaired => _repaired;

        public int Total => _checked + _split + _vacuous;

        public void Add(Result r)
        {
            if (r.Outcome == Outcome.Checked)
            {
                Interlocked.Increment(ref _checked);
                if (r.SplitOnTheWay)
                {
                    Interlocked.Increment(ref _repaired);
                }
            }
            else
            {
                Interlocked.Increment(ref r.Outcome == Outcome.Split ? ref _split : ref _vacuous);
            }
            Interlocked.Add(ref _lost, r.Lost);
        }

        public override string ToString() =>
            $"{Total} cases: {_checked} checked ({_repaired} of them split on the way and were repaired), {_split} ended split, {_vacuous} with nothing to check; {_lost} messages lost with their crashed holders";
    }

    private static bool Exploring =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CsCheck_Iter")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CsCheck_Seed"));

    /// <summary>The CsCheck seed of suite case <paramref name="index"/>.</summary>
    internal static string SuiteCaseSeed(int index) => new PCG((uint)index, SuiteSeed).ToString();

    /// <summary>Suite case <paramref name="index"/> itself.</summary>
    internal static CrashCase SuiteCase(int index)
    {
        CrashCase? made = null;
        CaseGen.Sample(c => made = c, seed: SuiteCaseSeed(index), iter: 1, threads: 1);
        return made!;
    }

    /// <summary>Fails the case (with the violations) when the property does not hold.</summary>
    private static void Holds(CrashCase c, Routing routing, Tally tally)
    {
        var result = Run(c, routing);
        tally.Add(result);
        if (result.Violations.Count > 0)
        {
            throw new AssertionException($"{routing}: {string.Join("; ", result.Violations)}");
        }
    }

    /// <summary>
    /// The suite's fixed cases, one per core at a time; or, with <c>CsCheck_Iter</c> / <c>CsCheck_Seed</c> set, CsCheck's own
    /// sampling (random cases, the seed first; a failure is shrunk). Then the share of cases that exercised the property.
    /// </summary>
    private static void Property(Routing routing, long? randomCases = null)
    {
        var tally = new Tally();
        if (randomCases is not null || Exploring)
        {
            CaseGen.Sample(c => Holds(c, routing, tally), iter: randomCases ?? -1, print: c => c.ToCode());
        }
        else
        {
            var failures = new ConcurrentBag<(int Index, string Message)>();
            Parallel.For(0, SuiteCases, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            {
                try
                {
                    CaseGen.Sample(c => Holds(c, routing, tally), seed: SuiteCaseSeed(i), iter: 1, threads: 1, print: c => c.ToCode());
                }
                catch (CsCheckException e)
                {
                    failures.Add((i, $"{e.Message}\n  {e.InnerException?.Message}"));
                }
            });
            Assert.That(failures.OrderBy(f => f.Index).Select(f => f.Message), Is.Empty,
                "cases where a connected overlay did not deliver every surviving message exactly once (replay and shrink one with CsCheck_Seed, see the class comment)");
        }
        TestContext.Out.WriteLine($"{routing}: {tally}");
        Assert.Multiple(() =>
        {
            Assert.That(tally.Checked, Is.GreaterThanOrEqualTo(tally.Total * 3 / 4), $"most cases must exercise the property: {tally}");
            Assert.That(tally.Repaired, Is.GreaterThanOrEqualTo(tally.Total / 10), $"many must split on the way and be repaired: {tally}");
        });
    }

    [Test]
    public void Flood_delivers_every_surviving_message_exactly_once_to_every_live_peer_of_a_connected_overlay() => Property(Routing.Flood);

    [Test]
    public void Tree_delivers_every_surviving_message_exactly_once_to_every_live_peer_of_a_connected_overlay() => Property(Routing.Tree);

    [Test]
    public void Spanning_delivers_every_surviving_message_exactly_once_to_every_live_peer_of_a_connected_overlay() => Property(Routing.Spanning);

    [Test]
    [Category(LongRuns.Category)]
    [Explicit("Long run: 3,000 new random cases per routing, a failure shrunk (about 45 s for flood or tree, 2.5 min for spanning, on 2 cores).")]
    public void Random_crash_sequences_explored_at_length([Values] Routing routing) => Property(routing, randomCases: 3_000);

    /// <summary>
    /// Negative control: without catch-up (<c>Peer:HistoryWindow</c> 0) a peer that was cut off and repaired never gets
    /// the messages it missed, so the same check must find violations in the suite's cases. A check that passes here has
    /// stopped looking.
    /// </summary>
    [Test]
    public void Without_catch_up_the_check_finds_peers_that_missed_messages([Values] Routing routing)
    {
        var peer = Quick();
        peer.HistoryWindow = TimeSpan.Zero;

        var failing = Enumerable.Range(0, 20).Count(i => Run(SuiteCase(i), routing, peer).Violations.Count > 0);

        Assert.That(failing, Is.GreaterThanOrEqualTo(3), "of 20 suite cases, with catch-up off");
    }

    /// <summary>
    /// Determinism with crashes: a case run twice gives the same node events, in the same order, at the same virtual
    /// times (each event's text, folded into one hash); another run seed gives other events.
    /// </summary>
    [Test]
    public void A_run_with_crashes_is_deterministic([Values] Routing routing)
    {
        for (var i = 0; i < 5; i++)
        {
            var c = SuiteCase(i);
            var first = Trace(c, routing);
            var second = Trace(c, routing);
            var other = Trace(c with { RunSeed = c.RunSeed + 1 }, routing);

            Assert.That(second, Is.EqualTo(first), $"case {i}: {c.ToCode()}");
            Assert.That(other.Hash, Is.Not.EqualTo(first.Hash), $"case {i}: another run seed, other events");
        }
    }

    internal static (ulong Hash, int Events, int Crashed) Trace(CrashCase c, Routing routing)
    {
        var sim = Build(c, routing, null, trace: true);
        Drive(sim, c);
        return (sim.TraceHash, sim.Events.Count, sim.PeerCount - sim.LivePeers().Count);
    }

    // ---- bugs found, kept as they were found (shrunk by hand from the failing cases CsCheck printed) ----

    // Fixed: a catch-up Want sent to a neighbour that crashed before answering was never sent to anyone else.
    // Dissemination.OnDigest kept each wanted id requested of that neighbour for one LivenessInterval and asked no other
    // neighbour whose digest offered it meanwhile; the request was not dropped when the asked neighbour's link was lost,
    // and nothing asked again when it lapsed (catch-up runs only when a link comes up; a tree does not re-announce what it
    // delivered). Now the other neighbours that offered the id are remembered and asked, when the link is lost or the
    // request lapses (Dissemination.CatchUp.cs).

    /// <summary>
    /// Tree (virtual times; the schedule starts at 150.6 ms). After the wave at 3106 ms the origin, peer 17, publishes at
    /// 3366 ms to nobody (its tree links are gone); peer 15 grafts the message from it. Peer 18 links to peer 15, gets its
    /// digest and sends a Want for the message at 4378.1 ms; peer 15 crashes at 4378.6 ms (the wave at 4228), before the
    /// Want arrives. Peer 18 then links to peer 17 (4380.6 ms) and to peer 19, whose digests both offer the message
    /// (4383.2 and 4385.1 ms): "Wanted = 0", because the id stays requested of peer 15 until 4628.1 ms. Nothing asks
    /// again; at the end peer 18, linked to peers 17 and 19, still lacked it (7 live peers, overlay connected). Now the
    /// request is dropped when the link to peer 15 is lost (4379.6 ms, the crash resets it), and peer 17's digest is
    /// answered with a Want; peer 18 gets the message from peer 17 at 4388.0 ms.
    /// </summary>
    [Test]
    public void Tree_a_want_lost_with_a_crashed_neighbour_is_asked_of_another_that_offered_it()
    {
        var c = new CrashCase(Seeds: 3, Peers: 20, RunSeed: 276458, LatencyMs: 1, JitterMs: 3,
            Waves: [new(3106, Target.Neighbourhood, [11, 2, 10, 4]), new(4228, Target.Victims, [15, 16]), new(4221, Target.Victims, [5])],
            Messages: [new(0, 631), new(3366, 877)]);

        var result = Run(c, Routing.Tree);

        Assert.That(result.Outcome, Is.EqualTo(Outcome.Checked));
        Assert.That(result.Violations, Is.Empty);
    }

    /// <summary>
    /// Flood, the same bug (virtual times; the schedule starts at 1706.8 ms). Peer 23 publishes at 5462.8 ms. Peer 35,
    /// repairing after the wave that cut it off, links to peer 28, whose digest offers the message; peer 35 asks peer 28
    /// for it (5493.8 ms). Peer 28 crashes in the next wave (5502.8 ms) before answering. Peer 35 then links to peer 16
    /// and to peer 23, the origin; both digests offer the message (5564.6 and 5574.9 ms) and peer 35 wants nothing. At
    /// the end peer 35 was linked to peers 16 and 23, which both hold it, and never got it (7 live peers, overlay connected).
    /// Now the request is dropped when the link to peer 28 is lost (5512.8 ms), and peer 35 asks peer 16 for the message
    /// when its digest offers it; peer 16 sends it at once (5586.7 ms).
    /// </summary>
    [Test]
    public void Flood_a_want_lost_with_a_crashed_neighbour_is_asked_of_another_that_offered_it()
    {
        var c = new CrashCase(Seeds: 3, Peers: 37, RunSeed: 718142, LatencyMs: 10, JitterMs: 5,
            Waves: [new(3745, Target.Neighbourhood, [32, 34]), new(3796, Target.Neighbourhood, [8]), new(3233, Target.Neighbourhood, [10, 27, 14, 19, 31, 26, 5, 3, 30, 4, 24])],
            Messages: [new(3756, 355)]);

        var result = Run(c, Routing.Flood);

        Assert.That(result.Outcome, Is.EqualTo(Outcome.Checked));
        Assert.That(result.Violations, Is.Empty);
    }
}
