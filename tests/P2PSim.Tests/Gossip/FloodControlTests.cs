using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.Nodes;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Gossip;

/// <summary>
/// A neighbour that floods valid messages (issue 11: 100,000 in 20 s were all flooded and logged by every peer): each
/// origin's new messages are limited to Gossip:OriginBurst at once and Gossip:OriginRate a second after that
/// (defaults 1,000 and 100); the excess is dropped at the first peer, and a neighbour whose own messages keep being
/// dropped is disconnected.
/// </summary>
[TestFixture]
public sealed class FloodControlTests
{
    private static readonly NodeEndpoint Flooder = PeerAt(2);
    private static readonly NodeEndpoint Honest = PeerAt(3);

    /// <summary>Gossip:OriginBurst, by default.</summary>
    private static readonly int Burst = new P2PSim.Configuration.GossipOptions().OriginBurst;

    /// <summary>PeerAt(1), quiet, with neighbours PeerAt(2) and PeerAt(3); default gossip options.</summary>
    private static MachineProbe<PeerMachine> Peer() => PeerScenarios.JoinedPeerWith(PeerAt(1), Peers(2, 3));

    private static P2PSim.Protocol.Gossip Message(NodeEndpoint origin, ulong sequence, ushort hops = 1) =>
        new(GossipKind.Gossip, origin, sequence, T0.ToUnixTimeMilliseconds(), hops, $"{T0.ToUnixTimeMilliseconds()}:{origin.Address}:{origin.Port}:{sequence}");

    [Test]
    public void A_flooding_neighbour_gets_its_burst_through_then_is_dropped_and_disconnected_while_honest_gossip_flows()
    {
        var peer = Peer();
        var taken = 0;
        var throttled = new List<GossipThrottled>();
        ulong sequence = 0;
        // The burst, and honest messages in between: all taken and forwarded.
        for (var i = 0; i < Burst; i++)
        {
            peer.Receive(Flooder, Message(Flooder, ++sequence));
            if (i % 100 == 0)
            {
                peer.Receive(Honest, Message(Honest, (ulong)(i + 1)));
            }
            var actions = peer.Take();
            taken += actions.ReportsOf<GossipReceived>().Count(r => r.Origin == Flooder);
        }
        Assert.That(taken, Is.EqualTo(Burst), "every message of the burst is taken");

        // Past the burst (no time has passed): dropped unrecorded, and after 100 of them the link closes.
        NodeAction[] last = [];
        for (var i = 0; i < Dissemination.FloodStrikes; i++)
        {
            var excess = Message(Flooder, ++sequence);
            peer.Receive(Flooder, excess);
            last = peer.Take();
            throttled.AddRange(last.ReportsOf<GossipThrottled>());
            Assert.That(last.ReportsOf<GossipReceived>(), Is.Empty, $"message {i + 1} past the burst is dropped");
            Assert.That(last.SendsOf<P2PSim.Protocol.Gossip>(), Is.Empty, "and not forwarded");
            Assert.That(peer.Machine.Messages.Contains(excess.Id), Is.False, "nor recorded: a later copy is judged again");
        }
        var violation = last.ReportsOf<ProtocolViolation>().Single();
        Assert.That(violation.Reason, Does.Contain($"published faster than Gossip:OriginRate (100 a second after {Burst} at once) allows: 100 of its messages dropped"));
        Assert.That(last.Closes().Single().Connection, Is.EqualTo(peer.Connections[Flooder]));
        Assert.That(peer.Machine.Neighbours, Is.EqualTo(new[] { Honest }), "the flooder is no neighbour any more");
        Assert.That(throttled.Select(t => t.Count).Sum(), Is.EqualTo(Dissemination.FloodStrikes),
            "every dropped message is counted in the reports");
        Assert.That(throttled, Has.Count.EqualTo(2), "reported once a second, and when the link closes");

        // The honest neighbour's messages still get through at once.
        peer.Receive(Honest, Message(Honest, 5000));
        Assert.That(peer.Take().ReportsOf<GossipReceived>().Single().Origin, Is.EqualTo(Honest));
    }

    [Test]
    public void A_neighbour_forwarding_a_flood_is_not_blamed_and_the_origin_gets_its_rate_back_as_time_passes()
    {
        var peer = Peer();
        var origin = PeerAt(7);
        ulong sequence = 0;
        for (var i = 0; i < Burst + (2 * Dissemination.FloodStrikes); i++)
        {
            peer.Receive(Flooder, Message(origin, ++sequence, hops: 2));
        }
        var flood = peer.Take();
        Assert.That(flood.ReportsOf<GossipReceived>(), Has.Exactly(Burst).Items);
        Assert.That(flood.ReportsOf<ProtocolViolation>(), Is.Empty, "forwarding another origin's messages is no violation");
        Assert.That(peer.Machine.Neighbours, Is.EquivalentTo(new[] { Flooder, Honest }));

        peer.Now += TimeSpan.FromSeconds(1);
        for (var i = 0; i < 150; i++)
        {
            peer.Receive(Flooder, Message(origin, ++sequence, hops: 2));
        }
        Assert.That(peer.Take().ReportsOf<GossipReceived>(), Has.Exactly(100).Items, "one second later: OriginRate (100) more");
    }

