using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Transport;

/// <summary>
/// The stream layer: with <see cref="TlsLinks"/> the connection first runs a TLS 1.3 handshake (within
/// Transport:HandshakeTimeout, counted from its start, as the Hello after it) and from then on reads and writes through
/// the <see cref="SslStream"/>; without, through the socket's stream. Frames and their limits are the same inside. A
/// failed handshake or a rejected record costs that connection and one rate-limited line. See TRANSPORT.md, <i>The stream layer</i>.
/// </summary>
internal sealed partial class TcpConnection
{
    /// <summary>A fatal TLS alert (protocol_version) sent to a remote that spoke plain P2PSim to a tls node, so it can say why it was closed.</summary>
    private static readonly byte[] ProtocolVersionAlert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46];

    private readonly TlsLinks? _tlsLinks;
    private SslStream? _tls;
    private volatile bool _handshaking;
    private volatile string? _tlsProblem;
    private NodeId? _remoteId;

    /// <summary>
    /// The remote's node id, proven by its certificate in the TLS handshake; null on a plain link (or before the
    /// handshake). Where a remote's Hello claims an id, it must be this one (<see cref="CheckClaimedId"/>).
    /// </summary>
    public NodeId? AuthenticatedId => _remoteId;

    /// <summary>Whether this connection runs over TLS or Noise.</summary>
    public bool Encrypted => _tlsLinks is not null || _noiseLinks is not null;

    /// <summary>
    /// The one place the node id the remote's Hello claims is held against the id its TLS certificate proved: null when
    /// they agree or the link is plain, else the reason to close.
    /// </summary>
    internal string? CheckClaimedId(NodeId? claimed) =>
        claimed is { } id && _remoteId is { } proven && id != proven
            ? $"its Hello claims node {id.Short}, but its {(_noiseLinks is null ? "TLS certificate" : "Noise handshake")} is node {proven.Short}'s"
            : null;

    /// <summary>
    /// Runs the TLS handshake (the accepting side first checks that a ClientHello is coming at all); null when the link
    /// is secured, else the reason it closed (logged once, rate-limited).
    /// </summary>
    private async Task<string?> SecureAsync(TlsLinks links)
    {
        _readTimeoutReason = _tlsTimeoutReason;
        _handshaking = true;
        Volatile.Write(ref _readDeadline, (_startedAt + _options.HandshakeTimeout).UtcTicks); // the heartbeat closes a stalled handshake
        try
        {
            if (DialTarget is null && await CheckClientHelloAsync().ConfigureAwait(false) is { } notTls)
            {
                return notTls;
            }
            _tls = new SslStream(_network, leaveInnerStreamOpen: true);
            if (DialTarget is null)
            {
                await _tls.AuthenticateAsServerAsync(links.ServerOptions(ValidateRemote), _lifetimeToken).ConfigureAwait(false);
            }
            else
            {
                await _tls.AuthenticateAsClientAsync(links.ClientOptions(ValidateRemote), _lifetimeToken).ConfigureAwait(false);
            }
            if (_remoteId is null)
            {
                return RejectTls("the TLS handshake ended without a verified certificate");
            }
            if (RefuseOtherId(_remoteId.Value) is { } other)
            {
                return other; // another id than the dial expected: refused before this side's Hello goes out
            }
            _stream = _tls;
            _logger.LogDebugTlsUp(Id, RemoteAddress, _tls.NegotiatedCipherSuite, _remoteId.Value);
            return null;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return CloseReason ?? "closed";
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException)
        {
            return CloseReason ?? RejectTls(_tlsProblem ?? $"TLS handshake failed: {DescribeTls(ex, handshake: true)}");
        }
        finally
        {
            _handshaking = false;
            Volatile.Write(ref _readDeadline, long.MaxValue);
        }
    }

    /// <summary>
    /// Accepting side: waits (within the handshake deadline) for the first byte without taking it. A TLS handshake record
    /// starts with 0x16; a plain P2PSim frame with 0x00 (its length prefix). Anything else is refused before TLS sees it.
    /// </summary>
    private async Task<string?> CheckClientHelloAsync()
    {
        var first = new byte[2];
        var peeked = await _socket.ReceiveAsync(first, SocketFlags.Peek, _lifetimeToken).ConfigureAwait(false);
        if (peeked == 0)
        {
            return CloseReason ?? "closed by the remote before its TLS ClientHello";
        }
        if (first[0] == 0x16)
        {
            return null;
        }
        try
        {
            await _socket.SendAsync(ProtocolVersionAlert, SocketFlags.None, _lifetimeToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            // The remote is gone already; the line below says why we closed.
        }
        return RejectTls(peeked == 2 && first[0] == 0x00 && first[1] == NoiseLinks.MessageSizes[0]
            ? "a Noise handshake where a TLS ClientHello was expected: the remote runs with Security:Links=noise, this node with tls"
            : first[0] == 0x00
            ? "a plain P2PSim frame where a TLS ClientHello was expected: the remote runs with Security:Links=plain, this node with tls"
            : $"no TLS ClientHello (the first byte is 0x{first[0]:x2}, a TLS handshake record starts with 0x16)");
    }

    /// <summary>The remote's certificate: present and bound to a node key that signed its key. Chain and name do not matter.</summary>
    private bool ValidateRemote(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            _tlsProblem = "the remote presented no TLS certificate";
            return false;
        }
        try
        {
            using var copy = certificate is X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            if (!NodeCertificate.TryVerify(copy ?? (X509Certificate2)certificate, _tlsLinks!.Time.GetUtcNow(), out var id, out var problem))
            {
                _tlsProblem = $"TLS certificate refused: {problem}";
                return false;
            }
            _remoteId = id;
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _tlsProblem = $"TLS certificate refused: {ex.Message}";
            return false; // never throw into the TLS stack
        }
    }

    /// <summary>Plain side: the first bytes are a TLS record (a ClientHello, or a tls node's alert) where a Hello was expected.</summary>
    private string? TlsWhereHelloExpected(ReadOnlySpan<byte> received) =>
        _tlsLinks is null && received.Length >= 2 && received[0] is 0x15 or 0x16 && received[1] == 0x03
            ? received[0] == 0x16
                ? "a TLS ClientHello where a plain P2PSim Hello was expected: the remote runs with Security:Links=tls, this node with plain"
                : "a TLS alert where a plain P2PSim Hello was expected: the remote runs with Security:Links=tls, this node with plain"
            : null;

    /// <summary>
    /// Why a read failed: on a TLS link an I/O error that is not the socket's (a record that does not decrypt, one too
    /// large, one cut off by the end of the connection, an alert from the remote) is rejected input, logged rate-limited.
    /// </summary>
    private string DescribeReadFailure(Exception ex) =>
        _noise is not null && ex is NoiseRecordException ? RejectNoise($"Noise record rejected: {ex.Message}")
        : _tls is not null && ex is IOException && ex.InnerException is not SocketException
            ? RejectTls($"TLS record rejected: {DescribeTls(ex, handshake: false)}")
            : Describe(ex);

    /// <summary>One line per failed handshake or rejected record, rate-limited per node (ten at once, then one a second).</summary>
    private string RejectTls(string reason)
    {
        if (_noiseLinks is not null)
        {
            return RejectNoise(reason);
        }
        _owner.CountRejectedInput();
        if (_tlsLinks!.TryTakeLine(out var suppressed))
        {
            _logger.LogWarningTlsRejected(RemoteAddress, reason, suppressed == 0 ? "" : $" ({suppressed} such lines left out since the last one)");
        }
        var kept = $"rejected input: {reason}";
        return Interlocked.CompareExchange(ref _closeReason, kept, null) ?? kept;
    }

    private static string DescribeTls(Exception ex, bool handshake) => ex switch
    {
        IOException { InnerException: null } when ex.Message.Contains("EOF", StringComparison.Ordinal) => handshake
            ? "the remote closed the connection during the TLS handshake (a node with Security:Links=plain does so)"
            : "the connection ended in the middle of a TLS record",
        // .NET's own words are "... failed, see inner exception."; the inner one says what OpenSSL found.
        { InnerException: { } cause } when ex.Message.Contains("inner exception", StringComparison.Ordinal) => cause.Message,
        { InnerException: { } cause } when cause.Message != ex.Message => $"{ex.Message} ({cause.Message})",
        _ => ex.Message,
    };
}
