using P2PSim.Nodes;
using P2PSim.Overlay;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Overlay;

/// <summary>
/// The neighbour table alone, for PeerAt(1) with MaxNeighbours 4 and MinNeighbours 2: who it dials, which links it
/// keeps, the events it raises, and how it repairs, on a scripted clock.
/// </summary>
[TestFixture]
public sealed class NeighbourTableTests
{
    private static readonly NodeEndpoint Self = PeerAt(1);

    /// <summary>How long a peer that died, left or misbehaved is kept out of repairs: (MaxMissedLiveness + 1) x LivenessInterval.</summary>
    private static readonly TimeSpan AvoidFor = (QuietShortIntervals().MaxMissedLiveness + 1) * QuietShortIntervals().LivenessInterval;

    /// <summary>PeerAt(1) linked to PeerAt(2) and PeerAt(3) (dialed by it), the seed listing them and <paramref name="spares"/>.</summary>
    private static TableBench LinkedTo2And3(params NodeEndpoint[] spares)
    {
        var bench = new TableBench(QuietShortIntervals(), Peers(2, 3)).Joined();
        bench.SeedLists([.. Peers(2, 3), .. spares]);
        return bench;
    }

    /// <summary><see cref="LinkedTo2And3"/>, with PeerAt(2) declared dead at T0 + 40 s (the seed still lists it); the outbox is empty.</summary>
    private static (TableBench Bench, DateTimeOffset DiedAt) Peer2DeclaredDead()
    {
        var bench = LinkedTo2And3();
        var diedAt = bench.Part.Advance(TimeSpan.FromSeconds(40));
        bench.Table.DeclareDead(PeerAt(2), 3, diedAt);
        bench.Part.Take();
        return (bench, diedAt);
    }

    [Test]
    public void Join_dials_MaxNeighbours_of_the_known_peers_and_never_itself()
    {
        var known = Peers(1, 2, 3, 4, 5, 6, 7);
        var bench = new TableBench(QuietShortIntervals(), known);

        bench.Table.Join(T0);
        var actions = bench.Part.Take();

        var dialed = actions.DialTargets();
        var chosen = actions.ReportsOf<NeighboursChosen>().Single();
        Assert.That(dialed, Has.Length.EqualTo(4).And.Unique.And.SubsetOf(Peers(2, 3, 4, 5, 6, 7)));
        Assert.That(chosen.Known, Is.EqualTo(Peers(2, 3, 4, 5, 6, 7)), "every known peer but itself, in the seeds' order");
        Assert.That(chosen.Chosen, Is.EqualTo(dialed));
        Assert.That(bench.Table.Joined, Is.True);
        Assert.That(bench.Table.Settled, Is.False, "its dials are under way");
    }

    [Test]
    public void A_failed_dial_is_replaced_by_a_spare_until_the_spares_run_out()
    {
        var bench = new TableBench(QuietShortIntervals(), Peers(2, 3, 4, 5, 6, 7));
        bench.Table.Join(T0);
        var chosen = bench.Part.Take().DialTargets();
        var spares = Peers(2, 3, 4, 5, 6, 7).Except(chosen).ToArray();

        var replacements = new List<NodeAction[]>();
        foreach (var failed in chosen.Take(3))
        {
            bench.Table.OnDialFailed(failed, "connection refused", T0);
            replacements.Add(bench.Part.Take());
        }

        Assert.That(replacements[0].ReportsOf<NeighbourDialFailed>(), Is.EqualTo(new[] { new NeighbourDialFailed(T0, chosen[0], "connection refused") }));
        Assert.That(replacements[0].DialTargets().Concat(replacements[1].DialTargets()), Is.EquivalentTo(spares));
        Assert.That(replacements[2].DialTargets(), Is.Empty, "two spares: the third failure finds none");
    }

