using Microsoft.Extensions.Time.Testing;
using P2PSim.Transport;

namespace P2PSim.Tests.Transport;

/// <summary>
/// The process never opens its last files for sockets: a connection that would take them is refused, counted and logged
/// at most once a second, so the runtime keeps the files it needs to start threads and the process is not aborted.
/// </summary>
[TestFixture]
public sealed class OpenFileReserveTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Sockets_are_refused_once_only_the_reserve_would_be_left_and_allowed_again_when_one_closes()
    {
        var reserve = new OpenFileReserve(limit: 1000, () => 100, new FakeTimeProvider(T0));
        var fits = 1000 - 100 - OpenFileReserve.Reserve;

        var taken = Enumerable.Range(0, fits).Count(_ => reserve.TryTake());
        var beyond = reserve.TryTake();
        reserve.Return();
        var afterOneClosed = reserve.TryTake();

        Assert.That(taken, Is.EqualTo(fits), "every socket up to the reserve");
        Assert.That(beyond, Is.False, "the one that would eat into the runtime's reserve");
        Assert.That(afterOneClosed, Is.True);
        Assert.That(reserve.Sockets, Is.EqualTo(fits));
    }

    [Test]
    public void Files_opened_elsewhere_in_the_process_are_counted_again_and_leave_fewer_for_sockets()
    {
        var time = new FakeTimeProvider(T0);
        long elsewhere = 100;
        OpenFileReserve? reserve = null;
        reserve = new OpenFileReserve(limit: 1000, () => (reserve?.Sockets ?? 0) + elsewhere, time);
        var first = Enumerable.Range(0, 700).Count(_ => reserve.TryTake());

        elsewhere = 250; // the nodes opened their log files, say
        time.Advance(OpenFileReserve.RecountEvery);
        var refused = Enumerable.Range(0, 100).Count(_ => !reserve.TryTake());
        for (var i = 0; i < 20; i++)
        {
            reserve.Return();
        }
        var afterClosing = Enumerable.Range(0, 10).Count(_ => reserve.TryTake());

        Assert.That(first, Is.EqualTo(700));
        Assert.That(refused, Is.EqualTo(100), "700 sockets and 250 other files leave less than the reserve");
        Assert.That(afterClosing, Is.EqualTo(1000 - 250 - OpenFileReserve.Reserve - 680), "up to the limit less the other files and the reserve");
    }

    [Test]
    public void Without_a_known_limit_nothing_is_refused()
    {
        var reserve = new OpenFileReserve(limit: null, () => null, new FakeTimeProvider(T0));

        Assert.That(Enumerable.Range(0, 100_000).All(_ => reserve.TryTake()), Is.True);
    }

    [Test]
    public void Refusals_are_logged_at_most_once_a_second_with_the_count_of_those_in_between()
    {
        var time = new FakeTimeProvider(T0);
        var reserve = new OpenFileReserve(limit: 200, () => 100, time);
        var logger = new CapturingLogger();

        for (var i = 0; i < 50; i++)
        {
            reserve.Refuse(logger, $"a connection from 127.0.0.1:{4000 + i}");
        }
        time.Advance(OpenFileReserve.LogInterval);
        reserve.Refuse(logger, "a dial to 127.0.0.1:6003");

        var lines = logger.Warnings.ToArray();
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.StartWith("Out of open files: refused a connection from 127.0.0.1:4000;").And.Contain("which may open 200 (ulimit -n)"));
        Assert.That(lines[1], Does.StartWith("Out of open files: refused a dial to 127.0.0.1:6003;").And.Contain("51 connections refused so far, 49 since the last such line"));
        Assert.That(reserve.Refused, Is.EqualTo(51));
    }
}
