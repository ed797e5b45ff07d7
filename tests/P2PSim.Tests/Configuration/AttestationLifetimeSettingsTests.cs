using Microsoft.Extensions.Options;
using P2PSim.Configuration;

namespace P2PSim.Tests.Configuration;

/// <summary>
/// <c>Seed:AttestationLifetime</c>: left unset it follows <c>Peer:ReregisterInterval</c>, so a network that registers
/// rarely (the namespace recipe's 5 minutes) starts without a second setting; set by hand it must outlast a registration.
/// </summary>
[TestFixture]
public sealed class AttestationLifetimeSettingsTests
{
    [TestCase("00:00:05", "00:02:00")] // never under two minutes
    [TestCase("00:00:30", "00:02:00")] // the defaults
    [TestCase("00:05:00", "00:20:00")] // four registrations
    [TestCase("00:00:00", "1.00:00:00")] // registered once: nothing refreshes it, so it holds as long as allowed
    public void Unset_it_spans_four_registrations(string reregister, string expected)
    {
        var peer = new PeerOptions { ReregisterInterval = TimeSpan.Parse(reregister, System.Globalization.CultureInfo.InvariantCulture) };
        var seed = new SeedOptions();

        Assert.Multiple(() =>
        {
            Assert.That(seed.AttestationLifetimeFor(peer), Is.EqualTo(TimeSpan.Parse(expected, System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(new SeedOptionsValidator(Options.Create(peer)).Validate(null, seed).Succeeded, Is.True);
        });
    }

    [Test]
    public void Set_shorter_than_a_registration_it_is_refused_with_both_settings_named()
    {
        var peer = new PeerOptions { ReregisterInterval = TimeSpan.FromMinutes(5) };
        var seed = new SeedOptions { AttestationLifetime = TimeSpan.FromMinutes(2) };

        var result = new SeedOptionsValidator(Options.Create(peer)).Validate(null, seed);

        Assert.That(result.Failures, Has.One.StartsWith("Seed:AttestationLifetime (00:02:00) must be longer than Peer:ReregisterInterval (00:05:00)"));
        Assert.That(seed.AttestationLifetimeFor(peer), Is.EqualTo(TimeSpan.FromMinutes(2)), "a value set is used as set");
    }

    [Test]
    public void Zero_turns_attestations_off_whatever_the_interval() =>
        Assert.That(new SeedOptions { AttestationLifetime = TimeSpan.Zero }.AttestationLifetimeFor(new PeerOptions()), Is.EqualTo(TimeSpan.Zero));
}
