using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Tests.Protocol;

public class FrameCodecTests
{
    private const int Max = ProtocolLimits.DefaultMaxFrameLength;

    private static readonly NodeEndpoint V4 = NodeEndpoint.Loopback(5001);
    private static readonly NodeEndpoint V6 = new(IPAddress.Parse("2001:db8::17"), 65535);

    /// <summary>One of every message type, with IPv4 and IPv6 endpoints, empty and full lists, unicode and maximal text.</summary>
    private static IEnumerable<TestCaseData> EveryMessage()
    {
        yield return Case("Hello peer IPv4", new Hello(ProtocolLimits.Version, NodeRole.Peer, V4));
        yield return Case("Hello seed IPv6", new Hello(ProtocolLimits.Version, NodeRole.Seed, V6));
        yield return Case("Hello other version", new Hello(ushort.MaxValue, NodeRole.Peer, V4));
        yield return Case("Register", Register.Instance);
        yield return Case("PeerList empty", new PeerList([]));
        yield return Case("PeerList IPv4 and IPv6", new PeerList([V4, V6, NodeEndpoint.Loopback(1), new NodeEndpoint(IPAddress.IPv6Loopback, 6000)]));
        yield return Case("PeerList at the entry limit", new PeerList(
            [.. Enumerable.Range(1, ProtocolLimits.MaxPeerListEntries).Select(i => new NodeEndpoint(new IPAddress(i), i % 65535 + 1))]));
        yield return Case("DeadNode IPv4", new DeadNode(V4, 1_700_000_000_123, NodeEndpoint.Loopback(5002)));
        yield return Case("DeadNode IPv6 reporter, negative timestamp", new DeadNode(V4, -1, V6));
        yield return Case("Gossip ASCII", new P2PSim.Protocol.Gossip("1700000000123:127.0.0.1:5001:7", 1));
        yield return Case("Gossip empty text", new P2PSim.Protocol.Gossip(string.Empty, 0));
        yield return Case("Gossip unicode", new P2PSim.Protocol.Gossip("héllo wörld € 日本語 🎉 Ω", ushort.MaxValue));
        yield return Case("Gossip max-length ASCII", new P2PSim.Protocol.Gossip(new string('x', ProtocolLimits.MaxGossipTextBytes), 42));
        yield return Case("Gossip max-length multibyte", new P2PSim.Protocol.Gossip(string.Concat(Enumerable.Repeat("€", 1365)) + "a", 3));
        yield return Case("Ping 0", new Ping(0));
        yield return Case("Ping max", new Ping(ulong.MaxValue));
        yield return Case("Pong", new Pong(0x0102030405060708));
        yield return Case("Goodbye", Goodbye.Instance);
        yield return Case("Digest empty", new Digest([]));
        yield return Case("Digest one id", new Digest([MessageId.Of("1700000000123:127.0.0.1:5001:7")]));
        yield return Case("Digest extreme ids", new Digest([new MessageId(0, 0, 0, 0), new MessageId(ulong.MaxValue, 1, ulong.MaxValue - 1, 0x0102030405060708)]));
        yield return Case("Digest at the id limit", new Digest([.. Ids(ProtocolLimits.MaxDigestIds)]));
        yield return Case("Want empty", new Want([]));
        yield return Case("Want three ids", new Want([.. Ids(3)]));
        yield return Case("Want at the id limit", new Want([.. Ids(ProtocolLimits.MaxDigestIds)]));

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
        Enumerable.Range(1, count).Select(i => MessageId.Of($"1700000000000:127.0.0.1:5001:{i}"));

    /// <summary>Every message but the 10,000-entry peer list and the full digests (feeding those byte by byte is quadratic and adds nothing).</summary>
    private static IEnumerable<TestCaseData> EverySmallMessage() =>
        EveryMessage().Where(c => c.Arguments[0] is not (PeerList { Peers.Count: > 100 } or Digest { Ids.Count: > 100 } or Want { Ids.Count: > 100 }));

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
        var first = new P2PSim.Protocol.Gossip("1:127.0.0.1:5001:1", 1);
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
        var frame = FrameCodec.Encode(new P2PSim.Protocol.Gossip("0123456789", 1)); // body: 1 + 2 + 2 + 10 = 15

        var atLimit = FrameCodec.TryRead(frame, 15, out _, out _, out _);
        var overLimit = FrameCodec.TryRead(frame, 14, out _, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(atLimit, Is.EqualTo(DecodeStatus.Complete));
            Assert.That(overLimit, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("frame length 15 exceeds the maximum of 14 bytes"));
        }
    }

