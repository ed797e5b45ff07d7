using P2PSim.Protocol;

namespace P2PSim.Nodes;

// ---- Peer: neighbour scoring against Sybils (Overlay/NeighbourTable.Scoring.cs) ----

/// <summary>
/// The peer replaced <paramref name="Neighbour"/>, a neighbour it dialed that delivered nothing over a scoring window
/// (<paramref name="Why"/>): it said goodbye to it, will not draw it again for a while, and dials
/// <paramref name="Replacement"/> instead (null: no other known peer to draw). <paramref name="Replaced"/>: this peer's
/// replacements so far.
/// </summary>
public sealed record NeighbourReplaced(DateTimeOffset At, NodeEndpoint Neighbour, string Why, NodeEndpoint? Replacement, long Replaced) : NodeEvent(At);
