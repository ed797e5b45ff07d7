using P2PSim.Configuration;

namespace P2PSim.Tests.Configuration;

/// <summary>The start-up checks of the Private section.</summary>
[TestFixture]
public sealed class PrivateSettingsTests
{
    [Test]
    public void The_defaults_are_valid() =>
        Assert.That(new PrivateOptionsValidator().Validate(null, new PrivateOptions()).Succeeded, Is.True);

    [Test]
    public void Timings_and_attempts_out_of_range_name_their_settings()
    {
        var result = new PrivateOptionsValidator().Validate(null, new PrivateOptions { AckTimeout = TimeSpan.Zero, Attempts = 0, IdleTimeout = TimeSpan.FromDays(2) });

        Assert.That(result.Failures!.ToList(), Has.Count.EqualTo(3));
        Assert.That(result.Failures, Has.Some.StartsWith("Private:AckTimeout must be between"));
        Assert.That(result.Failures, Has.Some.EqualTo("Private:Attempts must be between 1 and 20 (was 0)."));
        Assert.That(result.Failures, Has.Some.StartsWith("Private:IdleTimeout must be between"));
    }
}