    [Test]
    public void A_flood_naming_another_peers_endpoint_under_the_flooders_own_id_spends_the_flooders_allowance_not_that_peers()
    {
        // PeerAt(7) is no neighbour and no listed peer here: this peer knows no id for its endpoint, so a message naming
        // it under another id is not refused as forged (beyond hop 1 it cannot be). Its allowance must still be its own.
        var peer = Peer();
        var victim = PeerAt(7);
        var victimId = new P2PSim.Security.NodeId(7, 7, 7, 7);
        var flooderId = new P2PSim.Security.NodeId(2, 2, 2, 2);
        ulong sequence = 0;
        for (var i = 0; i < Burst + 50; i++)
        {
            peer.Receive(Flooder, Message(victim, ++sequence, hops: 2) with { OriginId = flooderId });
        }
        var flood = peer.Take();
        Assert.That(flood.ReportsOf<GossipReceived>(), Has.Exactly(Burst).Items, "the flood gets the allowance of the id it signs with");

        var real = Message(victim, ++sequence, hops: 2) with { OriginId = victimId };
        peer.Receive(Honest, real);
        var taken = peer.Take();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(taken.ReportsOf<GossipReceived>().Select(r => r.Id), Is.EqualTo(new[] { real.Id }), "the real peer's message is taken");
            Assert.That(taken.ReportsOf<GossipThrottled>(), Is.Empty, "and not throttled as part of the flood");
        }
    }
}

public sealed class OriginRateLimitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void An_origin_gets_its_burst_then_its_rate_and_others_are_not_affected()
    {
        var limit = new OriginRateLimit(rate: 10, burst: 5);
        var a = NodeEndpoint.Loopback(6000);
        var b = NodeEndpoint.Loopback(6001);
        var first = Enumerable.Range(0, 8).Count(_ => limit.TryTake(a, default, T0));
        var other = limit.TryTake(b, default, T0);
        var afterHalfSecond = Enumerable.Range(0, 8).Count(_ => limit.TryTake(a, default, T0.AddSeconds(0.5)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.EqualTo(5));
            Assert.That(other, Is.True);
            Assert.That(afterHalfSecond, Is.EqualTo(5), "10 a second: 5 more after half a second");
        }
    }

    [Test]
    public void Origins_whose_buckets_are_full_again_are_forgotten()
    {
        var limit = new OriginRateLimit(rate: 100, burst: 1000);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.That(limit.TryTake(NodeEndpoint.Loopback(10_000 + (i % 50_000)), default, T0.AddMilliseconds(i)), Is.True);
        }
        Assert.That(limit.Tracked, Is.LessThan(200), "one message each, 1 ms apart: each origin is full again 10 ms later");
    }

    [Test]
    public void Housekeeping_gives_back_the_table_a_burst_of_origins_left_and_answers_as_before()
    {
        var limit = new OriginRateLimit(rate: 0.5, burst: 5); // full again 2 s after one message
        for (var i = 0; i < 1_000; i++)
        {
            limit.TryTake(NodeEndpoint.Loopback(10_000 + i), default, T0); // a thousand origins at once: none is full
        }
        var grown = limit.TableCapacity;
        var stillLimited = limit.Tracked;

        limit.Trim(T0.AddSeconds(1)); // nothing is full yet: all stay
        var keptWhileOwed = limit.Tracked;
        limit.Trim(T0.AddSeconds(2));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((stillLimited, keptWhileOwed), Is.EqualTo((1_000, 1_000)));
            Assert.That(grown, Is.GreaterThanOrEqualTo(1_000));
            Assert.That(limit.Tracked, Is.Zero);
            Assert.That(limit.TableCapacity, Is.LessThan(200), "the slots are given back");
            Assert.That(Enumerable.Range(0, 8).Count(_ => limit.TryTake(NodeEndpoint.Loopback(10_000), default, T0.AddSeconds(2))), Is.EqualTo(5), "a forgotten origin has its whole burst");
        }
    }

    [Test]
    public void An_origin_is_its_endpoint_and_its_id_so_another_id_naming_the_same_endpoint_has_a_bucket_of_its_own()
    {
        var limit = new OriginRateLimit(rate: 10, burst: 5);
        var endpoint = NodeEndpoint.Loopback(6000);
        var owner = new P2PSim.Security.NodeId(1, 1, 1, 1);
        var other = new P2PSim.Security.NodeId(2, 2, 2, 2);
        var byOther = Enumerable.Range(0, 8).Count(_ => limit.TryTake(endpoint, other, T0));
        var byOwner = Enumerable.Range(0, 8).Count(_ => limit.TryTake(endpoint, owner, T0));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(byOther, Is.EqualTo(5), "the other id gets a burst");
            Assert.That(byOwner, Is.EqualTo(5), "and the owner still gets the whole of its own");
        }
    }
}
