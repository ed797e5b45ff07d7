namespace P2PSim.Nodes;

/// <summary>Counts of what this peer refused, for reports (the attack workload reads them).</summary>
public sealed partial class PeerMachine
{
    /// <summary>New messages dropped because their origin published faster than its allowance (Gossip:OriginRate, Gossip:OriginBurst).</summary>
    public long Throttled => _overlay.Throttled;
}
