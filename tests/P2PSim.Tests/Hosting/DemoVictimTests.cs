using P2PSim.Hosting;

namespace P2PSim.Tests.Hosting;

/// <summary>The demo's random crash victim is a peer the seeds can list: never one that cannot be dialled.</summary>
[TestFixture]
public sealed class DemoVictimTests
{
    private static readonly int[] OnlyPeer3 = [3];
    private static readonly int[] FourPeers = [0, 1, 2, 3];

    [Test]
    public void The_random_victim_is_never_a_peer_that_cannot_be_dialled()
    {
        var notDialable = new HashSet<int> { 0, 1, 2, 4, 5, 6, 7 };

        var victims = Enumerable.Range(1, 200).Select(seed => DemoDirector.DrawVictim(8, p => !notDialable.Contains(p), new Random(seed))).ToHashSet();

        Assert.That(victims, Is.EquivalentTo(OnlyPeer3), "peer 3 is the only one a seed can list");
    }

    [Test]
    public void With_every_peer_dialable_the_draw_is_the_one_it_always_was()
    {
        for (var seed = 1; seed <= 50; seed++)
        {
            Assert.That(DemoDirector.DrawVictim(8, _ => true, new Random(seed)), Is.EqualTo(new Random(seed).Next(8)), "the same victim as before for one run seed");
        }
    }

    [Test]
    public void With_no_peer_dialable_any_peer_may_still_crash()
    {
        var victims = Enumerable.Range(1, 100).Select(seed => DemoDirector.DrawVictim(4, _ => false, new Random(seed))).ToHashSet();

        Assert.That(victims, Is.SubsetOf(FourPeers).And.Count.GreaterThan(1));
    }
}
