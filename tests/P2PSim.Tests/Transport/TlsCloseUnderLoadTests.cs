using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// A TLS link closed after a flush while the other side is still sending (and being answered): the closing side's
/// queued frames all arrive, then the other side reads a clean end ("closed by the remote"), and neither side warns or
/// counts rejected input. The link ends with the FIN alone: TLS close_notify written while the read loop is inside a
/// read corrupted the native heap (TRANSPORT.md, <i>Closing</i>); the by-hand run closes thousands of busy links.
/// </summary>
[TestFixture]
public sealed class TlsCloseUnderLoadTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task A_busy_tls_link_closed_after_a_flush_delivers_every_queued_frame_then_ends_cleanly_on_both_sides(CancellationToken ct)
    {
        await using var pair = TlsPair.Start();
        for (var round = 0; round < 10; round++)
        {
            await pair.CloseOneBusyLinkAsync(round, ct);
        }
        pair.AssertQuiet();
    }

    /// <summary>By hand (<c>dotnet test -p:RunSettingsFilePath= --filter FullyQualifiedName~TlsCloseUnderLoadTests</c>): thousands of busy links, eight pairs at once.</summary>
    [Test]
    [Category(LongRuns.Category)]
    [CancelAfter(900_000)]
    public async Task Thousands_of_busy_tls_links_closed_after_a_flush_all_end_cleanly(CancellationToken ct)
    {
        var pairs = Enumerable.Range(0, 8).Select(_ => TlsPair.Start()).ToArray();
        try
        {
            await Task.WhenAll(pairs.Select(async pair =>
            {
                for (var round = 0; round < 400; round++)
                {
                    await pair.CloseOneBusyLinkAsync(round, ct);
                }
            }));
            foreach (var pair in pairs)
            {
                pair.AssertQuiet();
            }
        }
        finally
        {
            foreach (var pair in pairs)
            {
                await pair.DisposeAsync();
            }
        }
    }

    /// <summary>Two nodes on TLS links, each with its own key.</summary>
    private sealed class TlsPair : IAsyncDisposable
    {
        private const int Queued = 50;

        private readonly NodeKey _closerKey = NodeKey.Generate();
        private readonly NodeKey _senderKey = NodeKey.Generate();
        private TestTransport? _closer;
        private TestTransport? _sender;

        private TestTransport Closer => _closer!;

        private TestTransport Sender => _sender!;

        public static TlsPair Start()
        {
            var pair = new TlsPair();
            pair._closer = TestTransport.Start(tls: TlsLinks.Create(pair._closerKey, TimeProvider.System));
            pair._sender = TestTransport.Start(tls: TlsLinks.Create(pair._senderKey, TimeProvider.System));
            return pair;
        }

        /// <summary>
        /// One link: the sender streams gossip and Pings at the closer (which answers each Ping with a Pong), the closer queues
        /// <see cref="Queued"/> gossip frames and closes after the flush; the sender must get all of them, then the end.
        /// </summary>
        public async Task CloseOneBusyLinkAsync(int round, CancellationToken ct)
        {
            var closerSide = await Closer.ConnectToAsync(Sender, ct);
            var senderSide = Sender.Handler.All.OfType<TransportEvent.Connected>().Last().Info.Id;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var streaming = StreamPingsAsync(senderSide, stop.Token);
            await Closer.Handler.NextAsync<TransportEvent.Received>(ct, r => r.Connection == closerSide); // the stream is flowing
            for (var i = 0; i < Queued; i++)
            {
                Assert.That(Closer.Transport.Send(closerSide, TestGossip.Of($"round {round} frame {i}")), Is.True, "queued before the close");
            }
            Closer.Transport.Close(closerSide, "test: closed after a flush", afterFlush: true);

            var closed = await Sender.Handler.NextAsync<TransportEvent.Closed>(ct, c => c.Connection == senderSide);
            await stop.CancelAsync();
            await streaming;
            var received = Sender.Handler.All.OfType<TransportEvent.Received>()
                .Where(r => r.Connection == senderSide && r.Message is P2PSim.Protocol.Gossip)
                .Select(r => ((P2PSim.Protocol.Gossip)r.Message).Text).ToList();
            // Plain asserts, no multiple scope: the by-hand run checks eight pairs at once.
            Assert.That(received, Is.EqualTo(Enumerable.Range(0, Queued).Select(i => $"round {round} frame {i}")), "every queued frame, in order");
            Assert.That(closed.Reason, Is.EqualTo("closed by the remote"), "a clean end, not a cut record");
            await Closer.Handler.NextAsync<TransportEvent.Closed>(ct, c => c.Connection == closerSide);
        }

        private async Task StreamPingsAsync(ConnectionId connection, CancellationToken ct)
        {
            for (var sequence = 0UL; !ct.IsCancellationRequested; sequence++)
            {
                // Gossip for the closer's node, and Pings its transport answers at once: both ways busy.
                Message message = sequence % 2 == 0 ? new Ping(sequence) : TestGossip.Of($"stream {sequence}");
                if (!Sender.Transport.Send(connection, message))
                {
                    // The queue is full for a moment, or the link has closed (then the caller stops this loop).
                    await Task.Delay(1, CancellationToken.None);
                }
                else if (sequence % 16 == 0)
                {
                    await Task.Yield();
                }
            }
        }

        public void AssertQuiet()
        {
            using (Assert.EnterMultipleScope())
            {
                Assert.That(Closer.Log.Warnings.Concat(Sender.Log.Warnings), Is.Empty, "no warning on either side");
                Assert.That(Closer.Log.Errors.Concat(Sender.Log.Errors), Is.Empty, "no error on either side");
                Assert.That(Closer.Transport.RejectedInputs + Sender.Transport.RejectedInputs, Is.Zero, "no rejected input");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_closer is not null)
            {
                await _closer.DisposeAsync();
            }
            if (_sender is not null)
            {
                await _sender.DisposeAsync();
            }
            _closerKey.Dispose();
            _senderKey.Dispose();
        }
    }
}
