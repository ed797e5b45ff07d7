using Microsoft.Extensions.Options;
using P2PSim.Configuration;

namespace P2PSim.Tests.Nodes;

/// <summary>The start-up checks of the fault-tolerance settings (section Peer).</summary>
[TestFixture]
public sealed class FaultToleranceSettingsTests
{
    private static ValidateOptionsResult Check(Action<PeerOptions> tweak)
    {
        var options = new PeerOptions();
        tweak(options);
        return new PeerOptionsValidator(Options.Create(new TransportOptions())).Validate(null, options);
    }

    [Test]
    public void The_defaults_are_valid()
    {
        var defaults = new PeerOptions();

        Assert.That(Check(_ => { }).Succeeded, Is.True);
        Assert.That((defaults.MinNeighbours, defaults.ReregisterInterval, defaults.HistoryWindow),
            Is.EqualTo((2, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1))));
    }

    [TestCase(0)]
    [TestCase(4)]
    [TestCase(1000)]
    public void Min_neighbours_from_zero_up_is_valid_even_above_max_neighbours(int min)
    {
        Assert.That(Check(o => o.MinNeighbours = min).Succeeded, Is.True);
    }

    [TestCase(-1, "Peer:MinNeighbours must be between 0 and 1000 (was -1).")]
    [TestCase(1001, "Peer:MinNeighbours must be between 0 and 1000 (was 1001).")]
    public void Min_neighbours_out_of_range_names_the_setting(int min, string failure)
    {
        var result = Check(o => o.MinNeighbours = min);

        Assert.That(result.Failed, Is.True);
        Assert.That(result.Failures, Does.Contain(failure));
    }

    [TestCase("00:00:00", true)]
    [TestCase("00:00:05", true)]
    [TestCase("00:00:04.999", false)]
    [TestCase("-00:00:01", false)]
    public void Reregister_interval_is_zero_or_at_least_the_registration_timeout(string interval, bool valid)
    {
        var result = Check(o => o.ReregisterInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture));

        Assert.That(result.Succeeded, Is.EqualTo(valid), result.FailureMessage);
        if (!valid)
        {
            Assert.That(result.FailureMessage, Does.Contain("Peer:ReregisterInterval"));
        }
    }

    [TestCase("00:00:00", true)]
    [TestCase("01:00:00", true)]
    [TestCase("-00:00:01", false)]
    [TestCase("2.00:00:00", false)]
    public void History_window_is_between_zero_and_a_day(string window, bool valid)
    {
        var result = Check(o => o.HistoryWindow = TimeSpan.Parse(window, System.Globalization.CultureInfo.InvariantCulture));

        Assert.That(result.Succeeded, Is.EqualTo(valid), result.FailureMessage);
        if (!valid)
        {
            Assert.That(result.FailureMessage, Does.Contain("Peer:HistoryWindow"));
        }
    }
}
