using Microsoft.Extensions.Logging;
using P2PSim.Logging;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// The demo's private messages: once every peer has joined, <c>Demo:PrivateMessages</c> messages between random peers of
/// this process, drawn from the run's seed. The first goes to a peer that cannot be dialled (<c>Private:NotDialablePeers</c>)
/// if one runs here, once it holds its reservations, so the console shows a seed relaying it.
/// </summary>
public sealed partial class DemoDirector
{
    /// <summary>How long the demo waits for a peer that cannot be dialled to hold its reservations before it sends anyway.</summary>
    private static readonly TimeSpan ReservationWait = TimeSpan.FromSeconds(5);

    private volatile bool _privateDone;

    private async Task SendPrivateMessagesAsync(CancellationToken stoppingToken)
    {
        try
        {
            var count = demo.Value.PrivateMessages;
            var n = network.Value.Peers;
            if (count == 0 || n < 2)
            {
                return;
            }
            await joins.WhenJoined(n - 1).WaitAsync(stoppingToken).ConfigureAwait(false);
            var draw = random.For("demo", 1);
            var peers = directory.Peers.Where(p => !p.IsDown).OrderBy(p => p.Index).ToArray();
            if (peers.Length < 2)
            {
                return;
            }
            var hidden = peers.FirstOrDefault(p => !p.Dialable);
            if (hidden is not null)
            {
                await WaitForReservationsAsync(hidden, stoppingToken).ConfigureAwait(false);
            }
            for (var i = 0; i < count; i++)
            {
                var to = i == 0 && hidden is not null ? hidden : peers[draw.Next(peers.Length)];
                var others = peers.Where(p => p != to).ToArray();
                var from = others[draw.Next(others.Length)];
                if (from.IsDown || to.IsDown)
                {
                    continue;
                }
                LogInformationPrivate(logger, from.Endpoint, to.Endpoint, to.Dialable ? "over a direct link" : "it cannot be dialled, so a seed relays it");
                try
                {
                    await from.SendPrivateAsync(to.Endpoint, $"note {i + 1} of {count}, from {from.Endpoint.Port} to {to.Endpoint.Port}", stoppingToken).ConfigureAwait(false);
                }
                catch (System.Threading.Channels.ChannelClosedException)
                {
                    // The sender went down meanwhile (the scripted crash): nothing was sent.
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown came first.
        }
        finally
        {
            _privateDone = true;
        }
    }

    /// <summary>Waits (at most <see cref="ReservationWait"/>) until <paramref name="peer"/> holds a reservation with every seed it registered with.</summary>
    private async Task WaitForReservationsAsync(NodeService peer, CancellationToken stoppingToken)
    {
        var until = time.GetUtcNow() + ReservationWait;
        while (time.GetUtcNow() < until && !peer.IsDown)
        {
            var (reserved, registered) = await peer.InspectAsync(
                m => m is Nodes.PeerMachine p ? (p.ReservedWith.Count(), p.RegisteredSeeds.Count) : (0, 0), stoppingToken).ConfigureAwait(false);
            if (registered > 0 && reserved >= registered)
            {
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo: peer {From} sends a private message to peer {To} ({How})")]
    private static partial void LogInformationPrivate(ILogger logger, NodeEndpoint from, NodeEndpoint to, string how);
}
