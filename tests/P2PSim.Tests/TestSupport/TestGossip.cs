using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Tests.TestSupport;

/// <summary>Gossip messages for tests, made from their text alone (unsigned, origin id 0), or signed by a key.</summary>
public static class TestGossip
{
    /// <summary>The origin of a message whose text is not a demo text.</summary>
    public static readonly NodeEndpoint SomeOrigin = NodeEndpoint.Loopback(9);

    /// <summary>
    /// A plain gossip with <paramref name="text"/> as its payload. A demo text
    /// (<c>&lt;timestamp&gt;:&lt;ip&gt;:&lt;port&gt;:&lt;msg#&gt;</c>) gets the envelope a peer gives its own
    /// message: origin, sequence and timestamp from the text, so it equals what that peer sends. Any other text comes
    /// from <see cref="SomeOrigin"/>, sequence 1, timestamp 0 (so two texts still make two messages).
    /// </summary>
    public static P2PSim.Protocol.Gossip Of(string text, ushort hops = 1) =>
        GossipText.TryParse(text, out var timestamp, out var origin, out var number) && number > 0
            ? new(GossipKind.Gossip, origin, (ulong)number, timestamp.ToUnixTimeMilliseconds(), hops, text)
            : new(GossipKind.Gossip, SomeOrigin, 1, 0, hops, text);

    /// <summary>
    /// <see cref="Of"/>(<paramref name="text"/>, <paramref name="hops"/>) as the holder of <paramref name="key"/> sends it: its
    /// origin id is the key's, and it is signed (protocol version 5: a node on a network takes no other).
    /// </summary>
    public static P2PSim.Protocol.Gossip SignedBy(NodeKey key, string text, ushort hops = 1)
    {
        var message = Of(text, hops) with { OriginId = key.Id };
        return message with { Signature = MessageSignature.SignMessage(key, message.Id) };
    }

    /// <summary>The id of <see cref="Of"/>(<paramref name="text"/>): also a handy distinct id for any string.</summary>
    public static MessageId IdOf(string text) => Of(text).Id;
}
