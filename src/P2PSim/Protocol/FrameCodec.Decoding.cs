using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace P2PSim.Protocol;

/// <summary>The decoders of the message bodies that need more than one field read (<see cref="FrameCodec"/>; PROTOCOL.md).</summary>
public static partial class FrameCodec
{
    private static TreeAdvert? DecodeTreeAdvert(ref SpanReader r)
    {
        if (!r.TryEndpoint(out var root) || !r.TryUInt16(out var distance) || !r.TryByte(out var parent))
        {
            return null;
        }
        if (parent > 1)
        {
            r.Error = $"parent flag {parent} is neither 0 nor 1";
            return null;
        }
        return new TreeAdvert(root, distance, parent == 1);
    }

    /// <summary>
    /// The Hello. A node of another version is told apart right after the listening endpoint: a Hello of version 2's
    /// layout decodes, and the handshake refuses its version in words; a longer one of another version (version 3's,
    /// whose purpose byte follows the endpoint, or any other whose fields this node cannot know) is malformed, with the
    /// version named as the reason.
    /// </summary>
    private static Hello? DecodeHello(ref SpanReader r)
    {
        if (!r.TryUInt16(out var version) || !r.TryByte(out var role) || !r.TryEndpoint(out var listen))
        {
            return null;
        }
        if (!Enum.IsDefined((NodeRole)role))
        {
            r.Error = $"unknown node role {role}";
            return null;
        }
        if (version != ProtocolLimits.Version)
        {
            if (r.Remaining == 0)
            {
                return new Hello(version, (NodeRole)role, listen);
            }
            r.Error = $"protocol version {version} is not supported (this node speaks {ProtocolLimits.Version})";
            return null;
        }
        if (!r.TryNodeId(out var id) || !r.TryByte(out var difficulty) || !r.TryUInt64(out var work))
        {
            return null;
        }
        if (difficulty > Security.IdWork.MaxDifficulty)
        {
            r.Error = $"id difficulty {difficulty} is over {Security.IdWork.MaxDifficulty}";
            return null;
        }
        if (!r.TryNonce(out var nonce) || !r.TryByte(out var kind))
        {
            return null;
        }
        var proven = new Security.IdWork(difficulty, work);
        switch ((LinkKind)kind)
        {
            case LinkKind.Overlay:
                return new Hello(version, (NodeRole)role, listen) { Id = id, Work = proven, Nonce = nonce };
            case LinkKind.Direct:
                return new Hello(version, (NodeRole)role, listen, LinkPurpose.Direct) { Id = id, Work = proven, Nonce = nonce };
            case LinkKind.Group:
                return r.TryGroup(out var group) ? new Hello(version, (NodeRole)role, listen, LinkPurpose.ForGroup(group)) { Id = id, Work = proven, Nonce = nonce } : null;
            default:
                r.Error = $"unknown link purpose {kind}";
                return null;
        }
    }

    private static GroupMembers? DecodeGroupMembers(ref SpanReader r)
    {
        return r.TryGroup(out var group) && r.TryListedPeers("group member list", out var members, out var ids) ? new GroupMembers(group, members, ids) : null;
    }

    /// <summary>An <see cref="IdAnswer"/>: the endpoint, whether the id is known (0 or 1; anything else is malformed), then the id if it is.</summary>
    private static IdAnswer? DecodeIdAnswer(ref SpanReader r)
    {
        if (!r.TryEndpoint(out var peer) || !r.TryByte(out var known))
        {
            return null;
        }
        if (known > 1)
        {
            r.Error = $"an IdAnswer's known byte is {known} (0 or 1)";
            return null;
        }
        if (known == 0)
        {
            return new IdAnswer(peer, null);
        }
        return r.TryNodeId(out var id) ? new IdAnswer(peer, id) : null;
    }

    private static RelayRefused? DecodeRelayRefused(ref SpanReader r)
    {
        if (!r.TryId(out var id) || !r.TryByte(out var reason))
        {
            return null;
        }
        if (!Enum.IsDefined((RelayRefusal)reason))
        {
            r.Error = $"unknown relay refusal {reason}";
            return null;
        }
        return new RelayRefused(id, (RelayRefusal)reason);
    }

