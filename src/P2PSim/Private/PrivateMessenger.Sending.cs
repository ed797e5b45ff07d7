using System.Text;
using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Private;

/// <summary>
/// Sending: each message is tried up to <c>Private:Attempts</c> times. An attempt sends the envelope over an open direct
/// link to the recipient, or dials one (the message waits for the dial), and waits for the acknowledgement:
/// <c>Private:AckTimeout</c> for the first attempt, twice as long for each further one. No acknowledgement after the
/// last: the message is reported undeliverable, never dropped silently.
/// </summary>
internal sealed partial class PrivateMessenger
{
    /// <summary>Most messages awaiting an acknowledgement at once; a send beyond it is refused.</summary>
    public const int MaxPending = 10_000;

    /// <summary>Most ids of finished messages remembered (to tell a late acknowledgement from one for nothing).</summary>
    private const int FinishedCapacity = 4096;

    /// <summary>How long the id of a finished message is remembered, at most.</summary>
    private static readonly TimeSpan FinishedFor = TimeSpan.FromMinutes(5);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Dictionary<MessageId, Outgoing> _pending = new();
    private readonly Dictionary<NodeEndpoint, List<Outgoing>> _dialing = new(); // direct dials under way, with the messages waiting for them
    private readonly HashSet<MessageId> _finished = new();
    private readonly Queue<(MessageId Id, DateTimeOffset Until)> _finishedOrder = new();
    private ulong _sequence;
    private long _sent;
    private long _acknowledged;
    private long _undeliverable;

