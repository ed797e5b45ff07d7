using P2PSim.Cli;

namespace P2PSim.Tests.Cli;

/// <summary>
/// The verbs as a new user types them: help for each verb that runs nothing, and every mistyped verb or setting refused
/// with the nearest valid name and exit code 2, all problems at once, before anything starts.
/// </summary>
[TestFixture]
public sealed class CommandLineTests
{
    private static readonly string[] ExpectedSettings = ["--Network:Peers=3", "--Peer:GossipInterval=00:00:01", "--Demo:Duration=00:00:05", "--Logs:Directory=x"];

    private static readonly string[] ExpectedStrays = ["-v", "word", "--Demo:CrashPeer"];

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = await P2PSimCommandLine.RunAsync(args, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    [Test]
    public async Task A_misspelt_verb_is_refused_with_the_nearest_verb()
    {
        var (exit, output, errors) = await RunAsync("experimnt");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(errors, Does.Contain("unknown command 'experimnt'; did you mean 'experiment'?"));
            Assert.That(errors.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line");
            Assert.That(output, Does.Not.Contain("Settings:"), "the demo did not start");
        });
    }

    [TestCase("--Netwrk:Peers=3", "Netwrk:Peers (on the command line) is not a setting; did you mean Network:Peers?")]
    [TestCase("--Experiment:Peer=3", "did you mean Experiment:Peers?")]
    [TestCase("--Peer:GossipIntervall=00:00:01", "did you mean Peer:GossipInterval?")]
    [TestCase("--Network:Seeds:0:Hots=127.0.0.2", "Network:Seeds:0:Hots (on the command line) is not a setting")]
    [TestCase("--Network:Seeds:0:Port=five", "Network:Seeds:0:Port (on the command line): 'five' is not a port number")]
    [TestCase("--Slice:Indx=1", "did you mean Slice:Index?")]
    public async Task An_unknown_setting_is_refused_with_the_nearest_setting(string argument, string message)
    {
        var (exit, _, errors) = await RunAsync(argument);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain(message));
        Assert.That(errors.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line");
    }

    [Test]
    public async Task An_unknown_setting_after_a_verb_is_refused_too()
    {
        var (exit, output, errors) = await RunAsync("experiment", "--Experiment:Peerz=5");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("P2PSim experiment cannot start: Experiment:Peerz (on the command line) is not a setting; did you mean Experiment:Peers?"));
        Assert.That(output, Does.Not.Contain("P2PSim experiment:"), "nothing ran");
    }

    [TestCase("experiment", "Experiment:", "Peers=200")]
    [TestCase("demo", "Network:", "Peers=8")]
    public async Task Help_after_a_verb_prints_its_usage_and_settings_and_runs_nothing(string verb, string section, string setting)
    {
        var (exit, output, errors) = await RunAsync(verb, "--help");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.Zero, errors);
            Assert.That(output, Does.Contain("Usage:").And.Contain($" {verb} [options] [--Section:Key=value ...]"));
            Assert.That(output, Does.Not.Contain("additional arguments").And.Not.Contain("Additional Arguments"), "settings are no 'arguments passed to the application'");
            Assert.That(output, Does.Contain("Settings:").And.Contain(section).And.Contain(setting));
            Assert.That(output, Does.Not.Contain("P2PSim experiment:").And.Not.Contain("Settings: /"), "nothing ran");
        });
    }

    [Test]
    public async Task Help_without_a_verb_lists_the_verbs_and_help_after_the_separator_is_help_too()
    {
        foreach (var args in new[] { new[] { "--help" }, new[] { "--", "--help" } })
        {
            var (exit, output, errors) = await RunAsync(args);

            Assert.That(exit, Is.Zero, errors);
            Assert.That(output, Does.Contain("experiment").And.Contain("compare").And.Contain("Demo:").And.Contain("Duration=00:00:00"), string.Join(' ', args));
        }
    }

    [TestCase("--Demo:Duration=5", "Demo:Duration (on the command line): a duration is written hh:mm:ss[.fff], e.g. 00:00:05 for five seconds (was '5'")]
    [TestCase("--Peer:GossipInterval=1.5", "Peer:GossipInterval (on the command line): a duration is written hh:mm:ss[.fff]")]
    public async Task A_bare_number_as_a_duration_is_refused_naming_the_setting_and_an_example(string argument, string message)
    {
        var (exit, _, errors) = await RunAsync(argument);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain(message));
    }

    [Test]
    public async Task A_bare_number_as_a_duration_is_refused_by_the_experiment_too()
    {
        var (exit, _, errors) = await RunAsync("experiment", "--Experiment:Spacing=100");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("Experiment:Spacing (on the command line): a duration is written hh:mm:ss[.fff]"));
    }

    [Test]
    public async Task Several_bad_settings_are_all_reported()
    {
        var (exit, _, errors) = await RunAsync("--Network:Peers=lots", "--Demo:Duration=5", "--Netwrk:Seeds=2", "stray");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(errors, Does.Contain("4 problems with the settings"));
            Assert.That(errors, Does.Contain("Network:Peers (on the command line): 'lots' is not a valid value; use a number."));
            Assert.That(errors, Does.Contain("Demo:Duration"));
            Assert.That(errors, Does.Contain("did you mean Network:Seeds?"));
            Assert.That(errors, Does.Contain("'stray' is not a setting"));
            Assert.That(errors, Does.Not.Contain("   at "));
        });
    }

    [Test]
    public async Task Compare_without_reports_is_refused_with_exit_code_2()
    {
        var (exit, _, errors) = await RunAsync("compare");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("reports"));
    }

    [Test]
    public void Settings_are_read_as_the_configuration_reads_them()
    {
        var parsed = SettingsArguments.Parse(["--Network:Peers=3", "--Peer:GossipInterval", "00:00:01", "/Demo:Duration=00:00:05", "Logs:Directory=x", "-v", "word", "--Demo:CrashPeer"]);

        Assert.That(parsed.ToArguments(), Is.EqualTo(ExpectedSettings));
        Assert.That(parsed.Strays, Is.EqualTo(ExpectedStrays));
    }

    [Test]
    public void Every_section_has_its_settings_with_their_defaults()
    {
        Assert.That(KnownSettings.Find("network:peers"), Is.Not.Null, "names are matched ignoring case, as the configuration does");
        Assert.That(KnownSettings.Find("Experiment:Peer"), Is.Null, "a nested section is no setting of its own");
        Assert.That(KnownSettings.Find("Gossip:EffectiveAnnounceInterval"), Is.Null, "a computed property is no setting");
        Assert.That(KnownSettings.Find("Demo:Duration")!.Default, Is.EqualTo("00:00:00"));
        Assert.That(KnownSettings.Distance("experimnt", "experiment"), Is.EqualTo(1));
    }
}