    [Test]
    public void A_link_that_comes_up_raises_NeighbourUp_and_reports_the_neighbour_connected()
    {
        var bench = new TableBench(QuietShortIntervals());

        var dialed = bench.Connect(PeerAt(2));
        var accepted = bench.Connect(PeerAt(3), inbound: true);

        Assert.That(bench.Events, Is.EqualTo(new[] { ("up", PeerAt(2)), ("up", PeerAt(3)) }));
        Assert.That(bench.Part.Take().ReportsOf<NeighbourConnected>(), Is.EqualTo(new[]
        {
            new NeighbourConnected(T0, PeerAt(2), Inbound: false, Reconnected: false, Neighbours: 1),
            new NeighbourConnected(T0, PeerAt(3), Inbound: true, Reconnected: false, Neighbours: 2),
        }));
        Assert.That(bench.Table.ConnectedNeighbours, Is.EqualTo(Peers(2, 3)));
        Assert.That(bench.Table.TryGetNeighbour(accepted, out var neighbour) && neighbour == PeerAt(3), Is.True);
        Assert.That(bench.Table.IsCurrent(PeerAt(2), dialed), Is.True);
    }

    [Test]
    public void A_connection_to_itself_is_refused()
    {
        var bench = new TableBench(QuietShortIntervals());
        var self = bench.Part.Link(Self, NodeRole.Peer);

        var accepted = bench.Table.OnConnected(self, T0);

        Assert.That(accepted, Is.False);
        Assert.That(bench.Part.Take(), Is.EqualTo(new[] { new Close(self.Id, "connection to self", AfterFlush: false) }));
        Assert.That(bench.Events, Is.Empty);
    }

    [Test]
    public void Of_crossed_connections_both_ends_keep_the_one_dialed_by_the_smaller_endpoint([Values] bool smallerSeesItsDialFirst, [Values] bool largerSeesItsDialFirst)
    {
        var smaller = new TableBench(PeerAt(1), QuietShortIntervals());
        var larger = new TableBench(PeerAt(2), QuietShortIntervals());

        // The smaller end's dial is outbound at the smaller end and inbound at the larger; the other dial the reverse.
        var (smallerKeeps, smallerDrops) = Crossed(smaller, PeerAt(2), ownDialFirst: smallerSeesItsDialFirst);
        var (largerDrops, largerKeeps) = Crossed(larger, PeerAt(1), ownDialFirst: largerSeesItsDialFirst);

        Assert.That(smaller.Table.IsCurrent(PeerAt(2), smallerKeeps), Is.True, "the smaller end keeps its own dial");
        Assert.That(larger.Table.IsCurrent(PeerAt(1), largerKeeps), Is.True, "the larger end keeps the smaller end's dial");
        Assert.That(smaller.Part.Take().Closes(), Is.EqualTo(new[] { new Close(smallerDrops, "duplicate connection", AfterFlush: false) }));
        Assert.That(larger.Part.Take().Closes(), Is.EqualTo(new[] { new Close(largerDrops, "duplicate connection", AfterFlush: false) }));
        Assert.That(smaller.Table.TryGetNeighbour(smallerDrops, out _) || larger.Table.TryGetNeighbour(largerDrops, out _), Is.False);
    }

    /// <summary>Both connections with <paramref name="other"/> come up at <paramref name="bench"/>; returns (its own dial, the other's dial).</summary>
    private static (ConnectionId Own, ConnectionId Theirs) Crossed(TableBench bench, NodeEndpoint other, bool ownDialFirst)
    {
        if (ownDialFirst)
        {
            var own = bench.Connect(other);
            return (own, bench.Connect(other, inbound: true));
        }
        var theirs = bench.Connect(other, inbound: true);
        return (bench.Connect(other), theirs);
    }

    [Test]
    public void A_crossed_connection_that_replaces_the_link_raises_NeighbourUp_again_but_is_no_new_neighbour()
    {
        var bench = new TableBench(QuietShortIntervals());
        var theirs = bench.Connect(PeerAt(2), inbound: true);

        var own = bench.Connect(PeerAt(2));

        Assert.That(bench.Events, Is.EqualTo(new[] { ("up", PeerAt(2)), ("up", PeerAt(2)) }), "liveness and dissemination move to the new link");
        Assert.That(bench.Part.Take().ReportsOf<NeighbourConnected>(), Has.Length.EqualTo(1));
        Assert.That(bench.Table.Entries.Keys, Is.EqualTo(new[] { PeerAt(2) }));
        Assert.That(bench.Table.OnClosed(theirs, "duplicate connection", T0), Is.False, "the replaced link's close is nobody's loss");
        Assert.That(bench.Table.IsCurrent(PeerAt(2), own), Is.True);
    }

