using P2PSim.Configuration;
using P2PSim.Nodes;
using P2PSim.Overlay;
using P2PSim.Protocol;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Gossip;

/// <summary>
/// How messages spread, one part of <see cref="PeerMachine"/> (the broadcast half of iroh-gossip's <c>plumtree.rs</c>;
/// here flooding): a new message goes to every neighbour; a first receipt is recorded in the Message List, logged and
/// forwarded to every neighbour but the sender; a duplicate is dropped and counted. Catch-up over every new link
/// (<c>Dissemination.CatchUp.cs</c>) closes gaps after a partition or a late join. It follows the
/// <see cref="NeighbourTable"/>'s links through <see cref="OnNeighbourUp"/> and <see cref="OnNeighbourRemoved"/> and never
/// changes them. Pure: actions go to the node's <see cref="Outbox"/>.
/// </summary>
internal sealed partial class Dissemination
{
    private readonly NodeEndpoint _self;
    private readonly PeerOptions _options;
    private readonly Outbox _out;
    private readonly NeighbourTable _table;
    private readonly bool _reportDuplicates;
    private readonly MessageList _messages;
    private readonly MessageHistory _history;
    private ConnectionId[] _targetConnections = [];
    private Offer?[] _targetOffers = [];
    private bool _targetsStale = true;
    private readonly long _ttlMs;
    private static readonly long MaxSkewMs = (long)ProtocolLimits.MaxClockSkew.TotalMilliseconds;

    /// <param name="reportDuplicates">
    /// False: a dropped duplicate is only counted (<see cref="Duplicates"/>), not reported as a <see cref="DuplicateDropped"/>
    /// event. Duplicates are most of all traffic in a flood; a simulation of 100,000 peers that reads the count from the
    /// machines saves an event per copy. The TCP shell logs them (at Debug) and keeps the default.
    /// </param>
    public Dissemination(NodeEndpoint self, PeerOptions options, Outbox outbox, NeighbourTable table, bool reportDuplicates)
    {
        _self = self;
        _options = options;
        _out = outbox;
        _table = table;
        _reportDuplicates = reportDuplicates;
        _messages = new MessageList(options.MessageListCapacity, options.MessageListTtl);
        _ttlMs = (long)options.MessageListTtl.TotalMilliseconds;
        // Never offer or keep a message longer than the Message List remembers having seen it.
        _history = new MessageHistory(ProtocolLimits.MaxDigestIds, options.HistoryWindow < options.MessageListTtl ? options.HistoryWindow : options.MessageListTtl);
    }

    public int Originated { get; private set; }

    public long Received { get; private set; }

    public long Duplicates { get; private set; }

    /// <summary>Messages dropped unseen: too old to tell from a replay, or from the future.</summary>
    public long Refused { get; private set; }

    public MessageList Messages => _messages;

    /// <summary>The recent messages with their texts, kept for neighbours that missed them.</summary>
    public MessageHistory History => _history;

    /// <summary>Housekeeping on the node's timer: forget ids older than the Message List's time to live.</summary>
    public void Expire(DateTimeOffset now) => _messages.Expire(now);

    /// <summary>A link came up: what the neighbour offered on an earlier link no longer counts; offer it the recent messages.</summary>
    public void OnNeighbourUp(NodeEndpoint neighbour, ConnectionId connection, DateTimeOffset now)
    {
        if (_offers.TryGetValue(neighbour, out var offer))
        {
            offer.Forget(); // the object stays: the broadcast targets may hold it
        }
        else
        {
            _offers[neighbour] = new Offer();
        }
        ForgetRequestsTo(neighbour);
        SendDigest(connection, now);
    }

    public void OnNeighbourRemoved(NodeEndpoint neighbour) => _offers.Remove(neighbour);

    /// <summary>The table's links changed: the broadcast targets are rebuilt before the next broadcast.</summary>
    public void OnLinksChanged() => _targetsStale = true;

    /// <summary>Originates one gossip message now and sends it to every neighbour.</summary>
    public MessageId Originate(DateTimeOffset now)
    {
        Originated++;
        var text = GossipText.Create(now, _self, Originated);
        var gossip = new GossipMessage(GossipKind.Gossip, _self, (ulong)Originated, now.ToUnixTimeMilliseconds(), Hops: 1, text);
        var id = gossip.Id; // hashed once here; every copy made from this object carries it
        _messages.TryAdd(id, now, null);
        _history.Add(gossip, now);
        // Reported before the copies go out: a driver that carries out actions in order (the TCP shell) then never lets a
        // neighbour's receipt of the message be observed before its origination.
        _out.Report(new GossipOriginated(now, text, id, Targets().Length));
        Broadcast(gossip, except: null);
        return id;
    }

