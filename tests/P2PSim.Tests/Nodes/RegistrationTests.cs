using P2PSim.Nodes;
using P2PSim.Protocol;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>What a peer keeps of its seeds' peer lists: whole lists until it has joined, bounded samples after.</summary>
[TestFixture]
public sealed class RegistrationTests
{
    private static NodeEndpoint[] Range(int from, int count) => Enumerable.Range(from, count).Select(PeerAt).ToArray();

    [Test]
    public void Before_the_join_the_known_peers_are_the_whole_lists_in_seed_order_each_peer_once()
    {
        var registration = new Registration(Seeds(2), new Random(1));
        registration.Learn(SeedAt(2), Range(50, 100));
        registration.Learn(SeedAt(1), Range(1, 100));

        Assert.That(registration.Known(), Is.EqualTo(Range(1, 149)), "seed 1's list first, then what only seed 2 named");
        Assert.That(registration.Known(exclude: PeerAt(10)), Does.Not.Contain(PeerAt(10)));
    }

    [Test]
    public void After_the_join_each_list_is_cut_to_a_random_sample_and_short_lists_stay_whole()
    {
        var registration = new Registration(Seeds(2), new Random(1));
        registration.Learn(SeedAt(1), Range(1, 500));
        registration.Learn(SeedAt(2), Range(1000, 10));

        registration.Compact();
        var kept = registration.Known();

        Assert.Multiple(() =>
        {
            Assert.That(kept, Has.Count.EqualTo(Registration.RetainedPerSeed + 10));
            Assert.That(kept, Is.Unique);
            Assert.That(kept.Take(Registration.RetainedPerSeed), Is.SubsetOf(Range(1, 500)));
            Assert.That(kept.Take(Registration.RetainedPerSeed).Count(p => p.Port >= 10_000 + 250), Is.GreaterThan(10), "drawn from the whole list, not its start");
            Assert.That(kept.Skip(Registration.RetainedPerSeed), Is.EqualTo(Range(1000, 10)));
        });

        registration.Learn(SeedAt(2), Range(2000, 300));
        Assert.That(registration.Known(), Has.Count.EqualTo(2 * Registration.RetainedPerSeed), "a list that arrives after the join is cut as well");
    }

    [Test]
    public void A_watched_former_neighbour_counts_as_listed_exactly_while_the_latest_whole_lists_name_it()
    {
        var registration = new Registration(Seeds(2), new Random(3));
        var suspect = PeerAt(400);
        registration.Learn(SeedAt(1), Range(1, 500));
        registration.Learn(SeedAt(2), Range(1, 500));
        registration.Compact();
        registration.Watch(suspect);
        Assert.That(registration.IsListed(suspect), Is.True, "cut lists: assumed listed until the next lists say otherwise");

        registration.Learn(SeedAt(1), Range(1, 500).Where(p => p != suspect).ToArray());
        Assert.That(registration.IsListed(suspect), Is.True, "seed 2's latest list still names it");

        registration.Learn(SeedAt(2), Range(1, 500).Where(p => p != suspect).ToArray());
        Assert.That(registration.IsListed(suspect), Is.False, "no seed lists it any more");

        registration.Learn(SeedAt(2), Range(1, 500));
        Assert.That(registration.IsListed(suspect), Is.True, "listed again (it registered anew)");

        registration.Unwatch(suspect);
        registration.Learn(SeedAt(1), Range(1, 10));
        registration.Learn(SeedAt(2), Range(1, 10));
        Assert.That(registration.IsListed(suspect), Is.False, "unwatched: from the (short, whole) lists themselves");
    }
}
