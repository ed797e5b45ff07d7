using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Tests.Protocol;

/// <summary>What version 4 added: the Hello's id and nonce, the HelloProof and what it signs (PROTOCOL.md, "Identity and signatures").</summary>
public class FrameCodecVersion4Tests
{
    /// <summary>The public key of RFC 8032's first Ed25519 test vector (section 7.1, TEST 1), the id of the worked examples.</summary>
    public const string TestIdHex = "D7 5A 98 01 82 B1 0A B7 D5 4B FE D3 C9 64 07 3A 0E E1 72 F3 DA A6 23 25 AF 02 1A 68 F7 07 51 1A";

    /// <summary>That vector's secret key (its seed).</summary>
    public const string TestSeedHex = "9D 61 B1 9D EF FD 5A 60 BA 84 4A F4 92 EC 2C C4 44 49 C5 69 7B 32 69 19 70 3B AC 03 1C AE 7F 60";

    /// <summary>The worked examples' nonce: the bytes 00 to 0F.</summary>
    public const string TestNonceHex = "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F";

    /// <summary>
    /// The worked examples' id work (version 6): difficulty 16, nonce 53,944 (00 .. D2 B8), the first nonce that gives the test
    /// vector's id 16 zero bits: SHA-256("P2PSim/6 id work" || id || nonce) = 00 00 B4 BC ... (computed apart with Python's hashlib).
    /// </summary>
    public const string TestIdWorkHex = "10 00 00 00 00 00 00 D2 B8";

    /// <summary>The work of <see cref="TestIdWorkHex"/>.</summary>
    public static IdWork TestIdWork => new(16, 0xD2B8);

    private const int Max = ProtocolLimits.DefaultMaxFrameLength;

    public static NodeId TestId => NodeId.FromBytes(Hex(TestIdHex));

    public static HelloNonce TestNonce => HelloNonce.FromBytes(Hex(TestNonceHex));

    /// <summary>The Hello as the worked examples show it: the test vector's id and its work, the nonce 00..0F.</summary>
    public static Hello WithTestIdentity(Hello hello) => hello with { Id = TestId, Work = TestIdWork, Nonce = TestNonce };

    [Test]
    public void The_test_vector_key_has_the_test_vector_id()
    {
        using var key = NodeKey.FromSeed(Hex(TestSeedHex));

        Assert.That(key.Id, Is.EqualTo(TestId));
    }

    [Test]
    public void A_hello_proof_has_the_documented_bytes()
    {
        var signature = Enumerable.Range(0, ProtocolLimits.SignatureSize).Select(i => (byte)i).ToArray();

        Assert.That(FrameCodec.Encode(new HelloProof(signature)), Is.EqualTo(Hex("00 00 00 41 15 " + string.Join(' ', signature.Select(b => b.ToString("X2"))))));
    }

    [Test]
    public void Hello_and_proof_survive_a_round_trip()
    {
        foreach (Message message in new Message[]
        {
            WithTestIdentity(new Hello(ProtocolLimits.Version, NodeRole.Peer, NodeEndpoint.Loopback(5001))),
            WithTestIdentity(new Hello(ProtocolLimits.Version, NodeRole.Peer, NodeEndpoint.Loopback(5001), LinkPurpose.ForGroup(new string('x', 64)))),
            new HelloProof(new byte[ProtocolLimits.SignatureSize]),
        })
        {
            var frame = FrameCodec.Encode(message);
            var status = FrameCodec.TryRead(frame, Max, out var decoded, out var consumed, out var error);
            Assert.That((status, error, consumed, decoded), Is.EqualTo((DecodeStatus.Complete, (string?)null, frame.Length, (Message?)message)));
        }
    }

    [Test]
    public void The_largest_hello_fits_the_limit_before_the_handshake()
    {
        var largest = WithTestIdentity(new Hello(ProtocolLimits.Version, NodeRole.Peer, new NodeEndpoint(System.Net.IPAddress.IPv6Loopback, 9), LinkPurpose.ForGroup(new string('x', 64))));

        Assert.That(FrameCodec.FrameSize(largest) - ProtocolLimits.LengthPrefixSize, Is.EqualTo(147).And.LessThanOrEqualTo(P2PSim.Transport.TcpConnection.MaxHelloFrameBytes));
    }

    [TestCase(63, "truncated payload")]
    [TestCase(65, "1 unexpected trailing bytes")]
    [TestCase(0, "truncated payload")]
    public void A_hello_proof_is_exactly_64_bytes(int length, string reason)
    {
        var frame = new byte[5 + length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame, 1 + length);
        frame[4] = (byte)MessageType.HelloProof;

        var status = FrameCodec.TryRead(frame, Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid, (string?)$"malformed HelloProof frame: {reason}")));
    }

    [Test]
    public void A_version_3_hello_is_refused_naming_its_version()
    {
        var status = FrameCodec.TryRead(Hex("00 00 00 0C 01 00 03 02 04 7F 00 00 01 13 89 00"), Max, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid, (string?)"malformed Hello frame: protocol version 3 is not supported (this node speaks 8)")));
    }

    [Test]
    public void The_proof_input_has_the_documented_bytes()
    {
        var other = NodeId.FromBytes(Enumerable.Repeat((byte)0xEE, NodeId.Size).ToArray());

        var input = Handshake.ProofInput(Handshake.Side.Acceptor, TestNonce, TestId, other);

        Assert.That(input, Is.EqualTo(Hex("50 32 50 53 69 6D 2F 34 20 68 65 6C 6C 6F 02 " + TestNonceHex + " " + TestIdHex + " " + string.Join(' ', Enumerable.Repeat("EE", 32)))));
        Assert.That(input, Has.Length.EqualTo(Handshake.ProofInputSize).And.Length.EqualTo(95));
    }

    [Test]
    public void A_proof_verifies_only_for_its_side_nonce_and_ids()
    {
        using var acceptor = NodeKey.FromSeed(Hex(TestSeedHex));
        using var dialer = NodeKey.Derived(1, "peer", 0);
        var dialerHello = new Hello(ProtocolLimits.Version, NodeRole.Peer, NodeEndpoint.Loopback(5001)) { Id = dialer.Id, Nonce = HelloNonce.NewRandom() };
        var acceptorHello = new Hello(ProtocolLimits.Version, NodeRole.Peer, NodeEndpoint.Loopback(5002)) { Id = acceptor.Id, Nonce = HelloNonce.NewRandom() };

        var proof = Handshake.Prove(acceptor, Handshake.Side.Acceptor, dialerHello);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Handshake.Verifies(proof, Handshake.Side.Acceptor, acceptorHello, dialerHello), Is.True);
            Assert.That(Handshake.Verifies(proof, Handshake.Side.Dialer, acceptorHello, dialerHello), Is.False, "reflected as the other side's");
            Assert.That(Handshake.Verifies(proof, Handshake.Side.Acceptor, acceptorHello, dialerHello with { Nonce = HelloNonce.NewRandom() }), Is.False, "replayed on another connection");
            Assert.That(Handshake.Verifies(proof, Handshake.Side.Acceptor, acceptorHello with { Id = dialer.Id }, dialerHello), Is.False, "claimed for another id");
        }
    }

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", string.Empty, StringComparison.Ordinal));
}
