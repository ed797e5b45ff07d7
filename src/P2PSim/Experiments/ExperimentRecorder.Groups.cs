using P2PSim.Gossip;
using P2PSim.Nodes;

namespace P2PSim.Experiments;

/// <summary>
/// Group accounting (the groups workload): who was a member of which group when, every group message and its first
/// receipts. A message is expected at every peer that was a member of its group when it was published and is still a
/// member now, never marked to crash or leave, its publisher excluded; a first receipt at a peer that is no member of the
/// group at that moment is leakage, as far as events tell (the simulated network also counts the copies that reached a
/// non-member on the wire: <see cref="GroupReport.LeakedCopies"/>).
/// </summary>
public sealed partial class ExperimentRecorder
{
    private readonly Dictionary<(int Peer, string Group), long> _memberSince = new();
    private readonly Dictionary<MessageId, int> _groupMessageIndex = new();
    private readonly List<GroupMessageTrack> _groupMessages = [];
    private readonly Dictionary<MessageId, List<(int Peer, long At)>> _groupBeforeOrigin = new();
    private long _groupExpected;
    private bool _groupExpectedStale;
    private long _groupDelivered;
    private bool _groupDeliveredStale;
    private readonly HashSet<(int Peer, string Group)> _groupLinked = [];
    private int _unlinkedMemberships; // memberships not in _groupLinked: checked after every simulated event, so counted, not searched

    /// <summary>Group messages published so far.</summary>
    public int GroupMessagesPublished => _groupMessages.Count;

    /// <summary>First receipts of group messages so far, at members and (leakage) elsewhere.</summary>
    public long GroupFirstReceipts { get; private set; }

    /// <summary>Group payloads dropped as duplicates, as the peers reported them.</summary>
    public long GroupDuplicatesDropped { get; private set; }

    /// <summary>First receipts of a group's message at a peer that was not a member of the group then: must stay 0.</summary>
    public long GroupReceiptsByNonMembers { get; private set; }

    /// <summary>Membership changes recorded after the first group message (joins and leaves).</summary>
    public int GroupMembershipChanges { get; private set; }

    /// <summary>Every expected member has every group message published so far.</summary>
    public bool AllGroupMessagesDelivered => _groupMessages.Count == 0 || GroupDeliveries() >= GroupExpected();

    /// <summary>
    /// Every current member has chosen its neighbours in its group's overlay and, unless it found no other member, has a
    /// link there (the groups workload starts publishing once the groups have formed).
    /// </summary>
    public bool AllGroupsLinked => _unlinkedMemberships == 0;

    /// <summary>Whether <paramref name="peer"/> is a member of <paramref name="group"/> now, as its events say.</summary>
    public bool IsGroupMember(int peer, string group) => _memberSince.ContainsKey((peer, group));

    private void RecordGroupEvent(int peer, NodeEvent nodeEvent)
    {
        switch (nodeEvent)
        {
            case GroupJoined joined:
                if (_memberSince.TryAdd((peer, joined.Group), joined.At.UtcTicks) && !_groupLinked.Contains((peer, joined.Group)))
                {
                    _unlinkedMemberships++;
                }
                GroupMembershipChanges += _groupMessages.Count > 0 ? 1 : 0;
                _groupExpectedStale = _groupDeliveredStale = true;
                break;
            case GroupLeft left:
                if (_memberSince.Remove((peer, left.Group)) && !_groupLinked.Remove((peer, left.Group)))
                {
                    _unlinkedMemberships--;
                }
                GroupMembershipChanges += _groupMessages.Count > 0 ? 1 : 0;
                _groupExpectedStale = _groupDeliveredStale = true;
                break;
            case GroupEvent { Event: GossipOriginated originated } group:
                if (_groupMessageIndex.TryAdd(originated.Id, _groupMessages.Count))
                {
                    _groupMessages.Add(new GroupMessageTrack(peer, group.Group, originated.At.UtcTicks));
                    _groupExpectedStale = true;
                    if (_groupBeforeOrigin.Remove(originated.Id, out var early))
                    {
                        foreach (var (receiver, at) in early)
                        {
                            AttributeGroupReceipt(receiver, _groupMessageIndex[originated.Id], at);
                        }
                    }
                }
                break;
            case GroupEvent { Event: GossipReceived received } group:
                GroupFirstReceipts++;
                if (!IsGroupMember(peer, group.Group))
                {
                    GroupReceiptsByNonMembers++;
                }
                if (_groupMessageIndex.TryGetValue(received.Id, out var index))
                {
                    AttributeGroupReceipt(peer, index, received.At.UtcTicks);
                }
                else
                {
                    if (!_groupBeforeOrigin.TryGetValue(received.Id, out var early))
                    {
                        _groupBeforeOrigin[received.Id] = early = [];
                    }
                    early.Add((peer, received.At.UtcTicks)); // on tcp a fast member may be heard before its publisher
                }
                break;
            case GroupEvent { Event: DuplicateDropped }:
                GroupDuplicatesDropped++;
                break;
            case GroupEvent { Event: NeighboursChosen { Chosen.Count: 0 } } group:
                Linked(peer, group.Group); // the first member: the next ones link to it
                break;
            case GroupEvent { Event: NeighbourConnected } group:
                Linked(peer, group.Group);
                break;
        }
    }