    /// <summary>
    /// Why a message from neighbour <paramref name="from"/> breaks the protocol (its link is then dropped), or null: a
    /// copy with hops 1 comes straight from its origin, so its origin must be the sender.
    /// </summary>
    public static string? Violation(NodeEndpoint from, GossipMessage gossip) =>
        gossip.Hops == 1 && gossip.Origin != from
            ? $"a Gossip with hops 1 names {gossip.Origin} as its origin but comes from {from}"
            : null;

    /// <summary>
    /// Why a message is dropped unseen, or null. Older than <c>Peer:MessageListTtl</c>: this peer may have seen it and
    /// forgotten it, so it cannot tell a replay from a first receipt (a message this young that it saw is still in the
    /// Message List: it was received after it was created). Further ahead than <see cref="ProtocolLimits.MaxClockSkew"/>:
    /// a wrong clock or a forgery, which would otherwise stay in the Message List past its time.
    /// </summary>
    private string? Refusal(GossipMessage gossip, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        if (gossip.TimestampUnixMs <= nowMs - _ttlMs)
        {
            return $"created {(nowMs - gossip.TimestampUnixMs) / 1000.0:0.###} s ago, longer than Peer:MessageListTtl ({_options.MessageListTtl}) remembers: it may be a replay";
        }
        if (gossip.TimestampUnixMs > nowMs + MaxSkewMs)
        {
            return $"created {(gossip.TimestampUnixMs - nowMs) / 1000.0:0.###} s in the future (more than {ProtocolLimits.MaxClockSkew.TotalSeconds:0} s ahead of this peer's clock)";
        }
        return null;
    }

    public void OnGossip(ConnectionId arrivedOn, NodeEndpoint from, GossipMessage gossip, DateTimeOffset now)
    {
        var id = gossip.Id;
        if (Refusal(gossip, now) is { } reason)
        {
            Refused++;
            _out.Report(new GossipRefused(now, id, gossip.Origin, from, reason));
            return;
        }
        if (!_messages.TryAdd(id, now, from, DateTimeOffset.FromUnixTimeMilliseconds(gossip.TimestampUnixMs)))
        {
            Duplicates++;
            if (_reportDuplicates)
            {
                _out.Report(new DuplicateDropped(now, id, from));
            }
            return;
        }
        Received++;
        var hops = gossip.Hops;
        var catchUp = _requested.Remove(id, out var request) && request.From == from;
        _history.Add(gossip, now);
        var forwarded = Broadcast(gossip with { Hops = NextHop(hops) }, except: arrivedOn, id, now);
        _out.Report(new GossipReceived(now, gossip.Text, id, gossip.Origin, from, hops, forwarded, catchUp));
    }

    private static ushort NextHop(ushort hops) => hops == ushort.MaxValue ? hops : (ushort)(hops + 1);

    /// <summary>
    /// Sends to every connected neighbour but <paramref name="except"/>, and (for a received message) but the
    /// neighbours whose fresh digest says they already hold it.
    /// </summary>
    /// <remarks>
    /// The neighbour a message came from is skipped by its connection: a frame's connection maps to exactly one neighbour,
    /// whose current connection it is (the table keeps both in step), and comparing ids touches no address. The connected
    /// neighbours' links are kept in two arrays, rebuilt (in the table's order) only after the table changed: a broadcast
    /// reads no neighbour object unless some neighbour's digest may still say it holds the message.
    /// </remarks>
    private int Broadcast(Message message, ConnectionId? except, MessageId? id = null, DateTimeOffset now = default)
    {
        var targets = Targets();
        var checkOffers = id is not null && now < _offersUntil;
        var count = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            var connection = targets[i];
            if (connection == except || (checkOffers && _targetOffers[i] is { } offer && offer.Holds(id!.Value, now)))
            {
                continue;
            }
            _out.Send(connection, message);
            count++;
        }
        return count;
    }

    /// <summary>The links of the connected neighbours, in the table's order (see <see cref="Broadcast"/>).</summary>
    private ConnectionId[] Targets()
    {
        if (_targetsStale)
        {
            var connections = new List<ConnectionId>(_table.Entries.Count);
            var offers = new List<Offer?>(_table.Entries.Count);
            foreach (var (endpoint, neighbour) in _table.Entries)
            {
                if (neighbour.Connection is { } connection)
                {
                    connections.Add(connection);
                    offers.Add(_offers.GetValueOrDefault(endpoint));
                }
            }
            _targetConnections = [.. connections];
            _targetOffers = [.. offers];
            _targetsStale = false;
        }
        return _targetConnections;
    }
}