    [Test]
    public void A_lost_link_raises_LinkLost_and_the_neighbour_stays_to_be_redialed()
    {
        var bench = new TableBench(QuietShortIntervals());
        var link = bench.Connect(PeerAt(2));
        bench.Part.Take();
        bench.Part.Now = T0 + TimeSpan.FromSeconds(4);

        var wasNeighbours = bench.Table.OnClosed(link, "connection reset", bench.Part.Now);
        var lost = bench.Part.Take();
        bench.Connect(PeerAt(2));

        Assert.That(wasNeighbours, Is.True);
        Assert.That(lost, Is.EqualTo(new[] { new Report(new NeighbourConnectionLost(bench.Part.Now, PeerAt(2), "connection reset")) }), "no dial: liveness redials it each round");
        Assert.That(bench.Events, Is.EqualTo(new[] { ("up", PeerAt(2)), ("lost", PeerAt(2)), ("up", PeerAt(2)) }));
        Assert.That(bench.Part.Take().ReportsOf<NeighbourConnected>(), Is.EqualTo(new[] { new NeighbourConnected(bench.Part.Now, PeerAt(2), false, Reconnected: true, 1) }));
    }

    [Test]
    public void Goodbye_removes_the_neighbour_is_never_a_death_and_repairs_with_fresh_peer_lists()
    {
        var bench = LinkedTo2And3(PeerAt(4));
        var link = bench.Part.Connections[PeerAt(2)];
        var now = bench.Part.Advance(TimeSpan.FromSeconds(4));

        bench.Table.OnGoodbye(link, PeerAt(2), now);
        var actions = bench.Part.Take();

        Assert.That(bench.Events, Is.EqualTo(new[] { ("removed", PeerAt(2)) }));
        Assert.That(actions.ReportsOf<NeighbourDead>(), Is.Empty);
        Assert.That(actions.Take(3), Is.EqualTo(new NodeAction[]
        {
            new Close(link, "neighbour left"),
            new Report(new NeighbourLeft(now, PeerAt(2), 1)),
            new Dial(PeerAt(4)),
        }), "the one that left is not dialed back although the seed still lists it");
        var repair = actions.ReportsOf<OverlayRepair>().Single();
        Assert.That((repair.Trigger, repair.Neighbours, repair.Minimum), Is.EqualTo(($"{PeerAt(2)} left", 1, 2)));
        Assert.That(repair.Dialing, Is.EqualTo(new[] { PeerAt(4) }));
        Assert.That(repair.SeedsAsked, Is.EqualTo(new[] { TableBench.Seed }));
        Assert.That(bench.PeerListRequests, Is.EqualTo(new[] { now }));
    }

    [Test]
    public void DeclareDead_raises_NeighbourRemoved_then_NeighbourDied_and_closes_the_link()
    {
        var bench = LinkedTo2And3();
        var link = bench.Part.Connections[PeerAt(2)];
        var now = bench.Part.Advance(TimeSpan.FromSeconds(40));

        bench.Table.DeclareDead(PeerAt(2), 3, now);
        var actions = bench.Part.Take();

        Assert.That(bench.Events, Is.EqualTo(new[] { ("removed", PeerAt(2)), ("died", PeerAt(2)) }));
        Assert.That(actions.Take(2), Is.EqualTo(new NodeAction[]
        {
            new Close(link, "declared dead", AfterFlush: false),
            new Report(new NeighbourDead(now, PeerAt(2), 3, "liveness requests unanswered")),
        }));
        Assert.That(actions.DialTargets(), Is.Empty, "the dead peer is the only other known one, and it is avoided");
        Assert.That(bench.PeerListRequests, Is.EqualTo(new[] { now }), "the repair asks the seeds for fresh lists");
        Assert.That(bench.Table.Entries.Keys, Is.EqualTo(new[] { PeerAt(3) }));
    }

