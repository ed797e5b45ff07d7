using System.Collections;
using System.Runtime.CompilerServices;
using P2PSim.Cli;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Cli;

/// <summary>
/// Where settings come from besides the command line: environment variables (checked by name as the command line is,
/// for P2PSim's own sections only) and appsettings.json (which holds every verb's settings); and a setting given on the
/// command line to a verb that does not read it, refused.
/// </summary>
[TestFixture]
public sealed class SettingsSourcesTests
{
    private static string RepositoryFile(string name, [CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", name));

    private static async Task<(CheckedSettings? Settings, string Errors)> CheckAsync(string verb, IDictionary environment, string folder, params string[] args)
    {
        using var errors = new StringWriter();
        var settings = await SettingsGate.CheckAsync(verb, "P2PSim cannot start", args, errors, folder, environment);
        return (settings, errors.ToString());
    }

    [TestCase("Slice__Indx", "1", "Slice__Indx (an environment variable) is not a setting; did you mean Slice__Index?")]
    [TestCase("NETWORK__PEERS", "many", "NETWORK__PEERS (an environment variable): 'many' is not a valid value; use a number")]
    [TestCase("Demo__Duration", "5", "Demo__Duration (an environment variable): a duration is written hh:mm:ss[.fff]")]
    [TestCase("DOTNET_Gossip__Routng", "tree", "DOTNET_Gossip__Routng (an environment variable) is not a setting; did you mean DOTNET_Gossip__Routing?")]
    public async Task An_environment_variable_of_a_P2PSim_section_is_checked_as_the_command_line_is(string name, string value, string message)
    {
        using var folder = TempDirectory.Create("p2psim-env");
        var (settings, errors) = await CheckAsync(P2PSimCommandLine.DemoVerb, new Hashtable { [name] = value, ["PATH"] = "/usr/bin" }, folder.Path);

        Assert.That(settings, Is.Null);
        Assert.That(errors, Does.StartWith($"P2PSim cannot start: {message}"));
        Assert.That(errors.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line");
    }

    [Test]
    public async Task Other_environment_variables_are_left_alone_and_the_settings_read_are_counted()
    {
        using var folder = TempDirectory.Create("p2psim-env");
        var environment = new Hashtable
        {
            ["PATH"] = "/usr/bin", ["HOME"] = "/root", ["DOTNET_gcServer"] = "1", ["DOTNET_ENVIRONMENT"] = "Production", ["ASPNETCORE_URLS"] = "http://+:80",
            ["Foo__Bar"] = "1", ["Slice__Index"] = "0", ["liveview__port"] = "0", ["Logging__LogLevel__Default"] = "Debug",
        };
        var (settings, errors) = await CheckAsync(P2PSimCommandLine.DemoVerb, environment, folder.Path, "--Network:Peers=3");

        Assert.That(settings, Is.Not.Null, errors);
        Assert.That(settings!.Source, Is.EqualTo("Settings: the built-in defaults, 3 environment variables and 1 on the command line"));
        Assert.That(settings.Warnings, Has.Count.EqualTo(1), "only the missing settings file");
    }

    [Test]
    public async Task A_variable_that_misspells_a_section_is_warned_about_not_refused()
    {
        using var folder = TempDirectory.Create("p2psim-env");
        var (settings, errors) = await CheckAsync(P2PSimCommandLine.DemoVerb, new Hashtable { ["Netwrk__Peers"] = "3", ["User__Name"] = "x" }, folder.Path);

        Assert.That(settings, Is.Not.Null, errors);
        Assert.That(settings!.Warnings, Does.Contain("warning: the environment variable Netwrk__Peers is not read: Netwrk is no section of P2PSim's (did you mean Network__Peers?)"));
        Assert.That(settings.Warnings.Where(w => w.Contains("User__Name", StringComparison.Ordinal)), Is.Empty, "User is no near miss of Peer");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_misspelt_environment_variable_stops_the_real_process_with_exit_code_2(CancellationToken ct)
    {
        using var folder = TempDirectory.Create("p2psim-env");
        using var child = ChildProcess.Start(folder.Path, new Dictionary<string, string> { ["Slice__Indx"] = "1" }, "--Network:Peers=1");
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), Is.True, "it did not exit");

        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.EqualTo(2));
            Assert.That(child.Stderr, Does.Contain("Slice__Indx (an environment variable) is not a setting; did you mean Slice__Index?"));
            Assert.That(child.Stdout, Does.Not.Contain("Listening on"), "no node started");
        });
    }

    [Test]
    public async Task The_demo_takes_the_groups_settings_on_the_command_line()
    {
        using var folder = TempDirectory.Create("p2psim-env");
        var (settings, errors) = await CheckAsync(P2PSimCommandLine.DemoVerb, new Hashtable(), folder.Path, "--Groups:Encrypt=false", "--Groups:Names=blue");

        Assert.That(settings, Is.Not.Null, errors);
        Assert.That(errors, Is.Empty);
    }

    [TestCase("--Experiment:Peers=50", "Experiment:Peers (on the command line) is an experiment setting, which the demo does not read; to run an experiment: P2PSim experiment --Experiment:Peers=50")]
    [TestCase("experiment", "--Network:Peers=50", "Network:Peers (on the command line) is a demo setting, which an experiment does not read; did you mean Experiment:Peers?")]
    [TestCase("experiment", "--Demo:Duration=00:01:00", "Demo:Duration (on the command line) is a demo setting, which an experiment does not read (an experiment reads the sections Experiment, Peer, Seed, Gossip, Private, Transport, Security, Network, Slice)")]
    [TestCase("experiment", "--Logging:LogLevel:Default=Debug", "Logging:LogLevel:Default (on the command line) is a demo setting, which an experiment does not read")]
    public async Task A_setting_the_verb_does_not_read_is_refused_on_the_command_line(params string[] args)
    {
        var message = args[^1];
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = await P2PSimCommandLine.RunAsync(args[..^1], output, errors);

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(errors.ToString(), Does.Contain(message));
            Assert.That(output.ToString(), Does.Not.Contain("Settings: ").And.Not.Contain("P2PSim experiment:"), "nothing ran");
        });
    }

    [Test]
    public async Task Every_verb_takes_the_repository_appsettings_json_with_every_section_and_the_environment_of_the_other_verb()
    {
        using var folder = TempDirectory.Create("p2psim-env");
        File.Copy(RepositoryFile("appsettings.json"), Path.Combine(folder.Path, SettingsGate.FileName));
        var environment = new Hashtable { ["Experiment__Peers"] = "50", ["Demo__Duration"] = "00:01:00" };
        foreach (var verb in new[] { P2PSimCommandLine.DemoVerb, "experiment" })
        {
            var (settings, errors) = await CheckAsync(verb, environment, folder.Path);

            Assert.That(settings, Is.Not.Null, $"{verb}: {errors}");
            Assert.That(settings!.Warnings, Is.Empty, verb);
        }
    }

    [Test]
    [NonParallelizable] // it sets environment variables of this process, which an experiment run in parallel would read
    public async Task An_experiment_reads_its_settings_from_the_environment_too_and_the_command_line_wins()
    {
        using var folder = TempDirectory.Create("p2psim-env");
        var (settings, errors) = await CheckAsync("experiment", new Hashtable(), folder.Path, "--Experiment:Messages=7");
        Assert.That(settings, Is.Not.Null, errors);

        // BuildConfiguration reads the process's environment: a variable only this test sets.
        Environment.SetEnvironmentVariable("Experiment__RunSeed", "42");
        Environment.SetEnvironmentVariable("Experiment__Messages", "9");
        try
        {
            var options = P2PSim.Experiments.ExperimentOptions.From(settings!.BuildConfiguration());
            Assert.That((options.RunSeed, options.Messages), Is.EqualTo((42, 7)));
        }
        finally
        {
            Environment.SetEnvironmentVariable("Experiment__RunSeed", null);
            Environment.SetEnvironmentVariable("Experiment__Messages", null);
        }
    }
}
