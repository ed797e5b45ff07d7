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

    /// <summary>
    /// The seeds' endpoints as a live list: each read sees every seed that has bound by then. A seed gets it at
    /// construction, before the seeds after it have bound (with port 0 their ports are not known yet); it is complete
    /// once every seed has started, which is before any peer starts. Reads take no lock and allocate nothing.
    /// </summary>
    public IReadOnlyList<NodeEndpoint> LiveSeedEndpoints { get; }

    private volatile NodeEndpoint[] _seedEndpoints = [];

    public NodeDirectory() => LiveSeedEndpoints = new LiveSeedList(this);

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
            if (node.Role == NodeRole.Seed)
            {
                _seedEndpoints = _seeds.Select(s => s.Endpoint).ToArray();
            }
        }
    }

    private sealed class LiveSeedList(NodeDirectory directory) : IReadOnlyList<NodeEndpoint>
    {
        public int Count => directory._seedEndpoints.Length;

        public NodeEndpoint this[int index] => directory._seedEndpoints[index];

        public IEnumerator<NodeEndpoint> GetEnumerator() => ((IEnumerable<NodeEndpoint>)directory._seedEndpoints).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
