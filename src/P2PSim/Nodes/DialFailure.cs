namespace P2PSim.Nodes;

/// <summary>
/// What a failed dial says about the endpoint dialled. A dial that never reached a listener (connection refused, no
/// route, connect timed out) says nobody is there. A dial that connected but whose handshake did not complete says
/// something listens there and turned this node away, for instance because its inbound slots are full (the transport
/// closes such a connection unread): that is no evidence of a death. The transport marks the second kind by starting the
/// reason with <see cref="TurnedAwayPrefix"/>; the simulated network never turns a dial away.
/// </summary>
public static class DialFailure
{
    /// <summary>How the reason of a dial that connected but did not finish its handshake begins.</summary>
    public const string TurnedAwayPrefix = "turned away after connecting: ";

    /// <summary>The reason for a dial that connected and was then closed before its handshake completed.</summary>
    public static string TurnedAway(string reason) => reason.StartsWith(TurnedAwayPrefix, StringComparison.Ordinal) ? reason : TurnedAwayPrefix + reason;

    /// <summary>Whether the dial reached something that listens at the endpoint (and was turned away).</summary>
    public static bool WasTurnedAway(string reason) => reason.StartsWith(TurnedAwayPrefix, StringComparison.Ordinal);
}
