using System.Buffers.Binary;
using System.Net;
using P2PSim.Gossip;

namespace P2PSim.Protocol;

/// <summary>
/// The fields of a payload, both ways: <c>SpanWriter</c> writes big-endian fields into a span sized beforehand by
/// <c>PayloadSize</c>; <c>SpanReader</c> reads them, returns false when the body ends too soon, and sets <c>Error</c> for
/// bytes that can never be valid (an address length, port 0, too many ids, too long or not UTF-8 text).
/// </summary>
public static partial class FrameCodec
{
    private ref struct SpanWriter(Span<byte> span)
    {
        private readonly Span<byte> _span = span;
        private int _position;

        public void Byte(byte value) => _span[_position++] = value;

        public void UInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_span[_position..], value);
            _position += 2;
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_span[_position..], value);
            _position += 8;
        }

        public void UInt64(ulong value)
        {
            BinaryPrimitives.WriteUInt64BigEndian(_span[_position..], value);
            _position += 8;
        }

        public void Endpoint(NodeEndpoint endpoint) => _position += WriteEndpoint(_span[_position..], endpoint);

        public void NodeId(Security.NodeId id) => _position += id.WriteTo(_span[_position..]);

        public void Nonce(HelloNonce nonce) => _position += nonce.WriteTo(_span[_position..]);

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_span[_position..]);
            _position += bytes.Length;
        }

        public void Ids(IReadOnlyList<MessageId> ids)
        {
            UInt16((ushort)ids.Count);
            foreach (var id in ids)
            {
                Id(id);
            }
        }

        public void Announcements(IReadOnlyList<Announcement> announcements)
        {
            UInt16((ushort)announcements.Count);
            foreach (var announcement in announcements)
            {
                Id(announcement.Id);
                UInt16(announcement.Hops);
            }
        }

        public void Id(MessageId id)
        {
            UInt64(id.A);
            UInt64(id.B);
            UInt64(id.C);
            UInt64(id.D);
        }

        public void Text(string text)
        {
            var length = StrictUtf8.GetBytes(text, _span[(_position + 2)..]);
            UInt16((ushort)length);
            _position += length;
        }
    }

    private ref struct SpanReader(ReadOnlySpan<byte> span)
    {
        private readonly ReadOnlySpan<byte> _span = span;
        private int _position;

        public string? Error { get; set; }

        public readonly int Remaining => _span.Length - _position;

        public bool TryByte(out byte value)
        {
            value = 0;
            if (Remaining < 1)
            {
                return false;
            }
            value = _span[_position++];
            return true;
        }

        public bool TryUInt16(out ushort value)
        {
            value = 0;
            if (Remaining < 2)
            {
                return false;
            }
            value = BinaryPrimitives.ReadUInt16BigEndian(_span[_position..]);
            _position += 2;
            return true;
        }

        public bool TryInt64(out long value)
        {
            value = 0;
            if (Remaining < 8)
            {
                return false;
            }
            value = BinaryPrimitives.ReadInt64BigEndian(_span[_position..]);
            _position += 8;
            return true;
        }

        public bool TryUInt64(out ulong value)
        {
            value = 0;
            if (Remaining < 8)
            {
                return false;
            }
            value = BinaryPrimitives.ReadUInt64BigEndian(_span[_position..]);
            _position += 8;
            return true;
        }

        public bool TryEndpoint(out NodeEndpoint endpoint)
        {
            endpoint = default;
            if (!TryByte(out var size))
            {
                return false;
            }
            if (size is not 4 and not 16)
            {
                Error = $"address length {size} is neither 4 (IPv4) nor 16 (IPv6)";
                return false;
            }
            if (Remaining < size + 2)
            {
                return false;
            }
            var address = size == 4 ? AddressCache.V4(_span.Slice(_position, size)) : new IPAddress(_span.Slice(_position, size));
            _position += size;
            TryUInt16(out var port);
            if (port == 0)
            {
                Error = "endpoint port 0";
                return false;
            }
            endpoint = new NodeEndpoint(address, port);
            return true;
        }

        /// <summary>A node id: 32 bytes, any value (whether they are a usable key shows when a signature is checked).</summary>
        public bool TryNodeId(out Security.NodeId id)
        {
            id = default;
            if (Remaining < Security.NodeId.Size)
            {
                return false;
            }
            id = Security.NodeId.FromBytes(_span.Slice(_position, Security.NodeId.Size));
            _position += Security.NodeId.Size;
            return true;
        }

        public bool TryNonce(out HelloNonce nonce)
        {
            nonce = default;
            if (Remaining < HelloNonce.Size)
            {
                return false;
            }
            nonce = HelloNonce.FromBytes(_span.Slice(_position, HelloNonce.Size));
            _position += HelloNonce.Size;
            return true;
        }

        /// <summary>
        /// A <c>u16</c> count (at most <see cref="ProtocolLimits.MaxPeerListEntries"/>), then that many entries of an
        /// endpoint and the node id listed with it (version 6); <paramref name="what"/> names the list in an error.
        /// </summary>
        public bool TryListedPeers(string what, out NodeEndpoint[] endpoints, out Security.NodeId[] ids)
        {
            endpoints = [];
            ids = [];
            if (!TryUInt16(out var count))
            {
                return false;
            }
            if (count > ProtocolLimits.MaxPeerListEntries)
            {
                Error = $"{what} claims {count} entries; the limit is {ProtocolLimits.MaxPeerListEntries}";
                return false;
            }
            if (Remaining < count * (7 + Security.NodeId.Size))
            {
                return false; // truncated: not even IPv4 entries would fit; nothing allocated for the count claimed
            }
            var read = new NodeEndpoint[count];
            var readIds = new Security.NodeId[count];
            for (var i = 0; i < count; i++)
            {
                if (!TryEndpoint(out read[i]) || !TryNodeId(out readIds[i]))
                {
                    return false;
                }
            }
            endpoints = read;
            ids = readIds;
            return true;
        }

        public bool TryIds(out MessageId[] ids)
        {
            ids = [];
            if (!TryUInt16(out var count))
            {
                return false;
            }
            if (count > ProtocolLimits.MaxDigestIds)
            {
                Error = $"{count} message ids exceed the limit of {ProtocolLimits.MaxDigestIds}";
                return false;
            }
            if (Remaining < count * ProtocolLimits.MessageIdSize)
            {
                return false;
            }
            ids = new MessageId[count];
            for (var i = 0; i < count; i++)
            {
                ids[i] = ReadId();
            }
            return true;
        }

        public bool TryAnnouncements(out Announcement[] announcements)
        {
            announcements = [];
            if (!TryUInt16(out var count))
            {
                return false;
            }
            if (count > ProtocolLimits.MaxAnnouncements)
            {
                Error = $"{count} announcements exceed the limit of {ProtocolLimits.MaxAnnouncements}";
                return false;
            }
            if (Remaining < count * ProtocolLimits.AnnouncementSize)
            {
                return false;
            }
            announcements = new Announcement[count];
            for (var i = 0; i < count; i++)
            {
                var id = ReadId();
                TryUInt16(out var hops);
                announcements[i] = new Announcement(id, hops);
            }
            return true;
        }

        public bool TryId(out MessageId id)
        {
            id = default;
            if (Remaining < ProtocolLimits.MessageIdSize)
            {
                return false;
            }
            id = ReadId();
            return true;
        }

        /// <summary>A group's name: text of at most <see cref="GroupName.MaxBytes"/> bytes that <see cref="GroupName.Problem"/> accepts.</summary>
        public bool TryGroup(out string group)
        {
            group = string.Empty;
            if (Remaining >= 2 && BinaryPrimitives.ReadUInt16BigEndian(_span[_position..]) is var length && length > GroupName.MaxBytes)
            {
                Error = $"group name of {length} bytes exceeds the limit of {GroupName.MaxBytes}";
                return false;
            }
            if (!TryText(out group))
            {
                return false;
            }
            if (GroupName.Problem(group) is { } problem)
            {
                Error = problem;
                return false;
            }
            return true;
        }

        /// <summary>A message id from the next 32 bytes (the caller checked they are there).</summary>
        private MessageId ReadId()
        {
            TryUInt64(out var a);
            TryUInt64(out var b);
            TryUInt64(out var c);
            TryUInt64(out var d);
            return new MessageId(a, b, c, d);
        }

        /// <summary>Reads <paramref name="count"/> bytes into a new array; null when <paramref name="count"/> is 0.</summary>
        public bool TryBytes(int count, out byte[]? bytes)
        {
            bytes = null;
            if (Remaining < count)
            {
                return false;
            }
            if (count > 0)
            {
                bytes = _span.Slice(_position, count).ToArray();
                _position += count;
            }
            return true;
        }

        public bool TryText(out string text)
        {
            text = string.Empty;
            if (!TryUInt16(out var length))
            {
                return false;
            }
            if (length > ProtocolLimits.MaxPayloadBytes)
            {
                Error = PayloadTooLong(length);
                return false;
            }
            if (Remaining < length)
            {
                return false;
            }
            try
            {
                text = StrictUtf8.GetString(_span.Slice(_position, length));
            }
            catch (ArgumentException)
            {
                Error = "payload is not valid UTF-8";
                return false;
            }
            _position += length;
            return true;
        }
    }
}
