using P2PSim.Security;

namespace P2PSim.Tests.Security;

/// <summary>
/// The hand-written Noise_XX_25519_ChaChaPoly_SHA256 (<see cref="NoiseHandshake"/>, <see cref="NoiseCipher"/>) against
/// published test vectors, byte for byte: fixed static and ephemeral keys, the three handshake messages, the handshake
/// hash, then transport messages alternating from the initiator. Plus what a vector cannot show: a changed byte, a
/// wrong key, a replayed record and a used-up nonce are refused.
/// </summary>
public sealed class NoiseVectorTests
{
    public sealed record Vector(string Source, string Prologue, string InitStatic, string InitEphemeral, string RespStatic,
        string RespEphemeral, string? HandshakeHash, (string Payload, string Ciphertext)[] Messages)
    {
        public override string ToString() => Source;
    }

    public static IEnumerable<Vector> Vectors() =>
    [
        // haskell-cryptography/cacophony, vectors/cacophony.txt, the entry "Noise_XX_25519_ChaChaPoly_SHA256" (no psk).
        new("cacophony",
            "4a6f686e2047616c74",
            "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
            "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
            "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
            "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
            "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e",
            [
                ("4c756477696720766f6e204d69736573", "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573"),
                ("4d757272617920526f746862617264", "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad"),
                ("462e20412e20486179656b", "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030"),
                ("4361726c204d656e676572", "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"),
                ("4a65616e2d426170746973746520536179", "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"),
                ("457567656e2042f6686d20766f6e2042617765726b", "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f"),
            ]),
        // mcginty/snow, tests/vectors/snow.txt, the entry "Noise_XX_25519_ChaChaPoly_SHA256" (empty psk lists).
        new("snow",
            "5468657265206973206e6f20726967687420616e642077726f6e672e2054686572652773206f6e6c792066756e20616e6420626f72696e672e",
            "7dec208517a3b81a2861d7a71266d5d6dc944c5a8816634a86fe63198a0148ee",
            "a32daf21e93c0131495ce1d903181fde81cc46937daaeb990bae7c992709421e",
            "4d0aed5098e3b4ef20357e9f686ce66204c792b358da2e475017d6c485304881",
            "4eece0f195d026db035ff987597c429d3ad3bcc2944df37d649528951b2a27c5",
            null,
            [
                ("d03c489139e645d0711a3c9e810d776b46a84912463fafa87b884eebf242dc34", "f9fa868ba97ab8a2686deccfaad5a484ee10a5bb85e3d1dce015a84797f92818d03c489139e645d0711a3c9e810d776b46a84912463fafa87b884eebf242dc34"),
                ("d8190a92f7dc0c93dbea9118ba8055751fb7c6590c416ffbd419964132b99a85", "8c4e6fdb7d09d501a86f7eca5c234522751706ed409182c05cdf5f827d4dae47b81c6c5f43b025692c24391eefee725c17d8cb0fbe3e4abb8aedf42c4fd2592d4ea48ac08989d6ae8b4adae08b2c34087c808c7aa55a63c02b0fab9e930612336bd43eaea04d3c670a0a146691aa9cc9d357872320dc735dbc48580cffb553db"),
                ("77891b19dcb92ef7c055b672c4a5aa7fdf1c84146b8b303459022729473ce254", "933ca6b5ed60df3df66121f0ab49a09e49efa45c613a86a3cecbf4c535cef2f83f72b42837b18e3572f2fdc2b74c331e2368a545cef54bdca081678ab0e9dd5348122459e0c034c851984d88ce610963d43cde6cfe73a67fbd5a63e8bfca96d0"),
                ("d7efdf988072881941db045a42882433817555128fbf5663e56081712ec7d212", "54ef0ff0629e1aaa7685a2806ab111cba76b52331f2642276736f415868eacb69ab2577f3bda0cbf72f879685f6ed25f"),
                ("dd7bf01a588bafb52c6cfba952e5d8fe35cc2b3f92b4730ae2474615157345ce", "356be70f110306d5c699bb834bb9d58d909e325924dfbec972e406e6f294dc63e1daebefe8a62a334facc8048ab4ad66"),
            ]),
    ];

