using P2PSim.Security;

namespace P2PSim.Tests.Security;

/// <summary>The plain-bytes X25519 the Noise handshake uses (libsodium's scalar multiplication), checked against RFC 7748.</summary>
public sealed class X25519KeyTests
{
    [Test]
    public void Public_keys_and_the_shared_secret_match_rfc_7748_section_6_1()
    {
        using var alice = X25519Key.Import(Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        using var bob = X25519Key.Import(Convert.FromHexString("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        var aliceShared = new byte[X25519Key.Size];
        var bobShared = new byte[X25519Key.Size];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Convert.ToHexStringLower(alice.PublicKey), Is.EqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
            Assert.That(Convert.ToHexStringLower(bob.PublicKey), Is.EqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
            Assert.That(alice.TryAgree(bob.PublicKey, aliceShared), Is.True);
            Assert.That(bob.TryAgree(alice.PublicKey, bobShared), Is.True);
            Assert.That(Convert.ToHexStringLower(aliceShared), Is.EqualTo("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"));
            Assert.That(bobShared, Is.EqualTo(aliceShared));
        }
    }

    [Test]
    public void An_agreement_with_a_key_of_small_order_fails_and_leaves_no_secret_behind()
    {
        using var key = X25519Key.Create();
        var shared = Enumerable.Repeat((byte)0xAA, X25519Key.Size).ToArray();
        Assert.That(key.TryAgree(new byte[X25519Key.Size], shared), Is.False, "the all-zero point gives an all-zero secret");
        Assert.That(shared, Is.All.Zero);
    }

    [Test]
    public void Fresh_keys_differ_and_a_wrong_length_is_refused()
    {
        using var a = X25519Key.Create();
        using var b = X25519Key.Create();
        Assert.That(a.PublicKey.ToArray(), Is.Not.EqualTo(b.PublicKey.ToArray()));
        Assert.Throws<ArgumentException>(() => X25519Key.Import(new byte[31]));
        Assert.Throws<ArgumentException>(() => a.TryAgree(new byte[31], new byte[X25519Key.Size]));
    }
}
