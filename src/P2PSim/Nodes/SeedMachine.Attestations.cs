using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// A seed's attestations (protocol version 8; PROTOCOL.md, <i>Attestations</i>): whenever it lists a registering peer (its
/// dial-back met the registrant's id, or it does not dial back) it signs that the peer's endpoint is its id for
/// <see cref="AttestationLifetime"/> and sends that <see cref="Attestation"/> on the registration's connection, just
/// before the peer list (the peer closes the connection once the list is in).
/// </summary>
public sealed partial class SeedMachine
{
    /// <summary>How long an attestation holds (<c>Seed:AttestationLifetime</c>); zero (the default of a bare machine): none are given.</summary>
    public TimeSpan AttestationLifetime { get; init; }

    /// <summary>Attestations given so far.</summary>
    public long AttestationsGiven { get; private set; }

    /// <summary>Sends <paramref name="peer"/>'s attestation on <paramref name="connection"/>, when it is listed with <paramref name="id"/>.</summary>
    private void Attest(ConnectionId connection, NodeEndpoint peer, Security.NodeId id, DateTimeOffset now)
    {
        if (AttestationLifetime <= TimeSpan.Zero || !IsListed(peer) || !_ids.TryGetValue(peer, out var registered) || registered != id)
        {
            return;
        }
        AttestationsGiven++;
        SendTo(connection, Signing.Attest(peer, id, (now + AttestationLifetime).ToUnixTimeMilliseconds()));
    }
}
