using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Private;

/// <summary>
/// A peer's private messages, one part of <see cref="PeerMachine"/> (PROTOCOL.md, <i>Private messages</i>): it owns every
/// link of purpose <see cref="LinkKind.Direct"/> and nothing else. The sending side (<c>PrivateMessenger.Sending.cs</c>)
/// dials the recipient on demand (or uses a link that is open), waits for the <see cref="DirectAck"/>, retries with
/// backoff and reports a message it could not deliver as undeliverable. The receiving side
/// (<c>PrivateMessenger.Receiving.cs</c>) delivers each message once and acknowledges every copy on the link it came on.
/// A direct link is never an overlay neighbour, and it is closed once it carried nothing for <c>Private:IdleTimeout</c>.
/// Where the recipient cannot be dialled the message goes through a seed (<c>PrivateMessenger.Relay.cs</c>); a peer
/// that cannot be dialled itself holds a reservation with each seed it registered with, over a direct link it keeps
/// open (<c>PrivateMessenger.Reservations.cs</c>). Direct links to seeds are those relay links.
/// Pure: actions go to the node's <see cref="Outbox"/>; every map is bounded.
/// </summary>
internal sealed partial class PrivateMessenger
{
    /// <summary>Most direct links open at once; one more closes the one used least recently.</summary>
    public const int MaxLinks = 256;

    private readonly NodeEndpoint _self;
    private readonly PrivateOptions _options;
    private readonly PeerOptions _peer;
    private readonly Outbox _out;
    private readonly RefusalThrottle _throttle = new();
    private readonly Dictionary<ConnectionId, DirectLink> _links = new();
    private readonly Dictionary<NodeEndpoint, DirectLink> _linkTo = new(); // the open link a message to an endpoint goes on
    private bool _stopping;

    /// <param name="self">This peer's listening endpoint.</param>
    /// <param name="peer">
    /// The peer's settings: the Message List's capacity and time to live bound the ids delivered here; a reservation
    /// link is pinged every liveness interval and dialled again after the retry interval.
    /// </param>
    /// <param name="options">Timeouts and attempts of private messages.</param>
    /// <param name="outbox">The node's outbox.</param>
    /// <param name="seeds">The configured seeds: the relays, tried in turn.</param>
    /// <param name="registeredSeeds">The seeds this peer registered with (tried first; where it holds its reservations).</param>
    /// <param name="dialable">False: this peer cannot be dialled from outside, and holds reservations with its seeds.</param>
    /// <param name="signing">How this peer signs its messages and acknowledgements and checks others'; null: no cryptography (unit tests).</param>
    /// <param name="expectedId">The id the peer knows an endpoint by, if any: a recipient's acknowledgement must be signed by it.</param>
    public PrivateMessenger(NodeEndpoint self, PeerOptions peer, PrivateOptions options, Outbox outbox,
        IReadOnlyList<NodeEndpoint>? seeds = null, Func<IReadOnlyCollection<NodeEndpoint>>? registeredSeeds = null, bool dialable = true,
        MessageSigning? signing = null, Func<NodeEndpoint, NodeId?>? expectedId = null)
    {
        ArgumentNullException.ThrowIfNull(peer);
        _signing = signing ?? MessageSigning.Skip();
        _expectedId = expectedId ?? (_ => null);
        _self = self;
        _peer = peer;
        _options = options;
        _out = outbox;
        _seeds = seeds ?? [];
        _registeredSeeds = registeredSeeds ?? (() => []);
        Dialable = dialable;
        _delivered = new MessageList(peer.MessageListCapacity, peer.MessageListTtl);
        _ttl = peer.MessageListTtl;
    }

    /// <summary>What this part has done so far.</summary>
    public PrivateCounts Counts => new(_sent, _acknowledged, _undeliverable, _pending.Count, _deliveredCount, _duplicates);

    /// <summary>Direct links open now.</summary>
    public int OpenLinks => _links.Count;

    /// <summary>Whether <paramref name="remote"/> has an open direct link with this peer.</summary>
    public bool HasLinkTo(NodeEndpoint remote) => _linkTo.ContainsKey(remote);

    /// <summary>The id the peer at <paramref name="remote"/> proved on an open direct link with this peer; null: no such link.</summary>
    public NodeId? LinkId(NodeEndpoint remote) => _linkTo.TryGetValue(remote, out var link) && link.Role == NodeRole.Peer ? link.RemoteId : null;

    /// <summary>Whether a connection that completed its handshake is this part's: every direct link is.</summary>
    public static bool Takes(ConnectionInfo connection) => connection.Purpose.Kind == LinkKind.Direct;

