using System.Globalization;

namespace P2PSim.Hosting.Commands;

/// <summary>
/// A command typed on the console while the demo runs. <see cref="Parse"/> is pure: a line in, a command or one line of
/// error out. <see cref="CommandConsole"/> reads the lines and carries the commands out.
/// </summary>
public abstract record ConsoleCommand
{
    private ConsoleCommand()
    {
    }

    public sealed record Help : ConsoleCommand;

    /// <summary>The peer originates one gossip message now, on top of its schedule.</summary>
    public sealed record Send(int Port) : ConsoleCommand;

    /// <summary>The node crashes abruptly, as the demo's scripted crash: no goodbye, every socket reset.</summary>
    public sealed record Crash(int Port) : ConsoleCommand;

    /// <summary>The node leaves cleanly: goodbye to its neighbours and seeds.</summary>
    public sealed record Stop(int Port) : ConsoleCommand;

    /// <summary>A node that crashed or stopped starts again on its port, empty.</summary>
    public sealed record Restart(int Port) : ConsoleCommand;

    /// <summary>New peers join, one by one.</summary>
    public sealed record Add(int Count) : ConsoleCommand;

    /// <summary>The peer on <paramref name="Port"/> sends a private message with <paramref name="Text"/> to the peer on <paramref name="ToPort"/>.</summary>
    public sealed record Private(int Port, int ToPort, string Text) : ConsoleCommand;

    /// <summary>A peer's neighbours (a seed's peer list).</summary>
    public sealed record Neighbours(int Port) : ConsoleCommand;

    /// <summary>The size of a peer's Message List and its counters.</summary>
    public sealed record MessageList(int Port) : ConsoleCommand;

    /// <summary>Every node's port and whether it runs.</summary>
    public sealed record Nodes : ConsoleCommand;

    /// <summary>Ends the demo as Ctrl+C does, with the summary.</summary>
    public sealed record Quit : ConsoleCommand;

    /// <summary>The peer joins group <paramref name="Group"/>.</summary>
    public sealed record Join(int Port, string Group) : ConsoleCommand;

    /// <summary>The peer leaves group <paramref name="Group"/>.</summary>
    public sealed record Leave(int Port, string Group) : ConsoleCommand;

    /// <summary>The peer publishes <paramref name="Text"/> to group <paramref name="Group"/>, one of its groups.</summary>
    public sealed record GroupMessage(int Port, string Group, string Text) : ConsoleCommand;

    /// <summary>The peer's groups, with its neighbours in each.</summary>
    public sealed record Groups(int Port) : ConsoleCommand;

    /// <summary>Most peers one <c>add</c> starts.</summary>
    public const int MaxAdd = 1000;

    /// <summary>Usage and meaning of every command, for <c>help</c>.</summary>
    public static readonly IReadOnlyList<(string Usage, string Meaning)> Usage =
    [
        ("help", "this list"),
        ("nodes", "every node's port, and which are down"),
        ("send <port>", "the peer sends one gossip message now"),
        ("neighbours <port>", "the peer's neighbours (a seed: its peer list)"),
        ("list <port>", "the size of the peer's Message List, with its counters"),
        ("crash <port>", "the node crashes abruptly (no goodbye): watch its neighbours detect it"),
        ("stop <port>", "the node leaves cleanly (goodbye to neighbours and seeds)"),
        ("restart <port>", "a crashed or stopped node starts again on its port, empty"),
        ($"add <n>", $"n new peers join one by one (1-{MaxAdd})"),
        ("join <port> <group>", "the peer joins the group (e.g. join 6003 blue)"),
        ("leave <port> <group>", "the peer leaves the group: it stops receiving its messages"),
        ("group <port> <group> <text>", "the peer publishes the text to one of its groups (also: publish)"),
        ("groups <port>", "the peer's groups, with its neighbours in each"),
        ("private <port> <to-port> <text>", "the peer sends a private message to another peer (through a seed if that one cannot be dialled)"),
        ("quit", "end the demo with its summary, as Ctrl+C does"),
    ];

