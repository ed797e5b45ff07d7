using P2PSim.Gossip;

namespace P2PSim.Tests.TestSupport;

/// <summary>Gossip messages for tests, made from their text alone.</summary>
public static class TestGossip
{
    /// <summary>A gossip message with <paramref name="text"/>, <paramref name="hops"/> links out.</summary>
    public static P2PSim.Protocol.Gossip Of(string text, ushort hops = 1) => new(text, hops);

    /// <summary>The id of <see cref="Of"/>(<paramref name="text"/>): also a handy distinct id for any string.</summary>
    public static MessageId IdOf(string text) => Of(text).Id;
}
