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

    /// <summary>Adds a node that started; one started again under the same role and index (a restart) takes the old one's place.</summary>
    internal void Add(NodeService node)
    {
        lock (_gate)
        {
            var list = node.Role == NodeRole.Seed ? _seeds : _peers;
            var same = list.FindIndex(n => n.Index == node.Index);
            if (same >= 0)
            {
                list[same] = node;
            }
            else
            {
                list.Add(node);
            }
        }
    }
}
