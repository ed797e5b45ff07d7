using System.Net;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Protocol;

/// <summary>
/// What version 8 adds to the wire (PROTOCOL.md, <i>Attestations</i>): frame 43, <c>Attestation</c> (endpoint, node id,
/// notAfter, the seed's signature), and the envelope's attestation block after the origin id (u8 count, at most 8, then
/// seed endpoint, notAfter and signature each), which the message id covers.
/// </summary>
public class FrameCodecAttestationTests
{
    private const int Max = ProtocolLimits.DefaultMaxFrameLength;

    private static readonly NodeEndpoint Peer = NodeEndpoint.Loopback(5001);
    private static readonly NodeEndpoint Seed = NodeEndpoint.Loopback(4000);

    /// <summary>RFC 8032 TEST 2's secret key: the worked example's seed.</summary>
    private const string Test2SeedHex = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

    /// <summary>The worked example's notAfter: two minutes after the envelope example's timestamp.</summary>
    private const long NotAfter = 1_700_000_120_123;

    /// <summary>The worked example's signature (made with Python's <c>cryptography</c>, apart from this code).</summary>
    private const string WorkedSignatureHex =
        "C3 76 22 C1 FC DC AB AD CB 25 20 5F 78 78 8E 98 33 98 92 AB 82 0D EB 65 11 F0 F9 FE 17 77 16 EC "
        + "33 BA 7A E2 AA 87 05 97 56 B3 B5 B5 DA 96 D2 4C 5A 18 90 27 ED 81 C0 31 88 69 97 4B C9 97 81 09";

    /// <summary>The worked example of PROTOCOL.md: the seed with RFC 8032 TEST 2's key attests 127.0.0.1:5001 for RFC 8032 TEST 1's id.</summary>
    private static Attestation Worked() => new(Peer, FrameCodecVersion4Tests.TestId, NotAfter, Hex(WorkedSignatureHex));

    private static NodeId SeedId => NodeId.FromBytes(Hex(FrameCodecTests.Test2IdHex));

