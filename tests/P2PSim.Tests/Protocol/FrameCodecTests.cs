using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Protocol;

public class FrameCodecTests
{
    private const int Max = ProtocolLimits.DefaultMaxFrameLength;

    private static readonly NodeEndpoint V4 = NodeEndpoint.Loopback(5001);
    private static readonly NodeEndpoint V6 = new(IPAddress.Parse("2001:db8::17"), 65535);

    /// <summary>A signature of the hand-made examples: the bytes 0x00 to 0x3F (it signs nothing; the codec does not check).</summary>
    private static readonly byte[] Signature = [.. Enumerable.Range(0, ProtocolLimits.SignatureSize).Select(i => (byte)i)];

    /// <summary>
    /// The worked example of PROTOCOL.md: message 7 of 127.0.0.1:5001, whose id is RFC 8032 TEST 1's public key, created at
    /// 1700000000123, hops 1, signed by that key (<see cref="SignedEnvelopeTests"/> checks the signature).
    /// </summary>
    internal static GossipMessage Worked() => new(GossipKind.Gossip, V4, 7, 1_700_000_000_123, 1, "1700000000123:127.0.0.1:5001:7", Hex(WorkedSignatureHex))
    {
        OriginId = FrameCodecVersion4Tests.TestId,
    };

    /// <summary>The worked example's signature (made with Python's <c>cryptography</c>, apart from this code).</summary>
    internal const string WorkedSignatureHex =
        "F8 91 A4 EB B1 2D 56 19 AE C1 C1 6D F3 58 3C 80 5A 29 51 C2 FE 1C 0B 22 5D 5A 2D 90 AE 88 0A 9B "
        + "54 8F 6D 1C 61 F0 1E 1F E0 04 0D 8E 94 EA 6B 5D 6B 10 7B 0A 98 FB E9 FC CF 06 63 C4 EC 2D 72 00";

    /// <summary>The worked example's id (PROTOCOL.md, "Message id").</summary>
    internal const string WorkedIdHex = "5F 3C 60 69 3A 94 B4 02 71 9E 3A 3A 38 3B E5 C7 D0 60 3A 89 DE 34 A5 D2 B7 BC D1 87 3B 05 0B DF";

    /// <summary>RFC 8032 TEST 2's public key, the IPv6 example's origin id.</summary>
    internal const string Test2IdHex = "3D 40 17 C3 E8 43 89 5A 92 B7 0A A7 4D 1B 7E BC 9C 98 2C CF 2E C4 96 8C C0 CD 55 F1 2A F4 66 0C";

    /// <summary>The IPv6 example's signature, by RFC 8032 TEST 2's key.</summary>
    internal const string SignedV6SignatureHex =
        "9B 26 96 3C 4C 43 A4 69 A0 2B 83 7E 2E 44 2F 03 CD 5F AE 57 B9 7C EF A4 06 47 73 9A 5B 83 34 DD "
        + "1E 47 7C 0E 6E E8 66 8A C4 8C 60 17 C2 3F ED 60 54 88 E6 AB 1D 9C D1 D6 5A CC 97 EC 01 84 96 09";

    /// <summary>The IPv6 example of PROTOCOL.md: message 10 of [2001:db8::17]:6000 (id RFC 8032 TEST 2's key), three hops out.</summary>
    internal static GossipMessage SignedV6() =>
        new(GossipKind.Gossip, new NodeEndpoint(IPAddress.Parse("2001:db8::17"), 6000), 10, 1_700_000_000_123, 3, "1700000000123:2001:db8::17:6000:10", Hex(SignedV6SignatureHex))
        {
            OriginId = P2PSim.Security.NodeId.FromBytes(Hex(Test2IdHex)),
        };

    private static GossipMessage Plain(string text, ushort hops = 1, NodeEndpoint? origin = null, byte[]? signature = null) =>
        new(GossipKind.Gossip, origin ?? V4, 1, 0, hops, text, signature);

