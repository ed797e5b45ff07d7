using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Overlay;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Groups;

/// <summary>
/// The keys of one group this peer is a member of (PROTOCOL.md, <i>Encrypted group messages</i>; the sealing itself is
/// <see cref="GroupSeal"/>), one part of the group's <see cref="Topic"/> beside its dissemination:
/// <list type="bullet">
/// <item><b>Making a key.</b> A member that publishes holding no key of the group makes one and gives it to its members
/// first. Two members that do so at once make two keys; both spread, every member keeps both, and each publishes under the
/// smallest id it holds, so the group settles on one.</item>
/// <item><b>Giving keys.</b> Over every group link that comes up, each end gives the other every key it holds, before
/// anything else of the group (before its digest), each sealed to the id the other proved on the link; a key new to a
/// member goes on to its other neighbours at once. A key is given on a link once. So a key travels the group's links
/// ahead of every message sealed under it: a member reads what it is given as it comes.</item>
/// <item><b>A message before its key</b> (a key made while links were down, or one a member was not given): the message is
/// recorded and forwarded as any other, and held, unread, until its key comes (then reported received); at most
/// <see cref="MaxHeld"/> for at most <see cref="KeyWait"/>, then reported unread. Nothing is read twice or lost silently.</item>
/// <item><b>Leaving</b> drops the group's topic and its keys with it. There is no new key when a member leaves (groups are
/// open: a leaver could join again and be given the key): what a member was given, it could still read.</item>
/// </list>
/// Pure: frames and events go to the group's outbox. A run that skips the cryptography (<c>Security:Signatures=skip</c>)
/// keeps every rule with key ids only: the capsules are zero bytes and the texts unencrypted, in the same sizes.
/// </summary>
internal sealed class GroupKeyring
{
    /// <summary>Most keys of one group a member keeps; keys beyond it are neither kept nor passed on.</summary>
    public const int MaxKeys = 16;

    /// <summary>Most messages of one group held for a key at once; a message beyond it is reported unread (the oldest first).</summary>
    public const int MaxHeld = 1024;

    /// <summary>How long a message waits for its key before it is reported unread.</summary>
    public static readonly TimeSpan KeyWait = TimeSpan.FromMinutes(1);

    private static readonly byte[] ZeroCapsule = new byte[PrivateSeal.CapsuleSize];

    private readonly NodeEndpoint _self;
    private readonly string _group;
    private readonly MessageSigning _signing;
    private readonly Outbox _out;
    private readonly NeighbourTable _table;
    private readonly Dictionary<GroupKeyId, byte[]?> _keys = new();
    private readonly Dictionary<NodeEndpoint, (ConnectionId Link, HashSet<GroupKeyId> Given)> _given = new();
    private readonly LinkedList<Held> _held = new();
    private GroupKeyId? _current;

    public GroupKeyring(NodeEndpoint self, string group, MessageSigning signing, Outbox outbox, NeighbourTable table)
    {
        _self = self;
        _group = group;
        _signing = signing;
        _out = outbox;
        _table = table;
    }

    /// <summary>The key this member publishes under: the smallest id it holds; null: none yet.</summary>
    public GroupKeyId? Current => _current;

    /// <summary>The ids of the keys this member holds.</summary>
    public IReadOnlyCollection<GroupKeyId> Keys => _keys.Keys;

    /// <summary>Messages waiting for their key now.</summary>
    public int HeldCount => _held.Count;

    /// <summary>Messages reported unread (their key never came in time, or too many waited).</summary>
    public long Unread { get; private set; }

    /// <summary>Messages refused because they did not open with the key they name (counted among the forged too).</summary>
    public long Unopened { get; private set; }

    /// <summary>When the oldest held message runs out of time.</summary>
    public DateTimeOffset? NextDeadline => _held.First?.Value.Until;

    /// <summary>The key itself (a test reads it to show what a member that left could still open); null: not held, or no cryptography.</summary>
    internal byte[]? KeyOf(GroupKeyId id) => _keys.GetValueOrDefault(id);