    [TestCase((byte)0)]
    [TestCase((byte)11)]
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
        yield return new TestCaseData(MessageType.Gossip, new byte[] { 0, 1, 0, 10, 0x61, 0x62, 0x63 }).SetName("{m}(Gossip text length 10, 3 bytes)");
        yield return new TestCaseData(MessageType.Pong, new byte[] { 0, 0, 0, 0, 0, 0, 0 }).SetName("{m}(Pong with 7 of 8 bytes)");
        yield return new TestCaseData(MessageType.Digest, Array.Empty<byte>()).SetName("{m}(Digest without a count)");
        yield return new TestCaseData(MessageType.Digest, (byte[])[0, 2, .. new byte[32]]).SetName("{m}(Digest of 2 ids with 1)");
        yield return new TestCaseData(MessageType.Want, new byte[] { 0 }).SetName("{m}(Want half a count)");
        yield return new TestCaseData(MessageType.Want, (byte[])[0, 1, .. new byte[31]]).SetName("{m}(Want id of 31 bytes)");
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
    [TestCase(MessageType.Goodbye, 3)]
    [TestCase(MessageType.Ping, 1)]
    [TestCase(MessageType.Pong, 8)]
    [TestCase(MessageType.Digest, 1)]
    [TestCase(MessageType.Want, 31)]
    public void Trailing_bytes_after_the_payload_are_invalid(MessageType type, int extra)
    {
        var payload = type switch
        {
            MessageType.Ping or MessageType.Pong => new byte[8 + extra],
            MessageType.Digest or MessageType.Want => [0, 1, .. new byte[32 + extra]], // one id, then the extra bytes
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
    public void Trailing_bytes_after_a_hello_are_invalid()
    {
        var valid = FrameCodec.Encode(new Hello(1, NodeRole.Peer, V4));
        var body = valid.AsSpan(5).ToArray();

        var status = FrameCodec.TryRead(Frame(MessageType.Hello, [.. body, 0xAA]), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid, (string?)"malformed Hello frame: 1 unexpected trailing bytes")));
    }

    [TestCase(new byte[] { 0xC3, 0x28 })]
    [TestCase(new byte[] { 0xFF })]
    [TestCase(new byte[] { 0x61, 0x80 })]
    [TestCase(new byte[] { 0xC0, 0xAF })]
    [TestCase(new byte[] { 0xED, 0xA0, 0x80 })]
    [TestCase(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]
    [TestCase(new byte[] { 0xE2, 0x82 })]
    public void Gossip_text_that_is_not_valid_utf8_is_invalid(byte[] text)
    {
        byte[] payload = [0, 1, 0, (byte)text.Length, .. text];

        var status = FrameCodec.TryRead(Frame(MessageType.Gossip, payload), Max, out var message, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(DecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("malformed Gossip frame: text is not valid UTF-8"));
            Assert.That(message, Is.Null);
        }
    }

    [Test]
    public void Gossip_text_length_over_the_limit_is_invalid()
    {
        var length = ProtocolLimits.MaxGossipTextBytes + 1;
        byte[] payload = [0, 1, (byte)(length >> 8), (byte)length, .. new byte[length]];

        var status = FrameCodec.TryRead(Frame(MessageType.Gossip, payload), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid, (string?)"malformed Gossip frame: text of 4097 bytes exceeds the limit of 4096")));
    }

    [Test]
    public void Encoding_gossip_text_over_the_limit_throws()
    {
        var tooLong = new P2PSim.Protocol.Gossip(string.Concat(Enumerable.Repeat("€", 1366)), 1); // 4098 bytes

        Assert.That(() => FrameCodec.Encode(tooLong), Throws.ArgumentException.With.Message.Contains("4098 bytes"));
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
        byte[] payload = [0, 2, 4, 127, 0, 0, 1, 0x13, 0x89, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0x13, 0x89];

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
            MessageType.PeerList => [0, 1, .. zeroPort],
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
        var hello = new Hello(ProtocolLimits.Version, NodeRole.Peer, NodeEndpoint.Loopback(5001));

        Assert.That(FrameCodec.Encode(hello), Is.EqualTo(Hex("00 00 00 0B 01 00 01 02 04 7F 00 00 01 13 89")));
    }

    [Test]
    public void Hello_with_ipv6_has_the_documented_bytes()
    {
        var hello = new Hello(ProtocolLimits.Version, NodeRole.Seed, new NodeEndpoint(IPAddress.IPv6Loopback, 6000));

        Assert.That(FrameCodec.Encode(hello), Is.EqualTo(Hex("00 00 00 17 01 00 01 01 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 17 70")));
    }

    [Test]
    public void Gossip_has_the_documented_bytes()
    {
        var gossip = new P2PSim.Protocol.Gossip("1700000000123:127.0.0.1:5001:7", 1);

        Assert.That(FrameCodec.Encode(gossip), Is.EqualTo(Hex(
            "00 00 00 23 05 00 01 00 1E 31 37 30 30 30 30 30 30 30 30 31 32 33 3A 31 32 37 2E 30 2E 30 2E 31 3A 35 30 30 31 3A 37")));
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
        var digest = new Digest([MessageId.Of("1700000000123:127.0.0.1:5001:7")]);

        Assert.That(FrameCodec.Encode(digest), Is.EqualTo(Hex(
            "00 00 00 23 09 00 01 D9 01 27 EF 27 46 CE 03 73 1B 6D 3D 1B 9E FF 00 18 EF 99 28 05 A5 38 08 1C 65 4E 2E 0B FB CA 24")));
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
            ["Digest"] = 9, ["Want"] = 10,
        }));
    }

    [Test]
    public void Node_role_numbers_are_fixed()
    {
        Assert.That(Enum.GetValues<NodeRole>().Select(r => (r.ToString(), (int)r)), Is.EqualTo(new[] { ("Seed", 1), ("Peer", 2) }));
    }

    private static byte[] Prefix(int length)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, length);
        return prefix;
    }

    private static byte[] Frame(MessageType type, byte[] payload) => [.. Prefix(1 + payload.Length), (byte)type, .. payload];

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", string.Empty, StringComparison.Ordinal));
}
