using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Groups;

/// <summary>Group messages on the simulated network: every live member gets each one exactly once, nobody else any.</summary>
[TestFixture]
public sealed class GroupDeliveryTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    /// <summary>Peer p: blue if p % 3 is 0 or 1, green if p % 3 is 1, red if p % 3 is 2 (so blue and green overlap, red stands apart).</summary>
    private static IReadOnlyList<string> Mixed(int p) => (p % 3) switch
    {
        0 => ["blue"],
        1 => ["green", "blue"],
        _ => ["red"],
    };

    [Test]
    public void Every_member_receives_every_group_message_once_and_no_other_peer_sees_its_payload()
    {
        var sim = new GroupSimulation(seeds: 3, peers: 24, Mixed);
        sim.StartAll();
        Assert.That(sim.RunUntil(() => sim.GroupFormed("blue") && sim.GroupFormed("green") && sim.GroupFormed("red"), Settle), Is.True, "the groups' overlays did not form");

        for (var p = 0; p < sim.PeerCount; p++)
        {
            foreach (var group in Mixed(p))
            {
                Assert.That(sim.Publish(p, group, $"{group} from {p}"), Is.Not.Null);
            }
        }
        sim.RunFor(TimeSpan.FromSeconds(5));

        Assert.That(sim.Published, Has.Count.EqualTo(Enumerable.Range(0, 24).Sum(p => Mixed(p).Count)));
        var wrong = new List<string>();
        foreach (var (id, group, origin, _) in sim.Published)
        {
            for (var p = 0; p < sim.PeerCount; p++)
            {
                var expected = p != origin && Mixed(p).Contains(group) ? 1 : 0;
                if (sim.Receipts(p, id) != expected)
                {
                    wrong.Add($"peer {p} received [{id.Short}] of group {group} {sim.Receipts(p, id)} times, expected {expected}");
                }
            }
        }
        Assert.That(wrong, Is.Empty);
        Assert.That(sim.Leaks, Is.Empty);
        AssertNothingStoredOutside(sim, Mixed);
    }

    [Test]
    public void A_member_that_joins_late_catches_up_on_what_is_still_in_the_groups_history_window()
    {
        var sim = new GroupSimulation(seeds: 3, peers: 12, p => p < 8 ? ["blue"] : []);
        sim.StartAll();
        Assert.That(sim.RunUntil(() => sim.GroupFormed("blue"), Settle), Is.True, "the group did not form");
        var old = sim.Publish(0, "blue", "before the window")!.Value;
        sim.RunFor(TimeSpan.FromSeconds(31)); // Quick's HistoryWindow is 30 s: the first message leaves every member's history
        var recent = Enumerable.Range(1, 5).Select(p => sim.Publish(p, "blue", $"recent {p}")!.Value).ToArray();
        sim.RunFor(TimeSpan.FromSeconds(2));
        Assert.That(Enumerable.Range(8, 4).Sum(p => recent.Sum(id => sim.Receipts(p, id))), Is.Zero, "non-members received group messages");

        sim.Join(10, "blue");
        Assert.That(sim.RunUntil(() => recent.All(id => sim.Receipts(10, id) == 1), TimeSpan.FromSeconds(10)), Is.True,
            $"the late member got {recent.Count(id => sim.Receipts(10, id) == 1)} of the {recent.Length} recent messages");
        sim.RunFor(TimeSpan.FromSeconds(5));

        Assert.That(sim.Receipts(10, old), Is.Zero, "a message that left the history window is not caught up");
        Assert.That(recent.Select(id => sim.Receipts(10, id)), Is.All.EqualTo(1), "each recent message once");
        var caughtUp = sim.GroupEvents(10).Select(e => e.Event).OfType<GossipReceived>().Count(r => r.CatchUp);
        Assert.That(caughtUp, Is.EqualTo(recent.Length), "they came by catch-up, over the new member's group links");
        Assert.That(sim.Receipts(11, recent[0]), Is.Zero, "the other non-members still have nothing");
        Assert.That(sim.Leaks, Is.Empty);
        var later = sim.Publish(3, "blue", "after the join")!.Value;
        sim.RunFor(TimeSpan.FromSeconds(2));
        Assert.That(sim.Receipts(10, later), Is.EqualTo(1), "and it receives new messages as a member");
    }

    [Test]
    public void A_member_that_leaves_stops_receiving_and_the_seeds_drop_it_from_the_group()
    {
        var sim = new GroupSimulation(seeds: 3, peers: 10, _ => ["blue"]);
        sim.StartAll();
        Assert.That(sim.RunUntil(() => sim.GroupFormed("blue"), Settle), Is.True, "the group did not form");
        var before = sim.Publish(0, "blue")!.Value;
        sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.That(sim.Receipts(4, before), Is.EqualTo(1));

        sim.Leave(4, "blue");
        Assert.That(sim.Peer(4).IsMember("blue"), Is.False);
        var after = Enumerable.Range(0, 10).Where(p => p != 4).Select(p => sim.Publish(p, "blue")!.Value).ToArray();
        sim.RunFor(TimeSpan.FromSeconds(5));

        Assert.That(after.Select(id => sim.Receipts(4, id)), Is.All.Zero, "the leaver received group messages");
        foreach (var id in after)
        {
            Assert.That(Enumerable.Range(0, 10).Where(p => p != 4 && sim.Receipts(p, id) == 0 && sim.Published.Single(m => m.Id == id).Origin != p), Is.Empty,
                "every remaining member still receives every message");
        }
        Assert.That(sim.Leaks, Is.Empty, "no copy reached the leaver after it left");
        Assert.That(sim.Publish(4, "blue"), Is.Null, "a non-member cannot publish to the group");
        Assert.That(Enumerable.Range(0, 3).Select(s => sim.Seed(s).MembersOf("blue").Contains(sim.Endpoint(4))), Is.All.False, "every seed dropped it");
        Assert.That(sim.GroupEvents(4).Where(e => e.At > sim.Network.Now - TimeSpan.FromSeconds(5)), Is.Empty, "nothing of the group happens at the leaver any more");
        Assert.That(sim.Peer(4).GroupMessages("blue"), Is.Null, "the leaver forgot the group's messages");
    }

    [Test]
    public void A_crashed_member_is_detected_on_the_groups_links_reported_to_the_seeds_and_the_group_repairs()
    {
        // Members of red are in no other group and have red neighbours of their own: a crash is seen on red's links.
        var options = GroupSimulation.Quick();
        var sim = new GroupSimulation(seeds: 3, peers: 18, p => p % 2 == 0 ? ["red"] : []);
        sim.StartAll();
        Assert.That(sim.RunUntil(() => sim.GroupFormed("red"), Settle), Is.True, "the group did not form");
        var victim = Enumerable.Range(0, 18).Where(p => p % 2 == 0).OrderByDescending(p => sim.Peer(p).GroupNeighbours("red").Count).First();
        var victimEndpoint = sim.Endpoint(victim);
        sim.Crash(victim);

        bool Detected() => Enumerable.Range(0, 18).Any(p => sim.GroupEvents(p).Any(e => e.Event is NeighbourDead d && d.Neighbour == victimEndpoint));
        bool SeedsDropped() => Enumerable.Range(0, 3).All(s => !sim.Seed(s).PeerList.Contains(victimEndpoint) && !sim.Seed(s).MembersOf("red").Contains(victimEndpoint));
        Assert.That(sim.RunUntil(() => Detected() && SeedsDropped(), options.LivenessInterval * (options.MaxMissedLiveness + 4)), Is.True,
            $"detected on red's links: {Detected()}; every seed dropped it from its peer list and from red: {SeedsDropped()}");
        Assert.That(sim.RunUntil(() => sim.GroupFormed("red"), TimeSpan.FromSeconds(10)), Is.True, "red's overlay did not repair");

        var members = Enumerable.Range(0, 18).Where(p => p % 2 == 0 && p != victim).ToArray();
        var ids = members.Select(p => sim.Publish(p, "red")!.Value).ToArray();
        sim.RunFor(TimeSpan.FromSeconds(3));
        var missing = from id in ids
                      from p in members
                      where sim.Published.Single(m => m.Id == id).Origin != p && sim.Receipts(p, id) != 1
                      select $"peer {p}: [{id.Short}] {sim.Receipts(p, id)} times";
        Assert.That(missing, Is.Empty);
        Assert.That(sim.Leaks, Is.Empty);
    }

    [TestCase(Routing.Tree)]
    [TestCase(Routing.Spanning)]
    public void On_a_broadcast_tree_each_group_has_its_own_and_members_get_each_message_about_once(Routing routing)
    {
        var sim = new GroupSimulation(seeds: 3, peers: 30, Mixed, gossip: new GossipOptions { Routing = routing }, groups: new GroupOptions { MaxNeighbours = 4, MessagesPerPeer = 0 });
        sim.StartAll();
        Assert.That(sim.RunUntil(() => sim.GroupFormed("blue") && sim.GroupFormed("green") && sim.GroupFormed("red"), Settle), Is.True, "the groups' overlays did not form");
        long payloadsBefore = 0, receiptsBefore = 0;
        for (var round = 0; round < 4; round++)
        {
            if (round == 2)
            {
                (payloadsBefore, receiptsBefore) = (sim.GroupPayloadsDelivered, sim.AllReceipts().Sum(r => r.Count));
            }
            for (var p = 0; p < sim.PeerCount; p++)
            {
                sim.Publish(p, Mixed(p)[round % Mixed(p).Count]);
            }
            sim.RunFor(TimeSpan.FromSeconds(2));
        }
        sim.RunFor(TimeSpan.FromSeconds(5));

        var wrong = from m in sim.Published
                    from p in Enumerable.Range(0, sim.PeerCount)
                    let expected = p != m.Origin && Mixed(p).Contains(m.Group) ? 1 : 0
                    where sim.Receipts(p, m.Id) != expected
                    select $"peer {p}: [{m.Id.Short}] of {m.Group} {sim.Receipts(p, m.Id)} times";
        Assert.That(wrong, Is.Empty);
        Assert.That(sim.Leaks, Is.Empty);
        var receipts = sim.AllReceipts().Sum(r => r.Count);
        // Counted over the last two rounds: the first messages of a group still go over every link of it (the tree forms
        // by pruning their duplicates), and how many depends on the run's random draws, not on the routing.
        Assert.That(sim.GroupPayloadsDelivered - payloadsBefore, Is.LessThan((receipts - receiptsBefore) * 2), $"{routing}: payload copies per receipt should near 1 once the trees formed");
    }

    [Test]
    public void A_seed_that_restarts_relearns_the_groups_from_the_next_registrations()
    {
        var sim = new GroupSimulation(seeds: 3, peers: 12, Mixed);
        sim.StartAll();
        Assert.That(sim.RunUntil(() => sim.GroupFormed("blue"), Settle), Is.True, "the group did not form");
        var before = sim.Seed(0).MembersOf("blue").ToHashSet();
        Assert.That(before, Is.Not.Empty, "seed 0 should list some of blue's members");

        sim.Network.Crash(0);
        var restarted = new SeedMachine(sim.Seed(0).Self, new Random(9), seeds: Enumerable.Range(0, 3).Select(P2PSim.Simulation.SimulatedAddresses.Seed).ToArray());
        sim.Network.Start(sim.Network.Restart(0, restarted));
        Assert.That(restarted.MembersOf("blue"), Is.Empty);

        Assert.That(sim.RunUntil(() => restarted.MembersOf("blue").ToHashSet().SetEquals(before), GroupSimulation.Quick().ReregisterInterval * 3), Is.True,
            $"the restarted seed lists {restarted.MembersOf("blue").Count} of blue's {before.Count} members it had");
    }

    [Test]
    public void Many_peers_in_overlapping_groups_joining_and_leaving_while_messages_flow_lose_nothing_and_leak_nothing()
    {
        const int Peers = 120;
        var names = new[] { "g0", "g1", "g2", "g3", "g4" };
        var random = new Random(42);
        var membership = Enumerable.Range(0, Peers).Select(_ => names.Where(_ => random.NextDouble() < 0.3).ToList()).ToArray();
        var sim = new GroupSimulation(seeds: 3, peers: Peers, p => [.. membership[p]], groups: new GroupOptions { MaxNeighbours = 3, MessagesPerPeer = 0 });
        sim.StartAll();
        Assert.That(sim.RunUntil(() => names.All(sim.GroupFormed), Settle), Is.True, "the groups' overlays did not form");

        // Membership over time, to know who had to get what: a message is owed to every member from its publication to the end.
        var joinedAt = new Dictionary<(int, string), TimeSpan>();
        for (var p = 0; p < Peers; p++)
        {
            foreach (var g in membership[p])
            {
                joinedAt[(p, g)] = TimeSpan.Zero;
            }
        }
        for (var step = 0; step < 60; step++)
        {
            var p = random.Next(Peers);
            var mine = sim.Peer(p).Groups;
            if (mine.Count > 0 && random.NextDouble() < 0.7)
            {
                sim.Publish(p, mine[random.Next(mine.Count)]);
            }
            else if (random.NextDouble() < 0.5 && mine.Count > 0)
            {
                var g = mine[random.Next(mine.Count)];
                sim.Leave(p, g);
                joinedAt.Remove((p, g));
            }
            else
            {
                var g = names[random.Next(names.Length)];
                if (!sim.Peer(p).IsMember(g))
                {
                    sim.Join(p, g);
                    joinedAt[(p, g)] = sim.Network.Elapsed;
                }
            }
            sim.RunFor(TimeSpan.FromMilliseconds(250));
        }
        sim.RunFor(TimeSpan.FromSeconds(10));

        var missing = new List<string>();
        foreach (var (id, group, origin, at) in sim.Published)
        {
            for (var p = 0; p < Peers; p++)
            {
                var owed = p != origin && joinedAt.TryGetValue((p, group), out var since) && since <= at;
                var got = sim.Receipts(p, id);
                if ((owed && got != 1) || got > 1)
                {
                    missing.Add($"peer {p} got [{id.Short}] of {group} {got} times");
                }
            }
        }
        Assert.That(sim.Published, Has.Count.GreaterThan(20));
        Assert.That(missing, Is.Empty);
        Assert.That(sim.Leaks, Is.Empty);
    }

    /// <summary>No peer holds a group's message id or payload anywhere but in that group's own parts, and only while a member.</summary>
    internal static void AssertNothingStoredOutside(GroupSimulation sim, Func<int, IReadOnlyList<string>> groupsOf)
    {
        var stray = new List<string>();
        foreach (var (id, group, _, _) in sim.Published)
        {
            for (var p = 0; p < sim.PeerCount; p++)
            {
                var peer = sim.Peer(p);
                if (peer.Messages.Contains(id) || peer.History.TryGet(id, out _))
                {
                    stray.Add($"peer {p} keeps [{id.Short}] of group {group} with the whole network's messages");
                }
                foreach (var other in peer.Groups.Where(g => g != group))
                {
                    if (peer.GroupMessages(other)!.Contains(id) || peer.GroupHistory(other)!.TryGet(id, out _))
                    {
                        stray.Add($"peer {p} keeps [{id.Short}] of group {group} with group {other}'s messages");
                    }
                }
                if (!groupsOf(p).Contains(group) && peer.IsMember(group))
                {
                    stray.Add($"peer {p} is a member of {group} it never joined");
                }
            }
        }
        Assert.That(stray, Is.Empty);
    }
}