    /// <summary>One of every message type, with IPv4 and IPv6 endpoints, empty and full lists, unicode and maximal text.</summary>
    private static IEnumerable<TestCaseData> EveryMessage()
    {
        yield return Case("Hello peer IPv4", new Hello(ProtocolLimits.Version, NodeRole.Peer, V4));
        yield return Case("Hello seed IPv6", new Hello(ProtocolLimits.Version, NodeRole.Seed, V6));
        yield return Case("Hello other version", new Hello(ushort.MaxValue, NodeRole.Peer, V4));
        yield return Case("Register", Register.Instance);
        yield return Case("PeerList empty", new PeerList([]));
        yield return Case("PeerList IPv4 and IPv6", new PeerList([V4, V6, NodeEndpoint.Loopback(1), new NodeEndpoint(IPAddress.IPv6Loopback, 6000)]));
        yield return Case("PeerList with ids", new PeerList([V4, V6], [new NodeId(1, 2, 3, 4), new NodeId(ulong.MaxValue, 0, ulong.MaxValue, 7)]));
        yield return Case("PeerList at the entry limit", new PeerList(
            [.. Enumerable.Range(1, ProtocolLimits.MaxPeerListEntries).Select(i => new NodeEndpoint(new IPAddress(i), i % 65535 + 1))]));
        yield return Case("DeadNode IPv4", new DeadNode(V4, 1_700_000_000_123, NodeEndpoint.Loopback(5002)));
        yield return Case("DeadNode IPv6 reporter, negative timestamp", new DeadNode(V4, -1, V6));
        yield return Case("Gossip IPv4", Worked());
        yield return Case("Gossip IPv6", SignedV6());
        yield return Case("Gossip nobody signed", Plain("x") with { Signature = GossipMessage.Unsigned });
        yield return Case("Gossip empty text", Plain(string.Empty));
        yield return Case("Gossip unicode, extreme numbers", new GossipMessage(GossipKind.Gossip, V6, ulong.MaxValue, long.MinValue, ushort.MaxValue, "héllo wörld € 日本語 🎉 Ω"));
        yield return Case("Gossip negative timestamp, IPv4-mapped origin", new GossipMessage(GossipKind.Gossip, new NodeEndpoint(IPAddress.Parse("::ffff:10.0.0.1"), 1), 2, -1, 2, "x"));
        yield return Case("Gossip max-length ASCII", Plain(new string('x', ProtocolLimits.MaxPayloadBytes), 42));
        yield return Case("Gossip max-length multibyte", Plain(string.Concat(Enumerable.Repeat("€", 1365)) + "a", 3));
        yield return Case("Gossip largest frame: max length, IPv6, signed", Plain(new string('x', ProtocolLimits.MaxPayloadBytes), 5, V6, Signature));
        yield return Case("Ping 0", new Ping(0));
        yield return Case("Ping max", new Ping(ulong.MaxValue));
        yield return Case("Pong", new Pong(0x0102030405060708));
        yield return Case("Goodbye", Goodbye.Instance);
        yield return Case("Digest empty", new Digest([]));
        yield return Case("Digest one id", new Digest([Worked().Id]));
        yield return Case("Digest extreme ids", new Digest([new MessageId(0, 0, 0, 0), new MessageId(ulong.MaxValue, 1, ulong.MaxValue - 1, 0x0102030405060708)]));
        yield return Case("Digest at the id limit", new Digest([.. Ids(ProtocolLimits.MaxDigestIds)]));
        yield return Case("Want empty", new Want([]));
        yield return Case("Want three ids", new Want([.. Ids(3)]));
        yield return Case("Want at the id limit", new Want([.. Ids(ProtocolLimits.MaxDigestIds)]));
        yield return Case("IHave empty", new IHave([]));
        yield return Case("IHave two", new IHave([new Announcement(Worked().Id, 1), new Announcement(SignedV6().Id, ushort.MaxValue)]));
        yield return Case("IHave at the limit", new IHave([.. Ids(ProtocolLimits.MaxAnnouncements).Select((id, i) => new Announcement(id, (ushort)i))]));
        yield return Case("Graft of the link only", new Graft([]));
        yield return Case("Graft two ids", new Graft([.. Ids(2)]));
        yield return Case("Prune", Prune.Instance);
        yield return Case("TreeAdvert", new TreeAdvert(new NodeEndpoint(IPAddress.Loopback, 5000), 3, ParentIsYou: true));
        yield return Case("TreeAdvert IPv6 root", new TreeAdvert(new NodeEndpoint(IPAddress.IPv6Loopback, 65535), ushort.MaxValue, ParentIsYou: false));

        static TestCaseData Case(string name, Message message) => new TestCaseData(message).SetName($"{{m}}({name})");
    }

