using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>A joined peer (<see cref="NodeTestKit.PeerAt"/>(1)) that signs with a real key, and neighbours that proved their ids.</summary>
internal static class SignedPeer
{
    /// <summary>
    /// The peer, signing and checking as <paramref name="mode"/> says with <paramref name="key"/>, registered with one seed and
    /// linked to each of <paramref name="neighbours"/> (its dial answered by the node with that id); the outbox empty.
    /// </summary>
    public static MachineProbe<PeerMachine> Create(NodeKey key, IReadOnlyList<(NodeEndpoint Endpoint, NodeId Id)> neighbours, DateTimeOffset now,
        SignatureMode mode = SignatureMode.Verify, GossipOptions? gossip = null)
    {
        var signing = mode == SignatureMode.Verify ? MessageSigning.Verify(key) : MessageSigning.Skip(key.Id);
        var probe = new MachineProbe<PeerMachine>(new PeerMachine(PeerAt(1), Seeds(1), QuietShortIntervals(), new Random(1), gossip: gossip, signing: signing), now);
        foreach (var seed in probe.Start().DialTargets())
        {
            probe.ConnectSeed(seed);
            probe.Receive(seed, new PeerList([.. neighbours.Select(n => n.Endpoint)]));
        }
        probe.Take();
        var next = 200;
        foreach (var (endpoint, id) in neighbours)
        {
            var connection = new ConnectionId(++next);
            probe.Connections[endpoint] = connection;
            probe.Machine.OnConnected(new ConnectionInfo(connection, endpoint, NodeRole.Peer, Inbound: false, endpoint.ToString(), RemoteId: id), now);
        }
        probe.Take();
        Assert.That(probe.Machine.ConnectedNeighbours, Is.EquivalentTo(neighbours.Select(n => n.Endpoint)));
        return probe;
    }

    public static MachineProbe<PeerMachine> Create(NodeKey key, NodeEndpoint neighbour, NodeId neighbourId, DateTimeOffset now) =>
        Create(key, [(neighbour, neighbourId)], now);
}
