using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using P2PSim.Tests.Transport;

namespace P2PSim.Tests.Security;

/// <summary>
/// Ids cost work, on real loopback sockets: a Hello whose id lacks the work is refused before the node answers or signs
/// anything, in one line, counted, that connection closed and nothing else; nodes of networks asking different
/// difficulties refuse each other in words; a seed never lists an id without the work.
/// </summary>
public class IdWorkTcpTests
{
    private const int Difficulty = 10;

    /// <summary>A nonce that does not give <paramref name="id"/> <paramref name="difficulty"/> zero bits: an id whose owner skipped the work.</summary>
    private static IdWork Unworked(NodeId id, int difficulty)
    {
        var nonce = 0UL;
        while (IdWork.Meets(id, nonce, difficulty))
        {
            nonce++;
        }
        return new IdWork((byte)difficulty, nonce);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_hello_whose_id_lacks_the_work_is_refused_in_one_line_and_nothing_else_is_affected(CancellationToken ct)
    {
        await using var node = TestTransport.Start(idDifficulty: Difficulty);
        await using var neighbour = TestTransport.Start(idDifficulty: Difficulty);
        neighbour.Transport.Dial(node.Endpoint);
        var link = (await neighbour.Handler.NextAsync<TransportEvent.Connected>(ct)).Info;
        await node.Handler.NextAsync<TransportEvent.Connected>(ct);

        using var lazy = await RawPeer.ConnectAsync(node.Endpoint, ct);
        var work = Unworked(lazy.Key.Id, Difficulty);
        var bits = IdWork.ZeroBits(lazy.Key.Id, work.Nonce);
        await lazy.SendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, TestTransport.FakeListen) { Id = lazy.Key.Id, Work = work, Nonce = HelloNonce.NewRandom() }, ct);

        Assert.That(await lazy.ReadAsync(ct), Is.Null, "closed before the node answered with its Hello or signed anything");
        var expected = $"the id {lazy.Key.Id.Short}… of {TestTransport.FakeListen} lacks the work: its nonce gives {bits} zero bits, {Difficulty} needed (Security:IdDifficulty)";
        await TransportWait.UntilAsync(() => node.Log.Warnings.Any(w => w.Contains(expected, StringComparison.Ordinal)), $"a warning: {expected}", ct);

