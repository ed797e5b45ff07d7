using System.Buffers.Binary;
using P2PSim.Gossip;

namespace P2PSim.Protocol;

/// <summary>The encoder's cursor: writes big-endian fields into a span sized beforehand by <c>PayloadSize</c>.</summary>
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
                UInt64(id.A);
                UInt64(id.B);
                UInt64(id.C);
                UInt64(id.D);
            }
        }

        public void Text(string text)
        {
            var length = StrictUtf8.GetBytes(text, _span[(_position + 2)..]);
            UInt16((ushort)length);
            _position += length;
        }
    }
}