    /// <summary>Parses one line: a command, or null with <paramref name="error"/> set (null and no error for a blank line).</summary>
    public static ConsoleCommand? Parse(string line, out string? error)
    {
        error = null;
        var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            return null;
        }
        var verb = words[0].ToLowerInvariant();
        var args = words[1..];
        if (verb is "join" or "leave" or "group" or "publish" or "groups")
        {
            return ParseGroupCommand(verb, line, args, out error);
        }
        switch (verb)
        {
            case "help" or "?":
                return NoArguments(verb, args, new Help(), out error);
            case "nodes":
                return NoArguments(verb, args, new Nodes(), out error);
            case "quit" or "exit":
                return NoArguments(verb, args, new Quit(), out error);
            case "send":
                return OnePort(verb, args, p => new Send(p), out error);
            case "crash":
                return OnePort(verb, args, p => new Crash(p), out error);
            case "stop":
                return OnePort(verb, args, p => new Stop(p), out error);
            case "restart":
                return OnePort(verb, args, p => new Restart(p), out error);
            case "neighbours" or "neighbors":
                return OnePort(verb, args, p => new Neighbours(p), out error);
            case "list":
                return OnePort(verb, args, p => new MessageList(p), out error);
            case "add":
                if (args.Length > 1)
                {
                    error = "add takes one number: add <n>, e.g. add 3";
                    return null;
                }
                if (args.Length == 0)
                {
                    return new Add(1);
                }
                if (!int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1 || count > MaxAdd)
                {
                    error = $"add needs a number of peers from 1 to {MaxAdd} (was \"{args[0]}\")";
                    return null;
                }
                return new Add(count);
            case "private":
                return PrivateMessage(line, out error);
            default:
                error = $"Unknown command \"{words[0]}\"; type help for the list";
                return null;
        }
    }

    /// <summary>
    /// <c>join</c>, <c>leave</c>, <c>group</c> (or <c>publish</c>) and <c>groups</c>: a port, a group name (one word, checked
    /// by <see cref="Protocol.GroupName.Problem"/>), and for <c>group</c> the rest of the line as typed (at most
    /// <see cref="Security.GroupSeal.MaxTextBytes"/> bytes of UTF-8: what an encrypted group message holds).
    /// </summary>
    private static ConsoleCommand? ParseGroupCommand(string verb, string line, string[] args, out string? error)
    {
        error = null;
        var usage = verb switch
        {
            "join" => "join <port> <group>, e.g. join 6003 blue",
            "leave" => "leave <port> <group>, e.g. leave 6003 blue",
            "groups" => "groups <port>, e.g. groups 6003",
            _ => $"{verb} <port> <group> <text>, e.g. {verb} 6003 blue hello members",
        };
        var wanted = verb switch { "groups" => 1, "join" or "leave" => 2, _ => 3 };
        if (args.Length < wanted || (verb is "join" or "leave" or "groups" && args.Length > wanted))
        {
            error = args.Length < wanted ? $"{verb} needs {(wanted == 1 ? "a port" : wanted == 2 ? "a port and a group" : "a port, a group and a text")}: {usage}"
                : $"{verb} takes {(wanted == 1 ? "one port" : "a port and one group name")}: {usage} (got \"{string.Join(' ', args)}\")";
            return null;
        }
        if (!TryParsePort(args[0], out var port))
        {
            error = $"{verb} needs a port from 1 to 65535 (was \"{args[0]}\"): {usage}";
            return null;
        }
        if (verb == "groups")
        {
            return new Groups(port);
        }
        var group = args[1];
        if (Protocol.GroupName.Problem(group) is { } problem)
        {
            error = $"{verb}: \"{group}\" is not a group name ({problem})";
            return null;
        }
        if (verb == "join")
        {
            return new Join(port, group);
        }
        if (verb == "leave")
        {
            return new Leave(port, group);
        }
        var text = RestAfterWords(line, 3);
        var bytes = System.Text.Encoding.UTF8.GetByteCount(text);
        if (bytes > Security.GroupSeal.MaxTextBytes)
        {
            error = $"{verb}: the text is {bytes} bytes of UTF-8; an encrypted group message holds at most {Security.GroupSeal.MaxTextBytes}";
            return null;
        }
        return new GroupMessage(port, group, text);
    }

    /// <summary>What follows the first <paramref name="count"/> words of <paramref name="line"/>, as typed (trimmed at both ends).</summary>
    private static string RestAfterWords(string line, int count)
    {
        var i = 0;
        for (var word = 0; word < count; word++)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i]))
            {
                i++;
            }
            while (i < line.Length && !char.IsWhiteSpace(line[i]))
            {
                i++;
            }
        }
        return line[i..].Trim();
    }

    /// <summary><c>private &lt;port&gt; &lt;to-port&gt; &lt;text&gt;</c>: the text is the rest of the line as typed (spaces inside kept).</summary>
    private static ConsoleCommand? PrivateMessage(string line, out string? error)
    {
        const string Usage = "private <port> <to-port> <text>, e.g. private 6001 6003 hello there";
        var parts = line.Trim().Split((char[]?)null, 4, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length < 4)
        {
            error = $"private needs the sender's port, the recipient's port and a text: {Usage}";
            return null;
        }
        var ports = new int[2];
        for (var i = 0; i < 2; i++)
        {
            if (!TryParsePort(parts[i + 1], out ports[i]))
            {
                error = $"private needs ports from 1 to 65535 (was \"{parts[i + 1]}\"): {Usage}";
                return null;
            }
        }
        var (from, to) = (ports[0], ports[1]);
        if (from == to)
        {
            error = $"private {from} {to}: a peer does not send private messages to itself";
            return null;
        }
        error = null;
        return new Private(from, to, parts[3]);
    }

    /// <summary>Parses a port as a command takes it: a number from 1 to 65535.</summary>
    public static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;

    private static ConsoleCommand? NoArguments(string verb, string[] args, ConsoleCommand command, out string? error)
    {
        error = args.Length == 0 ? null : $"{verb} takes no arguments (got \"{string.Join(' ', args)}\")";
        return error is null ? command : null;
    }

    private static ConsoleCommand? OnePort(string verb, string[] args, Func<int, ConsoleCommand> create, out string? error)
    {
        error = null;
        if (args.Length != 1)
        {
            error = args.Length == 0 ? $"{verb} needs a node's port: {verb} <port>, e.g. {verb} 6003" : $"{verb} takes one port: {verb} <port> (got \"{string.Join(' ', args)}\")";
            return null;
        }
        if (!TryParsePort(args[0], out var port))
        {
            error = $"{verb} needs a port from 1 to 65535 (was \"{args[0]}\")";
            return null;
        }
        return create(port);
    }
}
