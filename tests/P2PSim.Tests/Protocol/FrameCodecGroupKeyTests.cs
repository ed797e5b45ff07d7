using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Tests.Protocol;

/// <summary>
/// What encrypted group messages add to the wire (PROTOCOL.md, <i>Encrypted group messages</i>): frame 42,
/// <c>GroupKey</c>: a 16-byte key id and an 80-byte capsule, nothing else.
/// </summary>
public class FrameCodecGroupKeyTests
{
    private const int Max = ProtocolLimits.DefaultMaxFrameLength;

    private static readonly GroupKeyId KeyId = new(0x0011223344556677, 0x8899AABBCCDDEEFF);
    private static readonly byte[] Capsule = [.. Enumerable.Range(0, PrivateSeal.CapsuleSize).Select(i => (byte)(0xC0 + (i % 16)))];

    [Test]
    public void A_group_key_survives_a_round_trip()
    {
        var message = new GroupKey(KeyId, Capsule);
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
    public void A_group_key_has_the_documented_bytes()
    {
        var frame = FrameCodec.Encode(new GroupKey(KeyId, Capsule));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(frame[..5], Is.EqualTo(Hex("00 00 00 61 2A")), "length 97 = type (1) + key id (16) + capsule (80); type 42");
            Assert.That(frame[5..21], Is.EqualTo(Hex("00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF")));
            Assert.That(frame[21..], Is.EqualTo(Capsule));
        }
    }

    private static IEnumerable<TestCaseData> MalformedFrames()
    {
        var body = FrameCodec.Encode(new GroupKey(KeyId, Capsule))[4..];
        yield return Malformed("a group key without its capsule", body[..17], "malformed GroupKey frame: truncated payload");
        yield return Malformed("a group key one capsule byte short", body[..^1], "malformed GroupKey frame: truncated payload");
        yield return Malformed("a group key cut inside its id", body[..9], "malformed GroupKey frame: truncated payload");
        yield return Malformed("a group key with a byte after its capsule", [.. body, 0], "malformed GroupKey frame: 1 unexpected trailing bytes");
        yield return Malformed("an empty group key", [42], "malformed GroupKey frame: truncated payload");

        static TestCaseData Malformed(string name, byte[] body, string reason) => new TestCaseData(body, reason).SetName($"{{m}}({name})");
    }

    [TestCaseSource(nameof(MalformedFrames))]
    public void A_malformed_group_key_is_invalid_with_its_reason(byte[] body, string reason)
    {
        byte[] frame = [0, 0, (byte)(body.Length >> 8), (byte)body.Length, .. body];

        var status = FrameCodec.TryRead(frame, Max, out var message, out _, out var error);

        Assert.That((status, message, error), Is.EqualTo((DecodeStatus.Invalid, (Message?)null, (string?)reason)));
    }

    [Test]
    public void Encoding_a_group_key_whose_capsule_is_not_80_bytes_throws()
    {
        Assert.That(() => FrameCodec.Encode(new GroupKey(KeyId, new byte[81])), Throws.ArgumentException.With.Message.Contains("a capsule of 81 bytes"));
    }

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", string.Empty, StringComparison.Ordinal));
}
