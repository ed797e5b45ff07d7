using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace P2PSim.Security;

/// <summary>
/// A node's TLS certificate, bound to its node key as libp2p's TLS handshake binds a certificate to a peer id: a
/// self-signed certificate with a fresh ECDSA P-256 key (.NET cannot put an Ed25519 key into a certificate), carrying a
/// non-critical extension (<see cref="ExtensionOid"/>) that holds the node's Ed25519 public key (its <see cref="NodeId"/>)
/// and the node key's signature over <see cref="SignatureDomain"/> followed by the certificate's SubjectPublicKeyInfo.
/// TLS proves that the remote holds the certificate's key; the extension proves that the node key vouched for that key.
/// See Protocol/PROTOCOL.md, <i>Encrypted links</i>, for the bytes.
/// </summary>
public sealed class NodeCertificate : IDisposable
{
    /// <summary>
    /// The extension's OID, under the arc 2.25 of OIDs made from a UUID (ITU-T X.667), so no registration is needed:
    /// UUID e2f30277-464d-4ce6-84bd-b8e908c2de23.
    /// </summary>
    public const string ExtensionOid = "2.25.301667305198742898018563648555629862435";

    /// <summary>How long a certificate is valid: made at start, it lives as long as its node (a year is plenty).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);

    /// <summary>How far before its making a certificate is already valid: tolerates clocks a little apart.</summary>
    public static readonly TimeSpan Backdate = TimeSpan.FromHours(1);

    /// <summary>Size of the extension's value: SEQUENCE { OCTET STRING (32), OCTET STRING (64) } in DER.</summary>
    public const int ExtensionSize = 2 + 2 + NodeId.Size + 2 + NodeId.SignatureSize;

    private readonly ECDsa _tlsKey;

    private NodeCertificate(X509Certificate2 certificate, ECDsa tlsKey, NodeId id)
    {
        Certificate = certificate;
        _tlsKey = tlsKey;
        Id = id;
    }

    /// <summary>What the node key signs, before the SubjectPublicKeyInfo: a domain of its own, so the signature means nothing elsewhere.</summary>
    public static ReadOnlySpan<byte> SignatureDomain => "P2PSim/4 tls"u8;

    /// <summary>The certificate, with its private key, as TLS presents it.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The node id the certificate is bound to.</summary>
    public NodeId Id { get; }

