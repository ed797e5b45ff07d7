using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CsCheck;
using P2PSim.Security;

namespace P2PSim.Tests.Security;

/// <summary>
/// The certificate a node presents on its TLS links (<see cref="NodeCertificate"/>): it verifies as its node's, and a
/// certificate without the node key extension, with one signed by another key, or with one taken from another
/// certificate does not. The extension's decoder and the whole certificate check are fuzzed: whatever the bytes, no
/// exception, and nothing but the genuine binding is ever accepted.
/// </summary>
[TestFixture]
public sealed class NodeCertificateTests
{
    private static readonly DateTimeOffset Now = TimeProvider.System.GetUtcNow();

    [Test]
    public void A_node_certificate_verifies_as_its_node_key()
    {
        using var key = NodeKey.Generate();
        using var certificate = NodeCertificate.Create(key, TimeProvider.System);
        var ok = NodeCertificate.TryVerify(certificate.Certificate, Now, out var id, out var problem);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ok, Is.True, problem);
            Assert.That(id, Is.EqualTo(key.Id));
            Assert.That(certificate.Certificate.HasPrivateKey, Is.True);
            Assert.That(certificate.Certificate.Extensions[NodeCertificate.ExtensionOid]!.RawData, Has.Length.EqualTo(NodeCertificate.ExtensionSize));
            Assert.That(certificate.Certificate.Extensions[NodeCertificate.ExtensionOid]!.Critical, Is.False);
        }
    }

    [Test]
    public void A_certificate_without_the_extension_is_refused() =>
        AssertRefused(TestCertificates.Make(_ => null), "carries no node key extension");

    [Test]
    public void An_extension_signed_by_another_key_is_refused()
    {
        using var claimed = NodeKey.Generate();
        using var signer = NodeKey.Generate();
        AssertRefused(TestCertificates.Make(spki => TestCertificates.Extension(claimed.Id, signer.Sign(TestCertificates.Signed(spki)))), "does not verify");
    }

    [Test]
    public void An_extension_copied_from_another_certificate_is_refused()
    {
        using var key = NodeKey.Generate();
        using var genuine = NodeCertificate.Create(key, TimeProvider.System);
        var copied = genuine.Certificate.Extensions[NodeCertificate.ExtensionOid]!;
        AssertRefused(TestCertificates.Make(_ => copied), "did not sign this certificate's key");
    }

    [Test]
    public void A_certificate_outside_its_validity_is_refused()
    {
        using var key = NodeKey.Generate();
        using var certificate = NodeCertificate.Create(key, TimeProvider.System);
        Assert.That(NodeCertificate.TryVerify(certificate.Certificate, Now + NodeCertificate.Lifetime + TimeSpan.FromDays(1), out _, out var problem), Is.False);
        Assert.That(problem, Does.Contain("valid from"));
    }

    [Test]
    public void The_extension_round_trips_and_its_decoder_is_strict()
    {
        using var key = NodeKey.Generate();
        var signature = key.Sign("x"u8);
        var value = NodeCertificate.EncodeExtension(key.Id, signature);
        Assert.That(NodeCertificate.TryDecodeExtension(value, out var id, out var decoded, out var problem), Is.True, problem);
        Assert.That((id, decoded), Is.EqualTo((key.Id, signature)));
        Assert.That(NodeCertificate.TryDecodeExtension([.. value, 0], out _, out _, out problem), Is.False, "a byte after the value");
        Assert.That(NodeCertificate.TryDecodeExtension(value.AsSpan(0, value.Length - 1), out _, out _, out _), Is.False, "cut short");
        Assert.That(NodeCertificate.TryDecodeExtension(NodeCertificate.EncodeExtension(key.Id, signature.AsSpan(0, 63)), out _, out _, out problem), Is.False, "a 63-byte signature");
        Assert.That(problem, Does.Contain("63"));
    }

    [Test]
    [CancelAfter(60_000)]
    public void The_extension_decoder_never_throws_and_accepts_only_canonical_values()
    {
        using var key = NodeKey.Generate();
        var valid = NodeCertificate.EncodeExtension(key.Id, key.Sign("x"u8));
        var inputs = Gen.OneOf(Gen.Byte.Array[0, 160], Mutated(valid));
        inputs.Sample(bytes =>
        {
            if (!NodeCertificate.TryDecodeExtension(bytes, out var id, out var signature, out var problem))
            {
                return !string.IsNullOrEmpty(problem);
            }
            return NodeCertificate.EncodeExtension(id, signature).AsSpan().SequenceEqual(bytes); // DER: one encoding only
        }, iter: 20_000, seed: "0N0XIzNsQ0O2");
    }

    [Test]
    [CancelAfter(120_000)]
    public void A_mutated_certificate_never_throws_and_is_accepted_only_with_its_key_and_binding_intact()
    {
        using var key = NodeKey.Generate();
        using var genuine = NodeCertificate.Create(key, TimeProvider.System);
        var der = genuine.Certificate.RawData;
        var spki = genuine.Certificate.PublicKey.ExportSubjectPublicKeyInfo();
        Mutated(der).Sample(bytes =>
        {
            if (!NodeCertificate.TryVerify(bytes, Now, out var id, out var problem))
            {
                return !string.IsNullOrEmpty(problem);
            }
            using var accepted = X509CertificateLoader.LoadCertificate(bytes);
            // Bytes outside the binding (serial, names, the self-signature) may change; the key and the node may not.
            return id == key.Id && accepted.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki);
        }, iter: 3_000, seed: "0N0XIzNsQ0O3");
    }

    private static void AssertRefused(X509Certificate2 certificate, string expected)
    {
        using (certificate)
        {
            Assert.That(NodeCertificate.TryVerify(certificate, Now, out _, out var problem), Is.False);
            Assert.That(problem, Does.Contain(expected));
        }
    }

    /// <summary>A valid input with bit flips, bytes overwritten, cut short or extended.</summary>
    private static Gen<byte[]> Mutated(byte[] valid) =>
        from how in Gen.Int[0, 3]
        from at in Gen.Int[0, valid.Length - 1]
        from value in Gen.Byte
        from count in Gen.Int[1, 4]
        select how switch
        {
            0 => Flip(valid, at, value),
            1 => Overwrite(valid, at, value, count),
            2 => valid[..at],
            _ => [.. valid, .. Enumerable.Repeat(value, count)],
        };

    private static byte[] Flip(byte[] valid, int at, byte bits)
    {
        var copy = (byte[])valid.Clone();
        copy[at] ^= bits == 0 ? (byte)1 : bits;
        return copy;
    }

    private static byte[] Overwrite(byte[] valid, int at, byte value, int count)
    {
        var copy = (byte[])valid.Clone();
        for (var i = at; i < Math.Min(copy.Length, at + count); i++)
        {
            copy[i] = value;
        }
        return copy;
    }
}

/// <summary>Certificates made for tests: self-signed P-256, with whatever node key extension a test needs (or none).</summary>
internal static class TestCertificates
{
    /// <summary>A certificate with a private key; <paramref name="extension"/> gets its SubjectPublicKeyInfo and returns what to add.</summary>
    public static X509Certificate2 Make(Func<byte[], X509Extension?> extension)
    {
        using var tlsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test", tlsKey, HashAlgorithmName.SHA256);
        if (extension(request.PublicKey.ExportSubjectPublicKeyInfo()) is { } added)
        {
            request.CertificateExtensions.Add(added);
        }
        var now = TimeProvider.System.GetUtcNow();
        return request.CreateSelfSigned(now - TimeSpan.FromHours(1), now + TimeSpan.FromDays(1));
    }

    public static X509Extension Extension(NodeId id, byte[] signature) =>
        new(NodeCertificate.ExtensionOid, NodeCertificate.EncodeExtension(id, signature), critical: false);

    /// <summary>What a node key signs for a certificate: the domain, then the SubjectPublicKeyInfo.</summary>
    public static byte[] Signed(byte[] spki) => [.. NodeCertificate.SignatureDomain, .. spki];
}