    /// <summary>The envelope, field by field in wire order; the first field that is wrong names the reason.</summary>
    private static Gossip? DecodeGossip(ref SpanReader r)
    {
        if (!r.TryByte(out var kind))
        {
            return null;
        }
        if (!Enum.IsDefined((GossipKind)kind))
        {
            r.Error = UnknownGossipKind(kind);
            return null;
        }
        if (!r.TryEndpoint(out var origin) || !r.TryNodeId(out var originId) || !TryAttestations(ref r, out var attestations))
        {
            return null;
        }
        string? group = null;
        NodeEndpoint? recipient = null;
        if ((GossipKind)kind == GossipKind.Group)
        {
            if (!r.TryGroup(out var named))
            {
                return null;
            }
            group = named;
        }
        else if ((GossipKind)kind == GossipKind.Direct)
        {
            if (!r.TryEndpoint(out var to))
            {
                return null;
            }
            recipient = to;
        }
        if (!r.TryUInt64(out var sequence))
        {
            return null;
        }
        if (sequence == 0)
        {
            r.Error = SequenceZero;
            return null;
        }
        if (!r.TryInt64(out var timestamp) || !r.TryUInt16(out var hops))
        {
            return null;
        }
        if (hops == 0)
        {
            r.Error = HopsZero;
            return null;
        }
        if (!r.TryText(out var text) || !r.TryBytes(ProtocolLimits.SignatureSize, out var signature))
        {
            return null;
        }
        byte[]? capsule = Gossip.Unsealed;
        if ((GossipKind)kind == GossipKind.Direct && !r.TryBytes(Security.PrivateSeal.CapsuleSize, out capsule))
        {
            return null;
        }
        return new Gossip((GossipKind)kind, origin, sequence, timestamp, hops, text, signature)
        {
            OriginId = originId, Attestations = attestations, Group = group, Recipient = recipient, Capsule = capsule!,
        };
    }

    /// <summary>An envelope's attestation block (version 8): u8 count (at most <see cref="ProtocolLimits.MaxAttestations"/>), then count x (seed endpoint, i64 notAfter, signature).</summary>
    private static bool TryAttestations(ref SpanReader r, out SeedAttestation[] attestations)
    {
        attestations = [];
        if (!r.TryByte(out var count))
        {
            return false;
        }
        if (count > ProtocolLimits.MaxAttestations)
        {
            r.Error = TooManyAttestations(count);
            return false;
        }
        if (count == 0)
        {
            return true;
        }
        var read = new SeedAttestation[count];
        for (var i = 0; i < count; i++)
        {
            if (!r.TryEndpoint(out var seed) || !r.TryInt64(out var notAfter) || !r.TryBytes(ProtocolLimits.SignatureSize, out var signature))
            {
                return false;
            }
            read[i] = new SeedAttestation(seed, notAfter, signature!);
        }
        attestations = read;
        return true;
    }

    /// <summary>A re-registration: u16 wanted, u16 count, count x endpoint (both at most the peer-list limit).</summary>
    private static Register? DecodeRegister(ref SpanReader r)
    {
        if (!r.TryUInt16(out var wanted) || !r.TryUInt16(out var count))
        {
            return null;
        }
        if (wanted > ProtocolLimits.MaxPeerListEntries || count > ProtocolLimits.MaxPeerListEntries)
        {
            r.Error = $"register asks for {wanted} entries and holds {count}; the limit is {ProtocolLimits.MaxPeerListEntries} each";
            return null;
        }
        if (r.Remaining < count * 7)
        {
            return null; // truncated: not even IPv4 entries would fit; nothing allocated for the count claimed
        }
        var held = new NodeEndpoint[count];
        for (var i = 0; i < count; i++)
        {
            if (!r.TryEndpoint(out held[i]))
            {
                return null;
            }
        }
        return Register.Refresh(wanted, held);
    }

    /// <summary>A re-registration's counts must fit the limits the decoder applies.</summary>
    private static IReadOnlyList<NodeEndpoint> CheckedRegisterHeld(Register register) =>
        register.Wanted is < 0 or > ProtocolLimits.MaxPeerListEntries || register.Held.Count > ProtocolLimits.MaxPeerListEntries
            ? throw new ArgumentException($"A Register asks for and holds at most {ProtocolLimits.MaxPeerListEntries} entries each.", nameof(register))
            : register.Held;

    private static PeerList? DecodePeerList(ref SpanReader r) => r.TryListedPeers("peer list", out var peers, out var ids) ? new PeerList(peers, ids) : null;
}