    [TestCaseSource(nameof(EveryMessage))]
    public void Every_message_round_trips(Message message)
    {
        var frame = FrameCodec.Encode(message);

        var status = FrameCodec.TryRead(frame, Max, out var decoded, out var consumed, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Complete), error);
            Assert.That(error, Is.Null);
            Assert.That(decoded, Is.EqualTo(message));
            Assert.That(decoded!.Type, Is.EqualTo(message.Type));
            Assert.That(consumed, Is.EqualTo(frame.Length));
            Assert.That(FrameCodec.FrameSize(message), Is.EqualTo(frame.Length));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(frame), Is.EqualTo(frame.Length - 4));
            Assert.That(frame[4], Is.EqualTo((byte)message.Type));
        }
    }

    private static IEnumerable<MessageId> Ids(int count) =>
        Enumerable.Range(1, count).Select(i => TestGossip.IdOf($"1700000000000:127.0.0.1:5001:{i}"));

    /// <summary>Every message but the 10,000-entry peer list, the full digests and the longest gossips (feeding those byte by byte is quadratic and adds nothing).</summary>
    private static IEnumerable<TestCaseData> EverySmallMessage() =>
        EveryMessage().Where(c => c.Arguments[0] is not (PeerList { Peers.Count: > 100 } or Digest { Ids.Count: > 100 } or Want { Ids.Count: > 100 }
            or IHave { Announcements.Count: > 100 } or GossipMessage { Text.Length: > 1000 }));

    [TestCaseSource(nameof(EverySmallMessage))]
    public void Frame_fed_one_byte_at_a_time_is_incomplete_until_the_last_byte(Message message)
    {
        var frame = FrameCodec.Encode(message);

        for (var available = 0; available < frame.Length; available++)
        {
            var partial = FrameCodec.TryRead(frame.AsSpan(0, available), Max, out var none, out var nothing, out var noError);
            Assert.That((partial, none, nothing, noError), Is.EqualTo((DecodeStatus.Incomplete, (Message?)null, 0, (string?)null)), $"after {available} of {frame.Length} bytes");
        }
        var status = FrameCodec.TryRead(frame, Max, out var decoded, out var consumed, out _);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Complete));
            Assert.That(consumed, Is.EqualTo(frame.Length));
            Assert.That(decoded, Is.EqualTo(message));
        }
    }

    [Test]
    public void Two_frames_back_to_back_decode_one_after_the_other()
    {
        var first = Worked();
        var second = new Ping(77);
        var buffer = new ArrayBufferWriter<byte>();
        FrameCodec.Write(buffer, first);
        FrameCodec.Write(buffer, second);
        var bytes = buffer.WrittenSpan.ToArray();

        var status1 = FrameCodec.TryRead(bytes, Max, out var m1, out var c1, out _);
        var status2 = FrameCodec.TryRead(bytes.AsSpan(c1), Max, out var m2, out var c2, out _);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(bytes, Has.Length.EqualTo(FrameCodec.FrameSize(first) + FrameCodec.FrameSize(second)));
            Assert.That(status1, Is.EqualTo(DecodeStatus.Complete));
            Assert.That(m1, Is.EqualTo(first));
            Assert.That(c1, Is.EqualTo(FrameCodec.FrameSize(first)));
            Assert.That(status2, Is.EqualTo(DecodeStatus.Complete));
            Assert.That(m2, Is.EqualTo(second));
            Assert.That(c1 + c2, Is.EqualTo(bytes.Length));
        }
    }

    [Test]
    public void A_complete_frame_followed_by_part_of_the_next_decodes_the_first_only()
    {
        var ping = FrameCodec.Encode(new Ping(5));
        var pong = FrameCodec.Encode(new Pong(5));
        var bytes = ping.Concat(pong.Take(6)).ToArray();

        var status = FrameCodec.TryRead(bytes, Max, out var message, out var consumed, out _);
        var rest = FrameCodec.TryRead(bytes.AsSpan(consumed), Max, out _, out _, out _);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Complete));
            Assert.That(message, Is.EqualTo(new Ping(5)));
            Assert.That(consumed, Is.EqualTo(ping.Length));
            Assert.That(rest, Is.EqualTo(DecodeStatus.Incomplete));
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void Frame_short_by_a_few_bytes_is_incomplete(int missing)
    {
        var frame = FrameCodec.Encode(new Hello(ProtocolLimits.Version, NodeRole.Peer, V6));

        var status = FrameCodec.TryRead(frame.AsSpan(0, frame.Length - missing), Max, out var message, out var consumed, out var error);

        Assert.That((status, message, consumed, error), Is.EqualTo((DecodeStatus.Incomplete, (Message?)null, 0, (string?)null)));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void Length_prefix_short_by_a_few_bytes_is_incomplete(int missing)
    {
        var frame = FrameCodec.Encode(new Ping(1));

        var status = FrameCodec.TryRead(frame.AsSpan(0, 4 - missing), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Incomplete, (string?)null)));
    }

    [TestCase(-1, "negative frame length -1")]
    [TestCase(int.MinValue, "negative frame length -2147483648")]
    [TestCase(0, "empty frame (length 0)")]
    public void Negative_or_zero_length_is_invalid_from_the_prefix_alone(int length, string expected)
    {
        var status = FrameCodec.TryRead(Prefix(length), Max, out var message, out var consumed, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo(expected));
            Assert.That(message, Is.Null);
            Assert.That(consumed, Is.Zero);
        }
    }

    [Test]
    public void Length_over_the_maximum_is_invalid_from_the_prefix_alone()
    {
        var status = FrameCodec.TryRead(Prefix(Max + 1), Max, out var message, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo($"frame length {Max + 1} exceeds the maximum of {Max} bytes"));
            Assert.That(message, Is.Null);
        }
    }

    [Test]
    public void Length_exactly_at_the_maximum_waits_for_the_body()
    {
        var status = FrameCodec.TryRead(Prefix(Max), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Incomplete, (string?)null)));
    }

    [Test]
    public void Maximum_frame_length_is_the_callers_choice()
    {
        var frame = FrameCodec.Encode(Plain("0123456789")); // body: type 1 + envelope 125 (IPv4: origin and its id, no attestations, signature) + 10 = 136

        var atLimit = FrameCodec.TryRead(frame, 136, out _, out _, out _);
        var overLimit = FrameCodec.TryRead(frame, 135, out _, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(atLimit, Is.EqualTo(DecodeStatus.Complete));
            Assert.That(overLimit, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("frame length 136 exceeds the maximum of 135 bytes"));
        }
    }

    [TestCase((byte)0)]
    [TestCase((byte)22)]
    [TestCase((byte)200)]
    [TestCase((byte)255)]
    public void Unknown_type_byte_is_invalid_as_soon_as_it_arrives(byte type)
    {
        byte[] prefixAndType = [.. Prefix(100), type];

        var status = FrameCodec.TryRead(prefixAndType, Max, out var message, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo($"unknown message type {type}"));
            Assert.That(message, Is.Null);
        }
    }

    [Test]
    public void Length_five_for_a_ping_is_a_truncated_payload()
    {
        byte[] frame = [0, 0, 0, 5, (byte)MessageType.Ping, 0, 0, 0, 1];

        var status = FrameCodec.TryRead(frame, Max, out var message, out var consumed, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("malformed Ping frame: truncated payload"));
            Assert.That(message, Is.Null);
            Assert.That(consumed, Is.Zero);
        }
    }

    private static IEnumerable<TestCaseData> TruncatedPayloads()
    {
        yield return new TestCaseData(MessageType.Hello, new byte[] { 0, 1, 2, 4, 127, 0, 0, 1, 0x13 }).SetName("{m}(Hello without the port's last byte)");
        yield return new TestCaseData(MessageType.Hello, new byte[] { 0, 1 }).SetName("{m}(Hello without role)");
        yield return new TestCaseData(MessageType.PeerList, new byte[] { 0, 2, 4, 127, 0, 0, 1, 0x13, 0x89 }).SetName("{m}(PeerList one entry short)");
        yield return new TestCaseData(MessageType.PeerList, new byte[] { 0 }).SetName("{m}(PeerList half a count)");
        yield return new TestCaseData(MessageType.DeadNode, new byte[] { 4, 127, 0, 0, 1, 0x13, 0x89, 0, 0, 0, 0, 0, 0, 0, 1 }).SetName("{m}(DeadNode without reporter)");
        yield return new TestCaseData(MessageType.Gossip, GossipPayload(text: [0x61, 0x62, 0x63], textLength: 10)).SetName("{m}(Gossip text length 10, 3 bytes)");
        yield return new TestCaseData(MessageType.Gossip, GossipPayload(signature: new byte[63])).SetName("{m}(Gossip with a 63-byte signature)");
        yield return new TestCaseData(MessageType.Gossip, GossipPayload()[..^64]).SetName("{m}(Gossip without its signature)");
        yield return new TestCaseData(MessageType.Gossip, GossipPayload()[..8]).SetName("{m}(Gossip without its origin id)");
        yield return new TestCaseData(MessageType.Pong, new byte[] { 0, 0, 0, 0, 0, 0, 0 }).SetName("{m}(Pong with 7 of 8 bytes)");
        yield return new TestCaseData(MessageType.Digest, Array.Empty<byte>()).SetName("{m}(Digest without a count)");
        yield return new TestCaseData(MessageType.Digest, (byte[])[0, 2, .. new byte[32]]).SetName("{m}(Digest of 2 ids with 1)");
        yield return new TestCaseData(MessageType.Want, new byte[] { 0 }).SetName("{m}(Want half a count)");
        yield return new TestCaseData(MessageType.Want, (byte[])[0, 1, .. new byte[31]]).SetName("{m}(Want id of 31 bytes)");
        yield return new TestCaseData(MessageType.IHave, (byte[])[0, 1, .. new byte[33]]).SetName("{m}(IHave announcement without its hops' last byte)");
        yield return new TestCaseData(MessageType.Graft, new byte[] { 0 }).SetName("{m}(Graft half a count)");
        yield return new TestCaseData(MessageType.TreeAdvert, new byte[] { 4, 127, 0, 0, 1, 0x13, 0x88, 0 }).SetName("{m}(TreeAdvert without its distance's last byte and its flag)");
    }

    [TestCaseSource(nameof(TruncatedPayloads))]
    public void Complete_frame_whose_fields_need_more_bytes_is_malformed(MessageType type, byte[] payload)
    {
        var status = FrameCodec.TryRead(Frame(type, payload), Max, out var message, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo($"malformed {type} frame: truncated payload"));
            Assert.That(message, Is.Null);
        }
    }

    [TestCase(MessageType.Register, 1)]
    [TestCase(MessageType.Register, 3)]
    [TestCase(MessageType.Goodbye, 3)]
    [TestCase(MessageType.Ping, 1)]
    [TestCase(MessageType.Pong, 8)]
    [TestCase(MessageType.Digest, 1)]
    [TestCase(MessageType.Want, 31)]
    [TestCase(MessageType.Graft, 2)]
    [TestCase(MessageType.IHave, 1)]
    [TestCase(MessageType.Prune, 1)]
    [TestCase(MessageType.TreeAdvert, 2)]
    public void Trailing_bytes_after_the_payload_are_invalid(MessageType type, int extra)
    {
        var payload = type switch
        {
            MessageType.Ping or MessageType.Pong => new byte[8 + extra],
            MessageType.Digest or MessageType.Want or MessageType.Graft => [0, 1, .. new byte[32 + extra]], // one id, then the extra bytes
            MessageType.IHave => [0, 1, .. new byte[34 + extra]], // one announcement, then the extra bytes
            MessageType.TreeAdvert => [4, 127, 0, 0, 1, 0x13, 0x88, 0, 3, 1, .. new byte[extra]],
            MessageType.Register => [0, 64, 0, 1, 4, 127, 0, 0, 1, 0x13, 0x88, .. new byte[extra]], // a re-registration holding one entry
            _ => new byte[extra],
        };

        var status = FrameCodec.TryRead(Frame(type, payload), Max, out var message, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo($"malformed {type} frame: {extra} unexpected trailing bytes"));
            Assert.That(message, Is.Null);
        }
    }

    [Test]
    public void A_reregistration_says_how_many_entries_it_wants_and_which_it_holds()
    {
        var register = Register.Refresh(64, [V4, NodeEndpoint.Loopback(6001)]);

        var frame = FrameCodec.Encode(register);
        var status = FrameCodec.TryRead(frame, Max, out var message, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(frame, Is.EqualTo(new byte[] { 0, 0, 0, 19, 2, 0, 64, 0, 2, 4, 127, 0, 0, 1, 0x13, 0x89, 4, 127, 0, 0, 1, 0x17, 0x71 }));
            Assert.That((status, error), Is.EqualTo((DecodeStatus.Complete, (string?)null)));
            Assert.That(message, Is.TypeOf<Register>());
            Assert.That(((Register)message!).Wanted, Is.EqualTo(64));
            Assert.That(((Register)message).Held, Is.EqualTo(new[] { V4, NodeEndpoint.Loopback(6001) }));
            Assert.That(FrameCodec.Encode(Register.Instance), Is.EqualTo(new byte[] { 0, 0, 0, 1, 2 }), "a first registration is still the empty frame");
        }
    }

    [TestCase(new byte[] { 0x27, 0x11, 0, 0 }, "register asks for 10001 entries and holds 0; the limit is 10000 each")]
    [TestCase(new byte[] { 0, 64, 0x27, 0x11 }, "register asks for 64 entries and holds 10001; the limit is 10000 each")]
    [TestCase(new byte[] { 0, 64, 0, 2, 4, 127, 0, 0, 1, 0x13, 0x88 }, "truncated payload")]
    [TestCase(new byte[] { 0, 64, 0xFF, 0xFF }, "register asks for 64 entries and holds 65535; the limit is 10000 each")]
    [TestCase(new byte[] { 0 }, "truncated payload")]
    public void A_malformed_reregistration_is_refused_with_its_reason(byte[] payload, string reason)
    {
        var status = FrameCodec.TryRead(Frame(MessageType.Register, payload), Max, out var message, out _, out var error);

        Assert.That((status, error, message), Is.EqualTo((DecodeStatus.Invalid, (string?)$"malformed Register frame: {reason}", (Message?)null)));
    }

    [Test]
    public void A_reregistration_over_the_limits_cannot_be_encoded() =>
        Assert.That(() => FrameCodec.Encode(Register.Refresh(ProtocolLimits.MaxPeerListEntries + 1, [])), Throws.ArgumentException);

    [Test]
    public void Trailing_bytes_after_a_hello_are_invalid()
    {
        var valid = FrameCodec.Encode(new Hello(ProtocolLimits.Version, NodeRole.Peer, V4));
        var body = valid.AsSpan(5).ToArray();

        var status = FrameCodec.TryRead(Frame(MessageType.Hello, [.. body, 0xAA]), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid, (string?)"malformed Hello frame: 1 unexpected trailing bytes")));
    }

    private static IEnumerable<TestCaseData> MalformedEnvelopes()
    {
        foreach (var kind in new byte[] { 0, 4, 255 })
        {
            yield return Malformed($"kind {kind}", GossipPayload(kind: kind), $"unknown gossip kind {kind}");
        }
        yield return Malformed("sequence 0", GossipPayload(sequence: 0), "sequence 0 (an origin numbers its messages from 1)");
        yield return Malformed("hops 0", GossipPayload(hops: 0), "hops 0 (the origin sends a message with hops 1)");
        yield return Malformed("payload over the limit", GossipPayload(text: new byte[ProtocolLimits.MaxPayloadBytes + 1]), "payload of 4097 bytes exceeds the limit of 4096");
        foreach (var text in new byte[][] { [0xC3, 0x28], [0xFF], [0x61, 0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82] })
        {
            yield return Malformed($"payload {Convert.ToHexString(text)}", GossipPayload(text: text), "payload is not valid UTF-8");
        }
        yield return Malformed("trailing bytes, IPv4", [.. FrameCodec.Encode(Worked())[5..], 0xAA, 0], "2 unexpected trailing bytes");
        yield return Malformed("trailing bytes, IPv6", [.. FrameCodec.Encode(SignedV6())[5..], 0xAA], "1 unexpected trailing bytes");
        yield return Malformed("a 65-byte signature", GossipPayload(signature: new byte[65]), "1 unexpected trailing bytes");

        static TestCaseData Malformed(string name, byte[] payload, string reason) => new TestCaseData(payload, reason).SetName($"{{m}}({name})");
    }

    [TestCaseSource(nameof(MalformedEnvelopes))]
    public void A_malformed_gossip_envelope_is_invalid_with_its_reason(byte[] payload, string reason)
    {
        var status = FrameCodec.TryRead(Frame(MessageType.Gossip, payload), Max, out var message, out var consumed, out var error);

        Assert.That((status, message, consumed, error), Is.EqualTo((DecodeStatus.Invalid, (Message?)null, 0, (string?)$"malformed Gossip frame: {reason}")));
    }

    [Test]
    public void A_gossip_envelope_written_by_hand_decodes_field_by_field()
    {
        var frame = Frame(MessageType.Gossip, GossipPayload(sequence: 9, hops: 4, signature: Signature));

        var status = FrameCodec.TryRead(frame, Max, out var message, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Complete, (string?)null)));
        Assert.That(message, Is.EqualTo(new GossipMessage(GossipKind.Gossip, V4, 9, 1_700_000_000_123, 4, "abc", Signature) { OriginId = FrameCodecVersion4Tests.TestId }));
    }

    private static IEnumerable<TestCaseData> GossipExamples()
    {
        yield return new TestCaseData(Worked()).SetName("{m}(IPv4)");
        yield return new TestCaseData(SignedV6()).SetName("{m}(IPv6)");
    }

    [TestCaseSource(nameof(GossipExamples))]
    public void A_gossip_payload_cut_short_anywhere_is_a_truncated_payload(GossipMessage gossip)
    {
        var payload = FrameCodec.Encode(gossip)[5..];

        for (var length = 0; length < payload.Length; length++)
        {
            var status = FrameCodec.TryRead(Frame(MessageType.Gossip, payload[..length]), Max, out var message, out _, out var error);
            Assert.That((status, message, error), Is.EqualTo((DecodeStatus.Invalid, (Message?)null, (string?)"malformed Gossip frame: truncated payload")),
                $"payload cut to {length} of {payload.Length} bytes");
        }
    }

    private static IEnumerable<TestCaseData> GossipTheDecoderRejects()
    {
        yield return new TestCaseData(Worked() with { Kind = (GossipKind)4 }, "unknown gossip kind 4").SetName("{m}(kind 4)");
        yield return new TestCaseData(Worked() with { Sequence = 0 }, "sequence 0").SetName("{m}(sequence 0)");
        yield return new TestCaseData(Worked() with { Hops = 0 }, "hops 0").SetName("{m}(hops 0)");
        yield return new TestCaseData(Worked() with { Signature = new byte[63] }, "a signature of 63 bytes (an Ed25519 signature is 64)").SetName("{m}(63-byte signature)");
        yield return new TestCaseData(Worked() with { Signature = [] }, "a signature of 0 bytes").SetName("{m}(empty signature)");
        yield return new TestCaseData(Plain(string.Concat(Enumerable.Repeat("€", 1366))), "payload of 4098 bytes exceeds the limit of 4096").SetName("{m}(4098-byte payload)");
    }

    [TestCaseSource(nameof(GossipTheDecoderRejects))]
    public void Encoding_a_gossip_the_decoder_would_reject_throws_with_its_reason(GossipMessage gossip, string reason)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => FrameCodec.Encode(gossip), Throws.ArgumentException.With.Message.Contains(reason));
            Assert.That(() => FrameCodec.FrameSize(gossip), Throws.ArgumentException.With.Message.Contains(reason));
        }
    }

    [Test]
    public void Gossip_values_compare_signatures_by_their_bytes()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(SignedV6() with { Signature = [.. SignedV6().Signature] }, Is.EqualTo(SignedV6()));
            Assert.That((SignedV6() with { Signature = [.. SignedV6().Signature] }).GetHashCode(), Is.EqualTo(SignedV6().GetHashCode()));
            Assert.That(SignedV6() with { Signature = new byte[64] }, Is.Not.EqualTo(SignedV6()));
            Assert.That(SignedV6() with { Signature = GossipMessage.Unsigned }, Is.Not.EqualTo(SignedV6()));
            Assert.That(new GossipMessage(GossipKind.Gossip, V4, 1, 0, 1, "x").Signature, Is.EqualTo(new byte[64]), "a message nobody signed carries 64 zero bytes");
            Assert.That(FrameCodec.FrameSize(Worked() with { Signature = GossipMessage.Unsigned }), Is.EqualTo(FrameCodec.FrameSize(Worked())), "and is as long as a signed one");
        }
    }

    [TestCase((byte)0)]
    [TestCase((byte)5)]
    [TestCase((byte)6)]
    [TestCase((byte)15)]
    [TestCase((byte)255)]
    public void Address_length_other_than_4_or_16_is_invalid(byte addressLength)
    {
        byte[] payload = [0, 1, (byte)NodeRole.Peer, addressLength, .. new byte[addressLength], 0x13, 0x89];

        var status = FrameCodec.TryRead(Frame(MessageType.Hello, payload), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid,
            (string?)$"malformed Hello frame: address length {addressLength} is neither 4 (IPv4) nor 16 (IPv6)")));
    }

    [Test]
    public void Bad_address_length_inside_a_peer_list_is_invalid()
    {
        byte[] id = new byte[NodeId.Size];
        byte[] payload = [0, 2, 4, 127, 0, 0, 1, 0x13, 0x89, .. id, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0x13, 0x89, .. id];

        var status = FrameCodec.TryRead(Frame(MessageType.PeerList, payload), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid,
            (string?)"malformed PeerList frame: address length 8 is neither 4 (IPv4) nor 16 (IPv6)")));
    }

    [TestCase(MessageType.Hello)]
    [TestCase(MessageType.PeerList)]
    [TestCase(MessageType.DeadNode)]
    public void Endpoint_with_port_zero_is_invalid(MessageType type)
    {
        byte[] zeroPort = [4, 127, 0, 0, 1, 0, 0];
        byte[] payload = type switch
        {
            MessageType.Hello => [0, 1, (byte)NodeRole.Peer, .. zeroPort],
            MessageType.PeerList => [0, 1, .. zeroPort, .. new byte[NodeId.Size]],
            _ => [4, 127, 0, 0, 1, 0x13, 0x89, 0, 0, 0, 0, 0, 0, 0, 1, .. zeroPort],
        };

        var status = FrameCodec.TryRead(Frame(type, payload), Max, out var message, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo($"malformed {type} frame: endpoint port 0"));
            Assert.That(message, Is.Null);
        }
    }

    [TestCase((byte)0)]
    [TestCase((byte)3)]
    [TestCase((byte)255)]
    public void Hello_with_an_unknown_role_is_invalid(byte role)
    {
        byte[] payload = [0, 1, role, 4, 127, 0, 0, 1, 0x13, 0x89];

        var status = FrameCodec.TryRead(Frame(MessageType.Hello, payload), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid, (string?)$"malformed Hello frame: unknown node role {role}")));
    }

    [Test]
    public void Peer_list_count_over_the_limit_is_invalid_before_reading_entries()
    {
        var count = ProtocolLimits.MaxPeerListEntries + 1;
        byte[] payload = [(byte)(count >> 8), (byte)count];

        var status = FrameCodec.TryRead(Frame(MessageType.PeerList, payload), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid,
            (string?)"malformed PeerList frame: peer list claims 10001 entries; the limit is 10000")));
    }

    [TestCase(MessageType.Digest)]
    [TestCase(MessageType.Want)]
    public void Id_count_over_the_limit_is_invalid_before_reading_ids(MessageType type)
    {
        var count = ProtocolLimits.MaxDigestIds + 1;
        byte[] payload = [(byte)(count >> 8), (byte)count];

        var status = FrameCodec.TryRead(Frame(type, payload), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid,
            (string?)$"malformed {type} frame: 1025 message ids exceed the limit of 1024")));
    }

    [TestCase(ushort.MaxValue)]
    [TestCase(1025)]
    public void Id_count_over_the_limit_is_invalid_even_with_all_the_bytes(int count)
    {
        byte[] payload = [(byte)(count >> 8), (byte)count, .. new byte[count * 32]];

        var status = FrameCodec.TryRead(Frame(MessageType.Want, payload), 4 * 1024 * 1024, out var message, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo($"malformed Want frame: {count} message ids exceed the limit of 1024"));
            Assert.That(message, Is.Null);
        }
    }

    [Test]
    public void Encoding_a_digest_or_want_over_the_limit_throws()
    {
        var tooMany = Ids(ProtocolLimits.MaxDigestIds + 1).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => FrameCodec.Encode(new Digest(tooMany)), Throws.ArgumentException);
            Assert.That(() => FrameCodec.Encode(new Want(tooMany)), Throws.ArgumentException);
        }
    }

    [Test]
    public void The_largest_digest_fits_the_smallest_allowed_frame_limit()
    {
        var largest = new Digest([.. Ids(ProtocolLimits.MaxDigestIds)]);

        Assert.That(FrameCodec.FrameSize(largest) - 4, Is.EqualTo(1 + 2 + (1024 * 32)).And.LessThan(64 * 1024), "Transport:MaxFrameBytes is at least 64 KiB");
    }

    [Test]
    public void Encoding_a_peer_list_over_the_limit_throws()
    {
        var tooMany = new PeerList([.. Enumerable.Range(1, ProtocolLimits.MaxPeerListEntries + 1).Select(i => NodeEndpoint.Loopback(i))]);

        Assert.That(() => FrameCodec.Encode(tooMany), Throws.ArgumentException);
    }

    [Test]
    public void Ping_1_has_the_documented_bytes()
    {
        Assert.That(FrameCodec.Encode(new Ping(1)), Is.EqualTo(Hex("00 00 00 09 06 00 00 00 00 00 00 00 01")));
    }

    [Test]
    public void Hello_has_the_documented_bytes()
    {
        var hello = FrameCodecVersion4Tests.WithTestIdentity(new Hello(ProtocolLimits.Version, NodeRole.Peer, NodeEndpoint.Loopback(5001)));

        Assert.That(FrameCodec.Encode(hello), Is.EqualTo(Hex(
            $"00 00 00 45 01 00 08 02 04 7F 00 00 01 13 89 {FrameCodecVersion4Tests.TestIdHex} {FrameCodecVersion4Tests.TestIdWorkHex} {FrameCodecVersion4Tests.TestNonceHex} 00")));
    }

    [Test]
    public void Hello_with_ipv6_has_the_documented_bytes()
    {
        var hello = FrameCodecVersion4Tests.WithTestIdentity(new Hello(ProtocolLimits.Version, NodeRole.Seed, new NodeEndpoint(IPAddress.IPv6Loopback, 6000)));

        Assert.That(FrameCodec.Encode(hello), Is.EqualTo(Hex(
            $"00 00 00 51 01 00 08 01 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 17 70 {FrameCodecVersion4Tests.TestIdHex} {FrameCodecVersion4Tests.TestIdWorkHex} {FrameCodecVersion4Tests.TestNonceHex} 00")));
    }

    [Test]
    public void Gossip_has_the_documented_bytes()
    {
        Assert.That(FrameCodec.Encode(Worked()), Is.EqualTo(Hex(
            $"00 00 00 9C 05 01 04 7F 00 00 01 13 89 {FrameCodecVersion4Tests.TestIdHex} 00 00 00 00 00 00 00 00 07 00 00 01 8B CF E5 68 7B 00 01 00 1E "
            + $"31 37 30 30 30 30 30 30 30 30 31 32 33 3A 31 32 37 2E 30 2E 30 2E 31 3A 35 30 30 31 3A 37 {WorkedSignatureHex}")));
    }

    [Test]
    public void Gossip_from_an_ipv6_origin_has_the_documented_bytes()
    {
        Assert.That(FrameCodec.Encode(SignedV6()), Is.EqualTo(Hex(
            $"00 00 00 AC 05 01 10 20 01 0D B8 00 00 00 00 00 00 00 00 00 00 00 17 17 70 {Test2IdHex} 00 00 00 00 00 00 00 00 0A "
            + "00 00 01 8B CF E5 68 7B 00 03 00 22 31 37 30 30 30 30 30 30 30 30 31 32 33 3A 32 30 30 31 3A 64 62 38 3A 3A 31 37 3A 36 30 30 30 3A 31 30 "
            + SignedV6SignatureHex)));
    }

    [Test]
    public void The_largest_gossip_frames_have_the_documented_bodies()
    {
        var longest = new string('x', ProtocolLimits.MaxPayloadBytes);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(FrameCodec.FrameSize(Plain(longest)) - 4, Is.EqualTo(4222), "IPv4 origin");
            Assert.That(FrameCodec.FrameSize(Plain(longest, origin: V6, signature: Signature)) - 4, Is.EqualTo(4234), "IPv6 origin");
            Assert.That(FrameCodec.FrameSize(Plain(longest, origin: V6, signature: Signature) with
            {
                Attestations = [.. Enumerable.Repeat(new SeedAttestation(V6, 0, Signature), ProtocolLimits.MaxAttestations)],
            }) - 4, Is.EqualTo(4962), "IPv6 origin with 8 attestations from IPv6 seeds (91 bytes each)");
        }
    }

    [Test]
    public void Gossip_frame_size_from_origin_and_text_is_the_frame_size_of_the_message()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(FrameCodec.GossipFrameSize(Worked().Origin, Worked().Text), Is.EqualTo(FrameCodec.FrameSize(Worked())));
            Assert.That(FrameCodec.GossipFrameSize(SignedV6().Origin, SignedV6().Text), Is.EqualTo(FrameCodec.FrameSize(SignedV6())));
        }
    }

    [Test]
    public void PeerList_has_the_documented_bytes()
    {
        var list = new PeerList([NodeEndpoint.Loopback(5001)], [FrameCodecVersion4Tests.TestId]);

        Assert.That(FrameCodec.Encode(list), Is.EqualTo(Hex(
            $"00 00 00 2A 03 00 01 04 7F 00 00 01 13 89 {FrameCodecVersion4Tests.TestIdHex}")));
    }

    [Test]
    public void A_peer_list_decodes_with_the_id_of_each_entry()
    {
        var ids = new[] { FrameCodecVersion4Tests.TestId, new NodeId(1, 2, 3, 4) };
        var encoded = FrameCodec.Encode(new PeerList([NodeEndpoint.Loopback(5001), V6], ids));

        FrameCodec.TryRead(encoded, Max, out var message, out _, out _);

        Assert.That(((PeerList)message!).Ids, Is.EqualTo(ids));
    }

    [Test]
    public void A_peer_list_entry_cut_short_in_its_id_is_truncated()
    {
        var encoded = FrameCodec.Encode(new PeerList([NodeEndpoint.Loopback(5001)], [FrameCodecVersion4Tests.TestId]));
        byte[] payload = [.. encoded.AsSpan(5, encoded.Length - 5 - 1)]; // the last id byte missing

        var status = FrameCodec.TryRead(Frame(MessageType.PeerList, payload), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid, (string?)"malformed PeerList frame: truncated payload")));
    }

    [Test]
    public void DeadNode_has_the_documented_bytes()
    {
        var report = new DeadNode(NodeEndpoint.Loopback(5003), 1_700_000_000_123, NodeEndpoint.Loopback(5001));

        Assert.That(FrameCodec.Encode(report), Is.EqualTo(Hex(
            "00 00 00 17 04 04 7F 00 00 01 13 8B 00 00 01 8B CF E5 68 7B 04 7F 00 00 01 13 89")));
    }

    [Test]
    public void Digest_has_the_documented_bytes()
    {
        var digest = new Digest([Worked().Id]);

        Assert.That(FrameCodec.Encode(digest), Is.EqualTo(Hex(
            $"00 00 00 23 09 00 01 {WorkedIdHex}")));
    }

    [Test]
    public void Want_has_the_layout_of_a_digest_with_its_own_type()
    {
        var ids = Ids(2).ToArray();

        var want = FrameCodec.Encode(new Want(ids));
        var digest = FrameCodec.Encode(new Digest(ids));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(want[4], Is.EqualTo(10));
            Assert.That(want.AsSpan(5).ToArray(), Is.EqualTo(digest.AsSpan(5).ToArray()));
            Assert.That(FrameCodec.Encode(new Want([])), Is.EqualTo(Hex("00 00 00 03 0A 00 00")));
        }
    }

    [Test]
    public void Bodiless_messages_are_one_byte_frames()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(FrameCodec.Encode(Register.Instance), Is.EqualTo(Hex("00 00 00 01 02")));
            Assert.That(FrameCodec.Encode(Goodbye.Instance), Is.EqualTo(Hex("00 00 00 01 08")));
            Assert.That(FrameCodec.Encode(new PeerList([])), Is.EqualTo(Hex("00 00 00 03 03 00 00")));
        }
    }

    [Test]
    public void DeadNode_text_form_names_the_dead_node_the_time_and_the_reporter()
    {
        var report = new DeadNode(NodeEndpoint.Loopback(5003), 1_700_000_000_123, NodeEndpoint.Loopback(5001));

        Assert.That(report.ToText(), Is.EqualTo("Dead Node:127.0.0.1:5003:1700000000123:127.0.0.1"));
    }

    [Test]
    public void Message_type_numbers_are_fixed()
    {
        var numbers = Enum.GetValues<MessageType>().ToDictionary(t => t.ToString(), t => (int)t);

        Assert.That(numbers, Is.EqualTo(new Dictionary<string, int>
        {
            ["Hello"] = 1, ["Register"] = 2, ["PeerList"] = 3, ["DeadNode"] = 4,
            ["Gossip"] = 5, ["Ping"] = 6, ["Pong"] = 7, ["Goodbye"] = 8,
            ["Digest"] = 9, ["Want"] = 10, ["IHave"] = 11, ["Graft"] = 12, ["Prune"] = 13, ["TreeAdvert"] = 14,
            ["GroupJoin"] = 15, ["GroupLeave"] = 16, ["GroupMembers"] = 17, ["DirectAck"] = 18, ["Reserve"] = 19, ["RelayRefused"] = 20,
            ["HelloProof"] = 21, ["IdRequest"] = 40, ["IdAnswer"] = 41, ["GroupKey"] = 42, ["Attestation"] = 43,
        }));
    }

    [Test]
    public void Node_role_numbers_are_fixed()
    {
        Assert.That(Enum.GetValues<NodeRole>().Select(r => (r.ToString(), (int)r)), Is.EqualTo(new[] { ("Seed", 1), ("Peer", 2) }));
    }

    [Test]
    public void Gossip_kind_numbers_are_fixed_and_this_is_version_8()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Enum.GetValues<GossipKind>().Select(k => (k.ToString(), (int)k)), Is.EqualTo(new[] { ("Gossip", 1), ("Group", 2), ("Direct", 3) }));
            Assert.That(Enum.GetValues<LinkKind>().Select(k => (k.ToString(), (int)k)), Is.EqualTo(new[] { ("Overlay", 0), ("Group", 1), ("Direct", 2) }));
            Assert.That(ProtocolLimits.Version, Is.EqualTo(8));
        }
    }

    private static byte[] Prefix(int length)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, length);
        return prefix;
    }

    private static byte[] Frame(MessageType type, byte[] payload) => [.. Prefix(1 + payload.Length), (byte)type, .. payload];

    /// <summary>
    /// A Gossip payload written by hand, field by field: kind, origin 127.0.0.1:5001, origin id (RFC 8032 TEST 1's key),
    /// sequence, timestamp 1700000000123, hops, payload length (the text's unless <paramref name="textLength"/> is given)
    /// and text ("abc" unless given), signature (64 zeros unless given).
    /// </summary>
    private static byte[] GossipPayload(byte kind = 1, ulong sequence = 7, ushort hops = 1, byte[]? text = null, int? textLength = null, byte[]? signature = null)
    {
        text ??= "abc"u8.ToArray();
        var numbers = new byte[8 + 8 + 2 + 2];
        BinaryPrimitives.WriteUInt64BigEndian(numbers, sequence);
        BinaryPrimitives.WriteInt64BigEndian(numbers.AsSpan(8), 1_700_000_000_123);
        BinaryPrimitives.WriteUInt16BigEndian(numbers.AsSpan(16), hops);
        BinaryPrimitives.WriteUInt16BigEndian(numbers.AsSpan(18), (ushort)(textLength ?? text.Length));
        return [kind, 4, 127, 0, 0, 1, 0x13, 0x89, .. Hex(FrameCodecVersion4Tests.TestIdHex), 0 /* no attestations */, .. numbers, .. text, .. signature ?? new byte[ProtocolLimits.SignatureSize]];
    }

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", string.Empty, StringComparison.Ordinal));

    [Test]
    public void The_tree_frames_byte_by_byte()
    {
        var id = Worked().Id; // 5f 3c 60 69 ... (PROTOCOL.md, Message id)
        var idBytes = Hex(WorkedIdHex);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(FrameCodec.Encode(Prune.Instance), Is.EqualTo(new byte[] { 0, 0, 0, 1, 0x0D }));
            Assert.That(FrameCodec.Encode(new Graft([])), Is.EqualTo(new byte[] { 0, 0, 0, 3, 0x0C, 0, 0 }));
            Assert.That(FrameCodec.Encode(new Graft([id])), Is.EqualTo((byte[])[0, 0, 0, 35, 0x0C, 0, 1, .. idBytes]));
            Assert.That(FrameCodec.Encode(new IHave([new Announcement(id, 3)])), Is.EqualTo((byte[])[0, 0, 0, 37, 0x0B, 0, 1, .. idBytes, 0, 3]));
            Assert.That(FrameCodec.Encode(new TreeAdvert(new NodeEndpoint(IPAddress.Loopback, 5000), 3, ParentIsYou: true)),
                Is.EqualTo(new byte[] { 0, 0, 0, 11, 0x0E, 4, 127, 0, 0, 1, 0x13, 0x88, 0, 3, 1 }));
        }
    }

    [Test]
    public void A_TreeAdvert_whose_parent_flag_is_neither_0_nor_1_is_malformed()
    {
        var status = FrameCodec.TryRead(Frame(MessageType.TreeAdvert, [4, 127, 0, 0, 1, 0x13, 0x88, 0, 3, 2]), Max, out var message, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("malformed TreeAdvert frame: parent flag 2 is neither 0 nor 1"));
            Assert.That(message, Is.Null);
        }
    }

    [Test]
    public void An_IHave_over_the_announcement_limit_is_invalid_before_any_announcement_is_read()
    {
        var status = FrameCodec.TryRead(Frame(MessageType.IHave, [0x04, 0x01]), Max, out var message, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("malformed IHave frame: 1025 announcements exceed the limit of 1024"));
            Assert.That(message, Is.Null);
            Assert.That(() => FrameCodec.Encode(new IHave([.. Enumerable.Repeat(new Announcement(Worked().Id, 1), 1025)])), Throws.ArgumentException);
        }
    }

}
