using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Protocol;

/// <summary>
/// What end-to-end encrypted private messages add to the wire (PROTOCOL.md, <i>End-to-end encrypted private messages</i>):
/// a kind-3 envelope's 80-byte capsule after its signature, and frames 40 (<c>IdRequest</c>) and 41 (<c>IdAnswer</c>).
/// </summary>
public class FrameCodecEncryptionTests
{
    private const int Max = ProtocolLimits.DefaultMaxFrameLength;

    private static readonly NodeEndpoint Peer = NodeEndpoint.Loopback(5001);
    private static readonly NodeEndpoint Recipient = NodeEndpoint.Loopback(6003);
    private static readonly byte[] Capsule = [.. Enumerable.Range(0, PrivateSeal.CapsuleSize).Select(i => (byte)(0xC0 + (i % 16)))];

    private static GossipMessage Sealed() =>
        new(GossipKind.Direct, Peer, 7, 1_700_000_000_123, 1, "aGk=") { OriginId = FrameCodecVersion4Tests.TestId, Recipient = Recipient, Capsule = Capsule };

    private static IEnumerable<TestCaseData> Messages()
    {
        yield return new TestCaseData(Sealed()).SetName("{m}(a private message with its capsule)");
        yield return new TestCaseData(new IdRequest(Recipient)).SetName("{m}(IdRequest)");
        yield return new TestCaseData(new IdAnswer(Recipient, FrameCodecVersion4Tests.TestId)).SetName("{m}(IdAnswer, known)");
        yield return new TestCaseData(new IdAnswer(Recipient, null)).SetName("{m}(IdAnswer, unknown)");
    }

    [TestCaseSource(nameof(Messages))]
    public void Every_frame_survives_a_round_trip(Message message)
    {
        var frame = FrameCodec.Encode(message);

        var status = FrameCodec.TryRead(frame, Max, out var decoded, out var consumed, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((status, error, consumed), Is.EqualTo((DecodeStatus.Complete, (string?)null, frame.Length)));
            Assert.That(decoded, Is.EqualTo(message));
            Assert.That(FrameCodec.FrameSize(message), Is.EqualTo(frame.Length));
        }
    }

    [Test]
    public void The_capsule_is_the_last_80_bytes_of_a_private_message_after_its_signature()
    {
        var frame = FrameCodec.Encode(Sealed());
        var withoutCapsule = FrameCodec.FrameSize(Sealed() with { Kind = GossipKind.Gossip, Recipient = null }) + 7; // a broadcast has no recipient (7 bytes)

        using (Assert.EnterMultipleScope())
        {
            Assert.That(frame.AsSpan(frame.Length - PrivateSeal.CapsuleSize).ToArray(), Is.EqualTo(Capsule));
            Assert.That(frame, Has.Length.EqualTo(withoutCapsule + PrivateSeal.CapsuleSize));
        }
    }

    [Test]
    public void A_capsule_changed_on_the_way_changes_neither_the_id_nor_the_signatures_verdict()
    {
        // The id (which the origin signs) covers the sealed text, not the capsule: the capsule is bound by its own encryption.
        var altered = Sealed() with { Capsule = new byte[PrivateSeal.CapsuleSize] };

        Assert.That(altered.Id, Is.EqualTo(Sealed().Id));
        Assert.That(altered, Is.Not.EqualTo(Sealed()), "but the messages differ");
    }

    [Test]
    public void The_id_frames_have_the_documented_bytes()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(FrameCodec.Encode(new IdRequest(Recipient)), Is.EqualTo(Hex("00 00 00 08 28 04 7F 00 00 01 17 73")));
            Assert.That(FrameCodec.Encode(new IdAnswer(Recipient, FrameCodecVersion4Tests.TestId)),
                Is.EqualTo(Hex($"00 00 00 29 29 04 7F 00 00 01 17 73 01 {FrameCodecVersion4Tests.TestIdHex}")));
            Assert.That(FrameCodec.Encode(new IdAnswer(Recipient, null)), Is.EqualTo(Hex("00 00 00 09 29 04 7F 00 00 01 17 73 00")));
        }
    }

    private static IEnumerable<TestCaseData> MalformedFrames()
    {
        var sealedBody = FrameCodec.Encode(Sealed())[4..];
        yield return Malformed("a private message without its capsule", sealedBody[..^PrivateSeal.CapsuleSize], "malformed Gossip frame: truncated payload");
        yield return Malformed("a private message one capsule byte short", sealedBody[..^1], "malformed Gossip frame: truncated payload");
        yield return Malformed("a private message with a byte after its capsule", [.. sealedBody, 0], "malformed Gossip frame: 1 unexpected trailing bytes");
        yield return Malformed("an IdRequest cut short", Hex("28 04 7F 00"), "malformed IdRequest frame: truncated payload");
        yield return Malformed("an IdAnswer whose known byte is 2", Hex("29 04 7F 00 00 01 17 73 02"), "malformed IdAnswer frame: an IdAnswer's known byte is 2 (0 or 1)");
        yield return Malformed("an IdAnswer that says known and has no id", Hex("29 04 7F 00 00 01 17 73 01"), "malformed IdAnswer frame: truncated payload");
        yield return Malformed("an IdAnswer that says unknown and has an id", Hex($"29 04 7F 00 00 01 17 73 00 {FrameCodecVersion4Tests.TestIdHex}"), "malformed IdAnswer frame: 32 unexpected trailing bytes");

        static TestCaseData Malformed(string name, byte[] body, string reason) => new TestCaseData(body, reason).SetName($"{{m}}({name})");
    }

    [TestCaseSource(nameof(MalformedFrames))]
    public void A_malformed_frame_is_invalid_with_its_reason(byte[] body, string reason)
    {
        byte[] frame = [0, 0, (byte)(body.Length >> 8), (byte)body.Length, .. body];

        var status = FrameCodec.TryRead(frame, Max, out var message, out _, out var error);

        Assert.That((status, message, error), Is.EqualTo((DecodeStatus.Invalid, (Message?)null, (string?)reason)));
    }

    [Test]
    public void Encoding_a_private_message_whose_capsule_is_not_80_bytes_throws()
    {
        Assert.That(() => FrameCodec.Encode(Sealed() with { Capsule = new byte[79] }), Throws.ArgumentException.With.Message.Contains("a capsule of 79 bytes (a private message's is 80)"));
    }

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", string.Empty, StringComparison.Ordinal));
}