        // Nothing else: the node's link still carries frames both ways, and a client that did the work gets in.
        using var worked = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await worked.HelloAsync(NodeEndpoint.Loopback(65002), ct, idDifficulty: Difficulty);
        var connected = await node.Handler.NextAsync<TransportEvent.Connected>(ct);
        Assert.That(neighbour.Transport.Send(link.Id, new P2PSim.Protocol.Gossip(GossipKind.Gossip, neighbour.Endpoint, 1, 0, 1, "still here")), Is.True);
        var received = await node.Handler.NextAsync<TransportEvent.Received>(ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(connected.Info.RemoteId, Is.EqualTo(worked.Key.Id));
            Assert.That(received.Message, Is.TypeOf<P2PSim.Protocol.Gossip>());
            Assert.That(node.Transport.RefusedIdWork, Is.EqualTo(1), "counted");
            Assert.That(node.Transport.RejectedInputs, Is.EqualTo(1), "and counted as rejected input");
            Assert.That(node.Log.Warnings.Count(w => w.Contains("lacks the work", StringComparison.Ordinal)), Is.EqualTo(1), "one line");
            Assert.That(node.Handler.All.OfType<TransportEvent.Connected>().Select(c => c.Info.RemoteId), Does.Not.Contain(lazy.Key.Id), "the node never had the connection");
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_hello_naming_a_well_worked_id_with_a_nonce_for_another_id_is_refused(CancellationToken ct)
    {
        // The work is bound to the id: a nonce copied from another node's Hello does not carry over.
        await using var node = TestTransport.Start(idDifficulty: Difficulty);
        using var copier = await RawPeer.ConnectAsync(node.Endpoint, ct);
        var stolen = node.Transport.Work;
        Assume.That(IdWork.Meets(copier.Key.Id, stolen.Nonce, Difficulty), Is.False, "the copied nonce happens to fit this id too");

        await copier.SendAsync(new Hello(ProtocolLimits.Version, NodeRole.Peer, TestTransport.FakeListen) { Id = copier.Key.Id, Work = stolen, Nonce = HelloNonce.NewRandom() }, ct);

        await copier.ExpectClosedAsync(ct);
        Assert.That(node.Transport.RefusedIdWork, Is.EqualTo(1));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Nodes_asking_different_difficulties_refuse_each_other_in_words(CancellationToken ct)
    {
        await using var stricter = TestTransport.Start(idDifficulty: Difficulty + 2);
        await using var laxer = TestTransport.Start(idDifficulty: Difficulty);

        laxer.Transport.Dial(stricter.Endpoint);
        var failed = await laxer.Handler.NextAsync<TransportEvent.DialFailed>(ct);
        stricter.Transport.Dial(laxer.Endpoint);
        var failedBack = await stricter.Handler.NextAsync<TransportEvent.DialFailed>(ct);

        await TransportWait.UntilAsync(() => stricter.Log.Warnings.Any(w => w.Contains($"asks ids of {Difficulty} bits of work, this node {Difficulty + 2} (Security:IdDifficulty): every node of one network must use the same setting", StringComparison.Ordinal)),
            "the stricter node's line naming both difficulties", ct);
        await TransportWait.UntilAsync(() => laxer.Log.Warnings.Any(w => w.Contains($"asks ids of {Difficulty + 2} bits of work, this node {Difficulty} (Security:IdDifficulty)", StringComparison.Ordinal)),
            "the laxer node's line naming both difficulties", ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed.Target, Is.EqualTo(stricter.Endpoint));
            Assert.That(failedBack.Target, Is.EqualTo(laxer.Endpoint));
            Assert.That(stricter.Handler.All.OfType<TransportEvent.Connected>(), Is.Empty);
            Assert.That(laxer.Handler.All.OfType<TransportEvent.Connected>(), Is.Empty);
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_seed_refuses_to_register_an_id_without_the_work(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(1, 1, new Dictionary<string, string?> { ["Security:IdDifficulty"] = Difficulty.ToString(System.Globalization.CultureInfo.InvariantCulture) }, ct);
        var seed = network.Seeds[0];
        await Eventually.HoldsAsync(async () =>
            (await TestNetwork.InspectSeedAsync(seed, m => m.PeerList.Count, ct)) == 1 ? null : "the seed lists the network's own peer, whose id did the work",
            TimeSpan.FromSeconds(20), ct);

        using var client = await RawClient.ConnectAsync(seed, ct);
        using var key = NodeKey.Generate();
        var claimed = NodeEndpoint.Loopback(65003);
        var stream = client.GetStream();
        await stream.WriteAsync(FrameCodec.Encode(new Hello(ProtocolLimits.Version, NodeRole.Peer, claimed) { Id = key.Id, Work = Unworked(key.Id, Difficulty), Nonce = HelloNonce.NewRandom() }), ct);
        await stream.WriteAsync(FrameCodec.Encode(Register.Instance), ct);

        var answered = await RawClient.ReadUntilClosedAsync(client, ct);
        await Eventually.HoldsAsync(() => network.ReadLog(seed.Endpoint.Port).Contains($"the id {key.Id.Short}… of {claimed} lacks the work", StringComparison.Ordinal)
            ? null : "the seed's line naming the endpoint and the id", TimeSpan.FromSeconds(5), ct);
        var listed = await TestNetwork.InspectSeedAsync(seed, m => m.PeerList.ToArray(), ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answered, Is.Empty, "no Hello, no proof, no peer list");
            Assert.That(listed, Does.Not.Contain(claimed));
            Assert.That(listed, Is.EqualTo(new[] { network.Peers[0].Endpoint }), "the network's own peer is still listed");
            Assert.That(seed.Transport!.RefusedIdWork, Is.EqualTo(1));
            Assert.That(seed.Transport.Work.Difficulty, Is.EqualTo(Difficulty), "the seed asks the configured difficulty");
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_restarted_network_keeps_every_nodes_id_and_work_from_the_key_folder(CancellationToken ct)
    {
        using var folder = TempDirectory.Create("p2psim-keys");
        var settings = new Dictionary<string, string?> { ["Security:IdDifficulty"] = Difficulty.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Security:KeyFolder"] = folder.Path };
        (NodeId, IdWork)[] before;
        await using (var first = await TestNetwork.StartAsync(1, 2, settings, ct))
        {
            await first.WaitForOverlayAsync(ct);
            before = [.. first.Seeds.Concat(first.Peers).Select(n => (n.Id, n.Transport!.Work))];
        }
        await using var second = await TestNetwork.StartAsync(1, 2, settings, ct);
        await second.WaitForOverlayAsync(ct);
        var after = second.Seeds.Concat(second.Peers).Select(n => (n.Id, n.Transport!.Work)).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(after, Is.EqualTo(before));
            Assert.That(before.Select(b => b.Item1).Distinct().Count(), Is.EqualTo(3));
            Assert.That(before.All(b => IdWork.Meets(b.Item1, b.Item2.Nonce, Difficulty) && b.Item2.Difficulty == Difficulty), Is.True);
        }
    }
}
