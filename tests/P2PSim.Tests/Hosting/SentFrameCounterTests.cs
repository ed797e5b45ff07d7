using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Hosting;

[TestFixture]
public sealed class SentFrameCounterTests
{
    [Test]
    public void Counts_every_gossip_frame_handed_over_with_its_bytes_and_the_tree_control_per_type()
    {
        var counter = new SentFrameCounter();
        var broadcast = TestGossip.Of("to every neighbour");
        var graftAnswer = TestGossip.Of("a longer text, served to a peer that asked with a Graft", hops: 3);

        counter.Count(broadcast);
        counter.Count(broadcast); // the same object to another neighbour
        counter.Count(graftAnswer);
        counter.Count(broadcast);
        counter.Count(new Graft([broadcast.Id]));
        counter.Count(Prune.Instance);
        counter.Count(new Ping(1));

        Assert.Multiple(() =>
        {
            Assert.That(counter.PayloadFrames, Is.EqualTo(4));
            Assert.That(counter.PayloadBytes, Is.EqualTo((3L * FrameCodec.FrameSize(broadcast)) + FrameCodec.FrameSize(graftAnswer)), "each frame with its own size");
            Assert.That(counter.TreeControl, Is.EqualTo(new TreeControlCounts(0, 0, 1, FrameCodec.FrameSize(new Graft([broadcast.Id])), 1, FrameCodec.FrameSize(Prune.Instance))));
        });
    }
}
