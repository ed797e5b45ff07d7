using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>
/// Protocol version 6 in the machines: a seed lists each peer with the id that registered it; a peer keeps the ids of the
/// entries it holds (and forgets them with the entries), expects them where it knows no link, and dials expecting them.
/// </summary>
[TestFixture]
public sealed class ListedIdTests
{
    private static NodeId IdOf(int n) => new((ulong)n, (ulong)n * 3, (ulong)n * 7, (ulong)n * 11);

    [Test]
    public void A_seed_lists_each_peer_with_the_id_its_handshake_proved_at_registration()
    {
        var seed = new MachineProbe<SeedMachine>(NewSeed(SeedAt(1)), T0);
        seed.Start();
        foreach (var n in new[] { 1, 2, 3 })
        {
            var connection = new ConnectionId(100 + n);
            seed.Machine.OnConnected(new ConnectionInfo(connection, PeerAt(n), NodeRole.Peer, Inbound: true, $"127.0.0.1:{50_000 + n}", RemoteId: IdOf(n)), T0);
            seed.Receive(connection, Register.Instance);
        }

        var list = (PeerList)seed.Take().Sends().Last().Message;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.Peers, Is.EqualTo(new[] { PeerAt(1), PeerAt(2) }));
            Assert.That(list.Ids, Is.EqualTo(new[] { IdOf(1), IdOf(2) }), "each entry with the id that registered it");
        }
    }

    [Test]
    public void A_joiner_dials_a_listed_peer_expecting_the_id_it_was_listed_with_and_knows_it_by_that_id()
    {
        var probe = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), Seeds(1), QuietShortIntervals()), T0);
        var seed = probe.Start().DialTargets().Single();
        probe.ConnectSeed(seed);

        probe.Receive(seed, new PeerList([PeerAt(2), PeerAt(3)], [IdOf(2), IdOf(3)]));

        var dials = probe.Take().OfType<Dial>().Where(d => d.Target != seed).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(dials.Select(d => (d.Target, d.ExpectedId)), Is.EquivalentTo(new[] { (PeerAt(2), (NodeId?)IdOf(2)), (PeerAt(3), (NodeId?)IdOf(3)) }));
            Assert.That(probe.Machine.ExpectedId(PeerAt(3)), Is.EqualTo(IdOf(3)));
            Assert.That(probe.Machine.ExpectedId(PeerAt(4)), Is.Null, "not listed: any id");
        }
    }

    [Test]
    public void A_dial_that_met_another_id_is_reported_counted_and_handled_as_a_failed_dial()
    {
        var probe = new MachineProbe<PeerMachine>(NewPeer(PeerAt(1), Seeds(1), QuietShortIntervals(o => o.MaxNeighbours = 1)), T0);
        var seed = probe.Start().DialTargets().Single();
        probe.ConnectSeed(seed);
        probe.Receive(seed, new PeerList([PeerAt(2), PeerAt(3)], [IdOf(2), IdOf(3)]));
        var first = probe.Take().OfType<Dial>().Single(d => d.Target != seed);
        var other = first.Target == PeerAt(2) ? PeerAt(3) : PeerAt(2);

        probe.Machine.OnDialMetOtherId(first.Target, LinkPurpose.Overlay, first.ExpectedId!.Value, IdOf(9), T0);

        var actions = probe.Take();
        var reported = actions.ReportsOf<DialMetOtherId>().Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That((reported.Target, reported.Expected, reported.Met), Is.EqualTo((first.Target, first.ExpectedId.Value, IdOf(9))));
            Assert.That(probe.Machine.DialsMetOtherId, Is.EqualTo(1));
            Assert.That(actions.OfType<Dial>().Select(d => d.Target), Is.EqualTo(new[] { other }), "the next candidate is dialled instead");
        }
    }

    [Test]
    public void Ids_a_seed_stops_listing_are_forgotten_with_the_entries()
    {
        var known = new Registration([SeedAt(1)]);
        known.Learn(SeedAt(1), [PeerAt(2), PeerAt(3)], [IdOf(2), IdOf(3)]);
        Assert.That(known.IdOf(PeerAt(3)), Is.EqualTo(IdOf(3)));

        known.Learn(SeedAt(1), [PeerAt(2)], [IdOf(2)]);

        Assert.That((known.IdOf(PeerAt(2)), known.IdOf(PeerAt(3))), Is.EqualTo(((NodeId?)IdOf(2), (NodeId?)null)));
    }

    [Test]
    public void Once_joined_a_peer_keeps_the_id_of_each_entry_of_its_samples_and_of_no_other()
    {
        var known = new Registration([SeedAt(1), SeedAt(2)], new Random(5));
        var many = Enumerable.Range(2, 500).Select(PeerAt).ToArray();
        known.Learn(SeedAt(1), many, [.. Enumerable.Range(2, 500).Select(IdOf)]);

        known.Compact();

        var kept = known.Known();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(kept, Has.Count.EqualTo(Registration.RetainedPerSeed));
            Assert.That(kept.Select(p => known.IdOf(p)), Is.EqualTo(kept.Select(p => (NodeId?)IdOf(p.Port - PeerAt(0).Port))), "each kept entry with its own id");
            Assert.That(many.Except(kept).Count(p => known.IdOf(p) is not null), Is.Zero, "no id kept for an entry not kept");
        }
    }

    [Test]
    public void Where_two_seeds_list_an_endpoint_with_different_ids_the_first_seed_in_configured_order_counts()
    {
        var known = new Registration([SeedAt(1), SeedAt(2)]);
        known.Learn(SeedAt(2), [PeerAt(5)], [IdOf(8)]);
        known.Learn(SeedAt(1), [PeerAt(5)], [IdOf(5)]);

        Assert.That(known.IdOf(PeerAt(5)), Is.EqualTo(IdOf(5)));
    }

    [Test]
    public void An_entry_listed_without_an_id_is_expected_under_none()
    {
        var known = new Registration([SeedAt(1)]);
        known.Learn(SeedAt(1), [PeerAt(2)], [default]);

        Assert.That(known.IdOf(PeerAt(2)), Is.Null);
    }
}
