using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using P2PSim.Protocol;

namespace P2PSim.Tests.Protocol;

/// <summary>
/// Fuzzes <see cref="FrameCodec.TryRead"/> with a seeded <see cref="Random"/>: random bytes, and valid frames of
/// every message type mutated by bit flips, truncation, extension, length-prefix and type tampering. Every case is
/// decoded whole and again as a stream arriving in random chunks (re-decoding the buffer after each chunk, as the
/// connection's read loop does). Whatever the input: no exception, never more consumed than given, an Invalid
/// result always says why, a Complete frame re-encodes to exactly the bytes consumed, and a stream never decides
/// differently from the whole input (in particular a prefix of a valid frame is never rejected).
/// </summary>
[TestFixture]
public sealed class FrameCodecFuzzTests
{
    private const int Seed = 20_261_124;

    [Test]
    [CancelAfter(60_000)]
    public void TryRead_survives_100000_hostile_inputs_whole_and_in_chunks(CancellationToken ct) =>
        Fuzz(100_000, Seed, ct);

    [Test]
    [Category(LongRuns.Category)]
    [Explicit("Long run: ten times the cases of the normal suite (about a minute).")]
    [CancelAfter(900_000)]
    public void TryRead_survives_1000000_hostile_inputs_whole_and_in_chunks(CancellationToken ct) =>
        Fuzz(1_000_000, Seed + 1, ct);

    [Test]
    public void Every_message_type_has_valid_samples_for_the_fuzzer()
    {
        var samples = ValidSamples();
        var covered = samples.Select(s => (MessageType)s[ProtocolLimits.LengthPrefixSize]).ToHashSet();
        Assert.That(Enum.GetValues<MessageType>().Where(t => !covered.Contains(t)), Is.Empty,
            "message types the fuzzer has no valid frame for: add a sample to ValidSamples()");
    }

    private static void Fuzz(int cases, int seed, CancellationToken ct)
    {
        var random = new Random(seed);
        var samples = ValidSamples();
        var clock = Stopwatch.StartNew();
        var outcomes = new int[3];
        for (var i = 0; i < cases; i++)
        {
            if ((i & 0xFFF) == 0)
            {
                ct.ThrowIfCancellationRequested();
            }
            var (input, how) = Generate(random, samples);
            var max = random.Next(8) switch
            {
                0 => 64 * 1024,
                1 => random.Next(1, 200),
                _ => ProtocolLimits.DefaultMaxFrameLength,
            };
            try
            {
                var status = CheckWhole(input, max);
                outcomes[(int)status]++;
                CheckChunked(input, max, status, random);
            }
            catch (Exception ex) when (ex is not AssertionException)
            {
                Assert.Fail($"case {i} ({how}, max {max}) threw {ex.GetType().Name}: {ex.Message}\ninput: {Convert.ToHexString(input)}");
            }
            catch (AssertionException)
            {
                TestContext.Out.WriteLine($"case {i} ({how}, max {max}) failed; input: {Convert.ToHexString(input)}");
                throw;
            }
        }
        TestContext.Out.WriteLine($"{cases} cases in {clock.Elapsed.TotalSeconds:0.0} s: {outcomes[0]} complete, {outcomes[1]} incomplete, {outcomes[2]} invalid");
        Assert.That(outcomes, Has.All.GreaterThan(cases / 50), "the generator must exercise every outcome");
    }

    /// <summary>Decodes the whole input once and checks every invariant of the result.</summary>
    private static DecodeStatus CheckWhole(byte[] input, int max)
    {
        var status = FrameCodec.TryRead(input, max, out var message, out var consumed, out var error);
        switch (status)
        {
            case DecodeStatus.Complete:
                if (message is null || error is not null || consumed < ProtocolLimits.LengthPrefixSize + 1 || consumed > input.Length)
                {
                    Assert.Fail($"Complete with message {message}, error {error}, consumed {consumed} of {input.Length}");
                    return status;
                }
                var declared = BinaryPrimitives.ReadInt32BigEndian(input);
                if (consumed != ProtocolLimits.LengthPrefixSize + declared || declared > max)
                {
                    Assert.Fail($"consumed {consumed} but the prefix says {declared} (max {max})");
                }
                var again = FrameCodec.Encode(message);
                if (!again.AsSpan().SequenceEqual(input.AsSpan(0, consumed)))
                {
                    Assert.Fail($"{message} re-encodes to {Convert.ToHexString(again)}, not to the {consumed} bytes it came from");
                }
                break;
            case DecodeStatus.Incomplete:
                if (message is not null || error is not null || consumed != 0)
                {
                    Assert.Fail($"Incomplete with message {message}, error {error}, consumed {consumed}");
                }
                if (input.Length >= ProtocolLimits.LengthPrefixSize && input.Length >= ProtocolLimits.LengthPrefixSize + BinaryPrimitives.ReadInt32BigEndian(input))
                {
                    Assert.Fail("Incomplete although the whole declared frame is there");
                }
                break;
            case DecodeStatus.Invalid:
                if (message is not null || consumed != 0 || string.IsNullOrWhiteSpace(error))
                {
                    Assert.Fail($"Invalid with message {message}, consumed {consumed}, error '{error}'");
                }
                break;
            default:
                Assert.Fail($"unknown status {status}");
                break;
        }
        return status;
    }

