using System.Net;
using System.Net.Sockets;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// What an accepted connection must pass before it is read, on real loopback sockets: the limit per remote address
/// (Transport:MaxInboundPerAddress), the node's share of the process's open files (<see cref="FileBudget"/>), and a node
/// on an address of its own that dials from it, so the acceptor sees the dialer's own address.
/// </summary>
[TestFixture]
public sealed class InboundGuardTests
{
    private static readonly IPAddress Client = IPAddress.Loopback;

    [Test]
    [CancelAfter(30_000)]
    public async Task A_node_on_its_own_address_dials_from_it_so_the_acceptor_sees_the_dialers_own_address(CancellationToken ct)
    {
        await using var dialer = TestTransport.Start(bindTo: IPAddress.Parse("127.2.201.1"));
        await using var acceptor = TestTransport.Start(bindTo: IPAddress.Parse("127.2.201.2"));
        Assert.That(dialer.Endpoint.Address, Is.EqualTo(IPAddress.Parse("127.2.201.1")), "it listens on its own address");

        dialer.Transport.Dial(acceptor.Endpoint);
        var accepted = await acceptor.Handler.NextAsync<TransportEvent.Connected>(ct);

        Assert.Multiple(() =>
        {
            Assert.That(accepted.Info.Inbound, Is.True);
            Assert.That(accepted.Info.RemoteAddress, Does.StartWith("127.2.201.1:"), "the connection comes from the dialer's own address, not 127.0.0.1");
            Assert.That(accepted.Info.Listen, Is.EqualTo(dialer.Endpoint));
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task The_limit_per_address_counts_handshaking_connections_refuses_the_next_unread_and_frees_slots_when_they_close(CancellationToken ct)
    {
        const int limit = 3;
        await using var node = TestTransport.Start(configure: o =>
        {
            o.MaxInboundPerAddress = limit;
            o.HandshakeTimeout = TimeSpan.FromSeconds(30); // the silent ones stay in their handshake for the whole test
        }, capPerAddress: true);
        var silent = new List<RawPeer>();
        try
        {
            for (var i = 0; i < limit; i++)
            {
                silent.Add(await RawPeer.ConnectAsync(node.Endpoint, ct));
            }
            await Eventually.HoldsAsync(() => node.Transport.InboundFrom(Client) == limit ? null
                : $"{node.Transport.InboundFrom(Client)} connections from {Client} held, {limit} expected (none has sent its Hello)", TimeSpan.FromSeconds(10), ct);

            // One more from the same address: closed at once, unread, counted and logged.
            using (var refused = await RawPeer.ConnectAsync(node.Endpoint, ct))
            {
                await refused.ExpectClosedAsync(ct);
            }
            Assert.Multiple(() =>
            {
                Assert.That(node.Transport.GetStats().RefusedPerAddress, Is.EqualTo(1));
                Assert.That(node.Transport.InboundFrom(Client), Is.EqualTo(limit));
                Assert.That(node.Log.Warnings, Has.Some.Contains("Refused a connection from 127.0.0.1:").And.Contains($"{limit} inbound connections from 127.0.0.1 are held, the limit per address (Transport:MaxInboundPerAddress)"));
            });

            // Another address is not held back by this one's connections.
            using (var other = await ConnectFromAsync(IPAddress.Parse("127.0.0.9"), node.Endpoint, ct))
            {
                Assert.That(await other.HelloAsync(TestTransport.FakeListen, ct, NodeRole.Seed), Is.TypeOf<Hello>(), "a client on another address is answered");
            }

            // Two of the silent ones leave: their slots come back, and a newcomer from the same address is answered.
            silent[0].Dispose();
            silent[1].Dispose();
            await Eventually.HoldsAsync(() => node.Transport.InboundFrom(Client) == limit - 2 ? null
                : $"{node.Transport.InboundFrom(Client)} connections from {Client} held after two closed, {limit - 2} expected", TimeSpan.FromSeconds(10), ct);
            using var fresh = await RawPeer.ConnectAsync(node.Endpoint, ct);
            Assert.That(await fresh.HelloAsync(TestTransport.FakeListen, ct, NodeRole.Seed), Is.TypeOf<Hello>(), "a freed slot takes a new connection");
            Assert.That(node.Transport.GetStats().RefusedPerAddress, Is.EqualTo(1), "nothing else was refused");
        }
        finally
        {
            silent.ForEach(c => c.Dispose());
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_flooded_node_takes_at_most_its_share_of_the_open_files_and_another_node_keeps_accepting(CancellationToken ct)
    {
        // 400 files: a reserve of 200, so 200 for the nodes' sockets; both listeners hold 2 of them.
        var files = new FileBudget(400);
        Assert.That((files.Reserve, files.Usable), Is.EqualTo((200L, 200L)));
        static void LongHandshake(P2PSim.Configuration.TransportOptions o) => o.HandshakeTimeout = TimeSpan.FromSeconds(30);
        await using var flooded = TestTransport.Start(configure: LongHandshake, files: files);
        await using var other = TestTransport.Start(configure: LongHandshake, files: files);
        var clients = new List<RawPeer>();
        try
        {
            for (var i = 0; i < 150; i++)
            {
                clients.Add(await RawPeer.ConnectAsync(flooded.Endpoint, ct));
            }
            // A connection is admitted while q + 1 <= 200 - (2 + q + 1), q the ones it holds: 99, about half of what was free.
            await Eventually.HoldsAsync(() =>
            {
                var s = flooded.Transport.GetStats();
                return s.InboundConnections == 99 && s.RefusedForFiles == 51 ? null
                    : $"the flooded node holds {s.InboundConnections} (99 expected) and refused {s.RefusedForFiles} for its share of the files (51 expected)";
            }, TimeSpan.FromSeconds(15), ct);
            Assert.That(flooded.Log.Warnings, Has.Some.Contains("its share of the process's open files").And.Contains("less a reserve of 200"));

            // The other node keeps taking connections, and they work.
            for (var i = 0; i < 20; i++)
            {
                var client = await RawPeer.ConnectAsync(other.Endpoint, ct);
                clients.Add(client);
                Assert.That(await client.HelloAsync(new NodeEndpoint(IPAddress.Loopback, 60000 + i), ct, NodeRole.Seed), Is.TypeOf<Hello>(),
                    $"connection {i} to the node that is not flooded is answered");
            }
            Assert.That(other.Transport.GetStats().RefusedConnections, Is.Zero);

            // The flood leaves: every file comes back.
            clients.ForEach(c => c.Dispose());
            await Eventually.HoldsAsync(() => files.Held == 2 ? null : $"{files.Held} files still charged, 2 expected (the listeners)", TimeSpan.FromSeconds(15), ct);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static async Task<RawPeer> ConnectFromAsync(IPAddress from, NodeEndpoint to, CancellationToken ct)
    {
        var client = new TcpClient(new IPEndPoint(from, 0));
        await client.ConnectAsync(to.ToIPEndPoint(), ct);
        return RawPeer.Accepted(client);
    }
}