    [Test]
    public void A_dead_peer_is_not_dialed_by_repairs_from_the_lists_it_was_in_even_after_the_avoid_period()
    {
        var (bench, diedAt) = Peer2DeclaredDead();

        bench.Table.Repair(diedAt + AvoidFor - TimeSpan.FromTicks(1), "liveness round", AskSeeds.IfShort);
        var stillAvoided = bench.Part.Take().DialTargets();
        bench.Table.Repair(diedAt + AvoidFor, "liveness round", AskSeeds.IfShort);
        var afterwards = bench.Part.Take().DialTargets();

        Assert.That(stillAvoided, Is.Empty);
        Assert.That(afterwards, Is.Empty, "forgotten: only the suspect redials (while the seeds list it) dial it again");
        Assert.That(bench.Known.Known(exclude: bench.Self), Is.EqualTo(new[] { PeerAt(3) }));
    }

    [Test]
    public void A_spare_the_seeds_dropped_since_the_join_does_not_replace_a_failed_dial()
    {
        var bench = new TableBench(QuietShortIntervals(o => o.MaxNeighbours = 2), Peers(2, 3, 4, 5, 6));
        bench.Table.Join(T0);
        var chosen = bench.Part.Take().DialTargets();
        bench.SeedLists(chosen); // a fresh list: the seed removed the spares (dead, or gone)

        var replacements = new List<NodeEndpoint>();
        foreach (var failed in chosen)
        {
            bench.Table.OnDialFailed(failed, "connection refused", T0);
            replacements.AddRange(bench.Part.Take().DialTargets());
        }

        Assert.That(replacements, Is.Empty, "the spares drawn at the join are a stale copy of the list");
    }

    /// <summary>A link that comes up proves the peer alive: a peer forgotten as dead is known again.</summary>
    [Test]
    public void A_dead_peer_that_connects_is_known_again()
    {
        var (bench, _) = Peer2DeclaredDead();

        bench.Connect(PeerAt(2), inbound: true);

        Assert.That(bench.Known.Known(exclude: bench.Self), Is.EqualTo(Peers(2, 3)));
    }

    [Test]
    public void A_dead_peer_the_seeds_still_list_is_a_suspect_redialed_once_per_avoid_period()
    {
        var (bench, diedAt) = Peer2DeclaredDead();

        var retries = new List<NodeAction[]>();
        foreach (var at in new[] { diedAt + AvoidFor - TimeSpan.FromTicks(1), diedAt + AvoidFor, diedAt + (2 * AvoidFor) - TimeSpan.FromTicks(1), diedAt + (2 * AvoidFor) })
        {
            bench.Table.RetrySuspects(at);
            var retry = bench.Part.Take();
            bench.Table.OnDialFailed(PeerAt(2), "connection refused", at);
            retries.Add([.. retry, .. bench.Part.Take()]);
        }

        Assert.That(retries.Select(r => r.DialTargets()), Is.EqualTo(new[] { Peers(), Peers(2), Peers(), Peers(2) }));
        var repair = retries[1].ReportsOf<OverlayRepair>().Single();
        Assert.That(repair.Trigger, Is.EqualTo("neighbours declared dead that the seeds still list"));
        Assert.That(repair.Dialing, Is.EqualTo(new[] { PeerAt(2) }));
        Assert.That(retries[1].ReportsOf<NeighbourDialFailed>(), Is.Empty, "a suspect that is still unreachable is no news, and needs no spare");
    }

    [Test]
    public void A_suspect_the_seeds_dropped_is_not_redialed()
    {
        var (bench, diedAt) = Peer2DeclaredDead();

        bench.SeedLists(PeerAt(3));
        bench.Table.RetrySuspects(diedAt + AvoidFor);
        bench.SeedLists(Peers(2, 3));
        bench.Part.Take();
        bench.Table.RetrySuspects(diedAt + (2 * AvoidFor));

        Assert.That(bench.Part.Take(), Is.Empty, "once dropped by the seeds it is no suspect any more, even if listed again");
    }