    /// <summary>Makes a node's certificate: a fresh P-256 key, valid from an hour before <paramref name="time"/>'s now for a year.</summary>
    public static NodeCertificate Create(NodeKey key, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(time);
        var tlsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var request = new CertificateRequest($"CN=P2PSim node {key.Id.Short}", tlsKey, HashAlgorithmName.SHA256);
            var signature = key.Sign(SignedBytes(request.PublicKey.ExportSubjectPublicKeyInfo()));
            request.CertificateExtensions.Add(new X509Extension(ExtensionOid, EncodeExtension(key.Id, signature), critical: false));
            var now = time.GetUtcNow();
            return new NodeCertificate(request.CreateSelfSigned(now - Backdate, now + Lifetime), tlsKey, key.Id);
        }
        catch
        {
            tlsKey.Dispose();
            throw;
        }
    }

    /// <summary>The extension's value: DER <c>SEQUENCE { nodeKey OCTET STRING (32), signature OCTET STRING (64) }</c>.</summary>
    public static byte[] EncodeExtension(NodeId id, ReadOnlySpan<byte> signature)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            Span<byte> raw = stackalloc byte[NodeId.Size];
            id.WriteTo(raw);
            writer.WriteOctetString(raw);
            writer.WriteOctetString(signature);
        }
        return writer.Encode();
    }

    /// <summary>
    /// Reads the extension's value, strictly: DER, one SEQUENCE of exactly two OCTET STRINGs of 32 and 64 bytes, nothing
    /// after it. Never throws; false with the problem in words.
    /// </summary>
    public static bool TryDecodeExtension(ReadOnlySpan<byte> value, out NodeId id, out byte[] signature, out string problem)
    {
        id = default;
        signature = [];
        try
        {
            AsnDecoder.ReadSequence(value, AsnEncodingRules.DER, out var offset, out var length, out var consumed);
            if (consumed != value.Length)
            {
                problem = $"the node key extension has {value.Length - consumed} bytes after its value";
                return false;
            }
            var body = value.Slice(offset, length);
            var key = AsnDecoder.ReadOctetString(body, AsnEncodingRules.DER, out var keyBytes);
            var sig = AsnDecoder.ReadOctetString(body[keyBytes..], AsnEncodingRules.DER, out var sigBytes);
            if (keyBytes + sigBytes != body.Length)
            {
                problem = "the node key extension holds more than a key and a signature";
                return false;
            }
            if (key.Length != NodeId.Size || sig.Length != NodeId.SignatureSize)
            {
                problem = $"the node key extension holds a key of {key.Length} bytes and a signature of {sig.Length} (expected {NodeId.Size} and {NodeId.SignatureSize})";
                return false;
            }
            id = NodeId.FromBytes(key);
            signature = sig;
            problem = "";
            return true;
        }
        catch (AsnContentException ex)
        {
            problem = $"the node key extension is not valid DER ({ex.Message})";
            return false;
        }
    }

    /// <summary>
    /// Checks a remote's certificate: valid at <paramref name="now"/>, no critical extension this node does not know,
    /// exactly one node key extension, and its signature by that key over <see cref="SignatureDomain"/> and the
    /// certificate's SubjectPublicKeyInfo. Never throws; false with the problem in words. (That the remote holds the
    /// certificate's private key is what the TLS handshake itself proves.)
    /// </summary>
    public static bool TryVerify(X509Certificate2 certificate, DateTimeOffset now, out NodeId id, out string problem)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        id = default;
        try
        {
            var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
            var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
            if (now < notBefore || now > notAfter)
            {
                problem = $"its certificate is valid from {notBefore:u} to {notAfter:u}, not now ({now:u})";
                return false;
            }
            byte[]? value = null;
            foreach (var extension in certificate.Extensions)
            {
                var oid = extension.Oid?.Value;
                if (oid == ExtensionOid)
                {
                    if (value is not null)
                    {
                        problem = "its certificate carries the node key extension twice";
                        return false;
                    }
                    value = extension.RawData;
                }
                else if (extension.Critical && oid is not (KeyUsageOid or BasicConstraintsOid))
                {
                    problem = $"its certificate has a critical extension this node does not know ({oid})";
                    return false;
                }
            }
            if (value is null)
            {
                problem = $"its certificate carries no node key extension ({ExtensionOid})";
                return false;
            }
            if (!TryDecodeExtension(value, out var claimed, out var signature, out problem))
            {
                return false;
            }
            if (!claimed.Verifies(SignedBytes(certificate.PublicKey.ExportSubjectPublicKeyInfo()), signature))
            {
                problem = $"the node key extension's signature does not verify: node {claimed.Short} did not sign this certificate's key";
                return false;
            }
            id = claimed;
            problem = "";
            return true;
        }
        catch (CryptographicException ex)
        {
            problem = $"its certificate cannot be read ({ex.Message})";
            return false;
        }
    }

    /// <summary>As <see cref="TryVerify(X509Certificate2, DateTimeOffset, out NodeId, out string)"/>, from a certificate's DER bytes.</summary>
    public static bool TryVerify(ReadOnlySpan<byte> der, DateTimeOffset now, out NodeId id, out string problem)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            id = default;
            problem = $"its certificate cannot be read ({ex.Message})";
            return false;
        }
        using (certificate)
        {
            return TryVerify(certificate, now, out id, out problem);
        }
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _tlsKey.Dispose();
    }

    private const string KeyUsageOid = "2.5.29.15";
    private const string BasicConstraintsOid = "2.5.29.19";

    private static byte[] SignedBytes(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var data = new byte[SignatureDomain.Length + subjectPublicKeyInfo.Length];
        SignatureDomain.CopyTo(data);
        subjectPublicKeyInfo.CopyTo(data.AsSpan(SignatureDomain.Length));
        return data;
    }
}
