using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>
/// A joined peer's re-registration asks for a fresh sample and news of what it holds, not a seed's whole list again
/// (PROTOCOL.md, <i>Re-registration</i>): the answer is a few dozen entries where the list has hundreds, and the peer
/// still notices every peer the seed removed among those it holds.
/// </summary>
[TestFixture]
public sealed class SampledReregistrationTests
{
    private static NodeEndpoint[] Range(int from, int count) => Enumerable.Range(from, count).Select(PeerAt).ToArray();

    [Test]
    public void A_seed_answers_a_refresh_with_the_held_entries_it_still_lists_then_a_sample_of_others()
    {
        var seed = new MachineProbe<SeedMachine>(NewSeed(SeedAt(1)), T0);
        seed.Start();
        var listed = Range(1, 300);
        foreach (var peer in listed)
        {
            seed.PeerRegisters(peer, "127.0.0.1:50000");
        }
        var self = PeerAt(1);
        var gone = PeerAt(5000); // never registered here (or removed since): left out of the answer
        NodeEndpoint[] held = [.. Range(2, 40), gone, .. Range(200, 20)];

        seed.Receive(seed.Connect(self, NodeRole.Peer, inbound: true, "127.0.0.1:50001"), Register.Refresh(64, held));
        var answer = (PeerList)seed.Take().Sends().Single().Message;

        Assert.Multiple(() =>
        {
            Assert.That(answer.Peers.Take(60), Is.EqualTo(held.Where(p => p != gone)), "the held entries still listed, in their order");
            Assert.That(answer.Peers, Has.Count.EqualTo(60 + 64), "and 64 others: not the seed's 299");
            Assert.That(answer.Peers, Is.Unique);
            Assert.That(answer.Peers, Does.Not.Contain(self).And.Not.Contain(gone));
            Assert.That(answer.Peers, Is.SubsetOf(listed));
            Assert.That(answer.Ids, Has.Count.EqualTo(answer.Peers.Count), "each with its id");
        });
    }

    [Test]
    public void A_first_registration_still_gets_the_whole_list()
    {
        var seed = new MachineProbe<SeedMachine>(NewSeed(SeedAt(1)), T0);
        seed.Start();
        foreach (var peer in Range(1, 300))
        {
            seed.PeerRegisters(peer, "127.0.0.1:50000");
        }

        var answer = (PeerList)seed.PeerRegisters(PeerAt(301), "127.0.0.1:50001").Sends().Single().Message;

        Assert.That(answer.Peers, Is.EquivalentTo(Range(1, 300)));
    }

    [Test]
    public void A_joined_peer_holding_a_sample_of_a_long_list_refreshes_it_and_notices_what_the_seed_removed()
    {
        var registration = new Registration(Seeds(2), new Random(1));
        registration.Learn(SeedAt(1), Range(1, 500));
        registration.Learn(SeedAt(2), Range(1000, 10));
        Assert.That(registration.HeldOf(SeedAt(1)), Is.Null, "before the join: the whole list is asked for");

        registration.Compact();
        var held = registration.HeldOf(SeedAt(1));

        Assert.That(held, Is.Not.Null.And.Count.EqualTo(Registration.RetainedPerSeed), "what it kept of seed 1's list");
        Assert.That(registration.HeldOf(SeedAt(2)), Is.Null, "a short list is kept whole and asked for whole");
        var removed = held![3];
        var fresh = Range(600, 64);
        registration.Learn(SeedAt(1), [.. held.Where(p => p != removed), .. fresh]);

        Assert.Multiple(() =>
        {
            Assert.That(registration.IsForgotten(removed), Is.True, "a held entry the answer leaves out was removed by the seed");
            Assert.That(held.Where(p => p != removed).Any(registration.IsForgotten), Is.False);
            Assert.That(registration.HeldOf(SeedAt(1)), Does.Contain(removed), "and is named in the next refresh, to learn when it is back");
        });
    }

    [Test]
    public void A_watched_peer_is_named_in_every_refresh_so_the_answer_says_whether_the_seed_lists_it()
    {
        var registration = new Registration(Seeds(1), new Random(1));
        registration.Learn(SeedAt(1), Range(1, 500));
        registration.Compact();
        var watched = PeerAt(9999);
        registration.Watch(watched);

        Assert.That(registration.HeldOf(SeedAt(1)), Does.Contain(watched));
        registration.Learn(SeedAt(1), [.. registration.HeldOf(SeedAt(1))!.Where(p => p != watched), .. Range(600, 64)]);
        Assert.That(registration.IsListed(watched), Is.False);
        registration.Learn(SeedAt(1), [.. registration.HeldOf(SeedAt(1))!, .. Range(700, 64)]);
        Assert.That(registration.IsListed(watched), Is.True, "listed again once the seed's answer names it");
    }
}
