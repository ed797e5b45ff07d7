using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Nodes;

/// <summary>
/// Signed messages (protocol version 5): one <see cref="MessageSigning"/> for the whole peer, which every part signs and
/// checks with (the overlay's and each group's dissemination, the private messages), and the one place that says which
/// id this peer knows an endpoint by (<see cref="ExpectedId"/>).
/// </summary>
public sealed partial class PeerMachine
{
    private readonly MessageSigning _signing;
    private readonly OriginAttestations _origins;

    /// <summary>What this peer does with a message whose origin endpoint nobody vouches for (<c>Security:UnverifiedOrigins</c>).</summary>
    public UnverifiedOrigins UnverifiedOrigins
    {
        get => _origins.Mode;
        init => _origins.Mode = value;
    }

    /// <summary>Messages new to this peer (on the overlay and in its groups) whose origin endpoint nobody vouched for (version 8).</summary>
    public long OriginsUnverified => _overlay.Unverified + _groupTopics.Sum(static t => t.Unverified);

    /// <summary>Attestations the seeds gave this peer, and attestations from seeds it knows that did not verify.</summary>
    public (long Received, long Bad) AttestationCounts => (_origins.Received, _origins.BadAttestations);

    /// <summary>Whether this peer signs and checks for real (<c>Security:Signatures</c>).</summary>
    public SignatureMode Signatures => _signing.Mode;

    /// <summary>
    /// Signatures this peer checked (messages new to it, on the overlay, in its groups and privately) and messages it
    /// dropped as forged (a signature that does not verify, or an origin named with another id).
    /// </summary>
    public (long Checked, long Forged) SignatureCounts
    {
        get
        {
            var (checkedCount, forged) = _overlay.Signatures;
            foreach (var topic in _groupTopics)
            {
                checkedCount += topic.Signatures.Checked;
                forged += topic.Signatures.Forged;
            }
            var ours = _private.Signatures;
            return (checkedCount + ours.Checked, forged + ours.Forged);
        }
    }

    /// <summary>
    /// The id this peer knows <paramref name="endpoint"/> by, or null: the id an overlay or group neighbour there proved on
    /// its link, or a direct link's; failing those, the id a seed listed it with (version 6: the peer lists and group
    /// member lists this peer keeps, <see cref="Registration.IdOf"/>). A message naming that endpoint as its origin with
    /// another id is dropped, an acknowledgement from it must be signed by that id, and a dial to it expects that id
    /// (<see cref="Outbox.ExpectedIds"/>: the link is refused if the node there proves another).
    /// </summary>
    internal NodeId? ExpectedId(NodeEndpoint endpoint)
    {
        if (_overlay.NeighbourId(endpoint) is { } neighbour)
        {
            return neighbour;
        }
        foreach (var topic in _groupTopics)
        {
            if (topic.NeighbourId(endpoint) is { } member)
            {
                return member;
            }
        }
        if (_private.LinkId(endpoint) is { } linked)
        {
            return linked;
        }
        if (_session.Known.IdOf(endpoint) is { } listed)
        {
            return listed;
        }
        foreach (var topic in _groupTopics)
        {
            if (topic.Known.IdOf(endpoint) is { } member)
            {
                return member;
            }
        }
        return null;
    }
}
