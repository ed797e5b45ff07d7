using System.Net;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// Which node a <see cref="NodeService"/> runs: its role, its index among the network's nodes of that role (a seed's
/// position in <c>Network:Seeds</c>, a peer's global index, whichever slice runs it), and where it binds.
/// <paramref name="Announce"/>: the address it gives as its own when that is not the bind address (null: the bound
/// one). <paramref name="DialFromBindAddress"/>: its outgoing connections leave from the bind address (a slice on an
/// address of its own). <paramref name="JoinTurn"/>: its place in this process's join order (-1: its index).
/// </summary>
public sealed record NodeSpec(NodeRole Role, int Index, NodeEndpoint BindTo, IPAddress? Announce = null, bool DialFromBindAddress = false,
    int JoinTurn = -1, string? PortSettingName = null)
{
    /// <summary>The setting that chose this node's port, for error messages.</summary>
    public string PortSetting => PortSettingName ?? (Role == NodeRole.Seed ? "Network:SeedBasePort" : "Network:PeerBasePort");

    /// <summary>
    /// The node binds a loopback address of its own (<c>Network:AddressPerNode</c>): its transport then holds at most
    /// <c>Transport:MaxInboundPerAddress</c> connections from one remote address.
    /// </summary>
    public bool OwnAddress { get; init; }

    /// <summary>This node's place in the process's join order (peers join one by one).</summary>
    public int Turn => JoinTurn >= 0 ? JoinTurn : Index;
}

/// <summary>Start-up failed for a reason the user can fix; the message says which and how.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
