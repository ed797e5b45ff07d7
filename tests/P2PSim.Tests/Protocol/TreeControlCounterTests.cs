using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Tests.Protocol;

[TestFixture]
public sealed class TreeControlCounterTests
{
    private static readonly MessageId Id = new(1, 2, 3, 4);

    [Test]
    public void Counts_announcements_grafts_and_prunes_apart_with_their_wire_bytes_and_nothing_else()
    {
        var counter = new TreeControlCounter();
        var ihave = new IHave([new Announcement(Id, 2), new Announcement(Id, 3)]);
        var graft = new Graft([Id]);

        counter.Count(ihave);
        counter.Count(ihave);
        counter.Count(graft);
        counter.Count(Prune.Instance);
        counter.Count(new Ping(7));
        counter.Count(MessageType.Gossip, 500);

        var counts = counter.Read();
        Assert.Multiple(() =>
        {
            Assert.That((counts.IHaveFrames, counts.IHaveBytes), Is.EqualTo((2L, 2L * FrameCodec.FrameSize(ihave))));
            Assert.That((counts.GraftFrames, counts.GraftBytes), Is.EqualTo((1L, (long)FrameCodec.FrameSize(graft))));
            Assert.That((counts.PruneFrames, counts.PruneBytes), Is.EqualTo((1L, (long)FrameCodec.FrameSize(Prune.Instance))));
            Assert.That(counts.Frames, Is.EqualTo(4), "a Ping and a Gossip frame are not tree control");
            Assert.That(counts.Bytes, Is.EqualTo(counts.IHaveBytes + counts.GraftBytes + counts.PruneBytes));
        });
    }

    [Test]
    public void Counts_add_up_per_type()
    {
        var a = new TreeControlCounts(1, 10, 2, 20, 3, 30);
        var b = new TreeControlCounts(4, 40, 5, 50, 6, 60);

        Assert.That(a + b, Is.EqualTo(new TreeControlCounts(5, 50, 7, 70, 9, 90)));
    }
}
