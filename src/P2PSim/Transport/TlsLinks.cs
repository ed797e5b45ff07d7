using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using P2PSim.Logging;
using P2PSim.Security;

namespace P2PSim.Transport;

/// <summary>
/// What a node's transport needs to run its links over TLS 1.3: its certificate bound to its node key
/// (<see cref="NodeCertificate"/>), made once and presented on every link, both as a client and as a server (mutual
/// authentication), the options every handshake uses, and the rate limit of the node's lines about failed handshakes and
/// rejected records. The transport that is given it owns it. See Protocol/PROTOCOL.md, <i>Encrypted links</i>, and
/// TRANSPORT.md, <i>The stream layer</i>.
/// </summary>
public sealed class TlsLinks : IDisposable
{
    private readonly NodeCertificate _certificate;
    private readonly SslStreamCertificateContext _context;
    private readonly X509ChainPolicy _chainPolicy;
    private readonly LogRateLimit _lines = LogRateLimit.ForViolations();
    private readonly Lock _linesGate = new();

    private TlsLinks(NodeCertificate certificate, TimeProvider time)
    {
        _certificate = certificate;
        Time = time;
        // Made once: the handshake sends this certificate without building its chain again on every link.
        _context = SslStreamCertificateContext.Create(certificate.Certificate, additionalCertificates: null, offline: true);
        // The remote's certificate is self-signed: nothing to fetch, nothing to look up. What the chain says is ignored;
        // the node key extension is what is checked (TcpConnection.Tls.cs).
        _chainPolicy = new X509ChainPolicy
        {
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
            TrustMode = X509ChainTrustMode.CustomRootTrust,
        };
    }

    /// <summary>Makes the node's certificate from its key (a fresh P-256 TLS key, signed over by the node key).</summary>
    public static TlsLinks Create(NodeKey key, TimeProvider time) => new(NodeCertificate.Create(key, time), time) { Key = key };

    /// <summary>The node key the certificate is bound to: the transport's Hello claims its id and signs with it too.</summary>
    internal NodeKey? Key { get; private init; }

    /// <summary>The node id this node's certificate is bound to.</summary>
    public NodeId LocalId => _certificate.Id;

    internal TimeProvider Time { get; }

    internal SslClientAuthenticationOptions ClientOptions(RemoteCertificateValidationCallback validate) => new()
    {
        TargetHost = "", // no SNI: the remote is known by its certificate's node key, not by a name
        ClientCertificateContext = _context,
        EnabledSslProtocols = SslProtocols.Tls13,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        CertificateChainPolicy = _chainPolicy,
        // Every link is a full handshake that proves both keys anew. (Allowing resumption is also the only way .NET would
        // share one SSL_CTX among handshakes; measured, that saved nothing with many nodes in one process: PROTOCOL.md,
        // Encrypted links, "No link is resumed".)
        AllowTlsResume = false,
        RemoteCertificateValidationCallback = validate,
    };

    internal SslServerAuthenticationOptions ServerOptions(RemoteCertificateValidationCallback validate) => new()
    {
        ServerCertificateContext = _context,
        ClientCertificateRequired = true,
        EnabledSslProtocols = SslProtocols.Tls13,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        CertificateChainPolicy = _chainPolicy,
        AllowTlsResume = false,
        RemoteCertificateValidationCallback = validate,
    };

    /// <summary>Whether a line about a failed handshake or a rejected record may be written now (ten at once, then one a second).</summary>
    internal bool TryTakeLine(out int suppressed)
    {
        lock (_linesGate)
        {
            return _lines.TryTake(Time.GetUtcNow(), out suppressed);
        }
    }

    public void Dispose() => _certificate.Dispose();
}
