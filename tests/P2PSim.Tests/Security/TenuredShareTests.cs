using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.Nodes;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Security;

/// <summary>
/// The seeds' tenured share (Seed:TenureAfter; PROTOCOL.md, <i>Choosing neighbours against Sybils</i>): every peer list
/// starts with <see cref="Registration.TenuredPerList"/> peers drawn among those the seed has listed longest, so ids
/// registered in bulk after them are never in it, however many there are.
/// </summary>
[TestFixture]
public sealed class TenuredShareTests
{
    private static readonly TimeSpan TenureAfter = TimeSpan.FromMinutes(5);

    private static MachineProbe<SeedMachine> NewTenuredSeed(int maxPeersPerList = 1000)
    {
        var seed = new MachineProbe<SeedMachine>(new SeedMachine(SeedAt(1), new Random(7), maxPeersPerList) { TenureAfter = TenureAfter }, T0);
        seed.Start();
        return seed;
    }

    private static NodeEndpoint[] ListFor(MachineProbe<SeedMachine> seed, NodeEndpoint registrant) =>
        ((PeerList)seed.PeerRegisters(registrant, "127.0.0.1:50001").Sends().Single().Message).Peers.ToArray();

    [TestCase(1000)]
    [TestCase(50)]
    public void Ids_registered_in_bulk_after_the_network_formed_never_enter_the_tenured_share(int maxPeersPerList)
    {
        var seed = NewTenuredSeed(maxPeersPerList);
        var honest = Enumerable.Range(1, 6).Select(PeerAt).ToArray();
        foreach (var peer in honest)
        {
            seed.PeerRegisters(peer, "127.0.0.1:50000");
            seed.Now += TimeSpan.FromSeconds(1);
        }
        seed.Now += TimeSpan.FromSeconds(2);
        var fakes = Enumerable.Range(100, 500).Select(PeerAt).ToArray();
        foreach (var fake in fakes)
        {
            seed.PeerRegisters(fake, "127.0.0.1:50000");
        }

        var lists = Enumerable.Range(0, 20).Select(i => ListFor(seed, PeerAt(1000 + i))).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(lists.Select(l => l.Take(Registration.TenuredPerList)), Has.All.All.AnyOf(honest),
                "the first entries of every list are peers listed before the fakes");
            Assert.That(lists.SelectMany(l => l.Take(Registration.TenuredPerList)).Distinct().Count(), Is.GreaterThan(Registration.TenuredPerList),
                "drawn at random among the oldest (here the oldest tenured + 1), not always the same");
            Assert.That(lists, Has.All.Matches<NodeEndpoint[]>(l => l.Distinct().Count() == l.Length), "no peer twice");
            Assert.That(lists[0], Has.Length.EqualTo(Math.Min(maxPeersPerList, honest.Length + fakes.Length)), "as long as without the share");
        }
    }

    [Test]
    public void Once_peers_are_tenured_the_share_is_drawn_among_all_of_them_and_still_not_among_newer_ones()
    {
        var seed = NewTenuredSeed();
        var old = Enumerable.Range(1, 40).Select(PeerAt).ToArray();
        foreach (var peer in old)
        {
            seed.PeerRegisters(peer, "127.0.0.1:50000");
        }
        seed.Now += TenureAfter;
        var newer = Enumerable.Range(100, 200).Select(PeerAt).ToArray();
        foreach (var peer in newer)
        {
            seed.PeerRegisters(peer, "127.0.0.1:50000");
        }

        var shares = Enumerable.Range(0, 100).SelectMany(i => ListFor(seed, PeerAt(1000 + i)).Take(Registration.TenuredPerList)).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(shares, Has.All.AnyOf(old), "only peers listed at least Seed:TenureAfter ago");
            Assert.That(shares.Distinct().Count(), Is.GreaterThan(30), "spread over all of them, so no few peers take every joiner");
        }
    }

    [Test]
    public void A_re_registration_of_a_peer_that_keeps_a_sample_gets_the_share_first_too()
    {
        var seed = NewTenuredSeed();
        var honest = Enumerable.Range(1, 6).Select(PeerAt).ToArray();
        foreach (var peer in honest)
        {
            seed.PeerRegisters(peer, "127.0.0.1:50000");
        }
        seed.Now += TimeSpan.FromSeconds(5);
        foreach (var fake in Enumerable.Range(100, 200).Select(PeerAt))
        {
            seed.PeerRegisters(fake, "127.0.0.1:50000");
        }
        var joiner = PeerAt(1000);
        seed.PeerRegisters(joiner, "127.0.0.1:50001");
        var held = Enumerable.Range(150, 64).Select(PeerAt).ToArray();

        seed.Receive(seed.Connect(joiner, NodeRole.Peer, inbound: true, "127.0.0.1:50002"), Register.Refresh(64, held));
        var answer = ((PeerList)seed.Take().Sends().Single().Message).Peers.ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Take(Registration.TenuredPerList), Has.All.AnyOf(honest));
            Assert.That(answer.Skip(Registration.TenuredPerList).Take(held.Length), Is.EqualTo(held), "then the held entries, in their order");
            Assert.That(answer.Distinct().Count(), Is.EqualTo(answer.Length));
        }
    }

    [Test]
    public void Without_tenure_the_list_is_as_before()
    {
        var seed = new MachineProbe<SeedMachine>(new SeedMachine(SeedAt(1), new Random(7)), T0);
        seed.Start();
        foreach (var peer in Enumerable.Range(1, 30).Select(PeerAt))
        {
            seed.PeerRegisters(peer, "127.0.0.1:50000");
            seed.Now += TimeSpan.FromMinutes(1);
        }

        Assert.That(ListFor(seed, PeerAt(1000)), Is.EqualTo(Enumerable.Range(1, 30).Select(PeerAt)), "registration order");
    }
}
