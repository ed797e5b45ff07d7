using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>Self-healing: a peer left with fewer than <c>Peer:MinNeighbours</c> neighbours finds new ones.</summary>
[TestFixture]
public sealed class OverlayRepairTests
{
    private static readonly TimeSpan Interval = QuietShortIntervals().LivenessInterval;
    private static readonly int Limit = QuietShortIntervals().MaxMissedLiveness;

    private static DateTimeOffset Round(int k) => T0 + (k * Interval);

    /// <summary>
    /// PeerAt(1) with one seed that listed Peers(2..6); MaxNeighbours 2, so it dialed two of them, which connected.
    /// No periodic re-registration (its own tests are elsewhere). Returns the two neighbours chosen.
    /// </summary>
    private static (MachineProbe<PeerMachine> Peer, NodeEndpoint[] Chosen) PeerWithSpares(Action<PeerOptions>? tweak = null)
    {
        var options = QuietShortIntervals(o =>
        {
            o.MaxNeighbours = 2;
            o.MinNeighbours = 2;
            o.ReregisterInterval = TimeSpan.Zero;
            tweak?.Invoke(o);
        });
        var peer = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), [SeedAt(1)], options), T0);
        peer.Start();
        peer.ConnectSeed(SeedAt(1));
        peer.Receive(SeedAt(1), new PeerList(Peers(2, 3, 4, 5, 6)));
        peer.Machine.OnClosed(peer.Connections[SeedAt(1)], "closed", T0);
        var chosen = peer.Take().DialTargets();
        foreach (var neighbour in chosen)
        {
            peer.ConnectPeer(neighbour);
        }
        peer.Take();
        return (peer, chosen);
    }

    /// <summary>Runs liveness rounds in which only <paramref name="responders"/> answer, until <paramref name="last"/>; returns every action.</summary>
    private static List<NodeAction> RoundsUntil(MachineProbe<PeerMachine> peer, int last, params NodeEndpoint[] responders) =>
        Rounds(peer, 1, last, responders);

    private static List<NodeAction> Rounds(MachineProbe<PeerMachine> peer, int first, int last, params NodeEndpoint[] responders)
    {
        var all = new List<NodeAction>();
        for (var k = first; k <= last; k++)
        {
            var round = peer.TimerAt(Round(k));
            all.AddRange(round);
            foreach (var send in round.SendsOf<Ping>())
            {
                var to = peer.Connections.Single(c => c.Value == send.Connection).Key;
                if (responders.Contains(to))
                {
                    peer.Receive(send.Connection, new Pong(((Ping)send.Message).Sequence));
                }
            }
            all.AddRange(peer.Take());
        }
        return all;
    }

    [Test]
    public void When_a_neighbour_dies_and_too_few_remain_the_peer_asks_its_seeds_and_dials_a_new_known_peer()
    {
        var (peer, chosen) = PeerWithSpares();
        var (dying, staying) = (chosen[0], chosen[1]);

        var actions = RoundsUntil(peer, Limit + 1, staying);

        var repair = actions.ReportsOf<OverlayRepair>().Single();
        Assert.That(repair.Trigger, Is.EqualTo($"{dying} died"));
        Assert.That(repair.Neighbours, Is.EqualTo(1));
        Assert.That(repair.Minimum, Is.EqualTo(2));
        Assert.That(repair.Dialing, Has.Count.EqualTo(1));
        Assert.That(Peers(2, 3, 4, 5, 6).Except(chosen), Does.Contain(repair.Dialing[0]), "a known peer that is not a neighbour");
        Assert.That(repair.SeedsAsked, Is.EqualTo(new[] { SeedAt(1) }));
        Assert.That(actions.DialTargets(), Is.EquivalentTo(new[] { SeedAt(1), repair.Dialing[0] }), "one dial to the seed carries the report and the registration");

        var seedLink = peer.ConnectSeed(SeedAt(1));
        var toSeed = peer.Take();
        Assert.That(toSeed.Sends().Select(s => s.Message.Type), Is.EqualTo(new[] { MessageType.DeadNode, MessageType.Register }));
        Assert.That(toSeed.Closes(), Is.Empty, "the link stays open for the peer list");
        peer.Receive(seedLink, new PeerList(Peers(3, 4, 5, 6, 7)));
        peer.ConnectPeer(repair.Dialing[0]);
        var healed = peer.Take();

        Assert.That(peer.Machine.ConnectedNeighbours, Is.EquivalentTo(new[] { staying, repair.Dialing[0] }));
        Assert.That(healed.ReportsOf<SeedRefreshed>().Single().PeerList, Is.EqualTo(Peers(3, 4, 5, 6, 7)));
        Assert.That(healed.DialTargets(), Is.Empty, "back at the minimum: nothing more to dial");
    }

    [Test]
    public void A_neighbour_that_leaves_is_replaced_but_never_dialed_again_by_the_repair()
    {
        var (peer, chosen) = PeerWithSpares();

        peer.Receive(chosen[0], Goodbye.Instance);
        var actions = peer.Take();

        var repair = actions.ReportsOf<OverlayRepair>().Single();
        Assert.That(repair.Trigger, Is.EqualTo($"{chosen[0]} left"));
        Assert.That(repair.Dialing, Has.Count.EqualTo(1));
        Assert.That(repair.Dialing, Does.Not.Contain(chosen[0]).And.Not.Contain(chosen[1]).And.Not.Contain(PeerAt(1)));
        Assert.That(actions.DialTargets(), Is.EquivalentTo(new[] { SeedAt(1), repair.Dialing[0] }));
        Assert.That(actions.ReportsOf<DeadNodeReportSent>(), Is.Empty, "a clean leave is not a death");
    }

    [Test]
    public void A_neighbour_dropped_for_breaking_the_protocol_is_replaced()
    {
        var (peer, chosen) = PeerWithSpares();

        peer.Receive(chosen[1], Register.Instance);
        var actions = peer.Take();

        Assert.That(actions.ReportsOf<ProtocolViolation>(), Has.Length.EqualTo(1));
        var repair = actions.ReportsOf<OverlayRepair>().Single();
        Assert.That(repair.Trigger, Is.EqualTo($"{chosen[1]} was dropped"));
        Assert.That(repair.Dialing, Has.Count.EqualTo(1).And.No.Member(chosen[1]));
    }

    [Test]
    public void A_failed_repair_dial_is_replaced_by_another_known_peer()
    {
        var (peer, chosen) = PeerWithSpares();
        peer.Receive(chosen[0], Goodbye.Instance);
        var first = peer.Take().ReportsOf<OverlayRepair>().Single().Dialing[0];

        peer.DialFails(first);
        var actions = peer.Take();

        var next = actions.DialTargets().Single();
        Assert.That(Peers(2, 3, 4, 5, 6).Except(chosen).Except([first]), Does.Contain(next));
    }

    [Test]
    public void A_lost_link_that_leaves_too_few_reachable_neighbours_dials_a_spare_at_once_and_still_redials_the_lost_one()
    {
        var (peer, chosen) = PeerWithSpares();

        peer.Closed(chosen[0]);
        var lost = peer.Take();
        var repair = lost.ReportsOf<OverlayRepair>().Single();
        peer.ConnectPeer(repair.Dialing[0]);
        peer.Take();
        var round = peer.TimerAt(Round(1));

        Assert.That(repair.Trigger, Is.EqualTo($"the link to {chosen[0]} was lost"));
        Assert.That(repair.Dialing, Has.Count.EqualTo(1), "one reachable neighbour left of the minimum of two");
        Assert.That(Peers(2, 3, 4, 5, 6).Except(chosen), Does.Contain(repair.Dialing[0]), "a spare known peer");
        Assert.That(repair.SeedsAsked, Is.Empty, "the seeds are asked only when the known peers do not suffice, on a round");
        Assert.That(lost.DialTargets(), Is.EqualTo(repair.Dialing));
        Assert.That(round.ReportsOf<OverlayRepair>(), Is.Empty, "two reachable neighbours again");
        Assert.That(round.DialTargets(), Is.EqualTo(new[] { chosen[0] }), "the lost link is still redialed: it may be a short outage, or a death to report");
    }

    [Test]
    public void While_below_the_minimum_with_no_spare_peer_each_round_asks_the_seeds_and_dials_what_they_hand_out()
    {
        var options = QuietShortIntervals(o => o.ReregisterInterval = TimeSpan.Zero);
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2), options, seedCount: 1);

        var round1 = peer.TimerAt(Round(1));
        peer.Receive(PeerAt(2), new Pong(((Ping)round1.SendsOf<Ping>().Single().Message).Sequence));
        var seedLink = peer.ConnectSeed(SeedAt(1));
        var asked = peer.Take();
        peer.Receive(seedLink, new PeerList(Peers(2)));
        var nothingNew = peer.Take();
        var round2 = peer.TimerAt(Round(2));
        peer.Receive(PeerAt(2), new Pong(((Ping)round2.SendsOf<Ping>().Single().Message).Sequence));
        var seedLink2 = peer.ConnectSeed(SeedAt(1));
        peer.Take();
        peer.Receive(seedLink2, new PeerList(Peers(2, 3)));
        var fresh = peer.Take();

        Assert.That(round1.DialTargets(), Is.EqualTo(new[] { SeedAt(1) }));
        Assert.That(round1.ReportsOf<OverlayRepair>().Single().Trigger, Is.EqualTo("liveness round"));
        Assert.That(asked.Sends().Single().Message, Is.EqualTo(Register.Instance));
        Assert.That(nothingNew.DialTargets(), Is.Empty);
        Assert.That(nothingNew.ReportsOf<OverlayRepair>(), Is.Empty);
        Assert.That(round2.DialTargets(), Is.EqualTo(new[] { SeedAt(1) }), "tries again next round");
        var repair = fresh.ReportsOf<OverlayRepair>().Single();
        Assert.That(repair.Trigger, Is.EqualTo("a fresh peer list"));
        Assert.That(repair.Dialing, Is.EqualTo(new[] { PeerAt(3) }));
        Assert.That(repair.SeedsAsked, Is.Empty, "a fresh list is used, not asked for again");
        Assert.That(fresh.DialTargets(), Is.EqualTo(new[] { PeerAt(3) }));
    }

    [Test]
    public void A_peer_declared_dead_is_not_dialed_by_a_repair_even_if_a_seed_still_lists_it()
    {
        var (peer, chosen) = PeerWithSpares();
        var actions = RoundsUntil(peer, Limit + 1, chosen[1]);
        var seedLink = peer.ConnectSeed(SeedAt(1));
        var replacement = actions.ReportsOf<OverlayRepair>().Single().Dialing[0];
        peer.DialFails(replacement);
        peer.Take();

        // The seed has not removed the dead peer yet, and lists nothing else that is new.
        peer.Receive(seedLink, new PeerList([chosen[0], chosen[1]]));
        var later = peer.Take();
        var nextRound = peer.TimerAt(Round(Limit + 2));

        Assert.That(later.DialTargets(), Does.Not.Contain(chosen[0]));
        Assert.That(nextRound.DialTargets(), Does.Not.Contain(chosen[0]));
    }

    /// <summary>
    /// PeerAt(1) with MaxNeighbours 3 and MinNeighbours 2 that knew only PeerAt(2) and PeerAt(3) and connected to both;
    /// one of them died at round Limit + 1; the seed answered the repair with <paramref name="seedList"/> (given the
    /// dead peer) and the repair's dial to PeerAt(4) connected. So it has two neighbours and room for a third.
    /// </summary>
    private static (MachineProbe<PeerMachine> Peer, NodeEndpoint Dead, NodeEndpoint[] Live) AfterADeath(Func<NodeEndpoint, NodeEndpoint[]> seedList)
    {
        var options = QuietShortIntervals(o =>
        {
            o.MaxNeighbours = 3;
            o.MinNeighbours = 2;
            o.ReregisterInterval = TimeSpan.Zero;
        });
        var peer = PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3), options, seedCount: 1);
        var (dead, staying) = (PeerAt(2), PeerAt(3));
        var actions = RoundsUntil(peer, Limit + 1, staying);
        Assert.That(actions.ReportsOf<NeighbourDead>().Single().Neighbour, Is.EqualTo(dead));
        var seedLink = peer.ConnectSeed(SeedAt(1));
        peer.Receive(seedLink, new PeerList(seedList(dead)));
        Assert.That(peer.Take().DialTargets(), Is.EqualTo(new[] { PeerAt(4) }));
        peer.ConnectPeer(PeerAt(4));
        peer.Take();
        return (peer, dead, [staying, PeerAt(4)]);
    }

    [Test]
    public void A_neighbour_declared_dead_that_the_seeds_still_list_is_dialed_again_each_avoid_period()
    {
        var (peer, dead, live) = AfterADeath(_ => Peers(2, 3, 4));
        var period = Limit + 1; // rounds
        var died = Limit + 1;

        var quiet = Rounds(peer, died + 1, died + period - 1, live);
        var retry = Rounds(peer, died + period, died + period, live);
        peer.DialFails(dead);
        var failed = peer.Take();
        var quietAgain = Rounds(peer, died + period + 1, died + (2 * period) - 1, live);
        var again = Rounds(peer, died + (2 * period), died + (2 * period), live);
        peer.ConnectPeer(dead);
        var back = peer.Take();
        var after = Rounds(peer, died + (2 * period) + 1, died + (4 * period), [.. live, dead]);

        Assert.That(quiet.DialTargets(), Is.Empty, "not while it is avoided");
        Assert.That(retry.DialTargets(), Is.EqualTo(new[] { dead }));
        Assert.That(retry.ReportsOf<OverlayRepair>().Single().Trigger, Is.EqualTo("neighbours declared dead that the seeds still list"));
        Assert.That(failed, Is.Empty, "a failed retry is quiet and dials no replacement");
        Assert.That(quietAgain.DialTargets(), Is.Empty);
        Assert.That(again.DialTargets(), Is.EqualTo(new[] { dead }));
        Assert.That(back.ReportsOf<NeighbourConnected>().Single().Neighbour, Is.EqualTo(dead));
        Assert.That(peer.Machine.ConnectedNeighbours, Is.EquivalentTo(live.Append(dead)));
        Assert.That(after.DialTargets(), Is.Empty, "back as a neighbour: no more retries");
    }

    [Test]
    public void A_neighbour_declared_dead_is_not_dialed_again_beyond_max_neighbours()
    {
        var (peer, chosen) = PeerWithSpares(); // MaxNeighbours 2: after the repair there is no room
        var died = Limit + 1;
        var actions = RoundsUntil(peer, died, chosen[1]);
        var spare = actions.ReportsOf<OverlayRepair>().Single().Dialing[0];
        var seedLink = peer.ConnectSeed(SeedAt(1));
        peer.Receive(seedLink, new PeerList(Peers(2, 3, 4, 5, 6)));
        peer.ConnectPeer(spare);
        peer.Take();

        var later = Rounds(peer, died + 1, died + (3 * (Limit + 1)), chosen[1], spare);

        Assert.That(later.DialTargets(), Is.Empty);
    }

    [Test]
    public void A_neighbour_declared_dead_that_the_seeds_dropped_is_never_dialed_again()
    {
        var (peer, dead, live) = AfterADeath(dead => [.. Peers(2, 3, 4).Where(p => p != dead)]);

        var later = Rounds(peer, Limit + 2, 5 * (Limit + 1), live);

        Assert.That(peer.Machine.KnownPeers, Does.Not.Contain(dead));
        Assert.That(later.DialTargets(), Is.Empty);
    }

    [Test]
    public void A_repair_never_dials_more_than_max_neighbours_itself()
    {
        // MinNeighbours above MaxNeighbours acts as MaxNeighbours (so MaxNeighbours 1 stays a valid setting on its own).
        var (peer, chosen) = PeerWithSpares(o => o.MinNeighbours = 5);

        peer.Receive(chosen[0], Goodbye.Instance);
        var actions = peer.Take();

        var repair = actions.ReportsOf<OverlayRepair>().Single();
        Assert.That(repair.Minimum, Is.EqualTo(2));
        Assert.That(repair.Dialing, Has.Count.EqualTo(1), "one dialed neighbour left, so room for one more");
        Assert.That(actions.DialTargets().Except([SeedAt(1)]).Count(), Is.EqualTo(1));
    }

    [Test]
    public void With_min_neighbours_zero_nothing_is_repaired()
    {
        var (peer, chosen) = PeerWithSpares(o => o.MinNeighbours = 0);

        peer.Receive(chosen[0], Goodbye.Instance);
        var actions = peer.Take().Concat(RoundsUntil(peer, 5, chosen[1])).ToArray();

        Assert.That(actions.ReportsOf<OverlayRepair>(), Is.Empty);
        Assert.That(actions.DialTargets(), Is.Empty);
    }

    [Test]
    public void A_peer_that_has_not_joined_yet_does_not_repair()
    {
        var peer = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), Seeds(1), QuietShortIntervals()), T0);
        peer.Start();
        peer.ConnectPeer(PeerAt(5), inbound: true);
        peer.Take();

        peer.Receive(PeerAt(5), Goodbye.Instance);

        Assert.That(peer.Take().ReportsOf<OverlayRepair>(), Is.Empty);
    }

    // ---- on the in-memory wire ----

    private static PeerOptions WireOptions() => ShortIntervals(o =>
    {
        o.MaxNeighbours = 2;
        o.MinNeighbours = 2;
        o.MessagesPerPeer = 0;
    });

    private static (MachineHarness Net, SeedMachine[] Seeds, PeerMachine[] Peers) Network(int peerCount, int randomSeed = 5, PeerOptions? options = null)
    {
        var net = new MachineHarness(T0);
        var seeds = Seeds(2).Select((s, i) => net.Add(NewSeed(s, randomSeed + i))).ToArray();
        var peers = new List<PeerMachine>();
        for (var i = 1; i <= peerCount; i++)
        {
            var peer = net.Add(NewPeer(PeerAt(i), Seeds(2), options ?? WireOptions(), (randomSeed * 1000) + i));
            net.Start(peer);
            peers.Add(peer);
            net.AdvanceBy(TimeSpan.FromMilliseconds(50));
        }
        return (net, seeds, peers.ToArray());
    }

    private static HashSet<NodeEndpoint> ReachableFrom(PeerMachine start, IEnumerable<PeerMachine> peers)
    {
        var bySelf = peers.ToDictionary(p => p.Self);
        var seen = new HashSet<NodeEndpoint> { start.Self };
        var queue = new Queue<NodeEndpoint>(seen);
        while (queue.TryDequeue(out var current))
        {
            foreach (var next in bySelf[current].ConnectedNeighbours.Where(n => bySelf.ContainsKey(n) && seen.Add(n)))
            {
                queue.Enqueue(next);
            }
        }
        return seen;
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void A_neighbour_dies_and_every_peer_it_leaves_short_reconnects_to_a_new_one(int randomSeed)
    {
        var (net, seeds, peers) = Network(8, randomSeed);
        net.AdvanceBy(3 * Interval);
        var victim = peers.MaxBy(p => p.ConnectedNeighbours.Count())!;
        var orphans = peers.Where(p => p.ConnectedNeighbours.Contains(victim.Self)).ToArray();
        var survivors = peers.Where(p => p != victim).ToArray();
        Assert.That(orphans, Is.Not.Empty);

        net.Crash(victim.Self);
        net.AdvanceBy((Limit + 2) * Interval);

        foreach (var peer in survivors)
        {
            Assert.That(peer.ConnectedNeighbours.Count(), Is.GreaterThanOrEqualTo(2), $"{peer.Self} is back at the minimum");
            Assert.That(peer.Neighbours, Does.Not.Contain(victim.Self));
        }
        Assert.That(ReachableFrom(survivors[0], survivors), Has.Count.EqualTo(survivors.Length), "the survivors form one overlay");
        var repairs = net.EventsOf<OverlayRepair>().Where(r => r.Event.Trigger == $"{victim.Self} died").ToArray();
        Assert.That(repairs.Select(r => r.Node), Is.SubsetOf(orphans.Select(o => o.Self)));
        Assert.That(repairs.SelectMany(r => r.Event.Dialing), Has.None.EqualTo(victim.Self));
        Assert.That(seeds.SelectMany(s => s.PeerList), Has.None.EqualTo(victim.Self));
        Assert.That(net.EventsOf<NeighbourDead>().Select(d => d.Event.Neighbour), Is.All.EqualTo(victim.Self), "nobody else is declared dead");
    }

    [Test]
    public void A_peer_cut_off_from_all_its_neighbours_rejoins_the_overlay_through_other_peers()
    {
        var (net, seeds, peers) = Network(8);
        net.AdvanceBy(3 * Interval);
        var lonely = peers[5];
        var formerNeighbours = lonely.ConnectedNeighbours.ToArray();
        Assert.That(formerNeighbours, Is.Not.Empty);

        // Its neighbours stay up, but the network between them and it is down for good.
        net.Partition([lonely.Self], formerNeighbours);
        net.AdvanceBy((Limit + 3) * Interval);

        Assert.That(lonely.ConnectedNeighbours.Count(), Is.GreaterThanOrEqualTo(1), "it found new neighbours");
        Assert.That(lonely.ConnectedNeighbours, Is.All.Not.AnyOf(formerNeighbours.Cast<object>().ToArray()));
        Assert.That(ReachableFrom(lonely, peers), Has.Count.EqualTo(peers.Length), "and is part of one overlay with everyone");
        Assert.That(net.EventsOf<OverlayRepair>(lonely.Self), Is.Not.Empty);
        // It reported its unreachable neighbours dead (and they it), but the seeds reached everyone and kept them all.
        Assert.That(net.EventsOf<DeadNodeRefuted>().Select(r => r.Event.Report.Dead).Distinct(), Is.EquivalentTo(formerNeighbours.Append(lonely.Self)));
        Assert.That(net.EventsOf<DeadNodeReceived>().Where(r => r.Event.Removed), Is.Empty);
        Assert.That(seeds.Select(s => s.PeerList.Count), Is.All.EqualTo(peers.Length));
    }

    /// <summary>
    /// PeerAt(1) registered with seeds 1 and 2 of 3, both listing Peers(2..6); MaxNeighbours 2, so it dialed two of them,
    /// which connected; it registers again every 5 s (before the first liveness round at 10 s). Returns the two chosen.
    /// </summary>
    private static (MachineProbe<PeerMachine> Peer, NodeEndpoint[] Chosen) PeerOfTwoSeeds()
    {
        var options = QuietShortIntervals(o =>
        {
            o.MaxNeighbours = 2;
            o.MinNeighbours = 2;
            o.ReregisterInterval = TimeSpan.FromSeconds(5);
        });
        var randomSeed = RandomSeedRegisteringWith(PeerAt(1), 3, SeedAt(1), SeedAt(2));
        var peer = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), Seeds(3), options, randomSeed), T0);
        peer.Start();
        foreach (var seed in new[] { SeedAt(1), SeedAt(2) })
        {
            peer.ConnectSeed(seed);
            peer.Receive(seed, new PeerList(Peers(2, 3, 4, 5, 6)));
            peer.Machine.OnClosed(peer.Connections[seed], "closed", T0);
        }
        var chosen = peer.Take().DialTargets();
        foreach (var neighbour in chosen)
        {
            peer.ConnectPeer(neighbour);
        }
        peer.Take();
        return (peer, chosen);
    }

    [Test]
    public void A_peer_a_seeds_fresh_list_dropped_is_not_dialed_from_another_seeds_older_list()
    {
        var (peer, chosen) = PeerOfTwoSeeds();
        var dropped = Peers(2, 3, 4, 5, 6).Except(chosen).ToArray();

        // Re-registration at T0 + 5 s: seed 1 answers with a list without the spares (it removed them); seed 2 has not
        // answered yet, so its list from T0 still names them.
        peer.Now = T0 + TimeSpan.FromSeconds(5);
        Assert.That(peer.TimerAt(peer.Now).DialTargets(), Is.EquivalentTo(new[] { SeedAt(1), SeedAt(2) }));
        peer.ConnectSeed(SeedAt(1));
        peer.ConnectSeed(SeedAt(2));
        peer.Receive(SeedAt(1), new PeerList(chosen));
        peer.Closed(SeedAt(1));
        peer.Take();
        peer.Receive(chosen[0], Goodbye.Instance);
        var repair = peer.Take();

        Assert.That(repair.DialTargets(), Is.EqualTo(new[] { SeedAt(1) }), $"{string.Join(", ", dropped)} were removed by seed 1: not dialed from seed 2's older list");
        Assert.That(peer.Machine.KnownPeers, Is.EquivalentTo(chosen));

        // Seed 2's fresh list names one of them again (it registered anew with seed 2 only): still forgotten, as seed 1
        // removed it; when seed 1 lists it again it is known again.
        peer.Receive(SeedAt(2), new PeerList([.. chosen, dropped[0]]));
        var afterSeed2 = peer.Machine.KnownPeers.ToArray();
        peer.ConnectSeed(SeedAt(1)); // the repair asked seed 1 for a fresh list
        peer.Receive(SeedAt(1), new PeerList([.. chosen, dropped[0]]));

        Assert.That(afterSeed2, Is.EquivalentTo(chosen));
        Assert.That(peer.Machine.KnownPeers, Is.EquivalentTo(chosen.Append(dropped[0])));
    }
}
