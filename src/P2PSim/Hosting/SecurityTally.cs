using System.Globalization;
using System.Text.Json.Serialization;
using P2PSim.Nodes;

namespace P2PSim.Hosting;

/// <summary>
/// The security counts that the demo summary (<see cref="NetworkStats"/>) and every experiment report (tcp, simulated,
/// a slice's part and the merge of the parts) give, counted from the same node events by this one type so that they
/// agree: dials refused for another id, neighbours replaced by scoring, and what the group keys did (keys made and
/// learned, messages held before their key, then read or unread). Safe to count from many nodes' loops at once.
/// </summary>
public sealed class SecurityTally
{
    private long _dialsRefused;
    private long _neighboursReplaced;
    private long _keysMade;
    private long _keysLearned;
    private long _held;
    private long _read;
    private long _unread;
    private long _unverified;
    private long _unverifiedDropped;
    private long _badAttestations;

    /// <summary>
    /// Counts <paramref name="e"/> when it is one of these counts' events, on the overlay or in a group. Returns true when
    /// there is nothing else in it to count (a message held and then read is also a first receipt: false for it).
    /// </summary>
    public bool Count(NodeEvent e)
    {
        switch (e is GroupEvent g ? g.Event : e)
        {
            case DialMetOtherId:
                Interlocked.Increment(ref _dialsRefused);
                return true;
            case NeighbourReplaced:
                Interlocked.Increment(ref _neighboursReplaced);
                return true;
            case GroupKeyMade:
                Interlocked.Increment(ref _keysMade);
                return true;
            case GroupKeyLearned:
                Interlocked.Increment(ref _keysLearned);
                return true;
            case GroupMessageHeld:
                Interlocked.Increment(ref _held);
                return true;
            case GroupMessageUnread:
                Interlocked.Increment(ref _unread);
                return true;
            case OriginUnverified u:
                Interlocked.Increment(ref _unverified);
                if (u.Dropped)
                {
                    Interlocked.Increment(ref _unverifiedDropped);
                }
                if (u.BadAttestation)
                {
                    Interlocked.Increment(ref _badAttestations);
                }
                return true;
            case GossipReceived { AfterKey: true }:
                Interlocked.Increment(ref _read);
                return false;
            default:
                return false;
        }
    }

    /// <summary>The counts so far.</summary>
    public SecurityCounts Read() => new(
        Interlocked.Read(ref _dialsRefused), Interlocked.Read(ref _neighboursReplaced), Interlocked.Read(ref _keysMade),
        Interlocked.Read(ref _keysLearned), Interlocked.Read(ref _held), Interlocked.Read(ref _read), Interlocked.Read(ref _unread),
        Interlocked.Read(ref _unverified), Interlocked.Read(ref _unverifiedDropped), Interlocked.Read(ref _badAttestations));
}

