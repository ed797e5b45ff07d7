using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Private;

/// <summary>
/// End-to-end encryption (PROTOCOL.md, <i>End-to-end encrypted private messages</i>; <c>Security/PrivateSeal.cs</c>): a
/// message's text is sealed once, when it is created, under a key of its own; each copy sent carries that key in a
/// capsule sealed to the recipient's id. The id comes from the recipient's own direct link (proved in its handshake), or
/// the id this peer knows its endpoint by (<c>expectedId</c>: neighbours, direct links, later peer lists), or one learned
/// earlier (a direct link's proof, a seed's answer; kept for <see cref="LearnedFor"/>); knowing none when a seed must
/// relay the message, the peer asks that seed (<see cref="IdRequest"/>) and the message waits for the answer. The
/// recipient opens it with its key; one that does not open is refused like a forgery.
/// </summary>
internal sealed partial class PrivateMessenger
{
    /// <summary>How long an id learned from a direct link or a seed's answer is used, at most.</summary>
    public static readonly TimeSpan LearnedFor = TimeSpan.FromMinutes(5);

    /// <summary>Most ids learned remembered at once.</summary>
    private const int MaxLearned = 1024;

    private readonly Dictionary<NodeEndpoint, (NodeId Id, DateTimeOffset Until)> _learned = new();
    private long _unopened;

    /// <summary>Private messages that came here and did not open with this peer's key (counted among the forged too).</summary>
    public long Unopened => _unopened;

    /// <summary>The payload of a new message (its text sealed, or on a run that skips the cryptography, in the same size unencrypted) and its key.</summary>
    private (string Payload, byte[]? MessageKey) Seal(NodeEndpoint recipient, ulong sequence, long timestampUnixMs, string text)
    {
        if (_signing.Sealing is not { } sealing)
        {
            return (PrivateSeal.Unsealed(text), null);
        }
        var header = PrivateSeal.Header(_self, _signing.Id, recipient, sequence, timestampUnixMs);
        return PrivateSeal.Seal(sealing.Secret, header, text);
    }

    /// <summary>The envelope of <paramref name="message"/> with its key sealed to <paramref name="recipient"/>; null when that id is no valid key.</summary>
    private Protocol.Gossip? SealedFor(Outgoing message, NodeId recipient)
    {
        if (message.Sealed is { } done && done.For == recipient)
        {
            return done.Envelope;
        }
        Protocol.Gossip envelope;
        if (message.MessageKey is null || _signing.Sealing is not { } sealing)
        {
            envelope = message.Envelope;
        }
        else if (PrivateSeal.Capsule(sealing.Secret, message.MessageKey, _signing.Id, recipient, message.Id) is { } capsule)
        {
            envelope = message.Envelope with { Capsule = capsule };
        }
        else
        {
            return null;
        }
        message.Sealed = (recipient, envelope);
        return envelope;
    }

    /// <summary>The id this peer knows <paramref name="peer"/> by: the hook's (neighbours, direct links, peer lists), else one learned lately.</summary>
    private NodeId? KnownId(NodeEndpoint peer, DateTimeOffset now)
    {
        if (_expectedId(peer) is { } expected)
        {
            return expected;
        }
        return _learned.TryGetValue(peer, out var learned) && now < learned.Until ? learned.Id : null;
    }

    private void Learn(NodeEndpoint peer, NodeId id, DateTimeOffset now)
    {
        if (_learned.Count >= MaxLearned && !_learned.ContainsKey(peer))
        {
            NodeEndpoint? oldest = null;
            var until = DateTimeOffset.MaxValue;
            foreach (var (endpoint, entry) in _learned)
            {
                if (entry.Until < until)
                {
                    (oldest, until) = (endpoint, entry.Until);
                }
            }
            _learned.Remove(oldest!.Value);
        }
        _learned[peer] = (id, now + LearnedFor);
    }

    /// <summary>The seed on <paramref name="link"/> is to relay the message, and this peer knows no id for its recipient: ask the seed, once per recipient.</summary>
    private void AskId(Outgoing message, DirectLink link)
    {
        message.AwaitingIdFrom = link.Remote;
        if (link.AskedIds.Add(message.Recipient))
        {
            _out.Send(link.Id, new IdRequest(message.Recipient));
        }
    }

    /// <summary>A seed answered which id a recipient registered with: the messages waiting for it are sealed to it and handed over, or (unknown there) go to the next seed.</summary>
    private void OnIdAnswer(DirectLink link, IdAnswer answer, DateTimeOffset now)
    {
        if (link.Role != NodeRole.Seed)
        {
            Violation(link, "an IdAnswer from a peer (only a seed answers which id a peer registered with)", now);
            return;
        }
        if (!link.AskedIds.Remove(answer.Peer))
        {
            Refuse("id", link.RemoteAddress, $"seed {link.Remote} answered the id of {answer.Peer}, which this peer did not ask it for", now);
            return;
        }
        if (answer.Id is { } id)
        {
            Learn(answer.Peer, id, now);
        }
        List<Outgoing>? waiting = null;
        foreach (var message in _pending.Values)
        {
            if (message.AwaitingIdFrom == link.Remote && message.Via == link.Remote && message.Recipient == answer.Peer)
            {
                (waiting ??= []).Add(message);
            }
        }
        foreach (var message in waiting ?? [])
        {
            message.AwaitingIdFrom = null;
            if (answer.Id is null)
            {
                NextRelay(message, $"{link.Remote}: the recipient is unknown there", now);
            }
            else
            {
                Transmit(message, link, now);
            }
        }
    }

    /// <summary>The text of a private message new here, opened with this peer's key (or, skipping the cryptography, read as it is); null: it does not open.</summary>
    private string? Open(Protocol.Gossip envelope) =>
        _signing.Sealing is { } sealing ? PrivateSeal.Open(sealing, envelope) : PrivateSeal.ReadUnsealed(envelope.Text);
}
