using Microsoft.Extensions.Logging;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Logging;

/// <summary>
/// The lines of encrypted groups' keys (<c>Groups/GroupKeyring.cs</c>). They come inside a group's event, so each line
/// starts with the group: <c>Group "blue": got the group key [3fa2c0d1] from 127.0.0.1:6002 (1 held)</c>. No line ever
/// shows a key, only its id.
/// </summary>
public static partial class NodeEventLog
{
    /// <summary>Writes the line of a group-key event; false when <paramref name="e"/> is none.</summary>
    private static bool WriteGroupKeys(ILogger logger, NodeEvent e)
    {
        switch (e)
        {
            case GroupKeyMade m:
                LogInformationGroupKeyMade(logger, m.KeyId.Short);
                return true;
            case GroupKeyLearned l:
                LogInformationGroupKeyLearned(logger, l.KeyId.Short, l.From, l.Held);
                return true;
            case GroupMessageHeld h:
                LogInformationGroupMessageHeld(logger, h.Origin, h.KeyId.Short, new ShortId(h.Id));
                return true;
            case GroupMessageUnread u:
                LogWarningGroupMessageUnread(logger, u.Origin, u.Reason, new ShortId(u.Id));
                return true;
            default:
                return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "made the group key [{KeyId}] (no member had given this peer one): its members get it before its messages")]
    private static partial void LogInformationGroupKeyMade(ILogger logger, string keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "got the group key [{KeyId}] from {From} ({Held} held)")]
    private static partial void LogInformationGroupKeyLearned(ILogger logger, string keyId, NodeEndpoint from, int held);

    [LoggerMessage(Level = LogLevel.Information, Message = "a message from {Origin} is sealed under the key [{KeyId}], not given to this peer yet: it is read when the key comes [{Id}]")]
    private static partial void LogInformationGroupMessageHeld(ILogger logger, NodeEndpoint origin, string keyId, ShortId id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "a message from {Origin} could not be read: {Reason} [{Id}]")]
    private static partial void LogWarningGroupMessageUnread(ILogger logger, NodeEndpoint origin, string reason, ShortId id);
}
