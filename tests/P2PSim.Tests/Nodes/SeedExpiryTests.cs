using P2PSim.Nodes;
using P2PSim.Protocol;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>A seed drops a peer that stops registering (Seed:ExpireAfterMissedRegistrations): a crash nobody reported.</summary>
[TestFixture]
public sealed class SeedExpiryTests
{
    private static readonly TimeSpan Expiry = TimeSpan.FromSeconds(95);

    private static MachineProbe<SeedMachine> NewExpiringSeed()
    {
        var seed = new MachineProbe<SeedMachine>(new SeedMachine(SeedAt(1), new Random(1), peerExpiry: Expiry), T0);
        seed.Start();
        return seed;
    }

    [Test]
    public void A_peer_that_stops_registering_is_removed_once_the_expiry_has_passed_and_not_before()
    {
        var seed = NewExpiringSeed();
        var wakes = seed.PeerRegisters(PeerAt(1), "127.0.0.1:50001").WakeRequests();
        Assert.That(wakes, Is.EqualTo(new[] { T0 + Expiry }), "the seed asks to be woken when the registration expires");

        Assert.That(seed.TimerAt(T0 + Expiry - TimeSpan.FromMilliseconds(1)).ReportsOf<PeerExpired>(), Is.Empty);
        var expired = seed.TimerAt(T0 + Expiry).ReportsOf<PeerExpired>().Single();

        Assert.That(expired.Peer, Is.EqualTo(PeerAt(1)));
        Assert.That(expired.LastRegistered, Is.EqualTo(T0));
        Assert.That(expired.PeersLeft, Is.Zero);
        Assert.That(seed.Machine.PeerList, Is.Empty);
    }

    [Test]
    public void A_peer_that_registers_again_is_kept_and_expires_only_after_its_latest_registration()
    {
        var seed = NewExpiringSeed();
        seed.PeerRegisters(PeerAt(1), "127.0.0.1:50001");
        seed.PeerRegisters(PeerAt(2), "127.0.0.1:50002");
        seed.Now = T0 + TimeSpan.FromSeconds(30);
        seed.PeerRegisters(PeerAt(1), "127.0.0.1:50003"); // a live peer registers every ReregisterInterval

        var first = seed.TimerAt(T0 + Expiry).ReportsOf<PeerExpired>();
        Assert.That(first.Select(e => e.Peer), Is.EqualTo(new[] { PeerAt(2) }), "only the silent peer goes");
        Assert.That(seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));

        var later = seed.TimerAt(T0 + TimeSpan.FromSeconds(30) + Expiry).ReportsOf<PeerExpired>().Single();
        Assert.That(later.Peer, Is.EqualTo(PeerAt(1)));
        Assert.That(later.LastRegistered, Is.EqualTo(T0 + TimeSpan.FromSeconds(30)));
    }

    [Test]
    public void A_peer_that_said_goodbye_and_registered_anew_is_judged_by_its_new_registration()
    {
        var seed = NewExpiringSeed();
        seed.PeerRegisters(PeerAt(1), "127.0.0.1:50001");
        seed.Receive(seed.Connect(PeerAt(1), NodeRole.Peer, inbound: true, "127.0.0.1:50002"), Goodbye.Instance);
        seed.Now = T0 + TimeSpan.FromSeconds(10);
        seed.PeerRegisters(PeerAt(1), "127.0.0.1:50003");

        Assert.That(seed.TimerAt(T0 + Expiry).ReportsOf<PeerExpired>(), Is.Empty);
        Assert.That(seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    [Test]
    public void Without_an_expiry_a_silent_peer_stays_listed()
    {
        var seed = new MachineProbe<SeedMachine>(NewSeed(SeedAt(1)), T0);
        seed.Start();

        Assert.That(seed.PeerRegisters(PeerAt(1), "127.0.0.1:50001").WakeRequests(), Is.Empty);
        Assert.That(seed.TimerAt(T0 + TimeSpan.FromDays(1)).ReportsOf<PeerExpired>(), Is.Empty);
        Assert.That(seed.Machine.PeerList, Is.EqualTo(new[] { PeerAt(1) }));
    }

    [Test]
    public void The_expiry_is_the_configured_count_of_reregister_intervals_plus_one_registration_timeout()
    {
        var peer = new P2PSim.Configuration.PeerOptions { ReregisterInterval = TimeSpan.FromSeconds(30), RegistrationTimeout = TimeSpan.FromSeconds(5) };

        Assert.That(new P2PSim.Configuration.SeedOptions().PeerExpiry(peer), Is.EqualTo(TimeSpan.FromSeconds(95)));
        Assert.That(new P2PSim.Configuration.SeedOptions { ExpireAfterMissedRegistrations = 0 }.PeerExpiry(peer), Is.EqualTo(TimeSpan.Zero));
        peer.ReregisterInterval = TimeSpan.Zero;
        Assert.That(new P2PSim.Configuration.SeedOptions().PeerExpiry(peer), Is.EqualTo(TimeSpan.Zero), "peers that never register again are never expired");
    }
}
