using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace P2PSim.Protocol;

/// <summary>
/// Encodes and decodes frames: a 4-byte big-endian length, then that many bytes of body
/// (1 type byte and the payload). Pure functions over buffers, no I/O (see PROTOCOL.md).
/// </summary>
public static partial class FrameCodec
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Tries to decode one frame from the start of <paramref name="input"/>. On
    /// <see cref="DecodeStatus.Complete"/>, <paramref name="consumed"/> is the frame's size in bytes.
    /// On <see cref="DecodeStatus.Invalid"/>, <paramref name="error"/> says why, in words for a log.
    /// The length prefix is checked before any body byte is awaited.
    /// </summary>
    public static DecodeStatus TryRead(ReadOnlySpan<byte> input, int maxFrameLength, out Message? message, out int consumed, out string? error)
    {
        message = null;
        consumed = 0;
        error = null;
        if (input.Length < ProtocolLimits.LengthPrefixSize)
        {
            return DecodeStatus.Incomplete;
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(input);
        if (length < ProtocolLimits.MinFrameLength)
        {
            error = length < 0 ? $"negative frame length {length}" : "empty frame (length 0)";
            return DecodeStatus.Invalid;
        }
        if (length > maxFrameLength)
        {
            error = $"frame length {length} exceeds the maximum of {maxFrameLength} bytes";
            return DecodeStatus.Invalid;
        }
        var type = input.Length > ProtocolLimits.LengthPrefixSize ? input[ProtocolLimits.LengthPrefixSize] : (byte)0;
        if (input.Length > ProtocolLimits.LengthPrefixSize && !Enum.IsDefined((MessageType)type))
        {
            error = $"unknown message type {type}";
            return DecodeStatus.Invalid;
        }
        if (input.Length - ProtocolLimits.LengthPrefixSize < length)
        {
            return DecodeStatus.Incomplete;
        }
        var body = input.Slice(ProtocolLimits.LengthPrefixSize + 1, length - 1);
        if (!TryDecodeBody((MessageType)type, body, out message, out error))
        {
            error = $"malformed {(MessageType)type} frame: {error}";
            return DecodeStatus.Invalid;
        }
        consumed = ProtocolLimits.LengthPrefixSize + length;
        return DecodeStatus.Complete;
    }

    /// <summary>Writes <paramref name="message"/> as one frame.</summary>
    public static void Write(IBufferWriter<byte> output, Message message)
    {
        var bodyLength = 1 + PayloadSize(message);
        var span = output.GetSpan(ProtocolLimits.LengthPrefixSize + bodyLength);
        BinaryPrimitives.WriteInt32BigEndian(span, bodyLength);
        span[ProtocolLimits.LengthPrefixSize] = (byte)message.Type;
        var writer = new SpanWriter(span.Slice(ProtocolLimits.LengthPrefixSize + 1, bodyLength - 1));
        WritePayload(ref writer, message);
        output.Advance(ProtocolLimits.LengthPrefixSize + bodyLength);
    }

    /// <summary>Encodes one frame into a new array (tests, tools).</summary>
    public static byte[] Encode(Message message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Bytes <paramref name="message"/> takes on the wire, length prefix included.</summary>
    public static int FrameSize(Message message) => ProtocolLimits.LengthPrefixSize + 1 + PayloadSize(message);

    /// <summary>
    /// Bytes a broadcast <see cref="Gossip"/> frame from <paramref name="origin"/> with <paramref name="text"/> as its
    /// payload takes on the wire, length prefix included (its origin id and signature included: every envelope has them;
    /// no attestations).
    /// </summary>
    public static int GossipFrameSize(NodeEndpoint origin, string text) =>
        ProtocolLimits.LengthPrefixSize + 1 + GossipPayloadSize(origin, CheckedTextLength(text));

    /// <summary>Bytes of one attestation in an envelope's block: seed endpoint, notAfter, signature.</summary>
    private static int AttestationSize(SeedAttestation a) => EndpointSize(a.Seed) + 8 + ProtocolLimits.SignatureSize;

    /// <summary>Writes <paramref name="text"/> as on the wire (u16 byte count, strict UTF-8); returns the bytes written.</summary>
    internal static int WriteText(Span<byte> destination, string text)
    {
        var length = StrictUtf8.GetBytes(text, destination[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)length);
        return 2 + length;
    }

    /// <summary>Writes <paramref name="endpoint"/> as on the wire (address length, address, port); returns the bytes written.</summary>
    internal static int WriteEndpoint(Span<byte> destination, NodeEndpoint endpoint)
    {
        var size = AddressBytes(endpoint.Address);
        destination[0] = (byte)size;
        endpoint.Address.TryWriteBytes(destination.Slice(1, size), out _);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(1 + size)..], (ushort)endpoint.Port);
        return 1 + size + 2;
    }

    private static int PayloadSize(Message message) => message switch
    {
        Hello h when h.Version != ProtocolLimits.Version => 2 + 1 + EndpointSize(h.Listen), // another version's layout is not ours to write: the version-2 fields only
        Hello h => 2 + 1 + EndpointSize(h.Listen) + Security.NodeId.Size + 1 + 8 + HelloNonce.Size + 1 + (h.Purpose.Kind == LinkKind.Group ? CheckedGroupSize(h.Purpose.Group) : 0),
        HelloProof p => p.Signature.Length == ProtocolLimits.SignatureSize
            ? ProtocolLimits.SignatureSize
            : throw new ArgumentException($"A HelloProof is a {ProtocolLimits.SignatureSize}-byte signature, not {p.Signature.Length} bytes.", nameof(message)),
        Register { Wanted: null } or Goodbye => 0,
        Register r => 2 + 2 + CheckedRegisterHeld(r).Sum(EndpointSize),
        PeerList p => 2 + p.Peers.Sum(EndpointSize) + (p.Peers.Count * Security.NodeId.Size),
        DeadNode d => EndpointSize(d.Dead) + 8 + EndpointSize(d.Reporter),
        Gossip g => CheckedGossipPayloadSize(g),
        Ping or Pong => 8,
        Digest d => 2 + (CheckedIdCount(d.Ids.Count) * ProtocolLimits.MessageIdSize),
        Want w => 2 + (CheckedIdCount(w.Ids.Count) * ProtocolLimits.MessageIdSize),
        Graft g => 2 + (CheckedIdCount(g.Ids.Count) * ProtocolLimits.MessageIdSize),
        IHave h => 2 + (CheckedAnnouncementCount(h.Announcements.Count) * ProtocolLimits.AnnouncementSize),
        Prune => 0,
        TreeAdvert t => EndpointSize(t.Root) + 2 + 1,
        GroupJoin j => CheckedGroupSize(j.Group),
        GroupLeave l => CheckedGroupSize(l.Group),
        GroupMembers m => CheckedGroupSize(m.Group) + 2 + CheckedMemberCount(m.Members.Count, m.Members).Sum(EndpointSize) + (m.Members.Count * Security.NodeId.Size),
        DirectAck a => ProtocolLimits.MessageIdSize + CheckedSignatureSize(a.Signature, "DirectAck"),
        Reserve => 0,
        RelayRefused => ProtocolLimits.MessageIdSize + 1,
        IdRequest q => EndpointSize(q.Peer),
        IdAnswer a => EndpointSize(a.Peer) + 1 + (a.Id is null ? 0 : Security.NodeId.Size),
        Attestation a => EndpointSize(a.Peer) + Security.NodeId.Size + 8 + CheckedSignatureSize(a.Signature, "Attestation"),
        GroupKey k => k.Capsule.Length == Security.PrivateSeal.CapsuleSize
            ? Security.GroupKeyId.Size + Security.PrivateSeal.CapsuleSize
            : throw new ArgumentException(BadCapsuleLength(k.Capsule.Length), nameof(message)),
        _ => throw new ArgumentException($"Cannot encode {message.GetType().Name}.", nameof(message)),
    };

    /// <summary>kind, origin, origin id, attestation count (and the block's bytes), addressee, sequence, timestamp, hops, payload length and bytes, signature.</summary>
    private static int GossipPayloadSize(NodeEndpoint origin, int textBytes, int addresseeBytes = 0, int attestationBytes = 0) =>
        1 + EndpointSize(origin) + Security.NodeId.Size + 1 + attestationBytes + addresseeBytes + 8 + 8 + 2 + 2 + textBytes + ProtocolLimits.SignatureSize;

    /// <summary>A signature is exactly <see cref="ProtocolLimits.SignatureSize"/> bytes; anything else cannot be encoded.</summary>
    private static int CheckedSignatureSize(byte[]? signature, string what) => signature is { Length: ProtocolLimits.SignatureSize }
        ? ProtocolLimits.SignatureSize
        : throw new ArgumentException($"Cannot encode this {what}: {BadSignatureLength(signature?.Length ?? 0)}.", nameof(signature));

    /// <summary>Bytes of a group name on the wire (u16 length and UTF-8); a name the decoder would reject throws, with its reason.</summary>
    private static int CheckedGroupSize(string? group) => GroupName.Problem(group) is { } problem
        ? throw new ArgumentException($"Cannot encode this group name: {problem}.", nameof(group))
        : 2 + StrictUtf8.GetByteCount(group!);

    private static IReadOnlyList<NodeEndpoint> CheckedMemberCount(int count, IReadOnlyList<NodeEndpoint> members) => count <= ProtocolLimits.MaxPeerListEntries
        ? members
        : throw new ArgumentException($"A GroupMembers frame holds at most {ProtocolLimits.MaxPeerListEntries} members (got {count}).", nameof(count));

    /// <summary>Why the addressee fields do not fit the kind (a broadcast has none, a group message a group, a direct message a recipient); null when they do.</summary>
    private static string? AddresseeProblem(Gossip gossip) => gossip.Kind switch
    {
        GossipKind.Gossip when gossip.Group is not null || gossip.Recipient is not null => "a broadcast (kind 1) names no group or recipient",
        GossipKind.Group when gossip.Recipient is not null => "a group message (kind 2) names no recipient",
        GossipKind.Group => GroupName.Problem(gossip.Group),
        GossipKind.Direct when gossip.Group is not null => "a direct message (kind 3) names no group",
        GossipKind.Direct when gossip.Recipient is null => "a direct message (kind 3) needs a recipient",
        _ => null,
    };

    private static int AddresseeSize(Gossip gossip) => gossip.Kind switch
    {
        GossipKind.Group => 2 + StrictUtf8.GetByteCount(gossip.Group!),
        GossipKind.Direct => EndpointSize(gossip.Recipient!.Value),
        _ => 0,
    };

    /// <summary>The payload size of a gossip the decoder would accept; anything it would reject throws, with the decoder's reason.</summary>
    private static int CheckedGossipPayloadSize(Gossip gossip)
    {
        var problem = !Enum.IsDefined(gossip.Kind) ? UnknownGossipKind((byte)gossip.Kind)
            : gossip.Sequence == 0 ? SequenceZero
            : gossip.Hops == 0 ? HopsZero
            : gossip.Signature.Length != ProtocolLimits.SignatureSize ? BadSignatureLength(gossip.Signature.Length)
            : gossip.Kind == GossipKind.Direct && gossip.Capsule.Length != Security.PrivateSeal.CapsuleSize ? BadCapsuleLength(gossip.Capsule.Length)
            : AttestationsProblem(gossip.Attestations) ?? AddresseeProblem(gossip);
        return problem is null
            ? GossipPayloadSize(gossip.Origin, CheckedTextLength(gossip.Text), AddresseeSize(gossip), gossip.Attestations.Sum(AttestationSize)) + CapsuleSize(gossip.Kind)
            : throw new ArgumentException($"Cannot encode this Gossip: {problem}.", nameof(gossip));
    }

    private static int CheckedTextLength(string text)
    {
        var bytes = StrictUtf8.GetByteCount(text);
        return bytes <= ProtocolLimits.MaxPayloadBytes
            ? bytes
            : throw new ArgumentException($"Cannot encode this Gossip: {PayloadTooLong(bytes)}.", nameof(text));
    }

    // Why a Gossip envelope is malformed: the same words whether the decoder rejects a frame or the encoder a message.

    private const string SequenceZero = "sequence 0 (an origin numbers its messages from 1)";

    private const string HopsZero = "hops 0 (the origin sends a message with hops 1)";

    private static string UnknownGossipKind(byte kind) => $"unknown gossip kind {kind}";

    private static string TooManyAttestations(int count) => $"{count} attestations (at most {ProtocolLimits.MaxAttestations})";

    /// <summary>Why an envelope's attestation block cannot be encoded: too many, or a signature of the wrong length; null when it can.</summary>
    private static string? AttestationsProblem(IReadOnlyList<SeedAttestation> attestations) =>
        attestations.Count > ProtocolLimits.MaxAttestations ? TooManyAttestations(attestations.Count)
        : attestations.FirstOrDefault(a => a.Signature.Length != ProtocolLimits.SignatureSize) is { } bad ? BadSignatureLength(bad.Signature.Length)
        : null;

    private static string BadCapsuleLength(int length) =>
        $"a capsule of {length} bytes (a private message's is {Security.PrivateSeal.CapsuleSize})";

    /// <summary>Bytes after the signature: a private message's capsule (<c>Security/PrivateSeal.cs</c>); nothing for the other kinds.</summary>
    private static int CapsuleSize(GossipKind kind) => kind == GossipKind.Direct ? Security.PrivateSeal.CapsuleSize : 0;

    private static string BadSignatureLength(int length) =>
        $"a signature of {length} bytes (an Ed25519 signature is {ProtocolLimits.SignatureSize})";

    private static string PayloadTooLong(int bytes) => $"payload of {bytes} bytes exceeds the limit of {ProtocolLimits.MaxPayloadBytes}";

    private static int CheckedIdCount(int count) => count <= ProtocolLimits.MaxDigestIds
        ? count
        : throw new ArgumentException($"A Digest, Want or Graft holds at most {ProtocolLimits.MaxDigestIds} message ids (got {count}).", nameof(count));

    private static int CheckedAnnouncementCount(int count) => count <= ProtocolLimits.MaxAnnouncements
        ? count
        : throw new ArgumentException($"An IHave holds at most {ProtocolLimits.MaxAnnouncements} announcements (got {count}).", nameof(count));

    private static int EndpointSize(NodeEndpoint endpoint) => 1 + AddressBytes(endpoint.Address) + 2;

    private static int AddressBytes(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 16 : 4;

    private static void WritePayload(ref SpanWriter w, Message message)
    {
        switch (message)
        {
            case Hello h:
                w.UInt16(h.Version);
                w.Byte((byte)h.Role);
                w.Endpoint(h.Listen);
                if (h.Version != ProtocolLimits.Version)
                {
                    break;
                }
                w.NodeId(h.Id);
                w.Byte(h.Work.Difficulty);
                w.UInt64(h.Work.Nonce);
                w.Nonce(h.Nonce);
                w.Byte((byte)h.Purpose.Kind);
                if (h.Purpose.Kind == LinkKind.Group)
                {
                    w.Text(h.Purpose.Group!);
                }
                break;
            case HelloProof proof:
                w.Bytes(proof.Signature);
                break;
            case Register { Wanted: { } wanted } register:
                w.UInt16((ushort)wanted);
                w.UInt16((ushort)register.Held.Count);
                foreach (var held in register.Held)
                {
                    w.Endpoint(held);
                }
                break;
            case PeerList p:
                if (p.Peers.Count > ProtocolLimits.MaxPeerListEntries)
                {
                    throw new ArgumentException($"A peer list holds at most {ProtocolLimits.MaxPeerListEntries} entries.", nameof(message));
                }
                w.UInt16((ushort)p.Peers.Count);
                for (var i = 0; i < p.Peers.Count; i++)
                {
                    w.Endpoint(p.Peers[i]);
                    w.NodeId(p.IdAt(i));
                }
                break;
            case DeadNode d:
                w.Endpoint(d.Dead);
                w.Int64(d.TimestampUnixMs);
                w.Endpoint(d.Reporter);
                break;
            case Gossip g:
                w.Byte((byte)g.Kind);
                w.Endpoint(g.Origin);
                w.NodeId(g.OriginId);
                w.Byte((byte)g.Attestations.Count);
                foreach (var attestation in g.Attestations)
                {
                    w.Endpoint(attestation.Seed);
                    w.Int64(attestation.NotAfterUnixMs);
                    w.Bytes(attestation.Signature);
                }
                if (g.Group is { } group)
                {
                    w.Text(group);
                }
                if (g.Recipient is { } recipient)
                {
                    w.Endpoint(recipient);
                }
                w.UInt64(g.Sequence);
                w.Int64(g.TimestampUnixMs);
                w.UInt16(g.Hops);
                w.Text(g.Text);
                w.Bytes(g.Signature);
                if (g.Kind == GossipKind.Direct)
                {
                    w.Bytes(g.Capsule);
                }
                break;
            case Ping ping:
                w.UInt64(ping.Sequence);
                break;
            case Pong pong:
                w.UInt64(pong.Sequence);
                break;
            case Digest d:
                w.Ids(d.Ids);
                break;
            case Want want:
                w.Ids(want.Ids);
                break;
            case Graft graft:
                w.Ids(graft.Ids);
                break;
            case IHave have:
                w.Announcements(have.Announcements);
                break;
            case TreeAdvert advert:
                w.Endpoint(advert.Root);
                w.UInt16(advert.Distance);
                w.Byte(advert.ParentIsYou ? (byte)1 : (byte)0);
                break;
            case GroupJoin join:
                w.Text(join.Group);
                break;
            case GroupLeave leave:
                w.Text(leave.Group);
                break;
            case GroupMembers members:
                w.Text(members.Group);
                w.UInt16((ushort)members.Members.Count);
                for (var i = 0; i < members.Members.Count; i++)
                {
                    w.Endpoint(members.Members[i]);
                    w.NodeId(members.IdAt(i));
                }
                break;
            case DirectAck ack:
                w.Id(ack.Id);
                w.Bytes(ack.Signature);
                break;
            case RelayRefused refused:
                w.Id(refused.Id);
                w.Byte((byte)refused.Reason);
                break;
            case IdRequest request:
                w.Endpoint(request.Peer);
                break;
            case IdAnswer answer:
                w.Endpoint(answer.Peer);
                w.Byte(answer.Id is null ? (byte)0 : (byte)1);
                if (answer.Id is { } id)
                {
                    w.NodeId(id);
                }
                break;
            case Attestation attestation:
                w.Endpoint(attestation.Peer);
                w.NodeId(attestation.PeerId);
                w.Int64(attestation.NotAfterUnixMs);
                w.Bytes(attestation.Signature);
                break;
            case GroupKey key:
                w.Bytes(key.KeyId.ToBytes());
                w.Bytes(key.Capsule);
                break;
        }
    }

    private static bool TryDecodeBody(MessageType type, ReadOnlySpan<byte> body, out Message? message, out string? error)
    {
        var r = new SpanReader(body);
        message = type switch
        {
            MessageType.Hello => DecodeHello(ref r),
            MessageType.Register => r.Remaining == 0 ? Register.Instance : DecodeRegister(ref r),
            MessageType.PeerList => DecodePeerList(ref r),
            MessageType.DeadNode => r.TryEndpoint(out var dead) && r.TryInt64(out var ts) && r.TryEndpoint(out var reporter)
                ? new DeadNode(dead, ts, reporter) : null,
            MessageType.Gossip => DecodeGossip(ref r),
            MessageType.Ping => r.TryUInt64(out var seq) ? new Ping(seq) : null,
            MessageType.Pong => r.TryUInt64(out var seq2) ? new Pong(seq2) : null,
            MessageType.Goodbye => Goodbye.Instance,
            MessageType.Digest => r.TryIds(out var held) ? new Digest(held) : null,
            MessageType.Want => r.TryIds(out var wanted) ? new Want(wanted) : null,
            MessageType.IHave => r.TryAnnouncements(out var announced) ? new IHave(announced) : null,
            MessageType.Graft => r.TryIds(out var grafted) ? new Graft(grafted) : null,
            MessageType.Prune => Prune.Instance,
            MessageType.TreeAdvert => DecodeTreeAdvert(ref r),
            MessageType.GroupJoin => r.TryGroup(out var joined) ? new GroupJoin(joined) : null,
            MessageType.GroupLeave => r.TryGroup(out var left) ? new GroupLeave(left) : null,
            MessageType.GroupMembers => DecodeGroupMembers(ref r),
            MessageType.DirectAck => r.TryId(out var acked) && r.TryBytes(ProtocolLimits.SignatureSize, out var ackSignature) ? new DirectAck(acked, ackSignature!) : null,
            MessageType.Reserve => Reserve.Instance,
            MessageType.RelayRefused => DecodeRelayRefused(ref r),
            MessageType.HelloProof => r.TryBytes(ProtocolLimits.SignatureSize, out var proof) ? new HelloProof(proof!) : null,
            MessageType.IdRequest => r.TryEndpoint(out var asked) ? new IdRequest(asked) : null,
            MessageType.IdAnswer => DecodeIdAnswer(ref r),
            MessageType.GroupKey => r.TryBytes(Security.GroupKeyId.Size, out var keyId) && r.TryBytes(Security.PrivateSeal.CapsuleSize, out var keyCapsule)
                ? new GroupKey(Security.GroupKeyId.FromBytes(keyId), keyCapsule!) : null,
            MessageType.Attestation => r.TryEndpoint(out var attested) && r.TryNodeId(out var attestedId) && r.TryInt64(out var notAfter)
                && r.TryBytes(ProtocolLimits.SignatureSize, out var attestation) ? new Attestation(attested, attestedId, notAfter, attestation!) : null,
            _ => null,
        };
        error = r.Error ?? (message is null ? "truncated payload" : null);
        if (message is not null && error is null && r.Remaining != 0)
        {
            error = $"{r.Remaining} unexpected trailing bytes";
        }
        if (error is not null)
        {
            message = null;
            return false;
        }
        return true;
    }
}
