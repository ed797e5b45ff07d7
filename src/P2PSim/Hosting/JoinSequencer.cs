using Microsoft.Extensions.Options;
using P2PSim.Configuration;

namespace P2PSim.Hosting;

/// <summary>
/// Lets the peers of this process join one at a time, as the original <c>main.py</c> did:
/// peer i starts registering once peer i-1 has joined (or given up for a while), plus
/// <c>Network:PeerJoinInterval</c>. A peer that joins after the others is always offered
/// peers already in the overlay, which keeps the overlay connected.
/// </summary>
public sealed class JoinSequencer(IOptions<NetworkOptions> network, IOptions<PeerOptions> peer, TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Dictionary<int, TaskCompletionSource> _joined = new();

    /// <summary>How long one peer may hold up the next one before the next goes anyway.</summary>
    public TimeSpan MaxWaitForPrevious => peer.Value.RegistrationTimeout * 2 + peer.Value.RetryInterval;

    public async Task WaitForTurnAsync(int index, CancellationToken cancellationToken)
    {
        if (index > 0)
        {
            try
            {
                await Get(index - 1).Task.WaitAsync(MaxWaitForPrevious, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The previous peer is slow (its seeds may be unreachable): do not hold everyone up.
            }
        }
        if (index > 0 && network.Value.PeerJoinInterval > TimeSpan.Zero)
        {
            await Task.Delay(network.Value.PeerJoinInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Joined(int index) => Get(index).TrySetResult();

    /// <summary>Completes when peer <paramref name="index"/> has joined (or gave up, or went down).</summary>
    public Task WhenJoined(int index) => Get(index).Task;

    private TaskCompletionSource Get(int index)
    {
        lock (_gate)
        {
            if (!_joined.TryGetValue(index, out var tcs))
            {
                tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _joined[index] = tcs;
            }
            return tcs;
        }
    }
}
