using NSec.Cryptography;
using P2PSim.Logging;
using P2PSim.Security;

namespace P2PSim.Transport;

/// <summary>
/// What a node's transport needs to run its links over Noise XX (<c>Security:Links=noise</c>): its static X25519 key,
/// made once at start, and the handshake payload that binds it to the node key, also made once: the node's Ed25519
/// public key (its id) and the node key's signature over "P2PSim/7 noise" || the static X25519 public key, as
/// libp2p-noise binds its peer ids. The responder sends it in XX message 2, the initiator in message 3, both encrypted;
/// the receiver checks it before the link counts as up. Also the rate limit of the node's lines about failed
/// handshakes and rejected records. The transport that is given it owns it. See Protocol/PROTOCOL.md, <i>Encrypted links</i>.
/// </summary>
public sealed class NoiseLinks : IDisposable
{
    /// <summary>Bytes of the identity payload: the node id, then the signature.</summary>
    public const int PayloadSize = NodeId.Size + NodeId.SignatureSize;

    /// <summary>The size of each XX message on the wire after its 2-byte length: e; e, s, payload; s, payload.</summary>
    public static readonly int[] MessageSizes =
    [
        NoiseHandshake.KeySize,
        NoiseHandshake.KeySize + NoiseHandshake.KeySize + NoiseCipher.TagSize + PayloadSize + NoiseCipher.TagSize,
        NoiseHandshake.KeySize + NoiseCipher.TagSize + PayloadSize + NoiseCipher.TagSize,
    ];

    /// <summary>What the node key signs, before the static X25519 public key.</summary>
    public static ReadOnlySpan<byte> SignatureContext => "P2PSim/7 noise"u8;

    /// <summary>
    /// The Noise prologue both sides mix in: a remote with another prologue (another revision of this binding) fails
    /// message 2. A fixed label like the signature context, not the Hello's protocol version (which the Hello checks).
    /// </summary>
    public static ReadOnlySpan<byte> Prologue => "P2PSim/7"u8;

    private readonly X25519Key _static;
    private readonly byte[] _payload;
    private readonly LogRateLimit _lines = LogRateLimit.ForViolations();
    private readonly Lock _linesGate = new();

    private NoiseLinks(NodeKey key, TimeProvider time)
    {
        Key = key;
        Time = time;
        _static = NoiseHandshake.NewKey();
        _payload = Payload(key, NoiseHandshake.PublicBytes(_static));
    }

    /// <summary>Makes the node's static X25519 key and signs it with its node key.</summary>
    public static NoiseLinks Create(NodeKey key, TimeProvider time) => new(key ?? throw new ArgumentNullException(nameof(key)), time);

    /// <summary>The node key the static key is bound to: the transport's Hello claims its id and signs with it too.</summary>
    internal NodeKey Key { get; }

    /// <summary>The node id this node's handshake proves.</summary>
    public NodeId LocalId => Key.Id;

    internal TimeProvider Time { get; }

    /// <summary>This node's identity payload (the same on every link).</summary>
    internal ReadOnlySpan<byte> LocalPayload => _payload;

    /// <summary>A handshake with this node's static key (the initiator is the dialer).</summary>
    internal NoiseHandshake Begin(bool initiator) => new(initiator, _static, Prologue);

    /// <summary>A handshake message as it goes on the wire: its 2-byte big-endian length, then the message.</summary>
    public static byte[] Framed(ReadOnlySpan<byte> message)
    {
        var framed = new byte[2 + message.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(framed, checked((ushort)message.Length));
        message.CopyTo(framed.AsSpan(2));
        return framed;
    }

    /// <summary>The identity payload for <paramref name="staticPublic"/>, signed by <paramref name="key"/>.</summary>
    public static byte[] Payload(NodeKey key, ReadOnlySpan<byte> staticPublic)
    {
        ArgumentNullException.ThrowIfNull(key);
        var payload = new byte[PayloadSize];
        key.Id.WriteTo(payload);
        key.Sign(Signed(staticPublic), payload.AsSpan(NodeId.Size));
        return payload;
    }

    /// <summary>
    /// The node id a remote's identity payload proves for the static key its handshake used; null with the reason when
    /// the payload has the wrong size or its signature does not verify.
    /// </summary>
    public static NodeId? Verify(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> remoteStatic, out string? problem)
    {
        if (payload.Length != PayloadSize)
        {
            problem = $"its identity payload is {payload.Length} bytes, not {PayloadSize}";
            return null;
        }
        var id = NodeId.FromBytes(payload[..NodeId.Size]);
        if (!id.Verifies(Signed(remoteStatic), payload[NodeId.Size..]))
        {
            problem = $"its identity payload claims node {id.Short}, whose key did not sign the handshake's static key";
            return null;
        }
        problem = null;
        return id;
    }

    private static byte[] Signed(ReadOnlySpan<byte> staticPublic)
    {
        var signed = new byte[SignatureContext.Length + staticPublic.Length];
        SignatureContext.CopyTo(signed);
        staticPublic.CopyTo(signed.AsSpan(SignatureContext.Length));
        return signed;
    }

    /// <summary>Whether a line about a failed handshake or a rejected record may be written now (ten at once, then one a second).</summary>
    internal bool TryTakeLine(out int suppressed)
    {
        lock (_linesGate)
        {
            return _lines.TryTake(Time.GetUtcNow(), out suppressed);
        }
    }

    public void Dispose() => _static.Dispose();
}