/// <summary>
/// Security counts of a run (<see cref="SecurityTally"/>), in the summary and in every report with the same words
/// (<see cref="DialsRefusedLine"/>, <see cref="NeighboursReplacedLine"/>, <see cref="GroupKeysLine"/>).
/// </summary>
/// <param name="DialsRefusedForAnotherId">Dials refused because the node at the dialled endpoint proved another id than the one a neighbour link or a seed's list gave for it (seeds and peers).</param>
/// <param name="NeighboursReplaced">Dialled neighbours a peer replaced as poor: each delivered nothing over a <c>Peer:ScoreWindow</c> while the others delivered (tcp only: the simulator does not score).</param>
/// <param name="GroupKeysMade">Group keys made: a member published in its group holding no key for it.</param>
/// <param name="GroupKeysLearned">GroupKey frames that gave a member a key new to it (sealed to its id by a neighbour in the group).</param>
/// <param name="GroupMessagesHeld">Group messages a member received before it held their key, and held.</param>
/// <param name="GroupMessagesRead">Of those, read when the key came (each then counts as a first receipt).</param>
/// <param name="GroupMessagesUnread">Of those, dropped unread: the key did not come in time, too many waited, or it did not open with its key.</param>
/// <param name="OriginsUnverified">
/// Messages new to a peer whose origin endpoint nobody vouched for (protocol version 8: not a known id's endpoint, and no
/// attestation from a seed the peer knows covers it), counted at each peer: delivered marked <c>(unverified)</c>, or dropped.
/// </param>
/// <param name="UnverifiedDropped">Of those, dropped (<c>Security:UnverifiedOrigins=drop</c>).</param>
/// <param name="BadAttestations">Of those, messages with an attestation from a seed the peer knows that did not verify (a restarted seed's new key, or a forgery).</param>
public sealed record SecurityCounts(
    long DialsRefusedForAnotherId,
    long NeighboursReplaced,
    long GroupKeysMade,
    long GroupKeysLearned,
    long GroupMessagesHeld,
    long GroupMessagesRead,
    long GroupMessagesUnread,
    long OriginsUnverified = 0,
    long UnverifiedDropped = 0,
    long BadAttestations = 0)
{
    /// <summary>Nothing counted.</summary>
    public static SecurityCounts None { get; } = new(0, 0, 0, 0, 0, 0, 0);

    /// <summary>The words of <see cref="OriginsUnverified"/> and <see cref="UnverifiedDropped"/>.</summary>
    public const string OriginsUnverifiedWords = "Origins unverified / dropped";

    /// <summary>The summary's line on unverified origins.</summary>
    [JsonIgnore]
    public string OriginsUnverifiedLine => string.Create(CultureInfo.InvariantCulture,
        $"{OriginsUnverifiedWords}: {OriginsUnverified} / {UnverifiedDropped} (receipts whose origin endpoint no known id or seed attestation vouched for; {BadAttestations} with an attestation that did not verify; see the peers' logs)");

    /// <summary>Counts of two parts of a run (slices) added up.</summary>
    public static SecurityCounts operator +(SecurityCounts a, SecurityCounts b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(a.DialsRefusedForAnotherId + b.DialsRefusedForAnotherId, a.NeighboursReplaced + b.NeighboursReplaced,
            a.GroupKeysMade + b.GroupKeysMade, a.GroupKeysLearned + b.GroupKeysLearned, a.GroupMessagesHeld + b.GroupMessagesHeld,
            a.GroupMessagesRead + b.GroupMessagesRead, a.GroupMessagesUnread + b.GroupMessagesUnread,
            a.OriginsUnverified + b.OriginsUnverified, a.UnverifiedDropped + b.UnverifiedDropped, a.BadAttestations + b.BadAttestations);
    }

    /// <summary>Whether any group key was made or learned or any message waited for one.</summary>
    [JsonIgnore]
    public bool AnyGroupKeys => GroupKeysMade + GroupKeysLearned + GroupMessagesHeld > 0;

    /// <summary>The words of <see cref="DialsRefusedForAnotherId"/>, in the summary and the reports.</summary>
    public const string DialsRefusedWords = "Dials refused for another id";

    /// <summary>The words of <see cref="NeighboursReplaced"/>.</summary>
    public const string NeighboursReplacedWords = "Neighbours replaced";

    /// <summary>The words of the group key counts.</summary>
    public const string GroupKeysWords = "Group keys made / learned (GroupKey frames)";

    /// <summary>The words of the messages held for their key.</summary>
    public const string GroupMessagesHeldWords = "group messages held for their key / read / unread";

    /// <summary>The summary's line on <see cref="DialsRefusedForAnotherId"/>.</summary>
    [JsonIgnore]
    public string DialsRefusedLine => string.Create(CultureInfo.InvariantCulture,
        $"{DialsRefusedWords}: {DialsRefusedForAnotherId} (the node at a dialled endpoint proved another id than the one a neighbour link or a seed's list gave for it)");

    /// <summary>The summary's line on <see cref="NeighboursReplaced"/>.</summary>
    [JsonIgnore]
    public string NeighboursReplacedLine => string.Create(CultureInfo.InvariantCulture,
        $"{NeighboursReplacedWords}: {NeighboursReplaced} (each delivered nothing over a Peer:ScoreWindow while the others delivered; see the peers' logs)");

    /// <summary>The summary's line on the group keys: keys made and learned, messages held for their key and what became of them.</summary>
    [JsonIgnore]
    public string GroupKeysLine => string.Create(CultureInfo.InvariantCulture,
        $"{GroupKeysWords}: {GroupKeysMade} / {GroupKeysLearned}; {GroupMessagesHeldWords}: {GroupMessagesHeld} / {GroupMessagesRead} / {GroupMessagesUnread} (unread: the key did not come in time, or too many waited; see the peers' logs)");
}
