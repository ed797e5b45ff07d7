using System.Net;
using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Protocol;

/// <summary>What version 3 added: the Hello's link purpose, group and direct envelopes, and frames 15 to 20 (PROTOCOL.md).</summary>
public class FrameCodecVersion3Tests
{
    private const int Max = ProtocolLimits.DefaultMaxFrameLength;

    private static readonly NodeEndpoint Peer = NodeEndpoint.Loopback(5001);
    private static readonly NodeEndpoint Recipient = NodeEndpoint.Loopback(6003);
    private static readonly MessageId SomeId = new(0x0102030405060708, 0x090A0B0C0D0E0F10, 0x1112131415161718, 0x191A1B1C1D1E1F20);

    private static GossipMessage ToBlue() => new(GossipKind.Group, Peer, 7, 1_700_000_000_123, 1, "hello") { OriginId = FrameCodecVersion4Tests.TestId, Group = "blue" };

    private static GossipMessage ToRecipient() => new(GossipKind.Direct, Peer, 7, 1_700_000_000_123, 1, "hello") { OriginId = FrameCodecVersion4Tests.TestId, Recipient = Recipient };

    private static IEnumerable<TestCaseData> NewMessages()
    {
        yield return Case("Hello for a group", new Hello(ProtocolLimits.Version, NodeRole.Peer, Peer, LinkPurpose.ForGroup("blue")));
        yield return Case("Hello for a group, longest name", new Hello(ProtocolLimits.Version, NodeRole.Peer, new NodeEndpoint(IPAddress.IPv6Loopback, 9), LinkPurpose.ForGroup(new string('€', 21))));
        yield return Case("Hello for a direct link", new Hello(ProtocolLimits.Version, NodeRole.Peer, Peer, LinkPurpose.Direct));
        yield return Case("GroupJoin", new GroupJoin("blue"));
        yield return Case("GroupLeave unicode", new GroupLeave("日本語 🎉"));
        yield return Case("GroupMembers empty", new GroupMembers("blue", []));
        yield return Case("GroupMembers IPv4 and IPv6", new GroupMembers("blue", [Peer, Recipient, new NodeEndpoint(IPAddress.IPv6Loopback, 6000)]));
        yield return Case("DirectAck", new DirectAck(SomeId, [.. Enumerable.Range(0, ProtocolLimits.SignatureSize).Select(i => (byte)i)]));
        yield return Case("Reserve", Reserve.Instance);
        yield return Case("RelayRefused", new RelayRefused(SomeId, RelayRefusal.UnknownRecipient));
        yield return Case("Gossip to a group", ToBlue());
        yield return Case("Gossip to a peer", ToRecipient() with { Signature = [.. Enumerable.Repeat((byte)0xA5, ProtocolLimits.SignatureSize)] });

        static TestCaseData Case(string name, Message message) => new TestCaseData(message).SetName($"{{m}}({name})");
    }

    [TestCaseSource(nameof(NewMessages))]
    public void Every_new_message_survives_a_round_trip(Message message)
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
    public void A_hello_for_a_group_has_the_documented_bytes()
    {
        var hello = FrameCodecVersion4Tests.WithTestIdentity(new Hello(ProtocolLimits.Version, NodeRole.Peer, Peer, LinkPurpose.ForGroup("blue")));

        Assert.That(FrameCodec.Encode(hello), Is.EqualTo(Hex($"00 00 00 4B 01 00 08 02 04 7F 00 00 01 13 89 {FrameCodecVersion4Tests.TestIdHex} {FrameCodecVersion4Tests.TestIdWorkHex} {FrameCodecVersion4Tests.TestNonceHex} 01 00 04 62 6C 75 65")));
    }