    /// <summary>
    /// Sends a private message with <paramref name="text"/> to <paramref name="recipient"/>; returns its id. Throws
    /// <see cref="ArgumentException"/> for a message that cannot be sent (to this peer itself, a text too long or not
    /// valid Unicode) and <see cref="InvalidOperationException"/> while the peer leaves or when <see cref="MaxPending"/>
    /// messages await their acknowledgement.
    /// </summary>
    public MessageId Send(NodeEndpoint recipient, string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_stopping)
        {
            throw new InvalidOperationException("This peer is leaving; it sends no more private messages.");
        }
        if (recipient == _self)
        {
            throw new ArgumentException($"A peer does not send private messages to itself ({recipient})."); // said as it is, on the console too
        }
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(text);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException("The text is not valid Unicode.");
        }
        if (bytes > PrivateSeal.MaxTextBytes)
        {
            throw new ArgumentException($"The text has {bytes} UTF-8 bytes; a private message carries at most {PrivateSeal.MaxTextBytes} (encrypted, in base64, that fills a message's {ProtocolLimits.MaxPayloadBytes}-byte payload).");
        }
        if (_pending.Count >= MaxPending)
        {
            throw new InvalidOperationException($"{MaxPending} private messages of this peer await their acknowledgement already; try again later.");
        }
        var (payload, messageKey) = Seal(recipient, ++_sequence, now.ToUnixTimeMilliseconds(), text);
        var envelope = new Protocol.Gossip(GossipKind.Direct, _self, _sequence, now.ToUnixTimeMilliseconds(), Hops: 1, payload) { OriginId = _signing.Id, Recipient = recipient };
        envelope = envelope with { Signature = _signing.Sign(envelope.Id) }; // signed once; every attempt sends this copy, with a capsule for the recipient's id
        var message = new Outgoing(envelope, now, messageKey);
        _pending[message.Id] = message;
        _sent++;
        _out.Report(new PrivateSent(now, message.Id, recipient, text));
        StartAttempt(message, now);
        return message.Id;
    }

    /// <summary>
    /// A dial for a direct link failed. To a recipient: it counts as not dialable for a while, and the messages waiting
    /// for it go to a seed to be relayed. To a seed: the messages waiting for it try the next seed, and a reservation
    /// there is tried again later.
    /// </summary>
    public void OnDialFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
        var toSeed = IsSeed(target);
        var why = $"cannot dial it ({reason})";
        if (toSeed)
        {
            OnReservationDialFailed(target, reason, now);
        }
        else
        {
            MarkUndialable(target, why, now);
        }
        if (!_dialing.Remove(target, out var waiting))
        {
            return;
        }
        foreach (var message in waiting)
        {
            if (message.WaitingFor == target && _pending.ContainsKey(message.Id))
            {
                message.WaitingFor = null;
                if (toSeed)
                {
                    NextRelay(message, $"{target}: cannot be reached ({reason})", now);
                }
                else
                {
                    Relay(message, why, now);
                }
            }
        }
    }

    /// <summary>How long attempt <paramref name="attempt"/> (from 1) waits for its acknowledgement: AckTimeout, doubled for each attempt before it.</summary>
    public TimeSpan WaitFor(int attempt) => _options.AckTimeout * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));

    private void StartAttempt(Outgoing message, DateTimeOffset now)
    {
        message.Attempt++;
        message.Due = now + WaitFor(message.Attempt);
        message.Problem = null;
        message.WaitingFor = null;
        message.Via = null;
        message.AwaitingIdFrom = null;
        if (_linkTo.TryGetValue(message.Recipient, out var link))
        {
            Transmit(message, link, now);
            return;
        }
        if (UndialableReason(message.Recipient, now) is { } reason)
        {
            Relay(message, reason, now);
            return;
        }
        WaitForDial(message, message.Recipient);
    }

    /// <summary>The message goes once a direct link to <paramref name="target"/> is up; the link is dialled unless a dial is under way.</summary>
    private void WaitForDial(Outgoing message, NodeEndpoint target)
    {
        message.WaitingFor = target;
        var waiting = EnsureDial(target);
        if (!waiting.Contains(message))
        {
            waiting.Add(message);
        }
    }

    /// <summary>Dials a direct link to <paramref name="target"/> unless a dial is under way; returns the messages waiting for it.</summary>
    private List<Outgoing> EnsureDial(NodeEndpoint target)
    {
        if (!_dialing.TryGetValue(target, out var waiting))
        {
            waiting = [];
            _dialing[target] = waiting;
            _out.Dial(target, LinkPurpose.Direct);
        }
        return waiting;
    }

    private void OnAck(DirectLink link, DirectAck ack, DateTimeOffset now)
    {
        var id = ack.Id;
        if (_pending.TryGetValue(id, out var message))
        {
            if (link.Role == NodeRole.Peer && link.Remote != message.Recipient)
            {
                Violation(link, $"a DirectAck from {link.Remote} for private message [{id.Short}], which is for {message.Recipient}", now);
                return;
            }
            if (!AuthenticAck(link, ack, message.Recipient, now))
            {
                // Not the recipient's receipt: the message stays unacknowledged (a retry follows). From the recipient's own
                // link it is a violation; from a seed it is refused (reported as forged) and the link stays.
                if (link.Role == NodeRole.Peer)
                {
                    Violation(link, $"a DirectAck for private message [{id.Short}] that {link.Remote} did not sign (a forged receipt)", now);
                }
                return;
            }
            _pending.Remove(id);
            Finish(id, now);
            _acknowledged++;
            NodeEndpoint? relayedBy = link.Role == NodeRole.Seed ? link.Remote : null;
            _out.Report(new PrivateAcknowledged(now, id, message.Recipient, message.Attempt, relayedBy, now - message.SentAt));
            return;
        }
        if (_finished.Contains(id))
        {
            return; // the acknowledgement of another copy (a retry): the message was finished already
        }
        if (link.Role == NodeRole.Peer)
        {
            Violation(link, $"a DirectAck for [{id.Short}], which this peer did not send (an acknowledgement for nothing)", now);
            return;
        }
        Refuse("ack", link.RemoteAddress, $"seed {link.Remote} relayed a DirectAck for [{id.Short}], which this peer did not send or no longer remembers (an acknowledgement for nothing)", now);
    }

    /// <summary>Messages whose acknowledgement is overdue: the next attempt, or undeliverable after the last.</summary>
    private void CheckDeadlines(DateTimeOffset now)
    {
        List<Outgoing>? overdue = null;
        foreach (var message in _pending.Values)
        {
            if (now >= message.Due)
            {
                (overdue ??= []).Add(message);
            }
        }
        foreach (var message in overdue ?? [])
        {
            var reason = message.Problem ?? $"no acknowledgement within {WaitFor(message.Attempt).TotalSeconds:0.###} s";
            if (message.Attempt >= _options.Attempts)
            {
                GiveUp(message, $"no acknowledgement after {message.Attempt} attempts (last: {reason})", now);
                continue;
            }
            StartAttempt(message, now);
            _out.Report(new PrivateRetrying(now, message.Id, message.Recipient, message.Attempt, _options.Attempts, reason, WaitFor(message.Attempt)));
        }
    }

    private void GiveUp(Outgoing message, string reason, DateTimeOffset now)
    {
        _pending.Remove(message.Id);
        message.WaitingFor = null;
        Finish(message.Id, now);
        _undeliverable++;
        _out.Report(new PrivateUndeliverable(now, message.Id, message.Recipient, message.Attempt, reason));
    }

    /// <summary>Remembers a finished message's id for a while, so a late acknowledgement of another copy is no surprise.</summary>
    private void Finish(MessageId id, DateTimeOffset now)
    {
        if (_finishedOrder.Count >= FinishedCapacity && _finishedOrder.TryDequeue(out var oldest))
        {
            _finished.Remove(oldest.Id);
        }
        if (_finished.Add(id))
        {
            _finishedOrder.Enqueue((id, now + FinishedFor));
        }
    }

    private void ExpireFinished(DateTimeOffset now)
    {
        while (_finishedOrder.TryPeek(out var oldest) && now >= oldest.Until)
        {
            _finishedOrder.Dequeue();
            _finished.Remove(oldest.Id);
        }
    }

    /// <summary>One message awaiting its acknowledgement.</summary>
    private sealed class Outgoing(Protocol.Gossip envelope, DateTimeOffset sentAt, byte[]? messageKey)
    {
        /// <summary>The signed envelope, its capsule unsealed: what each attempt sends, with a capsule for the recipient's id.</summary>
        public Protocol.Gossip Envelope { get; } = envelope;

        /// <summary>The key the text is sealed under (null: not encrypted, a simulated run that skips the cryptography).</summary>
        public byte[]? MessageKey { get; } = messageKey;

        /// <summary>The envelope last sent, and the recipient id its capsule was sealed to.</summary>
        public (NodeId For, Protocol.Gossip Envelope)? Sealed { get; set; }

        /// <summary>The seed asked for the recipient's id (<see cref="IdRequest"/>) in the attempt under way; null: none.</summary>
        public NodeEndpoint? AwaitingIdFrom { get; set; }

        public MessageId Id { get; } = envelope.Id;

        public NodeEndpoint Recipient { get; } = envelope.Recipient!.Value;

        /// <summary>When its first attempt started.</summary>
        public DateTimeOffset SentAt { get; } = sentAt;

        /// <summary>The attempt under way (from 1).</summary>
        public int Attempt { get; set; }

        /// <summary>When the attempt under way has waited long enough for its acknowledgement.</summary>
        public DateTimeOffset Due { get; set; }

        /// <summary>The endpoint whose dial the message waits for (null: it is on its way, or stuck until <see cref="Due"/>).</summary>
        public NodeEndpoint? WaitingFor { get; set; }

        /// <summary>What went wrong in the attempt under way, for the retry or undeliverable line; null: nothing known.</summary>
        public string? Problem { get; set; }

        /// <summary>The seed relaying the attempt under way (null: direct, or no seed took it).</summary>
        public NodeEndpoint? Via { get; set; }

        /// <summary>The relay of the attempt under way: why the recipient was not dialled, the seeds in the order they are tried, the next one, and the refusals so far.</summary>
        public RelayRoute? Relay { get; set; }
    }
}
