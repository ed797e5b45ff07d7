using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

[TestFixture]
public sealed class PeerRegistrationTests
{
    private static MachineProbe<PeerMachine> PeerWithSeeds(int seedCount, Action<P2PSim.Configuration.PeerOptions>? tweak = null, int randomSeed = 1) =>
        new(NewPeer(PeerAt(1), Seeds(seedCount), QuietShortIntervals(tweak), randomSeed), T0);

    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(3, 2)]
    [TestCase(4, 3)]
    [TestCase(5, 3)]
    public void With_n_seeds_a_peer_dials_a_majority_of_distinct_seeds(int seedCount, int majority)
    {
        for (var randomSeed = 0; randomSeed < 20; randomSeed++)
        {
            var peer = PeerWithSeeds(seedCount, randomSeed: randomSeed);

            var dialed = peer.Start().DialTargets();

            Assert.That(dialed, Has.Length.EqualTo(majority));
            Assert.That(dialed, Is.Unique);
            Assert.That(dialed, Is.SubsetOf(Seeds(seedCount)));
        }
    }

    [Test]
    public void The_seeds_dialed_are_chosen_at_random()
    {
        var choices = Enumerable.Range(0, 30)
            .Select(randomSeed => string.Join(",", PeerWithSeeds(5, randomSeed: randomSeed).Start().DialTargets().Select(s => s.Port).Order()))
            .Distinct()
            .Count();

        Assert.That(choices, Is.GreaterThan(1));
    }

    [Test]
    public void A_peer_sends_register_as_soon_as_a_seed_connection_is_up_and_keeps_it_open_for_the_answer()
    {
        var peer = PeerWithSeeds(1);
        peer.Start();

        var connection = peer.ConnectSeed(SeedAt(1));
        var actions = peer.Take();

        Assert.That(actions.Sends(), Is.EqualTo(new[] { new Send(connection, Register.Instance) }));
        Assert.That(actions.Closes(), Is.Empty);
    }

    [Test]
    public void The_start_asks_to_be_woken_at_the_registration_timeout()
    {
        var peer = PeerWithSeeds(1);

        var actions = peer.Start();

        Assert.That(actions.WakeRequests().Last(), Is.EqualTo(T0 + QuietShortIntervals().RegistrationTimeout));
    }

    [Test]
    public void The_peer_list_answer_closes_the_seed_connection_and_is_reported()
    {
        var peer = PeerWithSeeds(1);
        peer.Start();
        var connection = peer.ConnectSeed(SeedAt(1));
        peer.Take();

        peer.Receive(SeedAt(1), new PeerList(Peers(2, 3)));
        var actions = peer.Take();

        Assert.That(actions.Closes().Single().Connection, Is.EqualTo(connection));
        var registered = actions.ReportsOf<RegisteredWithSeed>().Single();
        Assert.That(registered.Seed, Is.EqualTo(SeedAt(1)));
        Assert.That(registered.PeerList, Is.EqualTo(Peers(2, 3)));
        Assert.That(peer.Machine.RegisteredSeeds, Is.EqualTo(new[] { SeedAt(1) }));
        Assert.That(actions.ReportsOf<RegistrationFinished>().Single().Seeds, Is.EqualTo(new[] { SeedAt(1) }));
        Assert.That(peer.Machine.Joined, Is.True);
    }

    [Test]
    public void When_a_seed_cannot_be_dialed_the_peer_tries_an_untried_seed()
    {
        var peer = PeerWithSeeds(3);
        var first = peer.Start().DialTargets();
        var untried = Seeds(3).Except(first).Single();

        peer.DialFails(first[0]);
        var actions = peer.Take();

        Assert.That(actions.DialTargets(), Is.EqualTo(new[] { untried }));
        Assert.That(actions.ReportsOf<SeedRegistrationFailed>().Single().Seed, Is.EqualTo(first[0]));
        Assert.That(actions.ReportsOf<RegistrationFinished>(), Is.Empty, "the round is still under way");
    }

    [Test]
    public void When_a_seed_does_not_answer_before_the_registration_timeout_the_peer_tries_an_untried_seed()
    {
        var peer = PeerWithSeeds(3);
        var first = peer.Start().DialTargets();
        var untried = Seeds(3).Except(first).Single();
        peer.ConnectSeed(first[0]);
        var silent = peer.ConnectSeed(first[1]);
        peer.Receive(first[0], new PeerList(Peers(2)));
        peer.Take();
        var timeout = QuietShortIntervals().RegistrationTimeout;

        var early = peer.TimerAt(T0 + timeout - TimeSpan.FromMilliseconds(1));
        var due = peer.TimerAt(T0 + timeout);

        Assert.That(early.DialTargets(), Is.Empty);
        Assert.That(due.Where(a => a is Send or Close), Is.EqualTo(new NodeAction[]
        {
            new Send(silent, Goodbye.Instance), new Close(silent, "registration timed out", AfterFlush: true),
        }), "a slow seed that still processes the Register is told to forget this peer again");
        Assert.That(due.DialTargets(), Is.EqualTo(new[] { untried }));
        Assert.That(due.ReportsOf<SeedRegistrationFailed>().Single().Seed, Is.EqualTo(first[1]));

        peer.ConnectSeed(untried);
        peer.Receive(untried, new PeerList(Peers(3)));
        var joined = peer.Take();
        Assert.That(peer.Machine.RegisteredSeeds, Is.EquivalentTo(new[] { first[0], untried }));
        Assert.That(joined.ReportsOf<NeighboursChosen>().Single().Known, Is.EquivalentTo(Peers(2, 3)));
    }

    [Test]
    public void A_seed_that_closes_the_connection_before_answering_counts_as_failed()
    {
        var peer = PeerWithSeeds(3);
        var first = peer.Start().DialTargets();
        var untried = Seeds(3).Except(first).Single();
        peer.ConnectSeed(first[0]);
        peer.Take();

        peer.Closed(first[0]);

        Assert.That(peer.Take().DialTargets(), Is.EqualTo(new[] { untried }));
    }

    [TestCase(1)]
    [TestCase(3)]
    public void When_every_seed_fails_the_peer_retries_after_the_retry_interval(int seedCount)
    {
        var peer = PeerWithSeeds(seedCount);
        var majority = (seedCount / 2) + 1;
        var everything = new List<NodeAction>(peer.Start());
        var pending = new Queue<NodeEndpoint>(everything.DialTargets());
        while (pending.TryDequeue(out var seed))
        {
            peer.DialFails(seed);
            var actions = peer.Take();
            everything.AddRange(actions);
            foreach (var next in actions.DialTargets())
            {
                pending.Enqueue(next);
            }
        }
        var retryAt = T0 + QuietShortIntervals().RetryInterval;

        Assert.That(everything.ReportsOf<RegistrationFinished>().Single().Seeds, Is.Empty);
        Assert.That(everything.ReportsOf<SeedRegistrationFailed>(), Has.Length.EqualTo(seedCount));
        Assert.That(everything.WakeRequests().Last(), Is.EqualTo(retryAt));
        Assert.That(peer.Machine.Joined, Is.False);
        Assert.That(peer.TimerAt(retryAt - TimeSpan.FromMilliseconds(1)).DialTargets(), Is.Empty);

        var retried = peer.TimerAt(retryAt).DialTargets();
        Assert.That(retried, Has.Length.EqualTo(majority));
        Assert.That(retried, Is.Unique);

        foreach (var seed in retried)
        {
            peer.ConnectSeed(seed);
            peer.Receive(seed, new PeerList(Peers(5)));
        }
        Assert.That(peer.Machine.Joined, Is.True);
        Assert.That(peer.Machine.RegisteredSeeds, Is.EquivalentTo(retried));
    }

    [Test]
    public void The_known_peers_are_the_union_of_the_peer_lists_without_the_peer_itself()
    {
        var peer = PeerWithSeeds(2);
        var seeds = peer.Start().DialTargets();

        peer.ConnectSeed(seeds[0]);
        peer.Receive(seeds[0], new PeerList([PeerAt(2), PeerAt(3), PeerAt(1)]));
        Assert.That(peer.Take().ReportsOf<NeighboursChosen>(), Is.Empty, "still waiting for the second seed");
        peer.ConnectSeed(seeds[1]);
        peer.Receive(seeds[1], new PeerList([PeerAt(3), PeerAt(4)]));
        var actions = peer.Take();

        var chosen = actions.ReportsOf<NeighboursChosen>().Single();
        Assert.That(chosen.Known, Is.EquivalentTo(Peers(2, 3, 4)));
        Assert.That(chosen.Chosen, Is.EquivalentTo(Peers(2, 3, 4)));
        Assert.That(actions.DialTargets(), Is.EquivalentTo(Peers(2, 3, 4)));
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(4)]
    public void The_peer_dials_max_neighbours_distinct_known_peers(int maxNeighbours)
    {
        var known = Peers(2, 3, 4, 5, 6, 7, 8);
        var peer = PeerWithSeeds(1, o => o.MaxNeighbours = maxNeighbours);
        peer.Start();
        peer.ConnectSeed(SeedAt(1));

        peer.Receive(SeedAt(1), new PeerList(known));
        var actions = peer.Take();

        var chosen = actions.ReportsOf<NeighboursChosen>().Single().Chosen;
        Assert.That(chosen, Has.Count.EqualTo(maxNeighbours));
        Assert.That(chosen, Is.Unique);
        Assert.That(chosen, Is.SubsetOf(known));
        Assert.That(actions.DialTargets(), Is.EqualTo(chosen));
    }

    [Test]
    public void The_first_peer_of_the_network_chooses_no_neighbours_but_still_joins()
    {
        var peer = PeerWithSeeds(1);
        peer.Start();
        peer.ConnectSeed(SeedAt(1));

        peer.Receive(SeedAt(1), new PeerList([]));
        var actions = peer.Take();

        Assert.That(peer.Machine.Joined, Is.True);
        Assert.That(actions.ReportsOf<NeighboursChosen>().Single().Chosen, Is.Empty);
        Assert.That(actions.DialTargets(), Is.Empty);
    }

    [Test]
    public void When_a_chosen_neighbour_cannot_be_dialed_the_peer_dials_another_known_peer()
    {
        var known = Peers(2, 3, 4, 5, 6);
        var peer = PeerWithSeeds(1, o => o.MaxNeighbours = 2);
        peer.Start();
        peer.ConnectSeed(SeedAt(1));
        peer.Receive(SeedAt(1), new PeerList(known));
        var chosen = peer.Take().DialTargets();

        peer.DialFails(chosen[0]);
        var actions = peer.Take();

        Assert.That(actions.ReportsOf<NeighbourDialFailed>().Single().Neighbour, Is.EqualTo(chosen[0]));
        var replacement = actions.DialTargets().Single();
        Assert.That(known.Except(chosen), Does.Contain(replacement));
    }

    [Test]
    public void A_joining_peer_keeps_dialing_known_peers_until_one_answers()
    {
        var known = Peers(2, 3, 4, 5, 6);
        var reachable = PeerAt(6);
        var peer = PeerWithSeeds(1, o => o.MaxNeighbours = 1);
        peer.Start();
        peer.ConnectSeed(SeedAt(1));
        peer.Receive(SeedAt(1), new PeerList(known));

        var dialed = new List<NodeEndpoint>();
        var pending = new Queue<NodeEndpoint>(peer.Take().DialTargets());
        while (pending.TryDequeue(out var target))
        {
            dialed.Add(target);
            if (target == reachable)
            {
                peer.ConnectPeer(target);
            }
            else
            {
                peer.DialFails(target);
            }
            foreach (var next in peer.Take().DialTargets())
            {
                pending.Enqueue(next);
            }
        }

        Assert.That(dialed, Is.Unique);
        Assert.That(dialed, Does.Contain(reachable));
        Assert.That(peer.Machine.ConnectedNeighbours, Is.EqualTo(new[] { reachable }));
    }

    [Test]
    public void A_peer_that_dialed_us_does_not_stop_us_from_replacing_a_chosen_neighbour_that_failed()
    {
        var peer = PeerWithSeeds(1, o => o.MaxNeighbours = 1);
        peer.Start();
        peer.ConnectSeed(SeedAt(1));
        peer.Receive(SeedAt(1), new PeerList(Peers(2, 3)));
        var chosen = peer.Take().DialTargets().Single();
        peer.ConnectPeer(PeerAt(9), inbound: true);
        peer.Take();

        peer.DialFails(chosen);

        Assert.That(peer.Take().DialTargets(), Is.EqualTo(Peers(2, 3).Except([chosen])), "a newcomer that dialed us is no link to the existing overlay");
    }

    [Test]
    public void Peers_that_dialed_us_before_registration_finished_do_not_count_against_max_neighbours()
    {
        var peer = PeerWithSeeds(2, o => o.MaxNeighbours = 1);
        var seeds = peer.Start().DialTargets();
        peer.ConnectSeed(seeds[0]);
        peer.Receive(seeds[0], new PeerList(Peers(2, 3)));
        peer.ConnectPeer(PeerAt(9), inbound: true);
        peer.Take();

        peer.ConnectSeed(seeds[1]);
        peer.Receive(seeds[1], new PeerList(Peers(2, 3, 9)));
        var actions = peer.Take();

        var chosen = actions.ReportsOf<NeighboursChosen>().Single().Chosen;
        Assert.That(chosen, Has.Count.EqualTo(1));
        Assert.That(Peers(2, 3), Does.Contain(chosen[0]));
        Assert.That(actions.DialTargets(), Is.EqualTo(chosen));
    }

    [Test]
    public void The_same_random_seed_gives_the_same_choices()
    {
        static (NodeEndpoint[] Seeds, IReadOnlyList<NodeEndpoint> Neighbours) Join(int randomSeed)
        {
            var peer = PeerWithSeeds(5, o => o.MaxNeighbours = 3, randomSeed);
            var seeds = peer.Start().DialTargets();
            foreach (var seed in seeds)
            {
                peer.ConnectSeed(seed);
                peer.Receive(seed, new PeerList(Peers(2, 3, 4, 5, 6, 7, 8, 9)));
            }
            return (seeds, peer.Take().ReportsOf<NeighboursChosen>().Single().Chosen);
        }

        var first = Join(17);
        var second = Join(17);
        var others = Enumerable.Range(100, 10).Select(Join).ToArray();

        Assert.That(second.Seeds, Is.EqualTo(first.Seeds));
        Assert.That(second.Neighbours, Is.EqualTo(first.Neighbours));
        Assert.That(
            others.Select(o => string.Join(",", o.Neighbours.Select(n => n.Port).Order())).Distinct().Count(),
            Is.GreaterThan(1),
            "other random seeds choose other neighbours");
    }

    [Test]
    public void A_peer_with_no_seeds_joins_alone()
    {
        var peer = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), [], QuietShortIntervals()), T0);

        var actions = peer.Start();

        Assert.That(peer.Machine.Joined, Is.True);
        Assert.That(actions.DialTargets(), Is.Empty);
    }

    [Test]
    public void An_unexpected_message_from_a_seed_is_a_violation_and_the_seed_counts_as_failed()
    {
        var peer = PeerWithSeeds(3);
        var first = peer.Start().DialTargets();
        var untried = Seeds(3).Except(first).Single();
        var connection = peer.ConnectSeed(first[0]);
        peer.Take();

        peer.Receive(first[0], TestGossip.Of("x", 1));
        var actions = peer.Take();
        Assert.That(actions.ReportsOf<ProtocolViolation>(), Has.Length.EqualTo(1));
        Assert.That(actions.Closes().Single().Connection, Is.EqualTo(connection));

        peer.Machine.OnClosed(connection, "closed", peer.Now);
        Assert.That(peer.Take().DialTargets(), Is.EqualTo(new[] { untried }));
    }
    // ---- the known peers: an order that depends on the lists only ----

    /// <summary>A peer with three seeds (it registers with two), whose seeds answer in <paramref name="answerOrder"/>.</summary>
    private static (IReadOnlyCollection<NodeEndpoint> Known, NodeEndpoint[] Chosen) JoinWithAnswersIn(Func<NodeEndpoint[], IEnumerable<NodeEndpoint>> answerOrder)
    {
        var peer = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), Seeds(3), QuietShortIntervals(o => o.MaxNeighbours = 3), randomSeed: 5), T0);
        var seeds = peer.Start().DialTargets();
        var lists = new Dictionary<NodeEndpoint, PeerList>
        {
            [SeedAt(1)] = new(Peers(9, 4, 7, 2)),
            [SeedAt(2)] = new(Peers(7, 8, 3, 9)),
            [SeedAt(3)] = new(Peers(5, 2, 6, 8)),
        };
        var actions = new List<NodeAction>();
        foreach (var seed in answerOrder(seeds))
        {
            peer.ConnectSeed(seed);
            peer.Receive(seed, lists[seed]);
            actions.AddRange(peer.Take());
        }
        return (peer.Machine.KnownPeers, actions.ReportsOf<NeighboursChosen>().Single().Chosen.ToArray());
    }

    [Test]
    public void The_known_peers_are_the_lists_in_configured_seed_order_first_occurrence_first_whatever_order_the_answers_came_in()
    {
        var inOrder = JoinWithAnswersIn(seeds => seeds);
        var reversed = JoinWithAnswersIn(seeds => seeds.Reverse());

        Assert.That(reversed.Known, Is.EqualTo(inOrder.Known), "same lists, same order");
        Assert.That(reversed.Chosen, Is.EqualTo(inOrder.Chosen), "same Random, same positions: the same neighbours");
        Assert.That(inOrder.Chosen, Has.Length.EqualTo(3));
        // The two seeds it registered with, in configured order; each list in the order sent; a repeated peer where it first appears.
        var expected = new List<NodeEndpoint>();
        foreach (var seed in new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), Seeds(3), QuietShortIntervals(), randomSeed: 5), T0).Start().DialTargets().OrderBy(s => s.Port))
        {
            var list = seed.Port switch { 9001 => Peers(9, 4, 7, 2), 9002 => Peers(7, 8, 3, 9), _ => Peers(5, 2, 6, 8) };
            expected.AddRange(list.Where(p => !expected.Contains(p)));
        }
        Assert.That(inOrder.Known, Is.EqualTo(expected));
    }
}
