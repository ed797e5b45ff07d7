using System.Net;
using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Tests.Protocol;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Gossip;

/// <summary>
/// A peer on real sockets keeps its history as frames: what it hands a neighbour that asks (a graft, a catch-up) must be
/// the very message it received, to the last signature and attestation byte, and it must cost less heap than the objects.
/// </summary>
public sealed class MessageHistoryFramesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The worked example with two seed attestations, <paramref name="hops"/> out, its text numbered <paramref name="n"/>.</summary>
    private static GossipMessage Attested(int n, ushort hops = 3) => FrameCodecTests.Worked() with
    {
        Sequence = (ulong)n,
        Text = $"1700000000123:127.0.0.1:5001:{n}",
        Hops = hops,
        Attestations =
        [
            new SeedAttestation(NodeEndpoint.Loopback(4000), 1_700_000_600_000, [.. Enumerable.Range(0, 64).Select(b => (byte)b)]),
            new SeedAttestation(new NodeEndpoint(IPAddress.Parse("2001:db8::1"), 4001), 1_700_000_600_001, [.. Enumerable.Range(0, 64).Select(b => (byte)(b * 3))]),
        ],
    };

    [Test]
    public void A_kept_frame_comes_back_as_the_message_that_was_added_hop_count_signature_and_attestations_included()
    {
        var history = new MessageHistory(100, TimeSpan.FromMinutes(1), maxBytes: 0, keepFrames: true);
        var direct = new GossipMessage(GossipKind.Direct, NodeEndpoint.Loopback(5001), 9, 1_700_000_000_999, 2, "sealed text")
        {
            Recipient = NodeEndpoint.Loopback(5002),
            Capsule = [.. Enumerable.Range(0, P2PSim.Security.PrivateSeal.CapsuleSize).Select(b => (byte)(b + 1))],
        };
        var group = new GossipMessage(GossipKind.Group, NodeEndpoint.Loopback(5003), 4, 1_700_000_000_555, 5, "for the group") { Group = "chess" };
        GossipMessage[] added = [Attested(1), direct, group];

        foreach (var message in added)
        {
            Assert.That(history.Add(message, T0), Is.True);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(history.KeepsFrames, Is.True);
            Assert.That(history.Bytes, Is.EqualTo(added.Sum(FrameCodec.FrameSize)), "the byte bound counts the same wire bytes either way");
            foreach (var message in added)
            {
                Assert.That(history.TryGet(message.Id, out var entry), Is.True, message.Kind.ToString());
                Assert.That(entry, Is.EqualTo(new MessageHistory.Entry(message, T0)), message.Kind.ToString());
                Assert.That(entry.Message, Is.Not.SameAs(message), "decoded again from the kept frame");
                Assert.That(FrameCodec.Encode(entry.Message), Is.EqualTo(FrameCodec.Encode(message)), "byte for byte what was added");
            }
        }
    }

    [Test]
    [NonParallelizable] // it reads the process's heap
    public void Frames_take_at_most_two_thirds_of_the_heap_of_the_decoded_messages_they_replace()
    {
        const int count = 2_000;

        var objects = HeldHeap(keepFrames: false);
        var frames = HeldHeap(keepFrames: true);

        Assert.That(frames, Is.LessThan(objects * 2 / 3), $"per message: frames {frames / count} B, objects {objects / count} B");

        static long HeldHeap(bool keepFrames)
        {
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var history = new MessageHistory(count, TimeSpan.FromMinutes(1), maxBytes: 0, keepFrames);
            for (var n = 1; n <= count; n++)
            {
                history.Add(Decoded(Attested(n)), T0); // a copy of its own, as a peer on sockets decodes it: only the history keeps it
            }
            var heap = GC.GetTotalMemory(forceFullCollection: true) - before;
            GC.KeepAlive(history);
            return heap;
        }
    }

    private static GossipMessage Decoded(GossipMessage message)
    {
        FrameCodec.TryRead(FrameCodec.Encode(message), int.MaxValue, out var decoded, out _, out _);
        return (GossipMessage)decoded!;
    }
}