    [TestCaseSource(nameof(Vectors))]
    public void The_handshake_and_transport_messages_match_the_published_vector_byte_for_byte(Vector v)
    {
        using var initStatic = NoiseHandshake.ImportKey(Convert.FromHexString(v.InitStatic));
        using var respStatic = NoiseHandshake.ImportKey(Convert.FromHexString(v.RespStatic));
        using var initiator = new NoiseHandshake(true, initStatic, Convert.FromHexString(v.Prologue), NoiseHandshake.ImportKey(Convert.FromHexString(v.InitEphemeral)));
        using var responder = new NoiseHandshake(false, respStatic, Convert.FromHexString(v.Prologue), NoiseHandshake.ImportKey(Convert.FromHexString(v.RespEphemeral)));
        for (var i = 0; i < 3; i++)
        {
            var (payload, ciphertext) = v.Messages[i];
            var (writer, reader) = i % 2 == 0 ? (initiator, responder) : (responder, initiator);
            var written = writer.WriteMessage(Convert.FromHexString(payload));
            Assert.That(Convert.ToHexStringLower(written), Is.EqualTo(ciphertext), $"handshake message {i + 1}");
            Assert.That(Convert.ToHexStringLower(reader.ReadMessage(written)), Is.EqualTo(payload), $"handshake payload {i + 1}");
        }
        using (Assert.EnterMultipleScope())
        {
            Assert.That(initiator.IsComplete && responder.IsComplete, Is.True);
            Assert.That(initiator.HandshakeHash.ToArray(), Is.EqualTo(responder.HandshakeHash.ToArray()));
            if (v.HandshakeHash is { } hash)
            {
                Assert.That(Convert.ToHexStringLower(initiator.HandshakeHash), Is.EqualTo(hash));
            }
            Assert.That(initiator.RemoteStatic.ToArray(), Is.EqualTo(NoiseHandshake.PublicBytes(respStatic)));
            Assert.That(responder.RemoteStatic.ToArray(), Is.EqualTo(NoiseHandshake.PublicBytes(initStatic)));
        }
        var (iSend, iReceive) = initiator.Split();
        var (rSend, rReceive) = responder.Split();
        using (iSend)
        using (iReceive)
        using (rSend)
        using (rReceive)
        {
            for (var i = 3; i < v.Messages.Length; i++)
            {
                var (payload, ciphertext) = v.Messages[i];
                var (send, receive) = i % 2 == 0 ? (iSend, rReceive) : (rSend, iReceive);
                var plain = Convert.FromHexString(payload);
                var sealedBytes = new byte[plain.Length + NoiseCipher.TagSize];
                send.Encrypt([], plain, sealedBytes);
                Assert.That(Convert.ToHexStringLower(sealedBytes), Is.EqualTo(ciphertext), $"transport message {i + 1}");
                var opened = new byte[plain.Length];
                Assert.That(receive.TryDecrypt([], sealedBytes, opened, out _), Is.True);
                Assert.That(opened, Is.EqualTo(plain));
            }
        }
    }