    [Test]
    public void A_suspect_that_connects_again_is_a_neighbour_again()
    {
        var (bench, diedAt) = Peer2DeclaredDead();
        bench.Table.RetrySuspects(diedAt + AvoidFor);
        bench.Part.Now = diedAt + AvoidFor;
        bench.Part.Take();

        bench.Connect(PeerAt(2));
        bench.Table.RetrySuspects(diedAt + (2 * AvoidFor));

        Assert.That(bench.Table.ConnectedNeighbours, Is.EquivalentTo(Peers(2, 3)));
        Assert.That(bench.Part.Take().DialTargets(), Is.Empty, "no suspect any more");
    }

    [Test]
    public void A_protocol_violation_drops_the_neighbour_without_a_death_and_repairs()
    {
        var bench = LinkedTo2And3(PeerAt(4));
        var link = bench.Part.Connections[PeerAt(2)];
        var reason = "a peer does not accept Register from a peer";

        bench.Table.OnViolation(link, PeerAt(2), reason, T0);
        var actions = bench.Part.Take();

        Assert.That(bench.Events, Is.EqualTo(new[] { ("removed", PeerAt(2)) }));
        Assert.That(actions.Take(3), Is.EqualTo(new NodeAction[]
        {
            new Report(new ProtocolViolation(T0, PeerAt(2).ToString(), reason)),
            new Close(link, reason, AfterFlush: false),
            new Dial(PeerAt(4)),
        }));
        Assert.That(actions.ReportsOf<NeighbourDead>(), Is.Empty);
        Assert.That(bench.Table.Entries.Keys, Is.EqualTo(new[] { PeerAt(3) }));
    }

    [Test]
    public void Version_changes_on_every_link_change_and_only_then()
    {
        var bench = new TableBench(QuietShortIntervals());
        var table = bench.Table;
        var versions = new List<int> { table.Version };
        void Changed(Action change)
        {
            change();
            versions.Add(table.Version);
        }

        Changed(() => bench.Connect(PeerAt(2)));
        Changed(() => bench.Connect(PeerAt(3), inbound: true));
        Changed(() => table.OnClosed(bench.Part.Connections[PeerAt(2)], "connection reset", T0));
        Changed(() => bench.Connect(PeerAt(2)));
        Changed(() => bench.Connect(PeerAt(3))); // its own dial replaces the crossed inbound link
        Changed(() => table.OnGoodbye(bench.Part.Connections[PeerAt(3)], PeerAt(3), T0));
        Changed(() => bench.Connect(PeerAt(4)));
        Changed(() => table.OnViolation(bench.Part.Connections[PeerAt(4)], PeerAt(4), "a peer does not accept Register from a peer", T0));
        Changed(() => bench.Connect(PeerAt(5)));
        Changed(() => table.DeclareDead(PeerAt(5), 3, T0));
        var beforeNoChange = table.Version;
        bench.Connect(PeerAt(2), inbound: true); // a duplicate it refuses
        table.OnDialFailed(PeerAt(9), "connection refused", T0);
        var afterNoChange = table.Version;
        Changed(() => table.Leave(T0));

        Assert.That(versions, Is.Unique.And.Count.EqualTo(12));
        Assert.That(afterNoChange, Is.EqualTo(beforeNoChange));
    }

    [Test]
    public void Leave_says_goodbye_on_every_live_link_and_empties_the_table()
    {
        var bench = LinkedTo2And3(PeerAt(4));
        var live = bench.Part.Connections[PeerAt(2)];
        bench.Table.OnClosed(bench.Part.Connections[PeerAt(3)], "connection reset", T0);
        bench.Part.Take();
        bench.Events.Clear();

        var told = bench.Table.Leave(T0);
        bench.Table.Repair(T0 + TimeSpan.FromSeconds(10), "liveness round", AskSeeds.Always);

        Assert.That(told, Is.EqualTo(1));
        Assert.That(bench.Part.Take(), Is.EqualTo(new NodeAction[] { new Send(live, Goodbye.Instance), new Close(live, "leaving") }), "and no repair after it");
        Assert.That(bench.Events, Is.EqualTo(new[] { ("removed", PeerAt(2)), ("removed", PeerAt(3)) }));
        Assert.That(bench.Table.Entries, Is.Empty);
    }
}
