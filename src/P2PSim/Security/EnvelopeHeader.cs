using System.Buffers.Binary;
using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Security;

/// <summary>
/// The fields of a sealed message's envelope that its id covers, but the payload, encoded as on the wire: kind, origin,
/// origin id, the addressee (a group's name or a recipient's endpoint, already encoded), sequence and timestamp. The
/// associated data of a sealed text (<see cref="PrivateSeal"/>, <see cref="GroupSeal"/>).
/// </summary>
internal static class EnvelopeHeader
{
    /// <summary>The largest addressee: a group name (u16 length and at most <see cref="GroupName.MaxBytes"/>) or an endpoint (19).</summary>
    public const int MaxAddresseeBytes = 2 + GroupName.MaxBytes;

    public static byte[] Encode(GossipKind kind, NodeEndpoint origin, NodeId originId, ReadOnlySpan<byte> addressee, ulong sequence, long timestampUnixMs)
    {
        Span<byte> buffer = stackalloc byte[1 + 19 + NodeId.Size + MaxAddresseeBytes + 8 + 8];
        var at = 0;
        buffer[at++] = (byte)kind;
        at += FrameCodec.WriteEndpoint(buffer[at..], origin);
        at += originId.WriteTo(buffer[at..]);
        addressee.CopyTo(buffer[at..]);
        at += addressee.Length;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[at..], sequence);
        at += 8;
        BinaryPrimitives.WriteInt64BigEndian(buffer[at..], timestampUnixMs);
        at += 8;
        return buffer[..at].ToArray();
    }
}
