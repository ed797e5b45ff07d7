using P2PSim.Security;

namespace P2PSim.Hosting;

/// <summary>
/// Where a node's key pair comes from when it starts (its node id, and what its TLS certificate is bound to). The host
/// registers <see cref="FreshNodeKeys"/> unless another source was registered first (a key folder, keys derived from the
/// run's seed); the node owns the key it is given and disposes it.
/// </summary>
public interface INodeKeySource
{
    NodeKey KeyFor(NodeSpec spec);
}

/// <summary>A fresh Ed25519 key for every node start: a restarted node is a new node.</summary>
public sealed class FreshNodeKeys : INodeKeySource
{
    public NodeKey KeyFor(NodeSpec spec) => NodeKey.Generate();
}