    private void Linked(int peer, string group)
    {
        if (_groupLinked.Add((peer, group)) && _memberSince.ContainsKey((peer, group)))
        {
            _unlinkedMemberships--;
        }
    }

    private void AttributeGroupReceipt(int peer, int index, long at)
    {
        _groupMessages[index].Receipts.Add((peer, at));
        _groupDeliveredStale = true;
    }

    /// <summary>The expected receivers of group message <paramref name="m"/> (see the class).</summary>
    private IEnumerable<int> ExpectedMembers(GroupMessageTrack m)
    {
        foreach (var ((peer, group), since) in _memberSince)
        {
            if (group == m.Group && peer != m.Origin && since <= m.At && !Departs(peer))
            {
                yield return peer;
            }
        }
    }

    private long GroupExpected()
    {
        if (_groupExpectedStale)
        {
            _groupExpected = _groupMessages.Sum(m => (long)ExpectedMembers(m).Count());
            _groupExpectedStale = false;
        }
        return _groupExpected;
    }

    /// <summary>First receipts at expected members (each member counted once per message); recounted only after a change (a tcp run asks every 50 ms).</summary>
    private long GroupDeliveries()
    {
        if (_groupDeliveredStale)
        {
            _groupDelivered = _groupMessages.Sum(m => (long)DeliveredTo(m).Count);
            _groupDeliveredStale = false;
        }
        return _groupDelivered;
    }

    /// <summary>The expected members of <paramref name="m"/> that received it, with their latency (first receipt only).</summary>
    private Dictionary<int, long> DeliveredTo(GroupMessageTrack m)
    {
        var expected = ExpectedMembers(m).ToHashSet();
        var delivered = new Dictionary<int, long>();
        foreach (var (peer, at) in m.Receipts)
        {
            if (expected.Contains(peer))
            {
                delivered.TryAdd(peer, at - m.At);
            }
        }
        return delivered;
    }

    /// <summary>
    /// The group report: delivery to the expected members, receipt latency, what it cost (every payload transmission of
    /// the run, which carries group messages only), and leakage.
    /// </summary>
    /// <param name="groups">Groups of the run.</param>
    /// <param name="initialMembers">Members each group started with.</param>
    /// <param name="payloadTransmissions">Payload copies sent in all (the network's count).</param>
    /// <param name="leakedCopies">Payload copies that reached a non-member on the wire (simulated); null where the network cannot see them.</param>
    public GroupReport BuildGroups(int groups, IReadOnlyList<int> initialMembers, long payloadTransmissions, long? leakedCopies)
    {
        ArgumentNullException.ThrowIfNull(initialMembers);
        var latencies = new List<long>();
        long expected = 0, delivered = 0, repeated = 0;
        foreach (var m in _groupMessages)
        {
            expected += ExpectedMembers(m).Count();
            var to = DeliveredTo(m);
            delivered += to.Count;
            latencies.AddRange(to.Values);
            repeated += m.Receipts.Count - m.Receipts.Select(r => r.Peer).Distinct().Count();
        }
        var (p50, p99, max) = Statistics.Summarise(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(latencies));
        return new GroupReport(
            Groups: groups,
            MembersAtStartMean: initialMembers.Count == 0 ? 0 : initialMembers.Average(),
            MembershipChanges: GroupMembershipChanges,
            MessagesPublished: _groupMessages.Count,
            ExpectedDeliveries: expected,
            Deliveries: delivered,
            Reliability: Statistics.Reliability(delivered, expected),
            ReceiptLatencyP50Ms: Statistics.Milliseconds(p50),
            ReceiptLatencyP99Ms: Statistics.Milliseconds(p99),
            ReceiptLatencyMaxMs: Statistics.Milliseconds(max),
            PayloadTransmissions: payloadTransmissions,
            FirstReceipts: GroupFirstReceipts,
            TransmissionsPerDelivery: Statistics.TransmissionsPerDelivery(payloadTransmissions, GroupFirstReceipts),
            DuplicatesDropped: GroupDuplicatesDropped,
            RepeatedReceipts: repeated,
            ReceiptsByNonMembers: GroupReceiptsByNonMembers,
            LeakedCopies: leakedCopies);
    }

    private sealed class GroupMessageTrack(int origin, string group, long at)
    {
        public int Origin { get; } = origin;

        public string Group { get; } = group;

        public long At { get; } = at;

        /// <summary>Every first receipt of the message: who and when (a peer twice only if it reported it twice: a fault).</summary>
        public List<(int Peer, long At)> Receipts { get; } = [];
    }
}
