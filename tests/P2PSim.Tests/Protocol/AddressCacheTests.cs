using P2PSim.Protocol;

namespace P2PSim.Tests.Protocol;

[TestFixture]
public sealed class AddressCacheTests
{
    [Test]
    public void Decoded_IPv4_endpoints_share_one_address_object_per_address_and_keep_their_value()
    {
        static NodeEndpoint Decode(NodeEndpoint endpoint)
        {
            var frame = FrameCodec.Encode(new DeadNode(endpoint, 1, endpoint));
            FrameCodec.TryRead(frame, ProtocolLimits.DefaultMaxFrameLength, out var message, out _, out _);
            return ((DeadNode)message!).Dead;
        }

        var first = Decode(NodeEndpoint.Loopback(6001));
        var second = Decode(NodeEndpoint.Loopback(6002));
        var other = Decode(new NodeEndpoint(System.Net.IPAddress.Parse("10.1.2.3"), 6001));
        var v6 = Decode(new NodeEndpoint(System.Net.IPAddress.IPv6Loopback, 6001));

        Assert.Multiple(() =>
        {
            Assert.That(first.Address, Is.SameAs(second.Address), "one object for 127.0.0.1");
            Assert.That(first, Is.EqualTo(NodeEndpoint.Loopback(6001)));
            Assert.That(second.Port, Is.EqualTo(6002));
            Assert.That(other.Address.ToString(), Is.EqualTo("10.1.2.3"));
            Assert.That(other.Address, Is.Not.SameAs(first.Address));
            Assert.That(v6.Address, Is.EqualTo(System.Net.IPAddress.IPv6Loopback));
        });
    }
}
