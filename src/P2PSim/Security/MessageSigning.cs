using P2PSim.Configuration;
using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Security;

/// <summary>
/// How one node signs the messages it creates and checks the ones it receives (<c>Security:Signatures</c>; PROTOCOL.md,
/// "Identity and signatures"). With <see cref="SignatureMode.Verify"/> it signs with its key (once per message it
/// creates) and checks with real Ed25519 work; with <see cref="SignatureMode.Skip"/>, which only a simulated network may
/// use, it does neither: its messages carry <see cref="Protocol.Gossip.Unsigned"/> (64 bytes all the same, so every size
/// is as with signatures) and every check passes, while every other rule of the protocol stays. The parts of a node ask
/// it and count what they checked and refused; it counts only the checks it made for real (<see cref="Verifications"/>),
/// which another thread may read.
/// </summary>
public sealed class MessageSigning
{
    private readonly Func<NodeKey>? _keySource;
    private NodeKey? _key;
    private long _verifications;

    private MessageSigning(NodeId id, SignatureMode mode, Func<NodeKey>? keySource)
    {
        Id = id;
        Mode = mode;
        _keySource = keySource;
    }

    /// <summary>The node's id: the origin id of every message it creates.</summary>
    public NodeId Id { get; }

    public SignatureMode Mode { get; }

    /// <summary>
    /// Signatures checked with real Ed25519 work so far (messages and acknowledgements; a copy whose body was checked
    /// before is not counted again). Written by the node's own thread only; safe to read from any thread.
    /// </summary>
    public long Verifications => Volatile.Read(ref _verifications);

    /// <summary>
    /// Seed attestations checked with real Ed25519 work so far (version 8; not in <see cref="Verifications"/>, which counts
    /// messages and acknowledgements). Written by the node's own thread only; safe to read from any thread.
    /// </summary>
    public long AttestationVerifications => Volatile.Read(ref _attestationVerifications);

    private long _attestationVerifications;

    /// <summary>True: signatures are made and checked for real.</summary>
    public bool Verifies => Mode == SignatureMode.Verify;

    /// <summary>Signs and checks with <paramref name="key"/> (owned by the caller, which disposes it after the node).</summary>
    public static MessageSigning Verify(NodeKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(key.Id, SignatureMode.Verify, () => key);
    }

    /// <summary>
    /// Signs with the key <paramref name="key"/> makes when the node first signs (a simulated node derives it from the
    /// run's seed: only the nodes that publish pay for a key), whose id must be <paramref name="id"/>; checks for real.
    /// </summary>
    public static MessageSigning Verify(NodeId id, Func<NodeKey> key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(id, SignatureMode.Verify, key);
    }

    /// <summary>No cryptography (simulated runs only, <c>Security:Signatures=skip</c>): unsigned messages from <paramref name="id"/>, every check passes.</summary>
    public static MessageSigning Skip(NodeId id = default) => new(id, SignatureMode.Skip, null);

    /// <summary>The signature of message <paramref name="id"/>, which this node created: <see cref="Protocol.Gossip.Unsigned"/> when skipping.</summary>
    public byte[] Sign(MessageId id) => Verifies ? MessageSignature.SignMessage(Key, id) : Protocol.Gossip.Unsigned;

    /// <summary>This node's acknowledgement of the private message <paramref name="id"/> it received.</summary>
    public DirectAck Acknowledge(MessageId id) => Verifies ? MessageSignature.Acknowledge(Key, id) : new DirectAck(id, Protocol.Gossip.Unsigned);

    /// <summary>
    /// Whether <paramref name="message"/> is signed by its origin id (always true when skipping). A body whose signature
    /// verified before answers at once (<see cref="Protocol.Gossip.SignatureVerified"/>: copies that share it, as a
    /// simulation's do, are checked once).
    /// </summary>
    public bool Check(Protocol.Gossip message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!Verifies || message.SignatureVerified)
        {
            return true;
        }
        Volatile.Write(ref _verifications, _verifications + 1);
        if (!MessageSignature.Verifies(message))
        {
            return false;
        }
        message.MarkSignatureVerified();
        return true;
    }

    /// <summary>
    /// A seed's <see cref="Attestation"/> that <paramref name="peerId"/> is at <paramref name="peer"/> until
    /// <paramref name="notAfterUnixMs"/> (version 8): signed with this node's key, or carrying
    /// <see cref="Protocol.Gossip.Unsigned"/> when skipping (the same size).
    /// </summary>
    public Attestation Attest(NodeEndpoint peer, NodeId peerId, long notAfterUnixMs) => Verifies
        ? EndpointAttestation.Sign(Key, peer, peerId, notAfterUnixMs)
        : new Attestation(peer, peerId, notAfterUnixMs, Protocol.Gossip.Unsigned);

    /// <summary>
    /// Whether <paramref name="attestation"/> is the word of the seed <paramref name="seedId"/> for
    /// <paramref name="origin"/> and <paramref name="originId"/> (always true when skipping): real Ed25519 work, counted in
    /// <see cref="AttestationVerifications"/>.
    /// </summary>
    public bool Check(SeedAttestation attestation, NodeId seedId, NodeEndpoint origin, NodeId originId)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        if (!Verifies)
        {
            return true;
        }
        Volatile.Write(ref _attestationVerifications, _attestationVerifications + 1);
        return EndpointAttestation.Verifies(seedId, origin, originId, attestation);
    }

    /// <summary>
    /// The node's keys for private messages (<c>Security/PrivateSeal.cs</c>), made from its key on first use; null when
    /// skipping the cryptography: its private messages then carry their text unencrypted, in sealed messages' sizes.
    /// </summary>
    internal SealingKey? Sealing => Verifies ? _sealing ??= new SealingKey(Key) : null;

    private SealingKey? _sealing;

    /// <summary>Whether <paramref name="ack"/> was signed by <paramref name="recipient"/> (always true when skipping).</summary>
    public bool Check(DirectAck ack, NodeId recipient)
    {
        if (!Verifies)
        {
            return true;
        }
        Volatile.Write(ref _verifications, _verifications + 1);
        return MessageSignature.Verifies(ack, recipient);
    }

    private NodeKey Key
    {
        get
        {
            if (_key is null)
            {
                var key = _keySource!();
                if (key.Id != Id)
                {
                    throw new InvalidOperationException($"The signing key's id {key.Id.Short}… is not the node's id {Id.Short}….");
                }
                _key = key;
            }
            return _key;
        }
    }
}
