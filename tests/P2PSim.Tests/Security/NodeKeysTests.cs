using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Security;

/// <summary>Where a node's key comes from: <c>Security:KeyFolder</c>, or a fresh one.</summary>
public class NodeKeysTests
{
    [Test]
    public void Without_a_key_folder_every_process_makes_fresh_keys_that_a_node_keeps_while_it_runs()
    {
        using var keys = new NodeKeys(Options.Create(new SecurityOptions()));
        using var nextProcess = new NodeKeys(Options.Create(new SecurityOptions()));

        var first = keys.For(NodeRole.Peer, 3);
        var restarted = keys.For(NodeRole.Peer, 3);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(restarted.Id, Is.EqualTo(first.Id), "restarted in the same process: the same node");
            Assert.That(nextProcess.For(NodeRole.Peer, 3).Id, Is.Not.EqualTo(keys.For(NodeRole.Peer, 3).Id));
            Assert.That(keys.For(NodeRole.Seed, 3).Id, Is.Not.EqualTo(keys.For(NodeRole.Peer, 3).Id));
        }
    }

    [Test]
    public void With_a_key_folder_a_restarted_node_keeps_its_id()
    {
        using var folder = TempDirectory.Create("p2psim-keys");
        using var keys = new NodeKeys(Options.Create(new SecurityOptions { KeyFolder = folder.Path }));
        var first = keys.For(NodeRole.Peer, 3);
        using var nextProcess = new NodeKeys(Options.Create(new SecurityOptions { KeyFolder = folder.Path }));
        var restarted = nextProcess.For(NodeRole.Peer, 3);
        var seed = keys.For(NodeRole.Seed, 3);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(restarted.Id, Is.EqualTo(first.Id));
            Assert.That(seed.Id, Is.Not.EqualTo(first.Id), "seed 3 and peer 3 are different nodes");
            Assert.That(File.Exists(Path.Combine(folder.Path, "peer-3.key")) && File.Exists(Path.Combine(folder.Path, "seed-3.key")), Is.True);
        }
    }

    [Test]
    public void A_bad_key_file_stops_start_up_naming_the_file_and_the_setting()
    {
        using var folder = TempDirectory.Create("p2psim-keys");
        File.WriteAllText(Path.Combine(folder.Path, "peer-0.key"), "0123");
        using var keys = new NodeKeys(Options.Create(new SecurityOptions { KeyFolder = folder.Path }));

        Assert.That(() => keys.For(NodeRole.Peer, 0), Throws.TypeOf<StartupException>()
            .With.Message.Contains("peer-0.key is not a line of 64 hex digits").And.Message.Contains("(Security:KeyFolder)"));
    }

    [Test]
    public void A_key_folder_that_is_a_file_is_an_invalid_setting()
    {
        using var folder = TempDirectory.Create("p2psim-keys");
        var file = Path.Combine(folder.Path, "a-file");
        File.WriteAllText(file, "");

        var result = new SecurityOptionsValidator().Validate(null, new SecurityOptions { KeyFolder = file });

        Assert.That(result.FailureMessage, Does.StartWith("Security:KeyFolder must be a folder path"));
    }
}
