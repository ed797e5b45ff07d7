using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Security;

/// <summary>
/// What the signatures of version 5 sign (PROTOCOL.md, "Identity and signatures"): a domain string, then the message id.
/// Hash, then sign: the id is the SHA-256 of every field of the envelope but hops and the signature (the origin's id
/// included), so signing its 32 bytes signs the message, whatever its length. Each purpose has its own domain string, so
/// no signature can be taken for another: a message's origin signs <c>P2PSim/5 message</c> and the id (48 bytes); a
/// private message's recipient acknowledges it with <c>P2PSim/5 ack</c>, the id and its own id (76 bytes); the handshake
/// signs <c>P2PSim/4 hello</c> (<see cref="Handshake"/>). Pure: building the bytes and checking them, no state.
/// </summary>
public static class MessageSignature
{
    /// <summary>The domain separator in front of a message's id: 16 ASCII bytes.</summary>
    public static ReadOnlySpan<byte> MessageDomain => "P2PSim/5 message"u8;

    /// <summary>The domain separator in front of an acknowledged message's id and the recipient's id: 12 ASCII bytes.</summary>
    public static ReadOnlySpan<byte> AckDomain => "P2PSim/5 ack"u8;

    /// <summary>Bytes a message's origin signs: domain, message id.</summary>
    public const int MessageInputSize = 16 + MessageId.Size;

    /// <summary>Bytes a recipient signs in a <see cref="DirectAck"/>: domain, message id, the recipient's id.</summary>
    public const int AckInputSize = 12 + MessageId.Size + NodeId.Size;

    /// <summary>Writes the <see cref="MessageInputSize"/> bytes the origin of message <paramref name="id"/> signs.</summary>
    public static void WriteMessageInput(Span<byte> destination, MessageId id)
    {
        MessageDomain.CopyTo(destination);
        id.WriteTo(destination[MessageDomain.Length..]);
    }

    /// <summary>Writes the <see cref="AckInputSize"/> bytes <paramref name="recipient"/> signs to acknowledge message <paramref name="id"/>.</summary>
    public static void WriteAckInput(Span<byte> destination, MessageId id, NodeId recipient)
    {
        AckDomain.CopyTo(destination);
        var at = AckDomain.Length + id.WriteTo(destination[AckDomain.Length..]);
        recipient.WriteTo(destination[at..]);
    }

    /// <summary>The origin's signature of <paramref name="id"/>, made with <paramref name="key"/>.</summary>
    public static byte[] SignMessage(NodeKey key, MessageId id)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> input = stackalloc byte[MessageInputSize];
        WriteMessageInput(input, id);
        return key.Sign(input);
    }

    /// <summary>The acknowledgement of message <paramref name="id"/> by the holder of <paramref name="key"/>, its recipient.</summary>
    public static DirectAck Acknowledge(NodeKey key, MessageId id)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> input = stackalloc byte[AckInputSize];
        WriteAckInput(input, id, key.Id);
        return new DirectAck(id, key.Sign(input));
    }

    /// <summary>Whether <paramref name="message"/>'s signature is its origin's (<see cref="Protocol.Gossip.OriginId"/>) over its id: real Ed25519 work every call.</summary>
    public static bool Verifies(Protocol.Gossip message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Span<byte> input = stackalloc byte[MessageInputSize];
        WriteMessageInput(input, message.Id);
        return message.OriginId.Verifies(input, message.Signature);
    }

    /// <summary>Whether <paramref name="ack"/> was signed by <paramref name="recipient"/>: real Ed25519 work every call.</summary>
    public static bool Verifies(DirectAck ack, NodeId recipient)
    {
        ArgumentNullException.ThrowIfNull(ack);
        Span<byte> input = stackalloc byte[AckInputSize];
        WriteAckInput(input, ack.Id, recipient);
        return recipient.Verifies(input, ack.Signature);
    }
}