    [Test]
    public void A_changed_byte_in_any_handshake_message_is_refused()
    {
        for (var message = 0; message < 3; message++)
        {
            foreach (var index in new[] { 0, 40, -1 })
            {
                using var iStatic = NoiseHandshake.NewKey();
                using var rStatic = NoiseHandshake.NewKey();
                using var initiator = new NoiseHandshake(true, iStatic, "p"u8);
                using var responder = new NoiseHandshake(false, rStatic, "p"u8);
                var payload = new byte[20];
                var done = 0;
                NoiseException? refused = null;
                while (done < 3 && refused is null)
                {
                    var (writer, reader) = done % 2 == 0 ? (initiator, responder) : (responder, initiator);
                    var bytes = writer.WriteMessage(payload);
                    if (done == message)
                    {
                        bytes[index < 0 ? bytes.Length + index : Math.Min(index, bytes.Length - 1)] ^= 1;
                    }
                    try
                    {
                        reader.ReadMessage(bytes);
                    }
                    catch (NoiseException ex)
                    {
                        refused = ex;
                    }
                    done++;
                }
                // Message 1 is sent in the clear: a changed ephemeral key or payload shows only in message 2, which then fails.
                Assert.That(refused, Is.Not.Null, $"a changed byte {index} of message {message + 1} went unnoticed");
            }
        }
    }

    [Test]
    public void A_transport_record_that_was_changed_replayed_or_sealed_with_another_key_does_not_open()
    {
        var (a, b) = Handshake();
        var record = Seal(a.Send, "first"u8);
        var changed = (byte[])record.Clone();
        changed[2] ^= 1;
        var buffer = new byte[64];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(b.Receive.TryDecrypt([], changed, buffer, out _), Is.False, "a changed byte");
            Assert.That(b.Receive.TryDecrypt([], record.AsSpan(0, 10), buffer, out _), Is.False, "shorter than a tag");
            Assert.That(b.Receive.TryDecrypt([], record, buffer, out _), Is.True, "the record itself, after the failures");
            Assert.That(b.Receive.TryDecrypt([], record, buffer, out _), Is.False, "the record replayed");
            Assert.That(a.Receive.TryDecrypt([], Seal(a.Send, "x"u8), buffer, out _), Is.False, "sealed for the other direction");
        }
    }

    [Test]
    public void A_cipher_whose_nonce_is_used_up_refuses_to_go_on()
    {
        var (a, b) = Handshake();
        a.Send.Nonce = ulong.MaxValue - 1;
        b.Receive.Nonce = ulong.MaxValue - 1;
        var last = Seal(a.Send, "last"u8);
        Assert.That(b.Receive.TryDecrypt([], last, new byte[4], out _), Is.True, "2^64-2 is the last nonce used");
        Assert.Throws<NoiseException>(() => Seal(a.Send, "more"u8));
        Assert.Throws<NoiseException>(() => b.Receive.TryDecrypt([], last, new byte[4], out _));
    }

    [Test]
    public void An_ephemeral_key_of_small_order_is_refused_before_anything_is_encrypted_to_it()
    {
        // The all-zero point and the point of order 8 from RFC 7748's list: X25519 with either gives all zeros.
        foreach (var lowOrder in new[] { new byte[32], Convert.FromHexString("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800") })
        {
            using var rStatic = NoiseHandshake.NewKey();
            using var responder = new NoiseHandshake(false, rStatic, []);
            responder.ReadMessage(lowOrder);
            Assert.Throws<NoiseException>(() => responder.WriteMessage([]), "ee with a low-order key must fail, not give a known key");
        }
    }

    private static byte[] Seal(NoiseCipher cipher, ReadOnlySpan<byte> plain)
    {
        var sealedBytes = new byte[plain.Length + NoiseCipher.TagSize];
        cipher.Encrypt([], plain, sealedBytes);
        return sealedBytes;
    }

    private static ((NoiseCipher Send, NoiseCipher Receive) Initiator, (NoiseCipher Send, NoiseCipher Receive) Responder) Handshake()
    {
        using var iStatic = NoiseHandshake.NewKey();
        using var rStatic = NoiseHandshake.NewKey();
        using var initiator = new NoiseHandshake(true, iStatic, []);
        using var responder = new NoiseHandshake(false, rStatic, []);
        responder.ReadMessage(initiator.WriteMessage([]));
        initiator.ReadMessage(responder.WriteMessage([]));
        responder.ReadMessage(initiator.WriteMessage([]));
        return (initiator.Split(), responder.Split());
    }
}
