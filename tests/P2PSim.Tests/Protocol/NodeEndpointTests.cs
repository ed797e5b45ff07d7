using System.Net;
using P2PSim.Protocol;

namespace P2PSim.Tests.Protocol;

public class NodeEndpointTests
{
    [TestCase("127.0.0.1:5000", "127.0.0.1", 5000)]
    [TestCase(" 10.1.2.3:65535 ", "10.1.2.3", 65535)]
    [TestCase("[::1]:6000", "::1", 6000)]
    [TestCase("[2001:db8::17]:1", "2001:db8::17", 1)]
    public void TryParse_reads_address_and_port(string text, string address, int port)
    {
        var ok = NodeEndpoint.TryParse(text, out var endpoint);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ok, Is.True);
            Assert.That(endpoint, Is.EqualTo(new NodeEndpoint(IPAddress.Parse(address), port)));
        }
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   ")]
    [TestCase("127.0.0.1")]
    [TestCase("127.0.0.1:0")]
    [TestCase("127.0.0.1:65536")]
    [TestCase("127.0.0.1:-1")]
    [TestCase("localhost:5000")]
    [TestCase("127.0.0.1:port")]
    [TestCase("[::1]:0")]
    public void TryParse_rejects_what_is_not_a_listening_endpoint(string? text)
    {
        var ok = NodeEndpoint.TryParse(text, out var endpoint);

        Assert.That((ok, endpoint), Is.EqualTo((false, (NodeEndpoint?)null)));
    }

    [Test]
    public void ToString_writes_ipv4_plainly_and_ipv6_in_brackets()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(NodeEndpoint.Loopback(5000).ToString(), Is.EqualTo("127.0.0.1:5000"));
            Assert.That(new NodeEndpoint(IPAddress.IPv6Loopback, 6000).ToString(), Is.EqualTo("[::1]:6000"));
        }
    }

    [TestCase("127.0.0.1:5000")]
    [TestCase("[2001:db8::17]:6000")]
    public void ToString_and_TryParse_round_trip(string text)
    {
        var ok = NodeEndpoint.TryParse(text, out var endpoint);

        Assert.That((ok, endpoint?.ToString()), Is.EqualTo((true, text)));
    }

    [Test]
    public void IPEndPoint_conversions_round_trip()
    {
        var endpoint = new NodeEndpoint(IPAddress.Parse("192.168.7.9"), 4242);

        var ip = endpoint.ToIPEndPoint();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ip, Is.EqualTo(new IPEndPoint(IPAddress.Parse("192.168.7.9"), 4242)));
            Assert.That(NodeEndpoint.From(ip), Is.EqualTo(endpoint));
        }
    }

    [Test]
    public void Endpoints_with_equal_values_are_equal_keys()
    {
        var a = new NodeEndpoint(new IPAddress(new byte[] { 127, 0, 0, 1 }), 5000);
        var b = NodeEndpoint.Loopback(5000);
        var set = new HashSet<NodeEndpoint> { a };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(a, Is.EqualTo(b));
            Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
            Assert.That(set, Does.Contain(b));
            Assert.That(NodeEndpoint.Loopback(5001), Is.Not.EqualTo(b));
        }
    }

    [Test]
    public void Compare_orders_by_address_then_port()
    {
        var low = NodeEndpoint.Loopback(5000);
        var high = NodeEndpoint.Loopback(5001);
        var otherAddress = new NodeEndpoint(IPAddress.Parse("127.0.0.2"), 1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(NodeEndpoint.Compare(low, high), Is.Negative);
            Assert.That(NodeEndpoint.Compare(high, low), Is.Positive);
            Assert.That(NodeEndpoint.Compare(low, NodeEndpoint.Loopback(5000)), Is.Zero);
            Assert.That(NodeEndpoint.Compare(high, otherAddress), Is.Negative);
            Assert.That(NodeEndpoint.Compare(otherAddress, low), Is.Positive);
        }
    }

    [Test]
    public void Compare_is_a_total_order_both_ends_agree_on()
    {
        NodeEndpoint[] endpoints =
        [
            NodeEndpoint.Loopback(9), NodeEndpoint.Loopback(10), NodeEndpoint.Loopback(5000),
            new(IPAddress.Parse("127.0.0.10"), 1), new(IPAddress.Parse("10.0.0.1"), 80),
            new(IPAddress.IPv6Loopback, 5000), new(IPAddress.Parse("2001:db8::1"), 7),
        ];

        foreach (var a in endpoints)
        {
            foreach (var b in endpoints)
            {
                var ab = NodeEndpoint.Compare(a, b);
                var ba = NodeEndpoint.Compare(b, a);
                Assert.That(Math.Sign(ab), Is.EqualTo(-Math.Sign(ba)), $"{a} vs {b}");
                Assert.That(ab == 0, Is.EqualTo(a == b), $"{a} vs {b}");
            }
        }
        var sorted = endpoints.Order(Comparer<NodeEndpoint>.Create(NodeEndpoint.Compare)).ToArray();
        var sortedReversed = endpoints.Reverse().Order(Comparer<NodeEndpoint>.Create(NodeEndpoint.Compare)).ToArray();
        Assert.That(sortedReversed, Is.EqualTo(sorted));
    }
}
