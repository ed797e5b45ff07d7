using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.TestSupport;

/// <summary>Private messages as a sender makes them (PROTOCOL.md, <i>End-to-end encrypted private messages</i>): the text sealed, signed, the key sealed to the recipient's id.</summary>
internal static class SealedEnvelopes
{
    /// <summary>
    /// A private message from <paramref name="sender"/> at <paramref name="origin"/> to <paramref name="recipientId"/> at
    /// <paramref name="recipient"/>: its text sealed, signed by <paramref name="signer"/> (the sender unless told), its
    /// capsule sealed to <paramref name="sealTo"/> (the recipient's id unless told).
    /// </summary>
    public static GossipMessage Make(NodeKey sender, NodeEndpoint origin, NodeEndpoint recipient, NodeId recipientId, DateTimeOffset at, string text,
        ulong sequence = 1, NodeKey? signer = null, NodeId? sealTo = null)
    {
        using var sealing = new SealingKey(sender);
        var timestamp = at.ToUnixTimeMilliseconds();
        var (payload, messageKey) = PrivateSeal.Seal(sealing.Secret, PrivateSeal.Header(origin, sender.Id, recipient, sequence, timestamp), text);
        var envelope = new GossipMessage(GossipKind.Direct, origin, sequence, timestamp, 1, payload) { OriginId = sender.Id, Recipient = recipient };
        envelope = envelope with { Signature = MessageSignature.SignMessage(signer ?? sender, envelope.Id) };
        var capsule = PrivateSeal.Capsule(sealing.Secret, messageKey, sender.Id, sealTo ?? recipientId, envelope.Id)
            ?? throw new ArgumentException("The recipient's id is no key a message can be sealed to.", nameof(recipientId));
        return envelope with { Capsule = capsule };
    }
}
