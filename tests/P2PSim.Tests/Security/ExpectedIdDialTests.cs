using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Transport;
using P2PSim.Transport;

namespace P2PSim.Tests.Security;

/// <summary>
/// A dial that expects an id (protocol version 6: the id a neighbour proved, or a seed listed) on real loopback sockets:
/// the node there must give that id, or the link is refused before the dialer proves its own, the acceptor's node never
/// has it, and the dial fails naming both ids.
/// </summary>
public class ExpectedIdDialTests
{
    private static IEnumerable<TestCaseData> Links()
    {
        yield return new TestCaseData("plain").SetName("{m}(plain)");
        yield return new TestCaseData("tls").SetName("{m}(tls)");
        yield return new TestCaseData("noise").SetName("{m}(noise)");
    }

    /// <summary>A node on plain links, or on TLS or Noise links with a key of its own (for its lifetime: its proofs are signed with it).</summary>
    private static TestTransport StartNode(string links) => links switch
    {
        "tls" => TestTransport.Start(tls: TlsLinks.Create(NodeKey.Generate(), TimeProvider.System)),
        "noise" => TestTransport.Start(noise: NoiseLinks.Create(NodeKey.Generate(), TimeProvider.System)),
        _ => TestTransport.Start(),
    };

    [TestCaseSource(nameof(Links))]
    [CancelAfter(30_000)]
    public async Task A_node_that_gives_another_id_than_expected_is_refused_and_the_dial_fails_naming_both(string links, CancellationToken ct)
    {
        await using var dialer = StartNode(links);
        await using var other = StartNode(links);
        using var expected = NodeKey.Generate();

        dialer.Transport.Dial(other.Endpoint, LinkPurpose.Overlay, expected.Id);

        var failed = await dialer.Handler.NextAsync<TransportEvent.DialFailed>(ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed.Target, Is.EqualTo(other.Endpoint));
            Assert.That(failed.Reason, Is.EqualTo($"the node at {other.Endpoint} gave id {other.Transport.Key.Id.Short}…, not the expected {expected.Id.Short}…"));
            Assert.That(dialer.Transport.DialsMetOtherId, Is.EqualTo(1), "counted");
            Assert.That(dialer.Handler.All.OfType<TransportEvent.Connected>(), Is.Empty, "the dialer's node never had the link");
            Assert.That(other.Handler.All.OfType<TransportEvent.Connected>(), Is.Empty, "nor the other side's: the dialer never proved its own id");
            Assert.That(other.Log.Warnings, Is.Empty, "nor a warning there: an honest node with a new key at the endpoint is no attack");
            Assert.That(other.Transport.RejectedInputs, Is.Zero, "nor a rejected input counted");
        }
    }

    [TestCaseSource(nameof(Links))]
    [CancelAfter(30_000)]
    public async Task A_node_that_gives_the_expected_id_is_linked(string links, CancellationToken ct)
    {
        await using var dialer = StartNode(links);
        await using var other = StartNode(links);

        dialer.Transport.Dial(other.Endpoint, LinkPurpose.Overlay, other.Transport.Key.Id);

        var connected = await dialer.Handler.NextAsync<TransportEvent.Connected>(ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(connected.Info.RemoteId, Is.EqualTo(other.Transport.Key.Id));
            Assert.That(dialer.Transport.DialsMetOtherId, Is.Zero);
        }
    }
}