    [Test]
    public void A_hello_for_a_direct_link_has_the_documented_bytes()
    {
        var hello = FrameCodecVersion4Tests.WithTestIdentity(new Hello(ProtocolLimits.Version, NodeRole.Peer, Peer, LinkPurpose.Direct));

        Assert.That(FrameCodec.Encode(hello), Is.EqualTo(Hex($"00 00 00 45 01 00 08 02 04 7F 00 00 01 13 89 {FrameCodecVersion4Tests.TestIdHex} {FrameCodecVersion4Tests.TestIdWorkHex} {FrameCodecVersion4Tests.TestNonceHex} 02")));
    }

    [Test]
    public void A_version_2_hello_decodes_so_that_the_handshake_can_refuse_its_version_in_words()
    {
        var status = FrameCodec.TryRead(Hex("00 00 00 0B 01 00 02 02 04 7F 00 00 01 13 89"), Max, out var message, out _, out var error);

        Assert.That((status, error, message), Is.EqualTo((DecodeStatus.Complete, (string?)null, (Message?)new Hello(2, NodeRole.Peer, Peer))));
    }

    [Test]
    public void A_group_message_has_the_documented_bytes()
    {
        Assert.That(FrameCodec.Encode(ToBlue()), Is.EqualTo(Hex(
            $"00 00 00 89 05 02 04 7F 00 00 01 13 89 {FrameCodecVersion4Tests.TestIdHex} 00 00 04 62 6C 75 65 00 00 00 00 00 00 00 07 00 00 01 8B CF E5 68 7B 00 01 "
            + $"00 05 68 65 6C 6C 6F {Unsigned}")));
    }

    [Test]
    public void A_direct_message_has_the_documented_bytes()
    {
        Assert.That(FrameCodec.Encode(ToRecipient()), Is.EqualTo(Hex(
            $"00 00 00 DA 05 03 04 7F 00 00 01 13 89 {FrameCodecVersion4Tests.TestIdHex} 00 04 7F 00 00 01 17 73 00 00 00 00 00 00 00 07 00 00 01 8B CF E5 68 7B 00 01 "
            + $"00 05 68 65 6C 6C 6F {Unsigned} {string.Join(' ', Enumerable.Repeat("00", PrivateSeal.CapsuleSize))}")), "the capsule, sealed to nobody yet: 80 zero bytes after the signature");
    }

