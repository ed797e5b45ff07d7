using P2PSim.Hosting.Commands;

namespace P2PSim.Tests.Hosting;

[TestFixture]
public sealed class ConsoleCommandTests
{
    private static readonly string[] Verbs = ["help", "nodes", "send", "neighbours", "list", "crash", "stop", "restart", "add", "join", "leave", "group", "groups", "private", "quit"];

    private static ConsoleCommand? Parse(string line) => ConsoleCommand.Parse(line, out _);

    private static string? Error(string line)
    {
        ConsoleCommand.Parse(line, out var error);
        return error;
    }

    [TestCase("help")]
    [TestCase("HELP")]
    [TestCase("?")]
    [TestCase("  help  ")]
    public void Help_in_any_case_and_with_spaces_around(string line) => Assert.That(Parse(line), Is.EqualTo(new ConsoleCommand.Help()));

    [Test]
    public void Each_command_with_its_port()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Parse("send 6003"), Is.EqualTo(new ConsoleCommand.Send(6003)));
            Assert.That(Parse("crash 6005"), Is.EqualTo(new ConsoleCommand.Crash(6005)));
            Assert.That(Parse("stop 5000"), Is.EqualTo(new ConsoleCommand.Stop(5000)));
            Assert.That(Parse("restart 6005"), Is.EqualTo(new ConsoleCommand.Restart(6005)));
            Assert.That(Parse("neighbours 6001"), Is.EqualTo(new ConsoleCommand.Neighbours(6001)));
            Assert.That(Parse("neighbors 6001"), Is.EqualTo(new ConsoleCommand.Neighbours(6001)));
            Assert.That(Parse("list 6002"), Is.EqualTo(new ConsoleCommand.MessageList(6002)));
            Assert.That(Parse("add"), Is.EqualTo(new ConsoleCommand.Add(1)));
            Assert.That(Parse("add 5"), Is.EqualTo(new ConsoleCommand.Add(5)));
            Assert.That(Parse("nodes"), Is.EqualTo(new ConsoleCommand.Nodes()));
            Assert.That(Parse("quit"), Is.EqualTo(new ConsoleCommand.Quit()));
            Assert.That(Parse("exit"), Is.EqualTo(new ConsoleCommand.Quit()));
        });
    }

    [Test]
    public void Group_commands_take_a_port_a_group_and_for_a_message_the_rest_of_the_line_as_typed()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Parse("join 6003 blue"), Is.EqualTo(new ConsoleCommand.Join(6003, "blue")));
            Assert.That(Parse("LEAVE 6003 blue"), Is.EqualTo(new ConsoleCommand.Leave(6003, "blue")));
            Assert.That(Parse("group 6003 blue  hello   members, all of you "), Is.EqualTo(new ConsoleCommand.GroupMessage(6003, "blue", "hello   members, all of you")));
            Assert.That(Parse("publish 6001 news hello there"), Is.EqualTo(new ConsoleCommand.GroupMessage(6001, "news", "hello there")));
            Assert.That(Parse("groups 6003"), Is.EqualTo(new ConsoleCommand.Groups(6003)));
        });
    }

    [TestCase("private 6001 6003 hi", "hi")]
    [TestCase("  PRIVATE   6001  6003   hello   there  ", "hello   there")]
    public void A_private_message_takes_the_rest_of_the_line_as_its_text(string line, string text) =>
        Assert.That(Parse(line), Is.EqualTo(new ConsoleCommand.Private(6001, 6003, text)));

    [TestCase("private", "private needs the sender's port, the recipient's port and a text: private <port> <to-port> <text>, e.g. private 6001 6003 hello there")]
    [TestCase("private 6001 6003", "private needs the sender's port, the recipient's port and a text: private <port> <to-port> <text>, e.g. private 6001 6003 hello there")]
    [TestCase("private 6001 me hi", "private needs ports from 1 to 65535 (was \"me\"): private <port> <to-port> <text>, e.g. private 6001 6003 hello there")]
    [TestCase("private 0 6003 hi", "private needs ports from 1 to 65535 (was \"0\"): private <port> <to-port> <text>, e.g. private 6001 6003 hello there")]
    [TestCase("private 6001 6001 hi", "private 6001 6001: a peer does not send private messages to itself")]
    public void A_bad_private_command_gives_one_line_saying_what_is_wrong(string line, string error)
    {
        Assert.That(Parse(line), Is.Null);
        Assert.That(Error(line), Is.EqualTo(error));
    }

    [TestCase("join", "join needs a port and a group: join <port> <group>, e.g. join 6003 blue")]
    [TestCase("join 6003", "join needs a port and a group: join <port> <group>, e.g. join 6003 blue")]
    [TestCase("join 6003 blue green", "join takes a port and one group name: join <port> <group>, e.g. join 6003 blue (got \"6003 blue green\")")]
    [TestCase("leave x blue", "leave needs a port from 1 to 65535 (was \"x\"): leave <port> <group>, e.g. leave 6003 blue")]
    [TestCase("group 6003 blue", "group needs a port, a group and a text: group <port> <group> <text>, e.g. group 6003 blue hello members")]
    [TestCase("groups", "groups needs a port: groups <port>, e.g. groups 6003")]
    [TestCase("join 6003 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "join: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is not a group name (group name of 69 bytes exceeds the limit of 64)")]
    public void A_group_command_that_is_wrong_gets_one_line_saying_what(string line, string error) => Assert.That(Error(line), Is.EqualTo(error));

    [Test]
    public void A_group_message_longer_than_a_payload_is_refused() =>
        Assert.That(Error("group 6003 blue " + new string('x', 3029)), Is.EqualTo("group: the text is 3029 bytes of UTF-8; an encrypted group message holds at most 3028"));

    [Test]
    public void A_blank_line_is_no_command_and_no_error()
    {
        Assert.That(Parse("   "), Is.Null);
        Assert.That(Error("   "), Is.Null);
    }

    [TestCase("fly 6001", "Unknown command \"fly\"; type help for the list")]
    [TestCase("send", "send needs a node's port: send <port>, e.g. send 6003")]
    [TestCase("crash abc", "crash needs a port from 1 to 65535 (was \"abc\")")]
    [TestCase("crash 70000", "crash needs a port from 1 to 65535 (was \"70000\")")]
    [TestCase("crash -1", "crash needs a port from 1 to 65535 (was \"-1\")")]
    [TestCase("stop 6001 6002", "stop takes one port: stop <port> (got \"6001 6002\")")]
    [TestCase("add 0", "add needs a number of peers from 1 to 1000 (was \"0\")")]
    [TestCase("add many", "add needs a number of peers from 1 to 1000 (was \"many\")")]
    [TestCase("add 1 2", "add takes one number: add <n>, e.g. add 3")]
    [TestCase("help me", "help takes no arguments (got \"me\")")]
    public void A_bad_command_gives_one_line_saying_what_is_wrong(string line, string error)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Parse(line), Is.Null);
            Assert.That(Error(line), Is.EqualTo(error));
            Assert.That(error, Does.Not.Contain('\n'));
        });
    }

    [Test]
    public void Help_lists_every_command_once()
    {
        var verbs = ConsoleCommand.Usage.Select(u => u.Usage.Split(' ')[0]).ToArray();
        Assert.That(verbs, Is.Unique);
        Assert.That(verbs, Is.SupersetOf(Verbs));
        Assert.That(verbs.Where(v => v != "help").Select(v => Error(v) is null || Parse(v) is not null || Error(v)!.StartsWith(v, StringComparison.Ordinal)), Is.All.True,
            "every listed verb is known to the parser");
    }
}