    /// <summary>
    /// The payload of a new message this member publishes: <paramref name="text"/> sealed under the current key (made now
    /// if it holds none, and given to its neighbours before the message goes).
    /// </summary>
    /// <exception cref="ArgumentException">The text is longer than <see cref="GroupSeal.MaxTextBytes"/>.</exception>
    public string Seal(ulong sequence, long timestampUnixMs, string text, DateTimeOffset now)
    {
        var keyId = _current ?? MakeKey(now);
        if (_keys[keyId] is not { } key)
        {
            return GroupSeal.Unsealed(keyId, text);
        }
        return GroupSeal.Seal(key, keyId, GroupSeal.Header(_self, _signing.Id, _group, sequence, timestampUnixMs), text);
    }

    /// <summary>What became of reading a message new here.</summary>
    public enum Reading
    {
        /// <summary>Opened: its text is known.</summary>
        Opened,

        /// <summary>Sealed under a key this member does not hold yet: held until it comes.</summary>
        NoKey,

        /// <summary>It names a key this member holds and does not open with it, or is no sealed text at all: its origin sealed it wrong.</summary>
        Bad,
    }

    /// <summary>Reads the group message <paramref name="gossip"/> (new here, its signature verified): its text when it opens.</summary>
    public Reading Read(GossipMessage gossip, out string? text, out GroupKeyId keyId)
    {
        text = null;
        keyId = default;
        if (GroupSeal.KeyIdOf(gossip.Text) is not { } named)
        {
            Unopened++;
            return Reading.Bad;
        }
        keyId = named;
        if (!_keys.TryGetValue(named, out var key))
        {
            return Reading.NoKey;
        }
        text = key is null ? GroupSeal.ReadUnsealed(gossip.Text) : GroupSeal.Open(key, gossip);
        if (text is null)
        {
            Unopened++;
            return Reading.Bad;
        }
        return Reading.Opened;
    }

    /// <summary>A first receipt that waits for key <paramref name="keyId"/>: reported (with its text) when the key comes.</summary>
    public void Hold(GossipMessage gossip, GroupKeyId keyId, GossipReceived received, DateTimeOffset now)
    {
        if (_held.Count >= MaxHeld)
        {
            var oldest = _held.First!.Value;
            _held.RemoveFirst();
            GiveUp(oldest, $"more than {MaxHeld} messages of the group waited for keys at once", now);
        }
        _held.AddLast(new Held(gossip, keyId, received, now + KeyWait));
        _out.Report(new GroupMessageHeld(now, received.Id, gossip.Origin, keyId));
    }

    /// <summary>On the node's timer: held messages whose key did not come in time are reported unread.</summary>
    public void Expire(DateTimeOffset now)
    {
        while (_held.First is { } first && first.Value.Until <= now)
        {
            _held.RemoveFirst();
            GiveUp(first.Value, $"its key [{first.Value.KeyId.Short}] did not come within {KeyWait.TotalSeconds:0} s", now);
        }
    }

    /// <summary>A link of the group came up: give the member at its other end every key held, before anything else of the group.</summary>
    public void OnNeighbourUp(NodeEndpoint neighbour, ConnectionId connection)
    {
        _given[neighbour] = (connection, new HashSet<GroupKeyId>());
        if (!_table.Entries.TryGetValue(neighbour, out var entry))
        {
            return;
        }
        foreach (var keyId in _keys.Keys)
        {
            Give(neighbour, connection, entry.Id, keyId);
        }
    }

    public void OnNeighbourRemoved(NodeEndpoint neighbour) => _given.Remove(neighbour);

