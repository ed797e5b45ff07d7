using Microsoft.Extensions.Options;
using P2PSim.Configuration;

namespace P2PSim.Hosting;

/// <summary>
/// Lets the peers of this process join one at a time, as the original <c>main.py</c> did:
/// peer i starts registering once peer i-1 has joined (or given up for a while), plus
/// <c>Network:PeerJoinInterval</c>. A peer that joins after the others is always offered
/// peers already in the overlay, which keeps the overlay connected. With <c>Network:PeersJoiningAtOnce</c> K above 1,
/// peer i waits for peer i-K instead (and every peer for peer 0, which joins alone): up to K joins run at once, still
/// started in order.
/// </summary>
/// <remarks>
/// The wait for a slow peer i-1 (<see cref="MaxWaitForPrevious"/>) counts from the moment peer i-1's own turn began, not
/// from start-up: counted from start-up, every peer's wait ran out at the same moment, and in a 50-peer demo peers 25-49
/// all registered within 10 ms, 12.5 s after start.
/// </remarks>
public sealed class JoinSequencer(IOptions<NetworkOptions> network, IOptions<PeerOptions> peer, TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Dictionary<int, TaskCompletionSource> _joined = new();
    private readonly Dictionary<int, TaskCompletionSource> _turns = new();
    private readonly Dictionary<int, DateTimeOffset> _turnBeganAt = new();

    /// <summary>How long one peer may hold up the next one before the next goes anyway.</summary>
    public TimeSpan MaxWaitForPrevious => peer.Value.RegistrationTimeout * 2 + peer.Value.RetryInterval;

    /// <summary>Joins that may run at once (<c>Network:PeersJoiningAtOnce</c>).</summary>
    public int Window => network.Value.PeersJoiningAtOnce;

    /// <summary>
    /// Completes when peer <paramref name="index"/> may start registering: peer index-1's turn has begun, and peer
    /// index-<see cref="Window"/> (and peer 0) has joined or <see cref="MaxWaitForPrevious"/> has passed since its turn
    /// began, plus the join interval.
    /// </summary>
    public async Task WaitForTurnAsync(int index, CancellationToken cancellationToken)
    {
        if (index > 0)
        {
            await Get(_turns, index - 1).Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            await WaitForJoinAsync(0, cancellationToken).ConfigureAwait(false); // the first peer joins alone
            if (index - Window > 0)
            {
                await WaitForJoinAsync(index - Window, cancellationToken).ConfigureAwait(false);
            }
            if (network.Value.PeerJoinInterval > TimeSpan.Zero)
            {
                await Task.Delay(network.Value.PeerJoinInterval, time, cancellationToken).ConfigureAwait(false);
            }
        }
        TurnBegan(index);
    }

    /// <summary>Peer <paramref name="index"/> has joined (or gave up, or went down): the next one may go.</summary>
    public void Joined(int index)
    {
        TurnBegan(index); // a peer that went down before its turn holds nobody up
        Get(_joined, index).TrySetResult();
    }

    /// <summary>Completes when peer <paramref name="index"/> has joined (or gave up, or went down).</summary>
    public Task WhenJoined(int index) => Get(_joined, index).Task;

    /// <summary>Waits until peer <paramref name="index"/>, whose turn has begun, joined, or was given its time.</summary>
    private async Task WaitForJoinAsync(int index, CancellationToken cancellationToken)
    {
        DateTimeOffset began;
        lock (_gate)
        {
            began = _turnBeganAt.GetValueOrDefault(index, time.GetUtcNow());
        }
        var left = MaxWaitForPrevious - (time.GetUtcNow() - began);
        try
        {
            await Get(_joined, index).Task.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // That peer is slow (its seeds may be unreachable): do not hold everyone up.
        }
    }

    private void TurnBegan(int index)
    {
        lock (_gate)
        {
            _turnBeganAt.TryAdd(index, time.GetUtcNow());
        }
        Get(_turns, index).TrySetResult();
    }

    private TaskCompletionSource Get(Dictionary<int, TaskCompletionSource> map, int index)
    {
        lock (_gate)
        {
            if (!map.TryGetValue(index, out var tcs))
            {
                tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                map[index] = tcs;
            }
            return tcs;
        }
    }
}