    [Test]
    public void The_group_frames_have_the_documented_bytes()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(FrameCodec.Encode(new GroupJoin("blue")), Is.EqualTo(Hex("00 00 00 07 0F 00 04 62 6C 75 65")));
            Assert.That(FrameCodec.Encode(new GroupLeave("blue")), Is.EqualTo(Hex("00 00 00 07 10 00 04 62 6C 75 65")));
            Assert.That(FrameCodec.Encode(new GroupMembers("blue", [NodeEndpoint.Loopback(6001)], [FrameCodecVersion4Tests.TestId])),
                Is.EqualTo(Hex($"00 00 00 30 11 00 04 62 6C 75 65 00 01 04 7F 00 00 01 17 71 {FrameCodecVersion4Tests.TestIdHex}")));
        }
    }

    [Test]
    public void The_private_message_frames_have_the_documented_bytes()
    {
        const string Id = "01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F 20";
        using (Assert.EnterMultipleScope())
        {
            Assert.That(FrameCodec.Encode(new DirectAck(SomeId, Hex(FrameCodecTests.WorkedSignatureHex))), Is.EqualTo(Hex("00 00 00 61 12 " + Id + " " + FrameCodecTests.WorkedSignatureHex)));
            Assert.That(FrameCodec.Encode(Reserve.Instance), Is.EqualTo(Hex("00 00 00 01 13")));
            Assert.That(FrameCodec.Encode(new RelayRefused(SomeId, RelayRefusal.NoReservation)), Is.EqualTo(Hex("00 00 00 22 14 " + Id + " 01")));
        }
    }

    [Test]
    public void The_addressee_is_part_of_the_id()
    {
        var broadcast = new GossipMessage(GossipKind.Gossip, Peer, 7, 1_700_000_000_123, 1, "hello") { OriginId = FrameCodecVersion4Tests.TestId };
        var ids = new[]
        {
            broadcast.Id,
            ToBlue().Id,
            (ToBlue() with { Group = "red" }).Id,
            ToRecipient().Id,
            (ToRecipient() with { Recipient = NodeEndpoint.Loopback(6004) }).Id,
        };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ids.Distinct().Count(), Is.EqualTo(ids.Length), "a message to another group or peer is another message");
            Assert.That(broadcast.Id, Is.EqualTo(MessageId.Of(GossipKind.Gossip, Peer, FrameCodecVersion4Tests.TestId, 7, 1_700_000_000_123, "hello")));
            Assert.That((ToBlue() with { Hops = 9 }).Id, Is.EqualTo(ToBlue().Id), "hops are not part of the id");
        }
    }

    private static IEnumerable<TestCaseData> MalformedFrames()
    {
        yield return Malformed("Hello purpose 3", $"01 00 08 02 04 7F 00 00 01 13 89 {IdAndNonce} 03", "malformed Hello frame: unknown link purpose 3");
        yield return Malformed("Hello group with an empty name", $"01 00 08 02 04 7F 00 00 01 13 89 {IdAndNonce} 01 00 00", "malformed Hello frame: a group name is empty");
        yield return Malformed("Hello group cut short", $"01 00 08 02 04 7F 00 00 01 13 89 {IdAndNonce} 01 00 04 62", "malformed Hello frame: truncated payload");
        yield return Malformed("Hello without a purpose", $"01 00 08 02 04 7F 00 00 01 13 89 {IdAndNonce}", "malformed Hello frame: truncated payload");
        yield return Malformed("GroupJoin, 65-byte name", "0F 00 41 " + string.Join(' ', Enumerable.Repeat("61", 65)), "malformed GroupJoin frame: group name of 65 bytes exceeds the limit of 64");
        yield return Malformed("GroupJoin, a control character", "0F 00 03 61 0A 62", "malformed GroupJoin frame: a group name holds a control character");
        yield return Malformed("GroupJoin, leading space", "0F 00 02 20 62", "malformed GroupJoin frame: a group name starts or ends with white space");
        yield return Malformed("GroupLeave, not UTF-8", "10 00 02 C3 28", "malformed GroupLeave frame: payload is not valid UTF-8");
        yield return Malformed("GroupMembers over the limit", "11 00 01 62 27 11", "malformed GroupMembers frame: group member list claims 10001 entries; the limit is 10000");
        yield return Malformed("GroupMembers cut short", "11 00 01 62 00 02 04 7F 00 00 01 13 89", "malformed GroupMembers frame: truncated payload");
        yield return Malformed("DirectAck cut short", "12 00 01", "malformed DirectAck frame: truncated payload");
        yield return Malformed("DirectAck without its signature", "12 " + string.Join(' ', Enumerable.Repeat("00", 32)), "malformed DirectAck frame: truncated payload");
        yield return Malformed("DirectAck with a 63-byte signature", "12 " + string.Join(' ', Enumerable.Repeat("00", 32 + 63)), "malformed DirectAck frame: truncated payload");
        yield return Malformed("DirectAck with a 65-byte signature", "12 " + string.Join(' ', Enumerable.Repeat("00", 32 + 65)), "malformed DirectAck frame: 1 unexpected trailing bytes");
        yield return Malformed("Reserve with a byte", "13 00", "malformed Reserve frame: 1 unexpected trailing bytes");
        yield return Malformed("RelayRefused reason 0", "14 " + string.Join(' ', Enumerable.Repeat("00", 32)) + " 00", "malformed RelayRefused frame: unknown relay refusal 0");
        yield return Malformed("Group gossip with an empty group", $"05 02 04 7F 00 00 01 13 89 {FrameCodecVersion4Tests.TestIdHex} 00 00 00", "malformed Gossip frame: a group name is empty");
        yield return Malformed("Direct gossip, recipient port 0", $"05 03 04 7F 00 00 01 13 89 {FrameCodecVersion4Tests.TestIdHex} 00 04 7F 00 00 01 00 00", "malformed Gossip frame: endpoint port 0");

        static TestCaseData Malformed(string name, string body, string reason) => new TestCaseData(Hex(body), reason).SetName($"{{m}}({name})");
    }

    [TestCaseSource(nameof(MalformedFrames))]
    public void A_malformed_new_frame_is_invalid_with_its_reason(byte[] body, string reason)
    {
        byte[] frame = [0, 0, (byte)(body.Length >> 8), (byte)body.Length, .. body];

        var status = FrameCodec.TryRead(frame, Max, out var message, out _, out var error);

        Assert.That((status, message, error), Is.EqualTo((DecodeStatus.Invalid, (Message?)null, (string?)reason)));
    }

    private static IEnumerable<TestCaseData> EnvelopesTheEncoderRefuses()
    {
        yield return Refused("a broadcast naming a group", new GossipMessage(GossipKind.Gossip, Peer, 1, 0, 1, "x") { Group = "blue" }, "a broadcast (kind 1) names no group or recipient");
        yield return Refused("a group message without a group", new GossipMessage(GossipKind.Group, Peer, 1, 0, 1, "x"), "a group name is empty");
        yield return Refused("a group message with a recipient", ToBlue() with { Recipient = Recipient }, "a group message (kind 2) names no recipient");
        yield return Refused("a direct message without a recipient", new GossipMessage(GossipKind.Direct, Peer, 1, 0, 1, "x"), "a direct message (kind 3) needs a recipient");
        yield return Refused("a direct message naming a group", ToRecipient() with { Group = "blue" }, "a direct message (kind 3) names no group");
        yield return Refused("a group name of 65 bytes", ToBlue() with { Group = new string('g', 65) }, "group name of 65 bytes exceeds the limit of 64");

        static TestCaseData Refused(string name, GossipMessage gossip, string reason) => new TestCaseData(gossip, reason).SetName($"{{m}}({name})");
    }

    [TestCaseSource(nameof(EnvelopesTheEncoderRefuses))]
    public void Encoding_an_envelope_whose_addressee_does_not_fit_its_kind_throws_with_the_reason(GossipMessage gossip, string reason)
    {
        Assert.That(() => FrameCodec.Encode(gossip), Throws.ArgumentException.With.Message.Contains(reason));
    }

    [TestCase("blue", null)]
    [TestCase("", "a group name is empty")]
    [TestCase(" blue", "a group name starts or ends with white space")]
    [TestCase("bl\tue", "a group name holds a control character")]
    public void Group_names_follow_one_rule(string name, string? problem)
    {
        Assert.That(GroupName.Problem(name), Is.EqualTo(problem));
    }

    [Test]
    public void A_group_name_with_a_lone_surrogate_is_not_valid_unicode()
    {
        Assert.That(GroupName.Problem("a\ud800b"), Is.EqualTo("a group name is not valid Unicode"));
    }

    [Test]
    public void A_longer_hello_of_another_version_is_refused_naming_the_version()
    {
        var status = FrameCodec.TryRead(Hex("00 00 00 0D 01 00 09 02 04 7F 00 00 01 13 89 00 00"), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid, (string?)"malformed Hello frame: protocol version 9 is not supported (this node speaks 8)")));
    }

    /// <summary>The signature of a message nobody signed: 64 zero bytes.</summary>
    private static readonly string Unsigned = string.Join(' ', Enumerable.Repeat("00", ProtocolLimits.SignatureSize));

    private const string IdAndNonce = FrameCodecVersion4Tests.TestIdHex + " " + FrameCodecVersion4Tests.TestIdWorkHex + " " + FrameCodecVersion4Tests.TestNonceHex;

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", string.Empty, StringComparison.Ordinal));
}
