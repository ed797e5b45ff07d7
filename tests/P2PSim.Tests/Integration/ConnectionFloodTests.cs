using System.Net;
using P2PSim.Hosting;
using P2PSim.Tests.TestSupport;
using P2PSim.Tests.Transport;

namespace P2PSim.Tests.Integration;

/// <summary>
/// A client that opens many silent connections from one address to one peer of a live network whose nodes each have a
/// loopback address of their own (Network:AddressPerNode, on by default here): the peer holds Transport:MaxInboundPerAddress
/// of them and refuses the rest unread; every other node, and the flooded one, keep gossiping with 100 % delivery and
/// nobody is reported dead.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ConnectionFloodTests
{
    private const int PerAddress = 8;
    private const int Flood = 100;

    [Test]
    [CancelAfter(90_000)]
    public async Task Many_silent_connections_from_one_address_are_capped_and_the_network_delivers_everything_with_nobody_reported_dead(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(2, 5, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Transport:MaxInboundPerAddress"] = PerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Transport:HandshakeTimeout"] = "00:00:30", // the silent connections stay for the whole test
        }, ct);
        await network.WaitForOverlayAsync(ct);

        // Every node on its own address, and the seeds see each peer's registration come from that peer's own address.
        Assert.That(network.Peers.Select(p => p.Endpoint.Address.ToString()), Is.EquivalentTo(network.Peers.Select(p => $"127.2.0.{p.Index + 1}")));
        foreach (var peer in network.Peers)
        {
            await HostileInputTests.ExpectLogAsync(network, network.Seeds[0], $"Registered peer {peer.Endpoint} (from {peer.Endpoint.Address}:", "sent it the peer list", ct);
        }

        var target = network.Peers[1];
        var clients = new List<RawPeer>();
        try
        {
            for (var i = 0; i < Flood; i++)
            {
                clients.Add(await RawPeer.ConnectAsync(target.Endpoint, ct)); // from 127.0.0.1, which no node uses
            }
            await Eventually.HoldsAsync(() =>
            {
                var s = target.TransportStats!;
                return s.RefusedPerAddress == Flood - PerAddress ? null : $"{s.RefusedPerAddress} of the flood refused, {Flood - PerAddress} expected";
            }, TimeSpan.FromSeconds(15), ct);
            await HostileInputTests.ExpectLogAsync(network, target, "Refused a connection from 127.0.0.1:", $"{PerAddress} inbound connections from 127.0.0.1 are held, the limit per address (Transport:MaxInboundPerAddress)", ct);

            // While the flood holds its connections, everybody gossips: every message reaches every peer, the flooded one included.
            var published = await network.PublishFromEveryPeerAsync(ct);
            await network.WaitForDeliveryAsync(published, ct, TimeSpan.FromSeconds(20));
            Assert.Multiple(async () =>
            {
                Assert.That(network.Stats.ComputeDeaths(), Is.Empty, "the flood must not make anybody look dead");
                Assert.That(TestNetwork.Unreachable(await network.NeighbourMapAsync(ct)), Is.Empty);
                Assert.That(network.Peers.Where(p => p != target).Sum(p => p.TransportStats!.RefusedConnections), Is.Zero, "the other nodes refused nothing");
            });
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}
