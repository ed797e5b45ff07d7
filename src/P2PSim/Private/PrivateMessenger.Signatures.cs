using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Private;

/// <summary>
/// Signed private messages (protocol version 5): the sender signs each message once, as an origin signs a broadcast; the
/// recipient checks that signature once, on the first copy of a message (a retry of a message delivered before is
/// acknowledged again without any signature work), and acknowledges with a <see cref="DirectAck"/> it signs itself. The
/// sender takes an acknowledgement only when it verifies for the recipient's id where the sender knows it: the id the
/// recipient proved on the direct link the acknowledgement came on, or, through a seed, the id this peer knows the
/// recipient's endpoint by (<c>expectedId</c>; where it knows none, the seed checked it against the id the recipient
/// registered with before passing it on).
/// </summary>
internal sealed partial class PrivateMessenger
{
    private readonly MessageSigning _signing;
    private readonly Func<NodeEndpoint, NodeId?> _expectedId;
    private long _signatureChecks;
    private long _forged;

    /// <summary>Signatures checked (private messages new here, and acknowledgements), and messages or acknowledgements refused as forged.</summary>
    public (long Checked, long Forged) Signatures => (_signatureChecks, _forged);

    /// <summary>Whether a private message new here is signed by its origin id; when it is not, it is counted and reported.</summary>
    private bool Authentic(DirectLink link, Protocol.Gossip envelope, DateTimeOffset now)
    {
        _signatureChecks++;
        if (_signing.Check(envelope))
        {
            return true;
        }
        Forged(envelope.Id, envelope.Origin, link, $"a private message [{envelope.Id.Short}] naming {envelope.Origin} (id {envelope.OriginId.Short}…) as its origin whose signature does not verify", now);
        return false;
    }

    /// <summary>
    /// Whether the acknowledgement of <paramref name="message"/> that came on <paramref name="link"/> is its recipient's:
    /// signed by the id the recipient proved on this link, or (through a seed) by the id this peer knows it by, if any.
    /// </summary>
    private bool AuthenticAck(DirectLink link, DirectAck ack, NodeEndpoint recipient, DateTimeOffset now)
    {
        var id = link.Role == NodeRole.Peer ? link.RemoteId : _expectedId(recipient);
        if (id is not { } signer)
        {
            return true; // relayed, and the recipient's id unknown here: the seed checked it against the id it registered with
        }
        _signatureChecks++;
        if (_signing.Check(ack, signer))
        {
            return true;
        }
        // From the recipient's own link it is a violation (the caller closes the link); a seed that passed it on may know
        // the recipient by another id than this peer does: then this report is the (rate-limited) line, and the link stays.
        Forged(ack.Id, recipient, link, $"a DirectAck for private message [{ack.Id.Short}] to {recipient} that id {signer.Short}… did not sign (a forged receipt)", now,
            violation: link.Role == NodeRole.Peer);
        return false;
    }

    private void Forged(Gossip.MessageId id, NodeEndpoint origin, DirectLink link, string reason, DateTimeOffset now, bool violation = true)
    {
        _forged++;
        _out.Report(new GossipForged(now, id, origin, link.Remote, reason, violation));
    }
}
