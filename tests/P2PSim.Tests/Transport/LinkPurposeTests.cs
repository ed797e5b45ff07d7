using System.Net;
using System.Net.Sockets;
using P2PSim.Protocol;

namespace P2PSim.Tests.Transport;

/// <summary>A dial says what the link is for; both ends learn it from the Hellos, and a failed dial reports it back.</summary>
public class LinkPurposeTests
{
    [TestCase("blue")]
    [TestCase(null)]
    [CancelAfter(30_000)]
    public async Task Both_ends_of_a_link_learn_its_purpose_from_the_hellos_and_frames_flow(string? group, CancellationToken ct)
    {
        var purpose = group is null ? LinkPurpose.Direct : LinkPurpose.ForGroup(group);
        await using var a = TestTransport.Start();
        await using var b = TestTransport.Start();

        a.Transport.Dial(b.Endpoint, purpose);
        var atA = await a.Handler.NextAsync<TransportEvent.Connected>(ct);
        var atB = await b.Handler.NextAsync<TransportEvent.Connected>(ct);
        a.Transport.Send(atA.Info.Id, new Ping(42));
        var pong = await a.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Message is Pong);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(atA.Info.Purpose, Is.EqualTo(purpose), "the dialer");
            Assert.That(atB.Info.Purpose, Is.EqualTo(purpose), "the acceptor");
            Assert.That(atB.Info.Listen, Is.EqualTo(a.Endpoint));
            Assert.That(pong.Message, Is.EqualTo(new Pong(42)));
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task An_overlay_dial_and_a_group_dial_to_the_same_node_are_two_links(CancellationToken ct)
    {
        await using var a = TestTransport.Start();
        await using var b = TestTransport.Start();

        a.Transport.Dial(b.Endpoint);
        a.Transport.Dial(b.Endpoint, LinkPurpose.ForGroup("red"));
        await TransportWait.UntilAsync(() => b.Handler.All.OfType<TransportEvent.Connected>().Count() == 2, "two links at the acceptor", ct);

        var purposes = b.Handler.All.OfType<TransportEvent.Connected>().Select(c => c.Info.Purpose).ToHashSet();
        Assert.That(purposes, Is.EquivalentTo(new[] { LinkPurpose.Overlay, LinkPurpose.ForGroup("red") }));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_failed_dial_for_a_group_is_reported_with_its_purpose(CancellationToken ct)
    {
        await using var a = TestTransport.Start();
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var nobody = NodeEndpoint.From((IPEndPoint)closed.LocalEndpoint);
        closed.Stop(); // nothing listens there now: the dial is refused

        a.Transport.Dial(nobody, LinkPurpose.ForGroup("blue"));
        var failed = await a.Handler.NextAsync<TransportEvent.DialFailed>(ct);

        Assert.That((failed.Target, failed.Purpose), Is.EqualTo((nobody, LinkPurpose.ForGroup("blue"))));
    }
}
