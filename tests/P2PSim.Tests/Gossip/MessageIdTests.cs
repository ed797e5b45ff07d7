using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Protocol;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Gossip;

public class MessageIdTests
{
    private const string Text = "1700000000123:127.0.0.1:5001:7";
    private const long Timestamp = 1_700_000_000_123;
    private static readonly NodeEndpoint Origin = NodeEndpoint.Loopback(5001);
    private static readonly NodeEndpoint V6 = new(IPAddress.Parse("2001:db8::17"), 65535);

    /// <summary>The worked examples' origin id: RFC 8032 TEST 1's public key.</summary>
    private static readonly NodeId OriginId = FrameCodecVersion4Tests.TestId;

    private static readonly MessageId WorkedId = MessageId.Of(GossipKind.Gossip, Origin, OriginId, 7, Timestamp, Text);

    private static GossipMessage Worked(ushort hops = 1) => new(GossipKind.Gossip, Origin, 7, Timestamp, hops, Text) { OriginId = OriginId };

    /// <summary>The worked example of PROTOCOL.md ("Message id"); the digest was computed apart, with Python's hashlib.</summary>
    [Test]
    public void The_worked_example_has_the_documented_digest()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(WorkedId.ToString(), Is.EqualTo("5f3c60693a94b402719e3a3a383be5c7d0603a89de34a5d2b7bcd1873b050bdf"));
            Assert.That(WorkedId.Short, Is.EqualTo("5f3c60693a94"));
        }
    }

    [Test]
    public void The_worked_example_hashes_the_documented_99_bytes()
    {
        var input = Hex(
            "50 32 50 53 69 6D 2F 35 20 69 64 01 04 7F 00 00 01 13 89 "
            + FrameCodecVersion4Tests.TestIdHex
            + " 00 00 00 00 00 00 00 07 00 00 01 8B CF E5 68 7B "
            + "D9 01 27 EF 27 46 CE 03 73 1B 6D 3D 1B 9E FF 00 18 EF 99 28 05 A5 38 08 1C 65 4E 2E 0B FB CA 24");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(input, Has.Length.EqualTo(99));
            Assert.That(input, Is.EqualTo(Input(GossipKind.Gossip, Origin, OriginId, 7, Timestamp, Text)));
            Assert.That(WorkedId, Is.EqualTo(FromHash(SHA256.HashData(input))));
        }
    }

    private static IEnumerable<TestCaseData> Inputs()
    {
        yield return new TestCaseData(Origin, 1UL, 0L, string.Empty).SetName("{m}(empty payload)");
        yield return new TestCaseData(V6, ulong.MaxValue, -1L, "1700000000123:2001:db8::17:6000:10").SetName("{m}(IPv6 origin, extreme numbers)");
        yield return new TestCaseData(new NodeEndpoint(IPAddress.Parse("::ffff:10.0.0.1"), 1), 2UL, long.MinValue, "x").SetName("{m}(IPv4-mapped origin)");
        yield return new TestCaseData(Origin, 3UL, Timestamp, "héllo wörld € 日本語 🎉").SetName("{m}(unicode payload)");
        foreach (var length in new[] { 511, 512, 513, 4096, 100_000 })
        {
            yield return new TestCaseData(Origin, 4UL, Timestamp, string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + (i % 26)))))
                .SetName($"{{m}}({length}-byte payload)");
        }
        yield return new TestCaseData(Origin, 5UL, Timestamp, new string('é', 300)).SetName("{m}(600 UTF-8 bytes in 300 chars)");
    }

    [TestCaseSource(nameof(Inputs))]
    public void Id_is_the_sha256_of_domain_kind_origin_origin_id_sequence_timestamp_and_payload_hash(NodeEndpoint origin, ulong sequence, long timestamp, string payload)
    {
        var hash = SHA256.HashData(Input(GossipKind.Gossip, origin, OriginId, sequence, timestamp, payload));

        var id = MessageId.Of(GossipKind.Gossip, origin, OriginId, sequence, timestamp, payload);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(id, Is.EqualTo(FromHash(hash)));
            Assert.That(id.ToString(), Is.EqualTo(Convert.ToHexStringLower(hash)));
        }
    }

    [Test]
    public void Hops_and_signature_are_not_part_of_the_id()
    {
        byte[] signature = [.. Enumerable.Range(0, 64).Select(i => (byte)i)];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Worked().Id, Is.EqualTo(WorkedId));
            Assert.That(Worked(hops: ushort.MaxValue).Id, Is.EqualTo(WorkedId));
            Assert.That((Worked() with { Signature = signature }).Id, Is.EqualTo(WorkedId));
            Assert.That(new GossipMessage(GossipKind.Gossip, Origin, 7, Timestamp, 2, Text, new byte[64]) { OriginId = OriginId }.Id, Is.EqualTo(WorkedId));
        }
    }

    [Test]
    public void Every_other_field_changes_the_id()
    {
        var others = new Dictionary<string, MessageId>
        {
            ["origin address"] = MessageId.Of(GossipKind.Gossip, new NodeEndpoint(IPAddress.Parse("127.0.0.2"), 5001), OriginId, 7, Timestamp, Text),
            ["origin port"] = MessageId.Of(GossipKind.Gossip, NodeEndpoint.Loopback(5002), OriginId, 7, Timestamp, Text),
            ["origin as IPv4-mapped IPv6"] = MessageId.Of(GossipKind.Gossip, new NodeEndpoint(IPAddress.Loopback.MapToIPv6(), 5001), OriginId, 7, Timestamp, Text),
            ["origin id"] = MessageId.Of(GossipKind.Gossip, Origin, OriginId with { D = OriginId.D ^ 1 }, 7, Timestamp, Text),
            ["no origin id"] = MessageId.Of(GossipKind.Gossip, Origin, default, 7, Timestamp, Text),
            ["sequence"] = MessageId.Of(GossipKind.Gossip, Origin, OriginId, 8, Timestamp, Text),
            ["timestamp"] = MessageId.Of(GossipKind.Gossip, Origin, OriginId, 7, Timestamp + 1, Text),
            ["payload"] = MessageId.Of(GossipKind.Gossip, Origin, OriginId, 7, Timestamp, Text + " "),
            ["kind"] = MessageId.Of((GossipKind)2, Origin, OriginId, 7, Timestamp, Text),
        };

        Assert.That(others.Where(o => o.Value == WorkedId).Select(o => o.Key), Is.Empty, "fields that left the id unchanged");
        Assert.That(others.Values.Distinct().Count(), Is.EqualTo(others.Count));
    }

    [Test]
    public void Same_fields_same_id()
    {
        var again = MessageId.Of(GossipKind.Gossip, NodeEndpoint.Loopback(5001), FrameCodecVersion4Tests.TestId, 7, Timestamp, string.Concat("1700000000123:127.0.0.1:", "5001:7"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again, Is.EqualTo(WorkedId));
            Assert.That(again.GetHashCode(), Is.EqualTo(WorkedId.GetHashCode()));
        }
    }

    [Test]
    public void A_copy_with_other_hops_keeps_the_cached_id_and_a_copy_with_another_identity_hashes_anew()
    {
        var original = Worked();
        _ = original.Id; // computed and cached: every copy below starts with it

        using (Assert.EnterMultipleScope())
        {
            Assert.That((original with { Hops = 9 }).Id, Is.EqualTo(WorkedId));
            Assert.That((original with { Signature = new byte[64] }).Id, Is.EqualTo(WorkedId));
            Assert.That((original with { Sequence = 8 }).Id, Is.EqualTo(MessageId.Of(GossipKind.Gossip, Origin, OriginId, 8, Timestamp, Text)));
            Assert.That((original with { Origin = V6 }).Id, Is.EqualTo(MessageId.Of(GossipKind.Gossip, V6, OriginId, 7, Timestamp, Text)));
            Assert.That((original with { OriginId = default }).Id, Is.EqualTo(MessageId.Of(GossipKind.Gossip, Origin, default, 7, Timestamp, Text)));
            Assert.That((original with { TimestampUnixMs = 1 }).Id, Is.EqualTo(MessageId.Of(GossipKind.Gossip, Origin, OriginId, 7, 1, Text)));
            Assert.That((original with { Text = "other" }).Id, Is.EqualTo(MessageId.Of(GossipKind.Gossip, Origin, OriginId, 7, Timestamp, "other")));
            Assert.That((original with { Kind = (GossipKind)3 }).Id, Is.EqualTo(MessageId.Of((GossipKind)3, Origin, OriginId, 7, Timestamp, Text)));
        }
    }

    [Test]
    public void A_small_message_is_identified_without_allocating()
    {
        var v6 = V6;
        MessageId.Of(GossipKind.Gossip, v6, OriginId, 7, Timestamp, Text); // compiled and warmed up
        var before = GC.GetAllocatedBytesForCurrentThread();

        var id = MessageId.Of(GossipKind.Gossip, v6, OriginId, 7, Timestamp, Text);

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, id.Short);
    }

    /// <summary>The bytes the id hashes, built here independently of <see cref="MessageId"/> and the codec.</summary>
    private static byte[] Input(GossipKind kind, NodeEndpoint origin, NodeId originId, ulong sequence, long timestamp, string payload)
    {
        var address = origin.Address.GetAddressBytes();
        var id = Convert.FromHexString(originId.ToString());
        var numbers = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(numbers, sequence);
        BinaryPrimitives.WriteInt64BigEndian(numbers.AsSpan(8), timestamp);
        return [.. Encoding.ASCII.GetBytes("P2PSim/5 id"), (byte)kind, (byte)address.Length, .. address, (byte)(origin.Port >> 8), (byte)origin.Port,
            .. id, .. numbers, .. SHA256.HashData(Encoding.UTF8.GetBytes(payload))];
    }

    private static MessageId FromHash(byte[] hash) => new(
        BinaryPrimitives.ReadUInt64BigEndian(hash),
        BinaryPrimitives.ReadUInt64BigEndian(hash.AsSpan(8)),
        BinaryPrimitives.ReadUInt64BigEndian(hash.AsSpan(16)),
        BinaryPrimitives.ReadUInt64BigEndian(hash.AsSpan(24)));

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", string.Empty, StringComparison.Ordinal));
}
