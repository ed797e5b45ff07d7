using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// Against real nodes (NodeService and PeerMachine on the Generic Host): a Ping from a neighbour gets exactly one
/// Pong whether the transport answers it (Transport:EchoPings, the default) or the node does, and with the echo
/// on the Pong does not wait for a node that is busy.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PingEchoTests
{
    private static readonly NodeEndpoint FakeListen = NodeEndpoint.Loopback(65002);

    [TestCase(true)]
    [TestCase(false)]
    [CancelAfter(60_000)]
    public async Task A_neighbours_Ping_gets_exactly_one_Pong(bool echo, CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(1, 2, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Peer:LivenessInterval"] = "00:00:05",
            ["Transport:EchoPings"] = echo ? "true" : "false",
        }, ct);
        await network.WaitForOverlayAsync(ct);
        var node = network.Peers[0];
        using var peer = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await peer.HelloAsync(FakeListen, ct);
        await Eventually.HoldsAsync(async () =>
            (await TestNetwork.InspectPeerAsync(node, m => m.ConnectedNeighbours.Contains(FakeListen), ct)) ? null : "not a neighbour yet",
            TimeSpan.FromSeconds(10), ct);

        await peer.SendAsync(new Ping(41), ct);
        var text = $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}:127.0.0.1:{FakeListen.Port}:1";
        var gossip = TestGossip.SignedBy(peer.Key, text);
        await peer.SendAsync(gossip, ct);
        // Once the node has the gossip, it has handled everything that came before it, the Ping included.
        var id = gossip.Id;
        await Eventually.HoldsAsync(async () =>
            (await TestNetwork.InspectPeerAsync(node, m => m.Messages.Contains(id), ct)) ? null : "the node has not handled the gossip yet",
            TimeSpan.FromSeconds(10), ct);
        // Whatever the node queued for us by now leaves before the Pong to this second Ping (same queue, FIFO).
        await peer.SendAsync(new Ping(42), ct);
        var (_, before) = await peer.ReadUntilAsync<Pong>(ct, p => p.Sequence == 42);

        Assert.That(before.OfType<Pong>(), Is.EqualTo(new[] { new Pong(41) }), "one Pong for the first Ping");
        Assert.That(node.TransportStats!.PingsEchoed, echo ? Is.EqualTo(2) : Is.Zero);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task With_the_echo_a_Pong_comes_back_while_the_node_loop_is_stuck(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(1, 2, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Peer:LivenessInterval"] = "00:00:05",
        }, ct);
        await network.WaitForOverlayAsync(ct);
        var node = network.Peers[0];
        using var peer = await RawPeer.ConnectAsync(node.Endpoint, ct);
        await peer.HelloAsync(FakeListen, ct);
        await Eventually.HoldsAsync(async () =>
            (await TestNetwork.InspectPeerAsync(node, m => m.ConnectedNeighbours.Contains(FakeListen), ct)) ? null : "not a neighbour yet",
            TimeSpan.FromSeconds(10), ct);

        using var stuck = new ManualResetEventSlim();
        var blocked = node.InspectAsync(_ => stuck.Wait(TimeSpan.FromSeconds(20)), ct); // the node's loop is busy until released
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(); // a message older than Peer:MessageListTtl would be refused
            for (var i = 1; i <= 500; i++)
            {
                await peer.SendAsync(TestGossip.SignedBy(peer.Key, $"{now}:127.0.0.1:{FakeListen.Port}:{i}"), ct);
            }
            await peer.SendAsync(new Ping(7), ct);
            var (pong, _) = await peer.ReadUntilAsync<Pong>(ct, timeoutMs: 5_000);
            Assert.That(pong, Is.EqualTo(new Pong(7)));
            Assert.That(blocked.IsCompleted, Is.False, "answered while the node was still stuck");
        }
        finally
        {
            stuck.Set();
        }
        await blocked;
        await Eventually.HoldsAsync(async () =>
            await TestNetwork.InspectPeerAsync(node, m => m.Received, ct) >= 500 ? null : "the backlog has not been handled",
            TimeSpan.FromSeconds(10), ct);
    }
}
