namespace P2PSim.Protocol;

/// <summary>What a connection between two nodes carries, as both ends' <see cref="Hello"/> say (PROTOCOL.md, "Links").</summary>
public enum LinkKind : byte
{
    /// <summary>The whole network's overlay, or a peer's conversation with a seed: what every connection was before version 3.</summary>
    Overlay = 0,

    /// <summary>One group's overlay: only that group's frames travel on it, between two of its members.</summary>
    Group = 1,

    /// <summary>A private message's direct link: dialled on demand, closed when idle, never an overlay neighbour.</summary>
    Direct = 2,
}

/// <summary>
/// What a connection is for: a <see cref="LinkKind"/> and, for <see cref="LinkKind.Group"/>, the group's name. The
/// default value is <see cref="Overlay"/>. A node asks for a purpose when it dials; the acceptor learns it from the
/// dialer's <see cref="Hello"/> and answers with the same one.
/// </summary>
public readonly record struct LinkPurpose
{
    private LinkPurpose(LinkKind kind, string? group)
    {
        Kind = kind;
        Group = group;
    }

    public LinkKind Kind { get; }

    /// <summary>The group's name for <see cref="LinkKind.Group"/>; null for every other kind.</summary>
    public string? Group { get; }

    /// <summary>The whole network's overlay (and seed conversations): the default.</summary>
    public static LinkPurpose Overlay => default;

    /// <summary>A private message's link.</summary>
    public static LinkPurpose Direct { get; } = new(LinkKind.Direct, null);

    /// <summary>The overlay of group <paramref name="group"/> (a valid name: <see cref="GroupName.Problem"/> is null).</summary>
    public static LinkPurpose ForGroup(string group) => GroupName.Problem(group) is { } problem
        ? throw new ArgumentException($"Not a group name: {problem}.", nameof(group))
        : new(LinkKind.Group, group);

    public bool IsOverlay => Kind == LinkKind.Overlay;

    public override string ToString() => Kind switch
    {
        LinkKind.Group => $"group \"{Group}\"",
        LinkKind.Direct => "direct",
        _ => "overlay",
    };
}

/// <summary>The rule for a group's name, the same in settings, commands and frames.</summary>
public static class GroupName
{
    /// <summary>Most UTF-8 bytes in a group's name.</summary>
    public const int MaxBytes = 64;

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Why <paramref name="name"/> is not a group name, in words for a log or an error; null when it is one.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "a group name is empty";
        }
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(name);
        }
        catch (ArgumentException)
        {
            return "a group name is not valid Unicode";
        }
        if (bytes > MaxBytes)
        {
            return $"group name of {bytes} bytes exceeds the limit of {MaxBytes}";
        }
        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                return "a group name holds a control character";
            }
        }
        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
        {
            return "a group name starts or ends with white space";
        }
        return null;
    }
}
