using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Nodes;

/// <summary>
/// The relay of private messages (PROTOCOL.md, <i>Private messages</i>, step 3), not to be confused with the relay of
/// confirmed deaths to the other seeds (<c>_relays</c>). Peers dial a seed for direct links
/// (<see cref="LinkKind.Direct"/>): a peer that cannot be dialled holds a <i>reservation</i> on one (<see cref="Reserve"/>,
/// only from a registered peer at its own address), and any peer hands private messages to be relayed on one. A
/// message for a peer with a reservation here goes over that reservation, one hop further on, and the seed remembers
/// for <see cref="RelayMemory"/> (at most <see cref="MaxRelayed"/> messages) which link it came from, to pass the
/// recipient's <see cref="DirectAck"/> back. A message for any other peer is answered with <see cref="RelayRefused"/>
/// (<see cref="RelayRefusal.NoReservation"/> for a listed peer, <see cref="RelayRefusal.UnknownRecipient"/> else), so
/// the sender tries another seed. The seed reads the envelope but never delivers or stores it.
/// <para>
/// A report of the death of a peer holding a reservation here is checked over the reservation (a <see cref="Ping"/>,
/// answered within <see cref="ReservationCheckTimeout"/>), not by dialling it: the peer refuses every dial, and would be
/// removed though alive.
/// </para>
/// </summary>
public sealed partial class SeedMachine
{
    /// <summary>How long the seed remembers where a relayed message came from, to pass its acknowledgement back.</summary>
    public static readonly TimeSpan RelayMemory = TimeSpan.FromMinutes(1);

    /// <summary>Most relayed messages remembered at once; beyond, the oldest is forgotten (its acknowledgement then finds nothing).</summary>
    public const int MaxRelayed = 10_000;

    /// <summary>How long a peer checked over its reservation has to answer the seed's ping.</summary>
    public static readonly TimeSpan ReservationCheckTimeout = TimeSpan.FromSeconds(5);

    private readonly Dictionary<ConnectionId, ConnectionInfo> _directLinks = new();
    private readonly Dictionary<NodeEndpoint, ConnectionId> _reservations = new();
    private readonly Dictionary<MessageId, (ConnectionId From, DateTimeOffset Until)> _relayed = new();
    private readonly Queue<(MessageId Id, DateTimeOffset Until)> _relayedOrder = new();
    private readonly Dictionary<NodeEndpoint, ReservationCheck> _reservationChecks = new();
    private readonly RefusalThrottle _privateThrottle = new();
    private ulong _checkSequence;

    /// <summary>
    /// How this seed checks the signatures of what it relays (a private message's origin's, an acknowledgement's
    /// recipient's); the default checks nothing (unit tests of other rules): a node on a network gets
    /// <see cref="MessageSigning.Verify(NodeKey)"/>, or on a simulated run that skips the cryptography, a skipping one.
    /// </summary>
    public MessageSigning Signing { get; init; } = MessageSigning.Skip();

    /// <summary>Relayed private messages and acknowledgements refused as forged (their signature is not their origin's, or recipient's).</summary>
    public long ForgedRelays { get; private set; }

    /// <summary>Peers that hold a reservation here.</summary>
    public IReadOnlyCollection<NodeEndpoint> Reservations => _reservations.Keys;

    /// <summary>Private messages relayed, and relay requests refused.</summary>
    public (long Relayed, long Refused) PrivateRelayCounts => (_privateRelayed, _privateRefused);

    private long _privateRelayed;
    private long _privateRefused;

    private DateTimeOffset? NextRelayDeadline
    {
        get
        {
            DateTimeOffset? due = _relayedOrder.TryPeek(out var oldest) ? oldest.Until : null;
            foreach (var check in _reservationChecks.Values)
            {
                due = WakeScheduler.Earliest(due, check.Due);
            }
            return due;
        }
    }

    /// <summary>A link of another purpose than the overlay came up; true when it is a direct link this seed takes (dialled by a peer).</summary>
    private bool OnDirectLinkConnected(ConnectionInfo connection)
    {
        if (connection.Purpose.Kind != LinkKind.Direct || !connection.Inbound || connection.Role != NodeRole.Peer)
        {
            return false;
        }
        _directLinks[connection.Id] = connection;
        return true;
    }

    private void OnDirectMessage(ConnectionInfo link, Message message, DateTimeOffset now)
    {
        switch (message)
        {
            case Reserve:
                OnReserve(link, now);
                break;
            case Protocol.Gossip envelope:
                OnRelayRequest(link, envelope, now);
                break;
            case DirectAck ack:
                OnRelayedAck(link, ack, now);
                break;
            case IdRequest request:
                // The id the peer there registered with (null: none listed), so the sender can seal a message's key to it
                // before handing the message over (PROTOCOL.md, End-to-end encrypted private messages). No text involved.
                SendTo(link.Id, new IdAnswer(request.Peer, IdOf(request.Peer)));
                break;
            case Ping ping:
                SendTo(link.Id, new Pong(ping.Sequence)); // answered by the runtime unless Transport:EchoPings is off
                break;
            case Pong pong:
                OnCheckAnswer(link, pong, now);
                break;
            case Goodbye:
                CloseConnection(link.Id, "the peer closed its direct link");
                DirectLinkGone(link.Id, "the peer said goodbye", now);
                break;
            default:
                DirectViolation(link, $"a seed's direct link does not carry {message.Type}", now);
                break;
        }
    }

