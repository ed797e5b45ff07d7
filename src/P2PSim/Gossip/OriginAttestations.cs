using P2PSim.Configuration;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Gossip;

/// <summary>
/// A peer's side of the seeds' attestations (protocol version 8; PROTOCOL.md, <i>Attestations</i>), shared by every part
/// that makes or takes envelopes (the overlay's and each group's dissemination):
/// <list type="bullet">
/// <item>the attestations the seeds gave this peer, one per seed, which every message it originates carries while they
/// hold (<see cref="Current"/>);</item>
/// <item>the id each seed proved on this peer's own connections to it (<see cref="SeedConnected"/>): the seeds whose word
/// this peer can check;</item>
/// <item>whether a received message's origin endpoint is attested (<see cref="Attested"/>), with a small cache of the
/// attestations already verified: 64-bit fingerprints in one flat array (<see cref="CacheEntries"/> x 8 bytes, made on
/// first use), so a repeat costs a SHA-256 and no Ed25519 verification, and no object is kept per origin.</item>
/// </list>
/// Bounded: one attestation and one id per configured seed, and the fixed cache. Pure; the node's thread only.
/// </summary>
internal sealed class OriginAttestations(NodeId self, MessageSigning signing, IReadOnlyCollection<NodeEndpoint> seeds)
{
    /// <summary>
    /// Fingerprints of verified attestations kept (direct-mapped: a newer one takes an older one's slot): 8 KiB, made on
    /// first use. A message is verified by its first good attestation, so about one entry per origin heard from.
    /// </summary>
    public const int CacheEntries = 1024;

    private static readonly long MaxSkewMs = (long)ProtocolLimits.MaxClockSkew.TotalMilliseconds;

    private readonly Dictionary<NodeEndpoint, SeedAttestation> _held = new();
    private readonly Dictionary<NodeEndpoint, NodeId> _seedIds = new();
    private SeedAttestation[] _current = [];
    private long _currentUntilMs = long.MinValue; // the earliest notAfter in _current: rebuilt after it
    private bool _stale = true;
    private ulong[]? _verified;

    /// <summary>What happens to a message whose origin endpoint nobody vouches for (<c>Security:UnverifiedOrigins</c>).</summary>
    public UnverifiedOrigins Mode { get; set; } = UnverifiedOrigins.Accept;

    /// <summary>Attestations from seeds this peer knows that did not verify (a restarted seed with a fresh key, or a forgery).</summary>
    public long BadAttestations { get; private set; }

    /// <summary>Attestations this peer was given by the seeds (first registrations and re-registrations).</summary>
    public long Received { get; private set; }

    /// <summary>
    /// A connection this peer dialled to the configured seed <paramref name="seed"/> proved <paramref name="id"/>: the
    /// seed's attestations are checked against it from now on (a restarted seed with a new key replaces the old id).
    /// </summary>
    public void SeedConnected(NodeEndpoint seed, NodeId id)
    {
        if (id != default && seeds.Contains(seed))
        {
            _seedIds[seed] = id;
        }
    }

    /// <summary>The id the seed at <paramref name="seed"/> proved to this peer, or null when it never connected to it.</summary>
    public NodeId? SeedId(NodeEndpoint seed) => _seedIds.TryGetValue(seed, out var id) ? id : null;

    /// <summary>
    /// The seed at <paramref name="seed"/> attested this peer: kept (in place of its earlier one) when it names this peer's
    /// own endpoint and id. False: it does not (ignored).
    /// </summary>
    public bool Hold(NodeEndpoint seed, NodeEndpoint selfEndpoint, Attestation attestation)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        if (attestation.Peer != selfEndpoint || attestation.PeerId != self || !seeds.Contains(seed) || attestation.Signature.Length != ProtocolLimits.SignatureSize)
        {
            return false;
        }
        Received++;
        _held[seed] = new SeedAttestation(seed, attestation.NotAfterUnixMs, attestation.Signature);
        _stale = true;
        return true;
    }

    /// <summary>The attestations a message created at <paramref name="now"/> carries: every held one that has not run out, at most <see cref="ProtocolLimits.MaxAttestations"/>.</summary>
    public IReadOnlyList<SeedAttestation> Current(DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        if (!_stale && nowMs <= _currentUntilMs)
        {
            return _current;
        }
        var current = new List<SeedAttestation>(_held.Count);
        var until = long.MaxValue;
        foreach (var attestation in _held.Values)
        {
            if (attestation.NotAfterUnixMs >= nowMs && current.Count < ProtocolLimits.MaxAttestations)
            {
                current.Add(attestation);
                until = Math.Min(until, attestation.NotAfterUnixMs);
            }
        }
        _current = [.. current];
        _currentUntilMs = until;
        _stale = false;
        return _current;
    }

    /// <summary>
    /// Whether one of <paramref name="gossip"/>'s attestations vouches for its origin endpoint: from a seed whose id this
    /// peer knows, for a time that covers the message's timestamp (within <see cref="ProtocolLimits.MaxClockSkew"/>), and
    /// signed by that seed (checked for real, once: a verified attestation's fingerprint is kept). One that fails from a
    /// seed this peer knows is counted (<see cref="BadAttestations"/>) and the others are tried; nobody is blamed.
    /// </summary>
    public bool Attested(GossipMessage gossip, out bool bad)
    {
        ArgumentNullException.ThrowIfNull(gossip);
        bad = false;
        foreach (var attestation in gossip.Attestations)
        {
            if (SeedId(attestation.Seed) is not { } seedId || gossip.TimestampUnixMs > attestation.NotAfterUnixMs + MaxSkewMs)
            {
                continue;
            }
            if (!signing.Verifies || attestation.VerifiedFor(seedId, gossip.Origin, gossip.OriginId))
            {
                return true; // skipping, or this very object verified before (a simulation's copies share it)
            }
            var fingerprint = EndpointAttestation.Fingerprint(seedId, gossip.Origin, gossip.OriginId, attestation);
            var slot = (int)(fingerprint % CacheEntries);
            if (fingerprint != 0 && _verified?[slot] == fingerprint)
            {
                return true;
            }
            if (signing.Check(attestation, seedId, gossip.Origin, gossip.OriginId))
            {
                (_verified ??= new ulong[CacheEntries])[slot] = fingerprint;
                attestation.MarkVerified(seedId, gossip.Origin, gossip.OriginId);
                return true;
            }
            BadAttestations++;
            bad = true;
        }
        return false;
    }
}
