using P2PSim.Gossip;
using P2PSim.Protocol;

namespace P2PSim.Hosting;

/// <summary>
/// The account of group messages behind the summary's group line: who was a member of which group since when, which
/// messages were published to a group, and who received each how often. Not thread-safe: <see cref="NetworkStats"/>
/// calls it under its lock.
/// </summary>
internal sealed class GroupLedger
{
    private readonly Dictionary<MessageId, (NodeEndpoint Origin, string Group, DateTimeOffset At, string Text)> _messages = new();
    private readonly Dictionary<MessageId, Dictionary<NodeEndpoint, int>> _receipts = new();
    private readonly Dictionary<(NodeEndpoint Node, string Group), DateTimeOffset> _memberSince = new();

    public void Joined(NodeEndpoint node, string group, DateTimeOffset at) => _memberSince[(node, group)] = at;

    public void Left(NodeEndpoint node, string group) => _memberSince.Remove((node, group));

    /// <summary>A restarted node joins its groups again, as a new member.</summary>
    public void Restarted(NodeEndpoint node)
    {
        foreach (var membership in _memberSince.Keys.Where(k => k.Node == node).ToArray())
        {
            _memberSince.Remove(membership);
        }
    }

    public void Published(MessageId id, NodeEndpoint origin, string group, DateTimeOffset at, string text) => _messages[id] = (origin, group, at, text);

    public void Received(MessageId id, NodeEndpoint node)
    {
        if (!_receipts.TryGetValue(id, out var members))
        {
            members = new Dictionary<NodeEndpoint, int>();
            _receipts[id] = members;
        }
        members[node] = members.GetValueOrDefault(node) + 1;
    }

    /// <summary>
    /// The delivery account, in all and per group: a message is expected at every member (but its publisher) that was a
    /// member of its group when it was published and stayed one to the end, and <paramref name="presentToEnd"/> says was
    /// running to the end. A member that joined later and caught up is not counted either way.
    /// </summary>
    public GroupDelivery Compute(Func<NodeEndpoint, bool> presentToEnd)
    {
        var perGroup = new SortedDictionary<string, (int Messages, long Expected, long Delivered, long Repeated)>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var (id, message) in _messages)
        {
            var (messages, expected, delivered, repeated) = perGroup.GetValueOrDefault(message.Group);
            messages++;
            _receipts.TryGetValue(id, out var receivers);
            foreach (var ((member, group), since) in _memberSince)
            {
                if (group != message.Group || member == message.Origin || since > message.At || !presentToEnd(member))
                {
                    continue;
                }
                expected++;
                var count = receivers?.GetValueOrDefault(member) ?? 0;
                if (count > 0)
                {
                    delivered++;
                    repeated += count - 1;
                }
                else if (missing.Count < 20)
                {
                    missing.Add($"{member} never received \"{message.Text}\" of group \"{group}\"");
                }
            }
            perGroup[message.Group] = (messages, expected, delivered, repeated);
        }
        var groups = perGroup.Select(g => new GroupDelivery.OfGroup(g.Key, g.Value.Messages, g.Value.Expected, g.Value.Delivered)).ToArray();
        return new GroupDelivery(_messages.Count, groups.Sum(g => g.Expected), groups.Sum(g => g.Delivered), perGroup.Values.Sum(g => g.Repeated), groups, missing);
    }
}
