using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Transport;
using P2PSim.Transport;

namespace P2PSim.Tests.Security;

/// <summary>
/// What the second review of the Noise code (issue 11) found, each held by a test that failed before its fix: a
/// handshake is dead after any failure, its writes included, and shows no remote key from a message that did not
/// verify; it splits once; it is dead once disposed; a message longer than Noise's 65,535 bytes is refused both ways;
/// a dialer that expected another id at the endpoint stops after message 2, before its own identity goes out. Plus
/// the record layer read as a remote may cut it: split at every byte, empty records, records larger than the reader's
/// buffer; a record stream refuses a cipher without a key (it would send frames in the clear).
/// </summary>
public sealed class NoiseReviewTests
{
    [Test]
    public void A_handshake_splits_once_and_a_second_split_is_refused()
    {
        var (initiator, responder, keys) = Completed();
        using (keys)
        using (initiator)
        using (responder)
        {
            var (send, receive) = initiator.Split();
            send.Dispose();
            receive.Dispose();
            // Split zeroes ck: a second split would derive both ciphers from 32 zero bytes, keys anyone can compute.
            Assert.Throws<InvalidOperationException>(() => initiator.Split());
        }
    }

    [Test]
    public void A_write_that_fails_kills_the_handshake()
    {
        using var rStatic = NoiseHandshake.NewKey();
        using var responder = new NoiseHandshake(false, rStatic, []);
        responder.ReadMessage(new byte[32]); // a low-order ephemeral key: ee fails when message 2 is written
        Assert.Throws<NoiseException>(() => responder.WriteMessage([]));
        var again = Assert.Throws<NoiseException>(() => responder.WriteMessage([]));
        Assert.That(again!.Message, Does.Contain("has failed"), "the second write must not run on the first one's half-mixed state");
    }

    [Test]
    public void A_message_that_does_not_verify_leaves_no_remote_static_key()
    {
        using var iStatic = NoiseHandshake.NewKey();
        using var rStatic = NoiseHandshake.NewKey();
        using var initiator = new NoiseHandshake(true, iStatic, []);
        using var responder = new NoiseHandshake(false, rStatic, []);
        responder.ReadMessage(initiator.WriteMessage([]));
        var message2 = responder.WriteMessage(new byte[96]);
        message2[^5] ^= 1; // the payload's ciphertext: the static key in front of it decrypts
        Assert.Throws<NoiseException>(() => initiator.ReadMessage(message2));
        Assert.That(initiator.RemoteStatic.IsEmpty, Is.True, "a static key from a message that failed must not be taken for proven");
    }

    [Test]
    public void A_disposed_handshake_refuses_to_go_on()
    {
        using var iStatic = NoiseHandshake.NewKey();
        var initiator = new NoiseHandshake(true, iStatic, []);
        initiator.Dispose();
        Assert.Throws<ObjectDisposedException>(() => initiator.WriteMessage([]));
    }

    [Test]
    public void A_handshake_message_longer_than_65535_bytes_is_refused_both_ways()
    {
        using var iStatic = NoiseHandshake.NewKey();
        using var rStatic = NoiseHandshake.NewKey();
        using var initiator = new NoiseHandshake(true, iStatic, []);
        using var responder = new NoiseHandshake(false, rStatic, []);
        Assert.Throws<ArgumentException>(() => initiator.WriteMessage(new byte[ushort.MaxValue]), "Noise messages are at most 65,535 bytes (spec section 3)");
        Assert.Throws<NoiseException>(() => responder.ReadMessage(new byte[ushort.MaxValue + 1]));
        Assert.Throws<NoiseException>(() => responder.ReadMessage(new byte[32]), "and the handshake is dead after it");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_dialer_that_meets_another_id_than_expected_stops_before_its_own_identity_goes_out(CancellationToken ct)
    {
        using var dialerKey = NodeKey.Generate();
        using var otherKey = NodeKey.Generate();
        using var expected = NodeKey.Generate();
        await using var dialer = TestTransport.Start(noise: NoiseLinks.Create(dialerKey, TimeProvider.System));
        using var links = NoiseLinks.Create(otherKey, TimeProvider.System);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var endpoint = new NodeEndpoint(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            dialer.Transport.Dial(endpoint, LinkPurpose.Overlay, expected.Id);
            using var accepted = await listener.AcceptTcpClientAsync(ct);
            var stream = accepted.GetStream();
            using var responder = links.Begin(initiator: false);
            var message1 = new byte[2 + NoiseLinks.MessageSizes[0]];
            await stream.ReadExactlyAsync(message1, ct);
            responder.ReadMessage(message1.AsSpan(2));
            var message2 = responder.WriteMessage(links.LocalPayload);
            await stream.WriteAsync(NoiseLinks.Framed(message2), ct);

            var after = new byte[2];
            var read = await ReadSomeAsync(stream, after, ct);
            var failed = await dialer.Handler.NextAsync<TransportEvent.DialFailed>(ct);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(read, Is.Zero, "the dialer sent message 3 (its identity) to a node it had already seen was not the one expected");
                Assert.That(failed.Reason, Is.EqualTo($"the node at {endpoint} gave id {otherKey.Id.Short}…, not the expected {expected.Id.Short}…"));
                Assert.That(dialer.Transport.DialsMetOtherId, Is.EqualTo(1), "counted as a dial that met another id");
                Assert.That(dialer.Log.Warnings, Is.Empty, "an honest node with a new key there is no attack: no warning");
            }
        }
        finally
        {
            listener.Stop();
        }
    }

