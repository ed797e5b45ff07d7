using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>Which node a <see cref="NodeService"/> runs: its role, its index among nodes of that role, and where it binds.</summary>
public sealed record NodeSpec(NodeRole Role, int Index, NodeEndpoint BindTo)
{
    /// <summary>The setting that chose this node's port, for error messages.</summary>
    public string PortSetting => Role == NodeRole.Seed ? "Network:SeedBasePort" : "Network:PeerBasePort";
}

/// <summary>Start-up failed for a reason the user can fix; the message says which and how.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
