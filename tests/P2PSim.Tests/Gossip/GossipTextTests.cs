using System.Net;
using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Tests.Gossip;

public class GossipTextTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);

    [Test]
    public void Create_writes_unix_milliseconds_ip_port_and_number()
    {
        Assert.That(GossipText.Create(Now, NodeEndpoint.Loopback(5001), 7), Is.EqualTo("1700000000123:127.0.0.1:5001:7"));
    }

    [Test]
    public void Create_writes_ipv6_without_brackets()
    {
        var origin = new NodeEndpoint(IPAddress.Parse("2001:db8::17"), 6000);

        Assert.That(GossipText.Create(Now, origin, 10), Is.EqualTo("1700000000123:2001:db8::17:6000:10"));
    }

    [TestCase("127.0.0.1", 5001, 1)]
    [TestCase("10.20.30.40", 65535, 2_147_483_647)]
    [TestCase("::1", 6000, 3)]
    [TestCase("2001:db8::17", 1, 0)]
    [TestCase("fe80::1:2:3:4", 4242, 99)]
    public void Create_and_TryParse_round_trip(string address, int port, int number)
    {
        var origin = new NodeEndpoint(IPAddress.Parse(address), port);
        var text = GossipText.Create(Now, origin, number);

        var ok = GossipText.TryParse(text, out var timestamp, out var parsedOrigin, out var parsedNumber);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ok, Is.True, text);
            Assert.That(timestamp, Is.EqualTo(Now));
            Assert.That(parsedOrigin, Is.EqualTo(origin));
            Assert.That(parsedNumber, Is.EqualTo(number));
        }
    }

    [Test]
    public void TryParse_reads_the_epoch()
    {
        var ok = GossipText.TryParse("0:127.0.0.1:80:5", out var timestamp, out var origin, out var number);

        Assert.That((ok, timestamp, origin, number), Is.EqualTo((true, DateTimeOffset.UnixEpoch, NodeEndpoint.Loopback(80), 5)));
    }

    [TestCase("")]
    [TestCase("hello")]
    [TestCase("1:2:3")]
    [TestCase(":127.0.0.1:5001:1")]
    [TestCase("x:127.0.0.1:5001:1")]
    [TestCase("-5:127.0.0.1:5001:1")]
    [TestCase("+5:127.0.0.1:5001:1")]
    [TestCase(" 5:127.0.0.1:5001:1")]
    [TestCase("1700000000123::5001:1")]
    [TestCase("1700000000123:not-an-ip:5001:1")]
    [TestCase("1700000000123:127.0.0.1:0:1")]
    [TestCase("1700000000123:127.0.0.1:65536:1")]
    [TestCase("1700000000123:127.0.0.1::1")]
    [TestCase("1700000000123:127.0.0.1:5001:")]
    [TestCase("1700000000123:127.0.0.1:5001:-1")]
    [TestCase("1700000000123:127.0.0.1:5001:1 ")]
    [TestCase("1700000000123:127.0.0.1:5001:99999999999")]
    [TestCase("99999999999999999:127.0.0.1:5001:1")]
    [TestCase("99999999999999999999999:127.0.0.1:5001:1")]
    public void TryParse_rejects_malformed_text(string text)
    {
        var ok = GossipText.TryParse(text, out var timestamp, out var origin, out var number);

        Assert.That((ok, timestamp, origin, number), Is.EqualTo((false, default(DateTimeOffset), default(NodeEndpoint), 0)));
    }
}
