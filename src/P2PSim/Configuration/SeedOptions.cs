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

    /// <summary>
    /// A seed lists (hands out in peer lists) a newly registered endpoint only once its own dial to that endpoint
    /// completed a handshake proving the registrant's id (dial-back); the registrant gets its peer list at once either
    /// way. An endpoint where nobody answers, or another id does, is never listed. Off: listed at once, as before. The
    /// simulated network never dials back (its nodes cannot announce an endpoint not their own).
    /// </summary>
    public bool DialBack { get; set; } = true;

    /// <summary>
    /// Most endpoints registered at a seed from one IP address; a registration beyond is refused. Applies only where
    /// every node has an address of its own (<c>Network:AddressPerNode</c>): where nodes share 127.0.0.1 it would cap
    /// the whole network, so it is off there. 0: no cap.
    /// </summary>
    public int MaxRegistrationsPerAddress { get; set; } = 4;

    /// <summary>
    /// A listed peer counts as tenured once it has been listed this long. Every peer list a seed sends starts with its
    /// tenured share: 4 peers drawn at random among the tenured ones, or among the longest listed when fewer are; a
    /// peer keeps at least <c>Peer:TenuredNeighbours</c> neighbours from it (fakes are cheap to make, not to make old).
    /// 0: lists as before. The simulated network never orders its lists so.
    /// </summary>
    public TimeSpan TenureAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long an <c>Attestation</c> holds (protocol version 8): whenever a seed lists a registering peer it signs that
    /// the peer's endpoint is its id until this long from now, and the peer carries that word in every message it
    /// originates, so a receiver that knows the seed can check the origin endpoint. Longer than
    /// <c>Peer:ReregisterInterval</c> (each re-registration brings a fresh one), so a live peer always holds a current
    /// one. 0: the seed gives none (every origin beyond its neighbours is unverified). Unset: see
    /// <see cref="AttestationLifetimeFor"/>.
    /// </summary>
    public TimeSpan? AttestationLifetime { get; set; }

    /// <summary>
    /// The attestation lifetime in effect: <see cref="AttestationLifetime"/>, or four re-registrations (2 minutes with the
    /// default 30 s, and never less), so that a peer that misses a registration or two still holds a current one; a day
    /// (the most allowed) for peers that register only once (<c>Peer:ReregisterInterval</c> 0), which nothing refreshes.
    /// </summary>
    public TimeSpan AttestationLifetimeFor(PeerOptions peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (AttestationLifetime is { } set)
        {
            return set;
        }
        return peer.ReregisterInterval > TimeSpan.Zero
            ? TimeSpan.FromTicks(Math.Max(MinimumDefaultAttestationLifetime.Ticks, Math.Min(MaxAttestationLifetime.Ticks, peer.ReregisterInterval.Ticks * 4)))
            : MaxAttestationLifetime;
    }

    /// <summary>The longest attestation lifetime allowed.</summary>
    public static readonly TimeSpan MaxAttestationLifetime = TimeSpan.FromDays(1);

    private static readonly TimeSpan MinimumDefaultAttestationLifetime = TimeSpan.FromMinutes(2);

    /// <summary>An independent copy (an experiment adjusts a copy per run).</summary>
    public SeedOptions Clone() => (SeedOptions)MemberwiseClone();

    /// <summary>How long a seed keeps a peer that does not register again; zero: for ever.</summary>
    public TimeSpan PeerExpiry(PeerOptions peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return ExpireAfterMissedRegistrations > 0 && peer.ReregisterInterval > TimeSpan.Zero
            ? (peer.ReregisterInterval * ExpireAfterMissedRegistrations) + peer.RegistrationTimeout
            : TimeSpan.Zero;
    }
}