    /// <summary>Whether <paramref name="connection"/> is one of this part's links (cheap when there are none).</summary>
    public bool Owns(ConnectionId connection) => _links.Count != 0 && _links.ContainsKey(connection);

    /// <summary>When this part next needs the clock: an acknowledgement deadline, or a link that falls idle.</summary>
    public DateTimeOffset? NextDeadline
    {
        get
        {
            if (_pending.Count == 0 && _links.Count == 0 && _reservations.Count == 0)
            {
                return null;
            }
            DateTimeOffset? due = null;
            foreach (var message in _pending.Values)
            {
                due = WakeScheduler.Earliest(due, message.Due);
            }
            foreach (var link in _links.Values)
            {
                if (!link.Reservation)
                {
                    due = WakeScheduler.Earliest(due, link.LastUsed + _options.IdleTimeout);
                }
            }
            return WakeScheduler.Earliest(due, NextReservationDeadline);
        }
    }

    /// <summary>A direct link completed its handshake (<see cref="Takes"/>): dialled by this peer for waiting messages, or by another peer.</summary>
    public void OnConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        if (_stopping)
        {
            _out.Close(connection.Id, "shutting down", afterFlush: false);
            return;
        }
        if (connection.Inbound && connection.Role != NodeRole.Peer)
        {
            _out.Close(connection.Id, "only a peer dials a direct link", afterFlush: false);
            return;
        }
        if (_links.Count >= MaxLinks)
        {
            CloseLeastRecentlyUsed();
        }
        var link = new DirectLink(connection, now);
        _links[connection.Id] = link;
        if (link.Role == NodeRole.Peer)
        {
            Learn(connection.Listen, connection.RemoteId, now); // proved in the handshake: later messages to it are sealed to it, even through a seed
        }
        if (connection.Inbound)
        {
            _linkTo.TryAdd(connection.Listen, link); // the link another peer dialled carries this peer's messages to it too
            return;
        }
        _linkTo[connection.Listen] = link;
        if (_dialing.Remove(connection.Listen, out var waiting))
        {
            foreach (var message in waiting)
            {
                if (message.WaitingFor == connection.Listen && _pending.ContainsKey(message.Id))
                {
                    message.WaitingFor = null;
                    Transmit(message, link, now);
                }
            }
        }
        if (link.Role == NodeRole.Seed)
        {
            OnSeedLinkUp(link, now);
        }
    }

    /// <summary>A frame on one of this part's links (<see cref="Owns"/>).</summary>
    public void OnMessage(ConnectionId connection, Message message, DateTimeOffset now)
    {
        var link = _links[connection];
        link.LastUsed = now;
        switch (message)
        {
            case Protocol.Gossip envelope:
                OnEnvelope(link, envelope, now);
                break;
            case DirectAck ack:
                OnAck(link, ack, now);
                break;
            case Ping ping:
                _out.Send(connection, new Pong(ping.Sequence)); // answered by the runtime unless Transport:EchoPings is off
                break;
            case Pong:
                break;
            case RelayRefused refused:
                OnRelayRefused(link, refused, now);
                break;
            case IdAnswer answer:
                OnIdAnswer(link, answer, now);
                break;
            case Goodbye:
                LinkGone(link, "the remote said goodbye", now);
                _out.Close(connection, "the remote closed the direct link");
                break;
            default:
                Violation(link, $"a direct link does not carry {message.Type}", now);
                break;
        }
    }

    /// <summary>A connection closed; true when it was one of this part's links.</summary>
    public bool OnClosed(ConnectionId connection, string reason, DateTimeOffset now)
    {
        if (!_links.TryGetValue(connection, out var link))
        {
            return false;
        }
        LinkGone(link, reason, now);
        return true;
    }

    /// <summary>Acknowledgement deadlines, idle links, and housekeeping of the ids remembered.</summary>
    public void OnTimer(DateTimeOffset now)
    {
        _delivered.Expire(now);
        ExpireFinished(now);
        ExpireUndialable(now);
        if (_pending.Count > 0)
        {
            CheckDeadlines(now);
        }
        RunReservations(now);
        List<DirectLink>? idle = null;
        foreach (var link in _links.Values)
        {
            if (!link.Reservation && now >= link.LastUsed + _options.IdleTimeout)
            {
                (idle ??= []).Add(link);
            }
        }
        foreach (var link in idle ?? [])
        {
            Forget(link);
            _out.Close(link.Id, $"direct link idle for {_options.IdleTimeout.TotalSeconds:0.###} s (Private:IdleTimeout)");
        }
    }

    /// <summary>The peer leaves: messages still unacknowledged are reported undeliverable, and every direct link closes.</summary>
    public void Stop(DateTimeOffset now)
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        _reservations.Clear();
        foreach (var message in _pending.Values.ToArray())
        {
            GiveUp(message, "this peer is leaving", now);
        }
        _dialing.Clear();
        foreach (var link in _links.Values.ToArray())
        {
            Forget(link);
            _out.Close(link.Id, "shutting down");
        }
    }

    /// <summary>
    /// Sends the message on <paramref name="link"/>, its key sealed to the recipient's id (<c>PrivateMessenger.Encryption.cs</c>):
    /// on the recipient's own link the id it proved there; through a seed the id this peer knows the recipient by, or,
    /// knowing none, the one the seed answers (the message waits for it). Never without a capsule for the recipient.
    /// </summary>
    private void Transmit(Outgoing message, DirectLink link, DateTimeOffset now)
    {
        var recipientId = link.Role == NodeRole.Peer ? link.RemoteId : KnownId(message.Recipient, now);
        if (recipientId is not { } id)
        {
            AskId(message, link);
            return;
        }
        if (SealedFor(message, id) is not { } envelope)
        {
            var problem = $"the recipient's id {id.Short}… is no key a message can be sealed to";
            if (link.Role == NodeRole.Seed)
            {
                NextRelay(message, $"{link.Remote}: {problem}", now);
            }
            else
            {
                message.Problem = problem;
            }
            return;
        }
        _out.Send(link.Id, envelope);
        link.LastUsed = now;
    }

    /// <summary>The link is gone (closed by either end, or about to be closed here): forgotten, and a reservation it held is dialled again later.</summary>
    private void LinkGone(DirectLink link, string reason, DateTimeOffset now)
    {
        Forget(link);
        if (link.Reservation)
        {
            OnReservationLinkGone(link, reason, now);
        }
    }

    /// <summary>The link is gone (closed by either end): another open link to the same remote takes its place, if any.</summary>
    private void Forget(DirectLink link)
    {
        if (!_links.Remove(link.Id))
        {
            return;
        }
        if (_linkTo.TryGetValue(link.Remote, out var current) && current == link)
        {
            _linkTo.Remove(link.Remote);
            foreach (var other in _links.Values)
            {
                if (other.Remote == link.Remote)
                {
                    _linkTo[link.Remote] = other;
                    break;
                }
            }
        }
    }

    private void CloseLeastRecentlyUsed()
    {
        DirectLink? oldest = null;
        foreach (var link in _links.Values)
        {
            if (!link.Reservation && (oldest is null || link.LastUsed < oldest.LastUsed))
            {
                oldest = link;
            }
        }
        if (oldest is not null)
        {
            Forget(oldest);
            _out.Close(oldest.Id, $"more than {MaxLinks} direct links: closing the one used least recently");
        }
    }

    /// <summary>The remote broke the protocol: the link is closed at once; the log line is rate-limited.</summary>
    private void Violation(DirectLink link, string reason, DateTimeOffset now)
    {
        LinkGone(link, reason, now);
        _throttle.Violation(_out, link.Id, link.RemoteAddress, reason, now);
    }

    /// <summary>Input refused without closing the link: one rate-limited line per kind.</summary>
    private void Refuse(string kind, string remote, string reason, DateTimeOffset now)
    {
        if (_throttle.Allow(kind, now, out var heldBack))
        {
            _out.Report(new PrivateInputRefused(now, remote, reason, heldBack));
        }
    }

    /// <summary>One direct link: who is at the other end, and when it last carried a private message or an acknowledgement.</summary>
    private sealed class DirectLink(ConnectionInfo info, DateTimeOffset now)
    {
        public ConnectionId Id { get; } = info.Id;

        public NodeEndpoint Remote { get; } = info.Listen;

        public NodeRole Role { get; } = info.Role;

        /// <summary>The id the remote proved in the handshake.</summary>
        public NodeId RemoteId { get; } = info.RemoteId;

        public string RemoteAddress { get; } = info.RemoteAddress;

        public DateTimeOffset LastUsed { get; set; } = now;

        /// <summary>A link to a seed that holds this peer's reservation: kept open (pinged), never closed for idleness.</summary>
        public bool Reservation { get; set; }

        /// <summary>The recipients whose ids this peer asked the seed at the other end for, and has no answer yet (<see cref="IdRequest"/>).</summary>
        public HashSet<NodeEndpoint> AskedIds { get; } = [];
    }
}

/// <summary>What a peer's private messages came to: sent, acknowledged, undeliverable, still awaiting an acknowledgement; delivered here, and copies delivered before.</summary>
public readonly record struct PrivateCounts(long Sent, long Acknowledged, long Undeliverable, int Pending, long Delivered, long Duplicates);