    /// <summary>A connection closed; true when it was a direct link (a reservation it held ends, a check over it fails).</summary>
    private bool OnDirectLinkClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        if (!_directLinks.ContainsKey(connection))
        {
            return false;
        }
        DirectLinkGone(connection, reason, now);
        return true;
    }

    private void DirectLinkGone(ConnectionId connection, string reason, DateTimeOffset now)
    {
        if (!_directLinks.Remove(connection, out var link))
        {
            return;
        }
        if (!_reservations.TryGetValue(link.Listen, out var held) || held != connection)
        {
            return;
        }
        _reservations.Remove(link.Listen);
        Report(new ReservationEnded(now, link.Listen, reason, _reservations.Count));
        if (_reservationChecks.Remove(link.Listen, out var running) && running.Link == connection && _checks.Remove(link.Listen, out var check))
        {
            Confirm(check, $"its reservation link closed ({reason})", now);
        }
    }

    private void DirectViolation(ConnectionInfo link, string reason, DateTimeOffset now)
    {
        _privateThrottle.Violation(Out, link.Id, link.RemoteAddress, reason, now);
        DirectLinkGone(link.Id, reason, now);
    }

    // ---- reservations ----

    private void OnReserve(ConnectionInfo link, DateTimeOffset now)
    {
        var refusal = !_peers.ContainsKey(link.Listen) ? $"the sender {link.Listen} is not a registered peer" : ForgedEndpoint(link);
        if (refusal is not null)
        {
            Report(new RequestRejected(now, MessageType.Reserve, link.Listen, link.RemoteAddress, refusal));
            CloseConnection(link.Id, $"reservation refused: {refusal}", afterFlush: false);
            DirectLinkGone(link.Id, "reservation refused", now);
            return;
        }
        if (_reservations.TryGetValue(link.Listen, out var earlier) && earlier != link.Id)
        {
            _reservations.Remove(link.Listen); // the newer link holds it from now on; the older one closes
            CloseConnection(earlier, "replaced by a newer reservation of the same peer");
            _directLinks.Remove(earlier);
            if (_reservationChecks.Remove(link.Listen) && _checks.Remove(link.Listen, out var check))
            {
                Refute(check, now); // it reserved anew: alive
            }
        }
        _reservations[link.Listen] = link.Id;
        Report(new ReservationAccepted(now, link.Listen, link.RemoteAddress, _reservations.Count));
    }

    // ---- relaying ----

    private void OnRelayRequest(ConnectionInfo link, Protocol.Gossip envelope, DateTimeOffset now)
    {
        if (envelope.Kind != GossipKind.Direct)
        {
            DirectViolation(link, $"a {envelope.Kind} envelope (kind {(byte)envelope.Kind}) on a seed's direct link: a seed relays private messages only", now);
            return;
        }
        if (envelope.Origin != link.Listen)
        {
            DirectViolation(link, $"a private message handed over by {link.Listen} names {envelope.Origin} as its origin", now);
            return;
        }
        var recipient = envelope.Recipient!.Value;
        var id = envelope.Id;
        if (ForgedRelay(link, envelope) is { } forged)
        {
            ForgedRelays++;
            Report(new GossipForged(now, id, envelope.Origin, link.Listen, forged, Violation: true));
            DirectViolation(link, forged, now);
            return;
        }
        if (_reservations.TryGetValue(recipient, out var reservation) && reservation != link.Id)
        {
            SendTo(reservation, envelope with { Hops = envelope.Hops == ushort.MaxValue ? envelope.Hops : (ushort)(envelope.Hops + 1) });
            Remember(id, link.Id, now);
            _privateRelayed++;
            Report(new PrivateRelayed(now, id, link.Listen, recipient));
            return;
        }
        var reason = _peers.ContainsKey(recipient) ? RelayRefusal.NoReservation : RelayRefusal.UnknownRecipient;
        SendTo(link.Id, new RelayRefused(id, reason));
        _privateRefused++;
        if (_privateThrottle.Allow("refused", now, out var heldBack))
        {
            Report(new PrivateRelayRefusedHere(now, id, link.Listen, recipient, reason, heldBack));
        }
    }

    private void OnRelayedAck(ConnectionInfo link, DirectAck ack, DateTimeOffset now)
    {
        if (!_reservations.TryGetValue(link.Listen, out var held) || held != link.Id)
        {
            DirectViolation(link, $"a DirectAck from {link.Listen}, which holds no reservation on this link (a seed takes acknowledgements only from the peers it relays to)", now);
            return;
        }
        if (_relayed.TryGetValue(ack.Id, out var entry) && now < entry.Until && _directLinks.ContainsKey(entry.From))
        {
            var recipientId = IdOf(link.Listen) ?? link.RemoteId; // the id the recipient registered (and reserved) with
            if (!Signing.Check(ack, recipientId))
            {
                ForgedRelays++;
                var reason = $"a DirectAck for [{ack.Id.Short}] that {link.Listen} (id {recipientId.Short}…) did not sign (a forged receipt)";
                Report(new GossipForged(now, ack.Id, link.Listen, link.Listen, reason, Violation: true));
                DirectViolation(link, reason, now);
                return;
            }
            SendTo(entry.From, ack);
            return;
        }
        if (_privateThrottle.Allow("ack", now, out var heldBack))
        {
            Report(new PrivateInputRefused(now, link.RemoteAddress,
                $"{link.Listen} acknowledged [{ack.Id.Short}], which this seed did not relay, no longer remembers, or whose sender is gone (an acknowledgement for nothing)", heldBack));
        }
    }

    /// <summary>
    /// Why a private message handed over for relaying is not its sender's own, or null: the sender is its origin (checked
    /// before), so its origin id must be the id the sender proved, and the id the seed bound to the sender's endpoint when
    /// it registered, if it is listed; and the signature must verify for it. An honest seed checks before it relays, so a
    /// recipient can take what a seed passes on.
    /// </summary>
    private string? ForgedRelay(ConnectionInfo link, Protocol.Gossip envelope)
    {
        if (envelope.OriginId != link.RemoteId)
        {
            return $"a private message handed over by {link.Listen} names id {envelope.OriginId.Short}… as its origin's, but the sender proved id {link.RemoteId.Short}…";
        }
        if (IdOf(link.Listen) is { } registered && registered != link.RemoteId)
        {
            return $"a private message handed over from {link.Listen}, which id {registered.Short}… registered, by id {link.RemoteId.Short}…";
        }
        return Signing.Check(envelope) ? null : $"a private message [{envelope.Id.Short}] handed over by {link.Listen} whose signature does not verify (forged or altered)";
    }

    /// <summary>Remembers which link a relayed message came from (the latest copy counts), within <see cref="MaxRelayed"/>.</summary>
    private void Remember(MessageId id, ConnectionId from, DateTimeOffset now)
    {
        var until = now + RelayMemory;
        if (!_relayed.ContainsKey(id) && _relayed.Count >= MaxRelayed)
        {
            ForgetOldestRelayed(DateTimeOffset.MaxValue);
        }
        _relayed[id] = (from, until);
        _relayedOrder.Enqueue((id, until));
    }

    /// <summary>Forgets relayed messages whose memory ran out by <paramref name="now"/>, or (now = MaxValue) the oldest one.</summary>
    private void ForgetOldestRelayed(DateTimeOffset now)
    {
        while (_relayedOrder.TryPeek(out var oldest) && (now >= oldest.Until || now == DateTimeOffset.MaxValue))
        {
            _relayedOrder.Dequeue();
            if (_relayed.TryGetValue(oldest.Id, out var entry) && entry.Until == oldest.Until)
            {
                _relayed.Remove(oldest.Id);
                if (now == DateTimeOffset.MaxValue)
                {
                    return;
                }
            }
        }
    }

    // ---- checking a reported death over a reservation ----

    /// <summary>A reported peer holds a reservation here: ping it over that link instead of dialling it. False: no reservation.</summary>
    private bool CheckOverReservation(NodeEndpoint peer, DateTimeOffset now)
    {
        if (!_reservations.TryGetValue(peer, out var link))
        {
            return false;
        }
        var sequence = ++_checkSequence;
        _reservationChecks[peer] = new ReservationCheck(link, sequence, now + ReservationCheckTimeout);
        SendTo(link, new Ping(sequence));
        return true;
    }

    private void OnCheckAnswer(ConnectionInfo link, Pong pong, DateTimeOffset now)
    {
        if (_reservationChecks.TryGetValue(link.Listen, out var running) && running.Link == link.Id && running.Sequence == pong.Sequence)
        {
            _reservationChecks.Remove(link.Listen);
            if (_checks.Remove(link.Listen, out var check))
            {
                Refute(check, now);
            }
        }
    }

    private void OnRelayTimer(DateTimeOffset now)
    {
        ForgetOldestRelayed(now);
        if (_reservationChecks.Count == 0)
        {
            return;
        }
        foreach (var (peer, running) in _reservationChecks.Where(c => now >= c.Value.Due).ToArray())
        {
            _reservationChecks.Remove(peer);
            var reason = $"no answer over its reservation within {ReservationCheckTimeout.TotalSeconds:0} s";
            CloseConnection(running.Link, reason, afterFlush: false);
            DirectLinkGone(running.Link, reason, now);
            if (_checks.Remove(peer, out var check))
            {
                Confirm(check, reason, now);
            }
        }
    }

    /// <summary>A reported peer being checked over its reservation: the link, the ping's sequence, and when it has not answered in time.</summary>
    private sealed record ReservationCheck(ConnectionId Link, ulong Sequence, DateTimeOffset Due);
}
