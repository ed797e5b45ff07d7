using P2PSim.Gossip;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Protocol;

/// <summary>
/// What protocol version 5 signs (PROTOCOL.md, "Identity and signatures", "Worked examples"): the bytes each signature
/// covers, the worked examples' signatures (made apart with Python's <c>cryptography</c>, RFC 8032's test keys), and
/// that no byte of a signed envelope can change without the signature failing, but its hops.
/// </summary>
public class SignedEnvelopeTests
{
    /// <summary>RFC 8032 TEST 2's secret key: the IPv6 example's origin, and the recipient acknowledging the first example.</summary>
    private const string Test2SeedHex = "4C CD 08 9B 28 FF 96 DA 9D B6 C3 46 EC 11 4E 0F 5B 8A 31 9F 35 AB A6 24 DA 8C F6 ED 4F B8 A6 FB";

    private const string AckSignatureHex =
        "8C 30 04 B3 2F 05 81 DF B7 78 8D EA 75 13 A8 8C DB 3E 97 42 7C 10 37 34 0B 00 C5 19 17 C3 4B B4 "
        + "3C 67 7E DB 71 D3 B3 C0 09 0F 88 EC 00 A4 7E CB 7C 37 90 CD 34 17 53 12 72 85 42 F1 CB 6F 6D 08";

    [Test]
    public void The_origin_signs_the_domain_string_and_the_message_id_48_bytes()
    {
        Span<byte> input = stackalloc byte[MessageSignature.MessageInputSize];
        MessageSignature.WriteMessageInput(input, FrameCodecTests.Worked().Id);

        Assert.That(input.ToArray(), Is.EqualTo(Hex("50 32 50 53 69 6D 2F 35 20 6D 65 73 73 61 67 65 " + FrameCodecTests.WorkedIdHex)));
    }

    [Test]
    public void A_recipient_signs_the_domain_string_the_message_id_and_its_own_id_76_bytes()
    {
        Span<byte> input = stackalloc byte[MessageSignature.AckInputSize];
        MessageSignature.WriteAckInput(input, FrameCodecTests.Worked().Id, NodeId.FromBytes(Hex(FrameCodecTests.Test2IdHex)));

        Assert.That(input.ToArray(), Is.EqualTo(Hex("50 32 50 53 69 6D 2F 35 20 61 63 6B " + FrameCodecTests.WorkedIdHex + " " + FrameCodecTests.Test2IdHex)));
    }

