using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Gossip;

/// <summary>
/// Signed messages (protocol version 5; PROTOCOL.md, <i>Receiving a message</i>): every message this part creates is
/// signed once by this peer, and every message it has not seen is checked once, after the duplicate check (a replay
/// costs no signature work) and before the origin's allowance (a forgery cannot use up an honest origin's allowance).
/// A message whose signature does not verify for its origin id is dropped unrecorded, counted and reported, and the
/// neighbour that sent it is disconnected as a protocol violation: an honest peer checks a message before it forwards
/// it. A copy with hops 1 must carry the id its sender proved on the link (<see cref="OriginIdViolation"/>); and where
/// this peer knows which id an origin's endpoint belongs to (<see cref="ExpectedId"/>), a message naming that endpoint
/// with another id is dropped too (its sender may be an honest forwarder that could not know, so its link stays).
/// Since version 8 the origin endpoint is then verified (a known id there, or an attestation from a seed this peer knows,
/// <see cref="OriginAttestations"/>) or counted unverified: delivered marked, or dropped (<c>Security:UnverifiedOrigins</c>).
/// </summary>
internal sealed partial class Dissemination
{
    private readonly MessageSigning _signing;

    /// <summary>Signatures checked: messages not seen before that reached the check (verified for real unless skipping).</summary>
    public long SignatureChecks { get; private set; }

    /// <summary>Messages dropped as forged: a signature that does not verify, or an origin endpoint named with another id than its own.</summary>
    public long Forged { get; private set; }

    /// <summary>
    /// The id this peer knows <paramref name="endpoint"/> by, or null where it does not know one: the hook where every
    /// source of such knowledge plugs in (the peer's neighbours' and direct links' proven ids; peer lists that carry ids).
    /// Null: none is known anywhere.
    /// </summary>
    public Func<NodeEndpoint, NodeId?>? ExpectedId { get; init; }

    /// <summary>
    /// The peer's seed attestations (version 8): what the messages this part creates carry, and the seeds' ids that check
    /// the attestations of the messages it receives; null: none, and origins are not checked (unit tests of other rules).
    /// </summary>
    public OriginAttestations? Origins { get; init; }

    /// <summary>Messages new to this part whose origin endpoint nobody vouched for (delivered marked, or dropped: <c>Security:UnverifiedOrigins</c>).</summary>
    public long Unverified { get; private set; }

    /// <summary>A copy with hops 1 comes straight from its origin: its origin id must be the id the sender proved on this link.</summary>
    private string? OriginIdViolation(NodeEndpoint from, GossipMessage gossip, DateTimeOffset now)
    {
        if (gossip.Hops != 1 || !_table.Entries.TryGetValue(from, out var sender) || sender.Id == gossip.OriginId)
        {
            return null;
        }
        Forged++;
        var reason = $"a Gossip with hops 1 names id {gossip.OriginId.Short}… as its origin's but comes from {from}, which proved id {sender.Id.Short}…";
        _out.Report(new GossipForged(now, gossip.Id, gossip.Origin, from, reason, Violation: true));
        return reason;
    }

    /// <summary>
    /// Whether a message not seen before is its origin's own: its signature verifies for its origin id, and that id is
    /// the one this peer knows the origin's endpoint by, if it knows one. When it is not, the message is counted and
    /// reported, and <paramref name="violation"/> says why the sender's link must close (null: it stays).
    /// </summary>
    private bool Authentic(NodeEndpoint from, GossipMessage gossip, DateTimeOffset now, out string? violation, out bool unverified)
    {
        violation = null;
        unverified = false;
        SignatureChecks++;
        if (!_signing.Check(gossip))
        {
            Forged++;
            violation = $"a message [{gossip.Id.Short}] naming {gossip.Origin} (id {gossip.OriginId.Short}…) as its origin whose signature does not verify: forged or altered (an honest peer checks a message before it forwards it)";
            _out.Report(new GossipForged(now, gossip.Id, gossip.Origin, from, violation, Violation: true));
            return false;
        }
        var expected = ExpectedId?.Invoke(gossip.Origin);
        if (expected is { } known && known != gossip.OriginId)
        {
            Forged++;
            _out.Report(new GossipForged(now, gossip.Id, gossip.Origin, from,
                $"it names {gossip.Origin} as its origin with id {gossip.OriginId.Short}…, but that endpoint is id {known.Short}…", Violation: false));
            return false;
        }
        var badAttestation = false;
        if (Origins is null || expected is not null || Origins.Attested(gossip, out badAttestation))
        {
            return true; // the origin endpoint is verified: its id is the one known there, or a seed this peer knows vouches for it
        }
        Unverified++;
        unverified = true;
        var drop = Origins.Mode == UnverifiedOrigins.Drop;
        _out.Report(new OriginUnverified(now, gossip.Id, gossip.Origin, gossip.OriginId, from, Dropped: drop, badAttestation));
        return !drop; // dropped unrecorded, never forwarded; the link stays (a forwarder cannot know)
    }
}