    [Test]
    public async Task Records_split_at_every_byte_empty_ones_and_ones_larger_than_the_read_buffer_all_arrive_in_order()
    {
        var (initiator, responder, keys) = Completed();
        using (keys)
        using (initiator)
        using (responder)
        {
            var (send, initiatorReceive) = initiator.Split();
            var (responderSend, receive) = responder.Split();
            var plain = Enumerable.Range(0, 70_000).Select(static i => (byte)(i * 7)).ToArray();
            var wire = new MemoryStream();
            await using (var writer = new NoiseStream(wire, send, initiatorReceive))
            {
                await writer.WriteAsync(plain.AsMemory(0, 10));
                wire.Write(EmptyRecord(send)); // a record of just its tag: no bytes for the reader, no end of stream
                await writer.WriteAsync(plain.AsMemory(10)); // two records, the first of 65,519 plaintext bytes
            }
            // Every read of the connection gives one byte: each record header and body arrives split at every point.
            await using var reader = new NoiseStream(new Dribble(wire.ToArray(), 1), responderSend, receive);
            var got = new List<byte>();
            var buffer = new byte[1000]; // smaller than a record: the rest is kept for the next reads
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
            {
                got.AddRange(buffer.AsSpan(0, n).ToArray());
            }
            Assert.That(got, Is.EqualTo(plain));
        }
    }

    [Test]
    public void A_record_stream_refuses_a_cipher_without_a_key()
    {
        // An unkeyed CipherState passes bytes through: a record stream on one would send frames in the clear.
        var (initiator, responder, keys) = Completed();
        using (keys)
        using (initiator)
        using (responder)
        {
            var (send, receive) = initiator.Split();
            using var unkeyed = new NoiseCipher();
            Assert.Throws<ArgumentException>(() => _ = new NoiseStream(new MemoryStream(), unkeyed, receive));
            Assert.Throws<ArgumentException>(() => _ = new NoiseStream(new MemoryStream(), send, unkeyed));
            send.Dispose();
            receive.Dispose();
        }
    }

    private static byte[] EmptyRecord(NoiseCipher send)
    {
        var record = new byte[2 + NoiseCipher.TagSize];
        BinaryPrimitives.WriteUInt16BigEndian(record, NoiseCipher.TagSize);
        send.Encrypt([], [], record.AsSpan(2));
        return record;
    }

    private static async Task<int> ReadSomeAsync(NetworkStream stream, byte[] buffer, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            return await stream.ReadAsync(buffer, deadline.Token);
        }
        catch (IOException)
        {
            return 0; // reset: closed
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail("the dialer neither sent more nor closed within 10 s");
            return -1;
        }
    }

    private sealed class Keys(params IDisposable[] keys) : IDisposable
    {
        public void Dispose()
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    private static (NoiseHandshake Initiator, NoiseHandshake Responder, IDisposable Keys) Completed()
    {
        var iStatic = NoiseHandshake.NewKey();
        var rStatic = NoiseHandshake.NewKey();
        var initiator = new NoiseHandshake(true, iStatic, "p"u8);
        var responder = new NoiseHandshake(false, rStatic, "p"u8);
        responder.ReadMessage(initiator.WriteMessage([]));
        initiator.ReadMessage(responder.WriteMessage([]));
        responder.ReadMessage(initiator.WriteMessage([]));
        return (initiator, responder, new Keys(iStatic, rStatic));
    }

    /// <summary>The bytes of a connection as a remote may deliver them: at most <c>chunk</c> per read, then the end.</summary>
    private sealed class Dribble(byte[] bytes, int chunk) : Stream
    {
        private int _at;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => bytes.Length;
        public override long Position { get => _at; set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = Math.Min(Math.Min(chunk, buffer.Length), bytes.Length - _at);
            bytes.AsSpan(_at, n).CopyTo(buffer.Span);
            _at += n;
            return ValueTask.FromResult(n);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
