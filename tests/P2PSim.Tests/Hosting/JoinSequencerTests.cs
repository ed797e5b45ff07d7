using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using P2PSim.Configuration;
using P2PSim.Hosting;

namespace P2PSim.Tests.Hosting;

[TestFixture]
public sealed class JoinSequencerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private static (JoinSequencer Joins, FakeTimeProvider Time) Create(int atOnce = 1)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var peer = new PeerOptions { RegistrationTimeout = TimeSpan.FromSeconds(5), RetryInterval = TimeSpan.FromSeconds(2) };
        var network = new NetworkOptions { PeerJoinInterval = Interval, PeersJoiningAtOnce = atOnce };
        return (new JoinSequencer(Options.Create(network), Options.Create(peer), time), time);
    }

    [Test]
    [CancelAfter(10_000)]
    public async Task With_three_at_once_the_first_peer_joins_alone_then_up_to_three_join_together_in_order(CancellationToken ct)
    {
        var (joins, time) = Create(atOnce: 3);
        var turns = Enumerable.Range(0, 6).Select(i => joins.WaitForTurnAsync(i, ct)).ToArray();
        await turns[0];
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.That(turns[1].IsCompleted, Is.False, "peer 1 went before peer 0, which joins alone, had joined");
        joins.Joined(0);
        await AdvanceUntilAsync(time, Task.WhenAll(turns[1], turns[2]), TimeSpan.FromMilliseconds(10), ct);
        await AdvanceUntilAsync(time, turns[3], TimeSpan.FromMilliseconds(10), ct); // peer 3 waits for peer 0 only: joined
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.That(turns[4].IsCompleted, Is.False, "peer 4 went while peers 1, 2 and 3 were all still joining");
        joins.Joined(2); // not peer 1: peer 4 waits for peer 4 - 3 = 1
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.That(turns[4].IsCompleted, Is.False, "peer 4 went before peer 1 had joined");
        joins.Joined(1);
        await AdvanceUntilAsync(time, turns[4], TimeSpan.FromMilliseconds(10), ct);
        await AdvanceUntilAsync(time, turns[5], TimeSpan.FromMilliseconds(10), ct); // peer 2 has joined already
        Assert.That(turns[5].IsCompleted, Is.True);
    }

    [Test]
    [CancelAfter(10_000)]
    public async Task Each_peer_starts_once_the_one_before_it_has_joined_plus_the_interval(CancellationToken ct)
    {
        var (joins, time) = Create();
        await joins.WaitForTurnAsync(0, ct);
        var second = joins.WaitForTurnAsync(1, ct);
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.That(second.IsCompleted, Is.False, "peer 0 has not joined yet");
        joins.Joined(0);
        var held = await AdvanceUntilAsync(time, second, TimeSpan.FromMilliseconds(1), ct);
        Assert.That(held, Is.GreaterThanOrEqualTo(Interval));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task A_slow_peer_holds_the_next_one_up_for_the_full_wait_counted_from_its_own_turn_not_from_start_up(CancellationToken ct)
    {
        // Peers 0 and 1 join slowly (10 s each, within the 12 s wait), peer 2 never joins: peer 3 must still wait the whole
        // 12 s after peer 2's turn began. Counted from start-up, peer 3's wait ran out at 12 s, before peer 2 even began.
        var (joins, time) = Create();
        var wait = joins.MaxWaitForPrevious;
        Assert.That(wait, Is.EqualTo(TimeSpan.FromSeconds(12)));
        var turns = Enumerable.Range(0, 4).Select(i => joins.WaitForTurnAsync(i, ct)).ToArray();
        await turns[0];
        time.Advance(TimeSpan.FromSeconds(10));
        joins.Joined(0);
        await AdvanceUntilAsync(time, turns[1], TimeSpan.FromMilliseconds(10), ct); // peer 1 begins at about 10.5 s
        time.Advance(TimeSpan.FromSeconds(10));
        joins.Joined(1);
        await AdvanceUntilAsync(time, turns[2], TimeSpan.FromMilliseconds(10), ct); // peer 2 begins at about 21 s, never joins
        Assert.That(turns[3].IsCompleted, Is.False, "peer 3 went before peer 2 began");
        var held = await AdvanceUntilAsync(time, turns[3], TimeSpan.FromMilliseconds(100), ct);
        Assert.That(held, Is.GreaterThanOrEqualTo(wait + Interval), "peer 3 did not wait the full time from peer 2's turn");
    }

    [Test]
    [CancelAfter(10_000)]
    public async Task A_peer_that_went_down_before_its_turn_holds_nobody_up(CancellationToken ct)
    {
        var (joins, time) = Create();
        await joins.WaitForTurnAsync(0, ct);
        var third = joins.WaitForTurnAsync(2, ct);
        joins.Joined(0);
        joins.Joined(1); // crashed while waiting for its turn
        var held = await AdvanceUntilAsync(time, third, TimeSpan.FromMilliseconds(10), ct);
        Assert.That(held, Is.LessThan(TimeSpan.FromSeconds(2)));
    }

    /// <summary>
    /// Advances the fake clock by <paramref name="step"/> until <paramref name="task"/> completes and returns how far it
    /// went. The work after an await resumes on the thread pool and arms its next timer a moment of real time later, so the
    /// result is never shorter than the wait the code under test applied (it may be a few steps longer).
    /// </summary>
    private static async Task<TimeSpan> AdvanceUntilAsync(FakeTimeProvider time, Task task, TimeSpan step, CancellationToken ct)
    {
        var advanced = TimeSpan.Zero;
        while (!task.IsCompleted)
        {
            time.Advance(step);
            advanced += step;
            await Task.WhenAny(task, Task.Delay(1, ct));
            ct.ThrowIfCancellationRequested();
        }
        await task;
        return advanced;
    }
}
