using P2PSim.Security;

namespace P2PSim.Protocol;

/// <summary>
/// Seed to peer (version 8), sent on the registration's connection just before the <see cref="PeerList"/> whenever the
/// seed lists the peer (its dial-back met <see cref="PeerId"/> at <see cref="Peer"/>, or it does not dial back): the
/// seed's Ed25519 signature (<see cref="EndpointAttestation"/>) that <see cref="Peer"/> is <see cref="PeerId"/>'s
/// endpoint until <see cref="NotAfterUnixMs"/>. The peer carries it in its envelopes as a <see cref="SeedAttestation"/>.
/// </summary>
public sealed record Attestation(NodeEndpoint Peer, NodeId PeerId, long NotAfterUnixMs, byte[] Signature) : Message
{
    public override MessageType Type => MessageType.Attestation;

    public bool Equals(Attestation? other) => other is not null && Peer == other.Peer && PeerId == other.PeerId
        && NotAfterUnixMs == other.NotAfterUnixMs && Signature.AsSpan().SequenceEqual(other.Signature);

    public override int GetHashCode() => HashCode.Combine(Peer, PeerId, NotAfterUnixMs);
}

/// <summary>
/// One entry of an envelope's attestation block (version 8): the <see cref="Attestation"/> of the seed at
/// <see cref="Seed"/> for the message's origin endpoint and origin id (which the envelope carries already, so they are
/// not repeated). Compared by value; the signature is never modified.
/// </summary>
public sealed record SeedAttestation(NodeEndpoint Seed, long NotAfterUnixMs, byte[] Signature)
{
    // Whom it was found to verify for (seed id, origin, origin id): kept in the object, as a message body keeps whether
    // its signature verified, so a simulation, whose copies of one message share their attestations, checks each once.
    // A copy made with `with` starts unchecked (another field may differ); a decoded frame is a new object.
    private (NodeId Seed, NodeEndpoint Origin, NodeId OriginId) _verifiedFor;
    private int _verified;

    private SeedAttestation(SeedAttestation original) => (Seed, NotAfterUnixMs, Signature) = (original.Seed, original.NotAfterUnixMs, original.Signature);

    /// <summary>Whether this attestation was found to verify for the seed <paramref name="seedId"/>, <paramref name="origin"/> and <paramref name="originId"/>.</summary>
    internal bool VerifiedFor(NodeId seedId, NodeEndpoint origin, NodeId originId) => Volatile.Read(ref _verified) != 0 && _verifiedFor == (seedId, origin, originId);

    internal void MarkVerified(NodeId seedId, NodeEndpoint origin, NodeId originId)
    {
        _verifiedFor = (seedId, origin, originId);
        Volatile.Write(ref _verified, 1);
    }

    public bool Equals(SeedAttestation? other) => other is not null && Seed == other.Seed && NotAfterUnixMs == other.NotAfterUnixMs
        && Signature.AsSpan().SequenceEqual(other.Signature);

    public override int GetHashCode() => HashCode.Combine(Seed, NotAfterUnixMs);
}
