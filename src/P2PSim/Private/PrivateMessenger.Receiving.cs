using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Private;

/// <summary>
/// Receiving: a private message is delivered the first time its id arrives and acknowledged on the link it came on every
/// time (a retry whose acknowledgement was lost is acknowledged again, never delivered twice). The ids delivered are
/// kept as the Message List keeps gossip ids (<c>Peer:MessageListCapacity</c>, <c>Peer:MessageListTtl</c>), and a
/// message older than that is refused unseen, as a gossip message is: it may be a replay of one delivered and forgotten.
/// </summary>
internal sealed partial class PrivateMessenger
{
    private static readonly long MaxSkewMs = (long)ProtocolLimits.MaxClockSkew.TotalMilliseconds;

    private readonly MessageList _delivered;
    private readonly TimeSpan _ttl;
    private long _deliveredCount;
    private long _duplicates;

    private void OnEnvelope(DirectLink link, Protocol.Gossip envelope, DateTimeOffset now)
    {
        if (envelope.Kind != GossipKind.Direct)
        {
            Violation(link, $"a {envelope.Kind} envelope (kind {(byte)envelope.Kind}) on a direct link, which carries private messages only", now);
            return;
        }
        if (envelope.Recipient != _self)
        {
            Violation(link, $"a private message for {envelope.Recipient} reached {_self}", now);
            return;
        }
        if (link.Role == NodeRole.Peer && envelope.Origin != link.Remote)
        {
            // Straight from its origin: the origin is the sender. Through a seed any origin may come (the seed checked it).
            Violation(link, $"a private message from {link.Remote} names {envelope.Origin} as its origin", now);
            return;
        }
        if (link.Role == NodeRole.Peer && envelope.OriginId != link.RemoteId)
        {
            var impostor = $"a private message from {link.Remote} names id {envelope.OriginId.Short}… as its origin's, but {link.Remote} proved id {link.RemoteId.Short}…";
            Forged(envelope.Id, envelope.Origin, link, impostor, now);
            Violation(link, impostor, now);
            return;
        }
        var id = envelope.Id;
        if (Refusal(envelope, now) is { } reason)
        {
            Refuse("stale", link.RemoteAddress, $"private message [{id.Short}] from {envelope.Origin} dropped unseen and unacknowledged: {reason}", now);
            return;
        }
        NodeEndpoint? relayedBy = link.Role == NodeRole.Seed ? link.Remote : null;
        var sentAt = DateTimeOffset.FromUnixTimeMilliseconds(envelope.TimestampUnixMs);
        if (_delivered.Contains(id))
        {
            _duplicates++; // a retry: acknowledged again, with no signature work (its first copy was checked)
            _out.Report(new PrivateDuplicate(now, id, envelope.Origin, relayedBy));
        }
        else if (!Authentic(link, envelope, now))
        {
            // Forged or altered: never delivered or acknowledged. A peer sending it directly, or a seed passing it on (a seed
            // checks what it relays), broke the protocol.
            Violation(link, $"a private message [{id.Short}] naming {envelope.Origin} as its origin whose signature does not verify (forged or altered)", now);
            return;
        }
        else if (Open(envelope) is not { } text)
        {
            // Signed by its origin, but not sealed to this peer's key (or its capsule was changed on the way): never
            // delivered or acknowledged, counted as forged. Its origin sealed it on this very link to the id this peer
            // proved: a violation. Through a seed the capsule may have been changed there, or sealed to an id the
            // sender was told: refused with a rate-limited line, and the reservation stays.
            var unopened = $"a private message [{id.Short}] from {envelope.Origin} that does not open with this peer's key (sealed to another id, or its capsule altered)";
            _unopened++;
            Forged(id, envelope.Origin, link, unopened, now, violation: link.Role == NodeRole.Peer);
            if (link.Role == NodeRole.Peer)
            {
                Violation(link, unopened, now); // the line; from a seed, the report above is the (rate-limited) line
            }
            return;
        }
        else if (_delivered.TryAdd(id, now, envelope.Origin, sentAt))
        {
            _deliveredCount++;
            _out.Report(new PrivateDelivered(now, id, envelope.Origin, text, relayedBy, sentAt));
        }
        _out.Send(link.Id, _signing.Acknowledge(id));
        link.LastUsed = now;
    }

    /// <summary>
    /// Why a private message is dropped unseen (and not acknowledged), or null: the rule of a gossip message
    /// (<c>Gossip/Dissemination.cs</c>): older than the ids delivered are remembered, or too far ahead of this clock.
    /// </summary>
    private string? Refusal(Protocol.Gossip envelope, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var ttlMs = (long)_ttl.TotalMilliseconds;
        if (envelope.TimestampUnixMs <= nowMs - ttlMs)
        {
            return $"created {(nowMs - envelope.TimestampUnixMs) / 1000.0:0.###} s ago, longer than Peer:MessageListTtl ({_ttl}) remembers: it may be a replay";
        }
        if (envelope.TimestampUnixMs > nowMs + MaxSkewMs)
        {
            return $"created {(envelope.TimestampUnixMs - nowMs) / 1000.0:0.###} s in the future (more than {ProtocolLimits.MaxClockSkew.TotalSeconds:0} s ahead of this peer's clock)";
        }
        return null;
    }
}