    /// <summary>
    /// A <see cref="GroupKey"/> from neighbour <paramref name="from"/>: a key new here is kept, passed on to the other
    /// neighbours, and opens the messages that waited for it. Returns why the link must close (a capsule that does not
    /// open with this member's key), or null.
    /// </summary>
    public string? OnGroupKey(NodeEndpoint from, GroupKey frame, DateTimeOffset now)
    {
        if (_given.TryGetValue(from, out var given))
        {
            given.Given.Add(frame.KeyId); // it holds the key: never give it back on this link
        }
        if (_keys.ContainsKey(frame.KeyId))
        {
            return null;
        }
        if (!_table.Entries.TryGetValue(from, out var sender))
        {
            return null;
        }
        byte[]? key = null;
        if (_signing.Sealing is { } own)
        {
            key = GroupSeal.OpenCapsule(own, frame.Capsule, _group, frame.KeyId, sender.Id);
            if (key is null)
            {
                return $"a GroupKey [{frame.KeyId.Short}] that does not open with this peer's key (sealed to another id, for another group or key, or altered)";
            }
        }
        if (_keys.Count >= MaxKeys)
        {
            return null; // kept no more: its messages wait, then are reported unread
        }
        Add(frame.KeyId, key);
        _out.Report(new GroupKeyLearned(now, frame.KeyId, from, _keys.Count));
        GiveToAll(frame.KeyId);
        ReadHeld(frame.KeyId, now);
        return null;
    }

    private GroupKeyId MakeKey(DateTimeOffset now)
    {
        var timestamp = now.ToUnixTimeMilliseconds();
        GroupKeyId keyId;
        byte[]? key = null;
        if (_signing.Sealing is { } sealing)
        {
            key = GroupSeal.NewKey(sealing.Secret, _group, timestamp);
            keyId = GroupSeal.IdOf(_group, key);
        }
        else
        {
            keyId = GroupSeal.UnkeyedId(_signing.Id, _group, timestamp);
        }
        Add(keyId, key);
        _out.Report(new GroupKeyMade(now, keyId));
        GiveToAll(keyId);
        return keyId;
    }

    private void Add(GroupKeyId keyId, byte[]? key)
    {
        _keys[keyId] = key;
        if (_current is not { } current || keyId.Precedes(current))
        {
            _current = keyId;
        }
    }

    private void GiveToAll(GroupKeyId keyId)
    {
        foreach (var (endpoint, neighbour) in _table.Entries)
        {
            if (neighbour.Connection is { } connection)
            {
                Give(endpoint, connection, neighbour.Id, keyId);
            }
        }
    }

    /// <summary>Gives key <paramref name="keyId"/> to the member at <paramref name="neighbour"/> on its link, sealed to its id, unless given there already.</summary>
    private void Give(NodeEndpoint neighbour, ConnectionId connection, NodeId neighbourId, GroupKeyId keyId)
    {
        if (!_given.TryGetValue(neighbour, out var given) || given.Link != connection)
        {
            given = (connection, new HashSet<GroupKeyId>());
            _given[neighbour] = given;
        }
        if (!given.Given.Add(keyId))
        {
            return;
        }
        byte[] capsule;
        if (_keys[keyId] is { } key && _signing.Sealing is { } sealing)
        {
            if (GroupSeal.CapsuleFor(sealing.Secret, key, _group, _signing.Id, neighbourId) is not { } sealedKey)
            {
                return; // its id is no valid key: nothing can be sealed to it
            }
            capsule = sealedKey;
        }
        else
        {
            capsule = ZeroCapsule;
        }
        _out.Send(connection, new GroupKey(keyId, capsule));
    }

    private void ReadHeld(GroupKeyId keyId, DateTimeOffset now)
    {
        var node = _held.First;
        while (node is not null)
        {
            var next = node.Next;
            var held = node.Value;
            if (held.KeyId == keyId)
            {
                _held.Remove(node);
                switch (Read(held.Gossip, out var text, out _))
                {
                    case Reading.Opened:
                        _out.Report(held.Received with { At = now, Text = text!, AfterKey = true });
                        break;
                    default:
                        GiveUp(held, $"it does not open with its key [{keyId.Short}]", now);
                        break;
                }
            }
            node = next;
        }
    }

    private void GiveUp(Held held, string reason, DateTimeOffset now)
    {
        Unread++;
        _out.Report(new GroupMessageUnread(now, held.Received.Id, held.Gossip.Origin, reason));
    }

    private sealed record Held(GossipMessage Gossip, GroupKeyId KeyId, GossipReceived Received, DateTimeOffset Until);
}
