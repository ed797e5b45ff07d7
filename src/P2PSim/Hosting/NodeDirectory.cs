using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// Every node running in this process, in start order. Seeds are added as they bind, so a
/// peer starting later finds every seed's real endpoint (port 0 included).
/// </summary>
public sealed class NodeDirectory
{
    private readonly object _gate = new();
    private readonly List<NodeService> _seeds = [];
    private readonly List<NodeService> _peers = [];

    public IReadOnlyList<NodeService> Seeds
    {
        get
        {
            lock (_gate)
            {
                return _seeds.ToArray();
            }
        }
    }

    public IReadOnlyList<NodeService> Peers
    {
        get
        {
            lock (_gate)
            {
                return _peers.ToArray();
            }
        }
    }

    public IReadOnlyList<NodeEndpoint> SeedEndpoints => Seeds.Select(s => s.Endpoint).ToArray();

    internal void Add(NodeService node)
    {
        lock (_gate)
        {
            (node.Role == NodeRole.Seed ? _seeds : _peers).Add(node);
        }
    }
}
