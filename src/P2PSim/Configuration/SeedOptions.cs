namespace P2PSim.Configuration;

/// <summary>Section <c>Seed</c>: how seeds keep their peer lists.</summary>
public sealed class SeedOptions
{
    public const string Section = "Seed";

    /// <summary>
    /// A seed removes a peer that has not registered for this many <c>Peer:ReregisterInterval</c>s (plus one
    /// <c>Peer:RegistrationTimeout</c>): a peer that crashed and that no neighbour reported (its neighbours crashed too,
    /// or none of them registered with this seed). Every live peer registers again once per interval. 0 keeps a peer
    /// until it says goodbye or a death report about it is confirmed; so does <c>Peer:ReregisterInterval</c> 0.
    /// </summary>
    public int ExpireAfterMissedRegistrations { get; set; } = 3;

    /// <summary>How long a seed keeps a peer that does not register again; zero: for ever.</summary>
    public TimeSpan PeerExpiry(PeerOptions peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return ExpireAfterMissedRegistrations > 0 && peer.ReregisterInterval > TimeSpan.Zero
            ? (peer.ReregisterInterval * ExpireAfterMissedRegistrations) + peer.RegistrationTimeout
            : TimeSpan.Zero;
    }
}