    /// <summary>Feeds the input in random chunks, decoding the buffer after each; the stream must agree with the whole.</summary>
    private static void CheckChunked(byte[] input, int max, DecodeStatus whole, Random random)
    {
        var received = 0;
        while (received < input.Length)
        {
            received = Math.Min(input.Length, received + 1 + random.Next(random.Next(2) == 0 ? 8 : 64));
            var status = FrameCodec.TryRead(input.AsSpan(0, received), max, out var message, out var consumed, out var error);
            if (consumed > received)
            {
                Assert.Fail($"consumed {consumed} of {received} bytes");
            }
            if (status == DecodeStatus.Invalid && string.IsNullOrWhiteSpace(error))
            {
                Assert.Fail("Invalid without a reason on a prefix");
            }
            if (status == DecodeStatus.Incomplete)
            {
                continue;
            }
            // Decided on a prefix: the whole input must be decided the same way.
            if (status != whole)
            {
                Assert.Fail($"the first {received} bytes decode as {status} ({error}), the whole input as {whole}");
            }
            if (status == DecodeStatus.Complete)
            {
                FrameCodec.TryRead(input, max, out var wholeMessage, out var wholeConsumed, out _);
                if (consumed != wholeConsumed || !Equals(message, wholeMessage))
                {
                    Assert.Fail($"the stream decoded {message} ({consumed} bytes), the whole input {wholeMessage} ({wholeConsumed} bytes)");
                }
            }
            return;
        }
        if (whole != DecodeStatus.Incomplete)
        {
            Assert.Fail($"the stream never decided, the whole input is {whole}");
        }
    }

    private static (byte[] Input, string How) Generate(Random random, IReadOnlyList<byte[]> samples)
    {
        switch (random.Next(10))
        {
            case 0:
                return (RandomBytes(random, random.Next(0, 40)), "random bytes");
            case 1:
            {
                // Random bytes behind a plausible prefix and a real type byte.
                var body = RandomBytes(random, random.Next(0, 80));
                var frame = new byte[5 + body.Length];
                BinaryPrimitives.WriteInt32BigEndian(frame, 1 + body.Length - random.Next(3));
                frame[4] = (byte)random.Next(0, 12);
                body.CopyTo(frame, 5);
                return (frame, "random body");
            }
            case 2:
                return (Pick(random, samples), "valid frame");
            case 3:
                return (Concat(Pick(random, samples), random.Next(2) == 0 ? Pick(random, samples) : RandomBytes(random, random.Next(1, 20))), "frame and more");
            default:
                return Mutate(random, Pick(random, samples));
        }
    }

    private static (byte[], string) Mutate(Random random, byte[] frame)
    {
        var bytes = (byte[])frame.Clone();
        var steps = new List<string>();
        var count = 1 + random.Next(random.Next(3) == 0 ? 4 : 2);
        for (var s = 0; s < count; s++)
        {
            switch (random.Next(7))
            {
                case 0:
                case 1:
                {
                    var flips = 1 + random.Next(3);
                    for (var f = 0; f < flips && bytes.Length > 0; f++)
                    {
                        var at = random.Next(bytes.Length);
                        bytes[at] ^= (byte)(1 << random.Next(8));
                    }
                    steps.Add("bit flip");
                    break;
                }
                case 2:
                    bytes = bytes[..random.Next(bytes.Length + 1)];
                    steps.Add("truncation");
                    break;
                case 3:
                    bytes = Concat(bytes, RandomBytes(random, 1 + random.Next(random.Next(4) == 0 ? 300 : 8)));
                    steps.Add("extension");
                    break;
                case 4 when bytes.Length >= 4:
                {
                    var length = BinaryPrimitives.ReadInt32BigEndian(bytes);
                    length = random.Next(8) switch
                    {
                        0 => 0,
                        1 => -1 - random.Next(1000),
                        2 => int.MaxValue - random.Next(3),
                        3 => int.MinValue,
                        4 => length + 1,
                        5 => length - 1,
                        6 => ProtocolLimits.DefaultMaxFrameLength + random.Next(-1, 2),
                        _ => random.Next(),
                    };
                    BinaryPrimitives.WriteInt32BigEndian(bytes, length);
                    steps.Add("length tampering");
                    break;
                }
                case 5 when bytes.Length >= 5:
                    bytes[4] = (byte)random.Next(random.Next(2) == 0 ? 12 : 256);
                    steps.Add("type tampering");
                    break;
                default:
                    if (bytes.Length > 5)
                    {
                        // Overwrite one payload byte with an edge value (0, 0xFF, an address length, a role or gossip kind, a signature length).
                        bytes[5 + random.Next(bytes.Length - 5)] = new byte[] { 0, 0xFF, 4, 16, 1, 2, 3, 0x80, 0xC0, 0xED, 64 }[random.Next(11)];
                    }
                    steps.Add("payload edge value");
                    break;
            }
        }
        return (bytes, string.Join(" + ", steps));
    }

