using Microsoft.Extensions.Options;
using P2PSim.Configuration;

namespace P2PSim.Tests.Configuration;

/// <summary>The start-up checks of the Private section.</summary>
[TestFixture]
public sealed class PrivateSettingsTests
{
    private static readonly int[] TwoAndFive = [2, 5];

    private static PrivateOptionsValidator Validator(int peers = 8) => new(Options.Create(new NetworkOptions { Peers = peers }));

    [Test]
    public void The_defaults_are_valid_and_mark_every_peer_dialable()
    {
        var options = new PrivateOptions();

        Assert.That(Validator().Validate(null, options).Succeeded, Is.True);
        Assert.That(Enumerable.Range(0, 8).All(options.IsDialable), Is.True);
    }

    [Test]
    public void Not_dialable_peers_are_a_list_of_indices()
    {
        var options = new PrivateOptions { NotDialablePeers = " 2, 5" };

        Assert.That(Validator().Validate(null, options).Succeeded, Is.True);
        Assert.That(Enumerable.Range(0, 8).Where(i => !options.IsDialable(i)), Is.EqualTo(TwoAndFive));
    }

    [TestCase("two", "Private:NotDialablePeers must be peer indices separated by commas, e.g. 2,5 ('two' is not a peer index; was 'two').")]
    [TestCase("1,-3", "Private:NotDialablePeers must be peer indices separated by commas, e.g. 2,5 ('-3' is not a peer index; was '1,-3').")]
    [TestCase("3,9", "Private:NotDialablePeers names peer 9, but the peers are numbered 0 to 7 (Network:Peers is 8).")]
    public void A_list_that_is_no_list_of_this_networks_peers_names_the_setting(string given, string failure) =>
        Assert.That(Validator().Validate(null, new PrivateOptions { NotDialablePeers = given }).Failures, Is.EqualTo(new[] { failure }));

    [Test]
    public void Timings_and_attempts_out_of_range_name_their_settings()
    {
        var result = Validator().Validate(null, new PrivateOptions { AckTimeout = TimeSpan.Zero, Attempts = 0, IdleTimeout = TimeSpan.FromDays(2) });

        Assert.That(result.Failures!.ToList(), Has.Count.EqualTo(3));
        Assert.That(result.Failures, Has.Some.StartsWith("Private:AckTimeout must be between"));
        Assert.That(result.Failures, Has.Some.EqualTo("Private:Attempts must be between 1 and 20 (was 0)."));
        Assert.That(result.Failures, Has.Some.StartsWith("Private:IdleTimeout must be between"));
    }
}
