using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Nodes;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Hosting;

/// <summary>
/// An input fed to a node's loop (<see cref="NodeService.PublishAsync"/>, <c>InspectAsync</c>) completes once what it
/// made the node report has been reported: an experiment that publishes its last message and then reads its recorder
/// must find the origination there. It once did not (AttackWorkloadTests, 1 run in a full suite): the recorder had every
/// earlier message delivered, the drain ended at once, and the report said the last message reached no peer.
/// </summary>
[TestFixture]
public sealed class NodeInputOrderTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task A_published_message_is_reported_before_the_publish_completes(CancellationToken ct)
    {
        var observer = new SlowOriginations();
        await using var network = await TestNetwork.StartAsync(1, 2, new Dictionary<string, string?> { ["Peer:MessagesPerPeer"] = "0", ["Logs:WriteFiles"] = "false" },
            (services, _) => services.AddSingleton<INodeEventObserver>(observer), ct);
        var peer = network.Peers[0];

        for (var i = 0; i < 3; i++)
        {
            var id = await peer.PublishAsync(ct);
            Assert.That(observer.Originated, Does.Contain(id), $"message {i + 1}: its origination was reported by the time the publish completed");
        }
    }

    /// <summary>
    /// Records the originations it is told of, slowly (as the experiment recorder's lock is, under load): a caller that
    /// hears of its publish before the report is made then finds nothing here.
    /// </summary>
    private sealed class SlowOriginations : INodeEventObserver
    {
        private readonly ConcurrentQueue<MessageId> _originated = new();

        public IReadOnlyCollection<MessageId> Originated => _originated;

        public void OnNodeEvent(NodeService node, NodeEvent nodeEvent)
        {
            if (nodeEvent is GossipOriginated originated)
            {
                Thread.Sleep(200); // on the node's loop, between the publish and its report: the window the caller must not see
                _originated.Enqueue(originated.Id);
            }
        }
    }
}