    /// <summary>
    /// Valid frames of every message type. Types this file knows are built from their records; any type added to
    /// <see cref="MessageType"/> later is covered by discovering valid bodies (all-zero and small random bodies
    /// that decode Complete), so a new type is fuzzed without this file having to know it.
    /// </summary>
    private static List<byte[]> ValidSamples()
    {
        var v4 = NodeEndpoint.Loopback(5001);
        var v6 = new NodeEndpoint(IPAddress.Parse("2001:db8::17"), 65535);
        var mapped = new NodeEndpoint(IPAddress.Parse("::ffff:10.0.0.1"), 1);
        var signature = Enumerable.Range(0, ProtocolLimits.SignatureSize).Select(i => (byte)(255 - i)).ToArray();
        var known = new Message[]
        {
            new Hello(ProtocolLimits.Version, NodeRole.Peer, v4),
            new Hello(ProtocolLimits.Version, NodeRole.Seed, v6),
            new Hello(7, NodeRole.Peer, mapped),
            Register.Instance,
            Register.Refresh(64, [v4, v6, mapped]),
            Register.Refresh(0, []),
            new PeerList([]),
            new PeerList([v4, v6, mapped]),
            new PeerList([.. Enumerable.Range(1, 200).Select(i => new NodeEndpoint(new IPAddress(i), i))]),
            new DeadNode(v4, 1_700_000_000_123, v6),
            new DeadNode(v6, -1, v4),
            new P2PSim.Protocol.Gossip(GossipKind.Gossip, v4, 7, 1_700_000_000_123, 1, "1700000000123:127.0.0.1:5001:7"),
            new P2PSim.Protocol.Gossip(GossipKind.Gossip, v6, 1, 0, 1, string.Empty, signature),
            new P2PSim.Protocol.Gossip(GossipKind.Gossip, mapped, ulong.MaxValue, -1, ushort.MaxValue, "héllo wörld € 日本語 🎉"),
            new P2PSim.Protocol.Gossip(GossipKind.Gossip, v4, 2, long.MaxValue, 2, new string('x', 300), signature),
            new Ping(0),
            new Ping(ulong.MaxValue),
            new Pong(0x0102030405060708),
            Goodbye.Instance,
            new TreeAdvert(v4, 0, ParentIsYou: false),
            new TreeAdvert(v6, ushort.MaxValue, ParentIsYou: true),
            new Hello(ProtocolLimits.Version, NodeRole.Peer, v4, LinkPurpose.ForGroup("blue")),
            new Hello(ProtocolLimits.Version, NodeRole.Peer, v6, LinkPurpose.Direct) { Id = FrameCodecVersion4Tests.TestId, Nonce = FrameCodecVersion4Tests.TestNonce },
            new HelloProof(signature),
            new GroupJoin("blue"),
            new GroupLeave("日本語 group 🎉"),
            new GroupMembers("blue", [v4, v6, mapped]),
            new GroupMembers(new string('g', GroupName.MaxBytes), []),
            new DirectAck(new P2PSim.Gossip.MessageId(1, 2, 3, ulong.MaxValue)),
            Reserve.Instance,
            new RelayRefused(new P2PSim.Gossip.MessageId(5, 6, 7, 8), RelayRefusal.NoReservation),
            new P2PSim.Protocol.Gossip(GossipKind.Group, v4, 3, 1_700_000_000_123, 2, "to the group") { Group = "blue" },
            new P2PSim.Protocol.Gossip(GossipKind.Direct, v6, 4, 1_700_000_000_123, 1, "just for you", signature) { Recipient = mapped },
            new P2PSim.Protocol.Gossip(GossipKind.Direct, v4, 5, 1_700_000_000_123, 2, "c2VhbGVk", signature) { Recipient = v6, Capsule = [.. Enumerable.Range(0, 80).Select(i => (byte)(i * 3))] },
            new IdRequest(v4),
            new IdRequest(v6),
            new IdAnswer(v4, FrameCodecVersion4Tests.TestId),
            new IdAnswer(mapped, null),
            // Version 5: envelopes signed for real by their origin ids (the worked examples), and a signed receipt.
            FrameCodecTests.Worked(),
            FrameCodecTests.SignedV6(),
            new P2PSim.Protocol.Gossip(GossipKind.Group, v6, 9, 1_700_000_000_123, 3, "signed group", signature) { OriginId = FrameCodecVersion4Tests.TestId, Group = "g" },
            new DirectAck(new P2PSim.Gossip.MessageId(9, 8, 7, 6), signature),
            // Version 6: peer lists and group members with the id of each entry.
            new PeerList([v4, v6, mapped], [FrameCodecVersion4Tests.TestId, new P2PSim.Security.NodeId(1, 2, 3, 4), new P2PSim.Security.NodeId(ulong.MaxValue, 0, 0, ulong.MaxValue)]),
            new GroupMembers("blue", [v6, v4], [new P2PSim.Security.NodeId(5, 6, 7, 8), FrameCodecVersion4Tests.TestId]),
            // Encrypted groups: a group key sealed to the receiver.
            new GroupKey(new P2PSim.Security.GroupKeyId(0x0102030405060708, ulong.MaxValue), [.. Enumerable.Range(0, 80).Select(i => (byte)(255 - i))]),
            // Version 8: the seeds' attestations, and envelopes that carry them.
            new Attestation(v4, FrameCodecVersion4Tests.TestId, 1_700_000_120_123, signature),
            new Attestation(v6, default, long.MinValue, signature),
            FrameCodecTests.Worked() with { Attestations = [new SeedAttestation(v4, 1_700_000_120_123, signature), new SeedAttestation(v6, -1, signature)] },
            new P2PSim.Protocol.Gossip(GossipKind.Group, mapped, 9, 1_700_000_000_123, 3, "attested", signature)
            {
                Group = "blue", Attestations = [.. Enumerable.Range(0, ProtocolLimits.MaxAttestations).Select(i => new SeedAttestation(i % 2 == 0 ? v4 : v6, i, signature))],
            },
            // Version 6: the Hello's id work, at the worked example's difficulty and at the limits of its fields.
            FrameCodecVersion4Tests.WithTestIdentity(new Hello(ProtocolLimits.Version, NodeRole.Peer, v4)),
            new Hello(ProtocolLimits.Version, NodeRole.Seed, v6, LinkPurpose.ForGroup("blue")) { Id = FrameCodecVersion4Tests.TestId, Work = new P2PSim.Security.IdWork(P2PSim.Security.IdWork.MaxDifficulty, ulong.MaxValue) },
        };
        var samples = known.Select(FrameCodec.Encode).ToList();
        var covered = known.Select(m => m.Type).ToHashSet();
        var search = new Random(Seed);
        foreach (var type in Enum.GetValues<MessageType>().Where(t => !covered.Contains(t)))
        {
            var found = new List<byte[]>();
            for (var length = 0; length <= 64 && found.Count < 2; length++)
            {
                TryAdd(found, type, new byte[length]);
            }
            for (var attempt = 0; attempt < 20_000 && found.Count < 6; attempt++)
            {
                var body = new byte[search.Next(0, 80)];
                for (var i = 0; i < body.Length; i++)
                {
                    body[i] = search.Next(3) == 0 ? (byte)search.Next(256) : (byte)0;
                }
                TryAdd(found, type, body);
            }
            samples.AddRange(found);
        }
        return samples;

        static void TryAdd(List<byte[]> found, MessageType type, byte[] body)
        {
            var frame = new byte[5 + body.Length];
            BinaryPrimitives.WriteInt32BigEndian(frame, 1 + body.Length);
            frame[4] = (byte)type;
            body.CopyTo(frame, 5);
            if (FrameCodec.TryRead(frame, ProtocolLimits.DefaultMaxFrameLength, out _, out _, out _) == DecodeStatus.Complete
                && !found.Any(f => f.AsSpan().SequenceEqual(frame)))
            {
                found.Add(frame);
            }
        }
    }

    private static byte[] Pick(Random random, IReadOnlyList<byte[]> samples) => samples[random.Next(samples.Count)];

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Concat(byte[] a, byte[] b)
    {
        var all = new byte[a.Length + b.Length];
        a.CopyTo(all, 0);
        b.CopyTo(all, a.Length);
        return all;
    }
}