    [Test]
    public void The_worked_examples_are_signed_by_their_origins_keys_as_documented()
    {
        using var test1 = NodeKey.FromSeed(Hex(FrameCodecVersion4Tests.TestSeedHex));
        using var test2 = NodeKey.FromSeed(Hex(Test2SeedHex));
        var worked = FrameCodecTests.Worked();
        var v6 = FrameCodecTests.SignedV6();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(MessageSignature.SignMessage(test1, worked.Id), Is.EqualTo(worked.Signature), "Ed25519 is deterministic: the same key signs the same bytes");
            Assert.That(MessageSignature.SignMessage(test2, v6.Id), Is.EqualTo(v6.Signature));
            Assert.That(MessageSignature.Verifies(worked), Is.True);
            Assert.That(MessageSignature.Verifies(v6), Is.True);
            Assert.That(MessageSignature.Verifies(worked with { OriginId = v6.OriginId, Signature = worked.Signature }), Is.False, "not for another id");
            Assert.That(v6.Id.ToString(), Is.EqualTo("f410fe761f973165aca3f8904c691c6b24608708cd0a3d597153b79f98ccfe78"));
        }
    }

    [Test]
    public void The_worked_direct_ack_has_the_documented_bytes_and_verifies_for_its_recipient_only()
    {
        using var recipient = NodeKey.FromSeed(Hex(Test2SeedHex));
        var ack = MessageSignature.Acknowledge(recipient, FrameCodecTests.Worked().Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(FrameCodec.Encode(ack), Is.EqualTo(Hex("00 00 00 61 12 " + FrameCodecTests.WorkedIdHex + " " + AckSignatureHex)));
            Assert.That(MessageSignature.Verifies(ack, recipient.Id), Is.True);
            Assert.That(MessageSignature.Verifies(ack, FrameCodecVersion4Tests.TestId), Is.False, "not the sender's");
            Assert.That(MessageSignature.Verifies(ack with { Id = new MessageId(1, 2, 3, 4) }, recipient.Id), Is.False, "not for another message");
        }
    }

    [Test]
    public void A_message_signature_is_no_receipt_and_no_handshake_proof()
    {
        using var key = NodeKey.FromSeed(Hex(FrameCodecVersion4Tests.TestSeedHex));
        var id = FrameCodecTests.Worked().Id;
        var messageSignature = MessageSignature.SignMessage(key, id);

        Assert.That(MessageSignature.Verifies(new DirectAck(id, messageSignature), key.Id), Is.False, "the domain strings keep them apart");
    }

    /// <summary>
    /// Every byte of the worked example's frame, set to a handful of other values: the frame is malformed, or decodes to a
    /// message whose signature does not verify, or (the hops bytes only) to the same message one hop count further.
    /// </summary>
    [Test]
    public void No_byte_of_a_signed_envelope_can_change_without_the_signature_failing_but_its_hops()
    {
        var frame = FrameCodec.Encode(FrameCodecTests.Worked());
        const int HopsAt = 4 + 1 + 1 + 7 + 32 + 1 + 8 + 8; // prefix, type, kind, origin, origin id, attestation count (0), sequence, timestamp
        var verifiedChanges = new List<string>();
        foreach (var position in Enumerable.Range(4, frame.Length - 4))
        {
            foreach (var value in new byte[] { 0, 1, 0x7F, 0x80, 0xFF, (byte)(frame[position] ^ 1) })
            {
                if (value == frame[position])
                {
                    continue;
                }
                var changed = (byte[])frame.Clone();
                changed[position] = value;
                if (FrameCodec.TryRead(changed, ProtocolLimits.DefaultMaxFrameLength, out var decoded, out _, out _) == DecodeStatus.Complete
                    && decoded is GossipMessage message && MessageSignature.Verifies(message))
                {
                    verifiedChanges.Add($"byte {position} = {value:X2}");
                    Assert.That(position, Is.InRange(HopsAt, HopsAt + 1), $"byte {position} changed and the signature still verifies");
                }
            }
        }
        Assert.That(verifiedChanges, Is.Not.Empty, "a copy with other hops still verifies (hops are not signed)");
    }

    /// <summary>
    /// The worked examples' frames, mutated at random (bytes set or flipped, cut short, extended), fed to a peer that checks
    /// signatures, whose neighbour is their origin: whatever decodes and reaches it, the peer records a message only if
    /// the message's signature is its origin's, and refuses every other as forged.
    /// </summary>
    [Test]
    [CancelAfter(60_000)]
    public void Mutated_signed_envelopes_reach_a_peer_only_when_their_signature_is_their_origins(CancellationToken ct)
    {
        using var key = NodeKey.Generate();
        var origin = FrameCodecTests.Worked();
        var now = DateTimeOffset.FromUnixTimeMilliseconds(origin.TimestampUnixMs + 1000); // the examples' time, not too old to take
        var random = new Random(20_261_202);
        var frames = new[] { FrameCodec.Encode(origin), FrameCodec.Encode(FrameCodecTests.SignedV6()) };
        var (decodedCount, recorded, refused) = (0, 0, 0);
        for (var i = 0; i < 4_000; i++)
        {
            ct.ThrowIfCancellationRequested();
            var peer = Nodes.SignedPeer.Create(key, origin.Origin, origin.OriginId, now);
            for (var j = 0; j < 5; j++)
            {
                var bytes = Mutate(random, frames[random.Next(frames.Length)]);
                if (FrameCodec.TryRead(bytes, ProtocolLimits.DefaultMaxFrameLength, out var decoded, out _, out _) != DecodeStatus.Complete || decoded is not GossipMessage message)
                {
                    continue;
                }
                decodedCount++;
                var before = peer.Machine.Received;
                var forgedBefore = peer.Machine.SignatureCounts.Forged;
                peer.Receive(origin.Origin, message);
                peer.Take();
                if (peer.Machine.Received > before)
                {
                    recorded++;
                    Assert.That(MessageSignature.Verifies(message), Is.True, $"case {i}: a message was taken whose signature is not its origin's");
                }
                refused += (int)(peer.Machine.SignatureCounts.Forged - forgedBefore);
                if (!peer.Machine.ConnectedNeighbours.Contains(origin.Origin))
                {
                    break; // the link closed for a forgery: a new peer for the next case
                }
            }
        }
        Assert.That(decodedCount, Is.GreaterThan(1000), "enough mutations decode to test the peer, not only the codec");
        Assert.That(refused, Is.GreaterThan(100));
        Assert.That(recorded, Is.Positive, "copies that only changed their hops are taken");
    }

    private static byte[] Mutate(Random random, byte[] frame)
    {
        var bytes = (byte[])frame.Clone();
        switch (random.Next(4))
        {
            case 0:
                bytes[4 + random.Next(bytes.Length - 4)] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                bytes[5 + random.Next(bytes.Length - 5)] = (byte)random.Next(256);
                break;
            case 2:
                var cut = random.Next(5, bytes.Length);
                bytes = bytes[..cut];
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, cut - 4);
                break;
            default:
                var at = 4 + 1 + 1 + 7 + 32 + 8 + 8; // the hops: not signed, so a change keeps the message
                bytes[at + 1] = (byte)random.Next(1, 256);
                break;
        }
        return bytes;
    }

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", string.Empty, StringComparison.Ordinal));
}