    [Test]
    public void The_worked_example_has_the_documented_bytes()
    {
        var frame = FrameCodec.Encode(Worked());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(frame.Length, Is.EqualTo(116));
            Assert.That(frame[..5], Is.EqualTo(Hex("00 00 00 70 2B")), "length 112 = type + endpoint (7) + id (32) + notAfter (8) + signature (64); type 43");
            Assert.That(frame[5..12], Is.EqualTo(Hex("04 7F 00 00 01 13 89")));
            Assert.That(frame[12..44], Is.EqualTo(Hex("D7 5A 98 01 82 B1 0A B7 D5 4B FE D3 C9 64 07 3A 0E E1 72 F3 DA A6 23 25 AF 02 1A 68 F7 07 51 1A")));
            Assert.That(frame[44..52], Is.EqualTo(Hex("00 00 01 8B CF E7 3D 3B")));
            Assert.That(frame[52..], Is.EqualTo(Hex(WorkedSignatureHex)));
        }
    }

    [Test]
    public void The_worked_example_signs_the_documented_96_bytes_and_verifies_for_the_seed_only()
    {
        Span<byte> input = stackalloc byte[EndpointAttestation.MaxInputSize];
        var length = EndpointAttestation.WriteInput(input, SeedId, Peer, FrameCodecVersion4Tests.TestId, NotAfter);
        var entry = new SeedAttestation(Seed, NotAfter, Hex(WorkedSignatureHex));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(input[..length].ToArray(), Is.EqualTo(Hex(
                "50 32 50 53 69 6D 2F 38 20 65 6E 64 70 6F 69 6E 74 " // "P2PSim/8 endpoint"
                + FrameCodecTests.Test2IdHex + " 04 7F 00 00 01 13 89 "
                + "D7 5A 98 01 82 B1 0A B7 D5 4B FE D3 C9 64 07 3A 0E E1 72 F3 DA A6 23 25 AF 02 1A 68 F7 07 51 1A "
                + "00 00 01 8B CF E7 3D 3B")));
            Assert.That(EndpointAttestation.Verifies(SeedId, Peer, FrameCodecVersion4Tests.TestId, entry), Is.True);
            Assert.That(EndpointAttestation.Verifies(FrameCodecVersion4Tests.TestId, Peer, FrameCodecVersion4Tests.TestId, entry), Is.False, "another seed's id");
            Assert.That(EndpointAttestation.Verifies(SeedId, NodeEndpoint.Loopback(5002), FrameCodecVersion4Tests.TestId, entry), Is.False, "another endpoint");
            Assert.That(EndpointAttestation.Verifies(SeedId, Peer, SeedId, entry), Is.False, "another peer id");
            Assert.That(EndpointAttestation.Verifies(SeedId, Peer, FrameCodecVersion4Tests.TestId, entry with { NotAfterUnixMs = NotAfter + 1 }), Is.False, "a later notAfter");
        }
    }

    [Test]
    public void Signing_with_the_seeds_key_makes_the_worked_example()
    {
        using var key = NodeKey.FromSeed(Hex(Test2SeedHex));

        Assert.That(EndpointAttestation.Sign(key, Peer, FrameCodecVersion4Tests.TestId, NotAfter), Is.EqualTo(Worked()));
    }

    [Test]
    public void An_attestation_survives_a_round_trip()
    {
        foreach (var message in new[] { Worked(), new Attestation(new NodeEndpoint(IPAddress.Parse("2001:db8::17"), 65535), default, long.MinValue, new byte[64]) })
        {
            var frame = FrameCodec.Encode(message);
            var status = FrameCodec.TryRead(frame, Max, out var decoded, out var consumed, out var error);
            Assert.That((status, error, consumed, decoded, FrameCodec.FrameSize(message)), Is.EqualTo((DecodeStatus.Complete, (string?)null, frame.Length, (Message?)message, frame.Length)));
        }
    }

    private static GossipMessage Attested(int count) => FrameCodecTests.Worked() with
    {
        Attestations = [.. Enumerable.Range(0, count).Select(i => new SeedAttestation(i % 2 == 0 ? NodeEndpoint.Loopback(4000 + i) : new NodeEndpoint(IPAddress.Parse("2001:db8::1"), 4000 + i),
            NotAfter + i, [.. Enumerable.Range(0, 64).Select(b => (byte)(b + i))]))],
    };

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(3)]
    [TestCase(ProtocolLimits.MaxAttestations)]
    public void An_envelope_with_attestations_survives_a_round_trip(int count)
    {
        var message = Attested(count);
        var frame = FrameCodec.Encode(message);

        var status = FrameCodec.TryRead(frame, Max, out var decoded, out _, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((status, error), Is.EqualTo((DecodeStatus.Complete, (string?)null)));
            Assert.That(decoded, Is.EqualTo(message));
            Assert.That(((GossipMessage)decoded!).Id, Is.EqualTo(message.Id));
            Assert.That(FrameCodec.FrameSize(message), Is.EqualTo(frame.Length));
        }
    }

    [Test]
    public void The_block_is_covered_by_the_id_and_an_empty_block_keeps_version_5s_id()
    {
        var plain = FrameCodecTests.Worked();
        var one = Attested(1);
        var other = one with { Attestations = [one.Attestations[0] with { NotAfterUnixMs = NotAfter + 5 }] };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(plain.Id.ToString(), Is.EqualTo(FrameCodecTests.WorkedIdHex.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()), "no attestations: the id of version 5");
            Assert.That(one.Id, Is.Not.EqualTo(plain.Id), "a block added (or stripped) changes the id, so the origin's signature no longer verifies");
            Assert.That(other.Id, Is.Not.EqualTo(one.Id), "a block altered changes the id");
            Assert.That(Attested(2).Id, Is.Not.EqualTo(one.Id));
        }
    }

    [Test]
    public void The_envelope_carries_the_count_byte_right_after_the_origin_id()
    {
        var frame = FrameCodec.Encode(FrameCodecTests.Worked());
        var attested = FrameCodec.Encode(Attested(1));

        using (Assert.EnterMultipleScope())
        {
            // length (4), type (1), kind (1), origin (7), origin id (32): the count is byte 45
            Assert.That(frame[45], Is.EqualTo(0));
            Assert.That(attested[45], Is.EqualTo(1));
            Assert.That(attested.Length - frame.Length, Is.EqualTo(7 + 8 + 64), "one IPv4 seed endpoint, notAfter, signature");
        }
    }

    private static IEnumerable<TestCaseData> MalformedFrames()
    {
        var worked = FrameCodec.Encode(Worked())[4..];
        yield return Malformed("an attestation without its signature", worked[..48], "malformed Attestation frame: truncated payload");
        yield return Malformed("an attestation one signature byte short", worked[..^1], "malformed Attestation frame: truncated payload");
        yield return Malformed("an attestation with a trailing byte", [.. worked, 0], "malformed Attestation frame: 1 unexpected trailing bytes");
        yield return Malformed("an empty attestation", [43], "malformed Attestation frame: truncated payload");

        var envelope = FrameCodec.Encode(Attested(2))[4..];
        var nine = (byte[])envelope.Clone();
        nine[41] = 9; // type (1), kind (1), origin (7), origin id (32): the count
        yield return Malformed("an envelope claiming 9 attestations", nine, "malformed Gossip frame: 9 attestations (at most 8)");
        var many = (byte[])envelope.Clone();
        many[41] = 255;
        yield return Malformed("an envelope claiming 255 attestations", many, "malformed Gossip frame: 255 attestations (at most 8)");
        var three = (byte[])envelope.Clone();
        three[41] = 3;
        // The third entry is read from the sequence's bytes: its address length 0 is refused.
        yield return Malformed("an envelope claiming more attestations than it holds", three, "malformed Gossip frame: address length 0 is neither 4 (IPv4) nor 16 (IPv6)");
        yield return Malformed("an envelope cut inside its block", envelope[..100], "malformed Gossip frame: truncated payload");
        yield return Malformed("an envelope cut before its count", envelope[..41], "malformed Gossip frame: truncated payload");

        static TestCaseData Malformed(string name, byte[] body, string reason) => new TestCaseData(body, reason).SetName($"{{m}}({name})");
    }

    [TestCaseSource(nameof(MalformedFrames))]
    public void A_malformed_attestation_or_block_is_invalid_with_its_reason(byte[] body, string reason)
    {
        byte[] frame = [0, 0, (byte)(body.Length >> 8), (byte)body.Length, .. body];

        var status = FrameCodec.TryRead(frame, Max, out var message, out _, out var error);

        Assert.That((status, message, error), Is.EqualTo((DecodeStatus.Invalid, (Message?)null, (string?)reason)));
    }

    [Test]
    public void Encoding_too_many_attestations_or_a_short_signature_throws()
    {
        var nine = FrameCodecTests.Worked() with { Attestations = [.. Enumerable.Repeat(new SeedAttestation(Seed, NotAfter, new byte[64]), 9)] };
        var shortSignature = FrameCodecTests.Worked() with { Attestations = [new SeedAttestation(Seed, NotAfter, new byte[63])] };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => FrameCodec.Encode(nine), Throws.ArgumentException.With.Message.Contains("9 attestations (at most 8)"));
            Assert.That(() => FrameCodec.Encode(shortSignature), Throws.ArgumentException.With.Message.Contains("a signature of 63 bytes"));
            Assert.That(() => FrameCodec.Encode(new Attestation(Peer, default, 0, new byte[10])), Throws.ArgumentException.With.Message.Contains("a signature of 10 bytes"));
        }
    }

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", string.Empty, StringComparison.Ordinal));
}
