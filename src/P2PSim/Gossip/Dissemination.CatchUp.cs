using P2PSim.Nodes;
using P2PSim.Protocol;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Gossip;

/// <summary>
/// Catch-up (anti-entropy): whenever a link comes up each end offers the ids of its recent messages (Digest); the other
/// asks for those it has not seen (Want) and gets them as ordinary gossip. A neighbour's fresh digest also says what
/// need not be forwarded to it.
/// </summary>
internal sealed partial class Dissemination
{
    private readonly Dictionary<MessageId, (NodeEndpoint From, DateTimeOffset Until)> _requested = new();
    private DateTimeOffset _offersUntil; // no neighbour's digest says anything about a message after this

    /// <summary>On every liveness round: digests older than one interval no longer say what a neighbour holds.</summary>
    public void ForgetStaleOffers(DateTimeOffset now)
    {
        foreach (var link in _links.Values)
        {
            if (now >= link.OfferedUntil)
            {
                link.ForgetOffered();
            }
        }
    }

    /// <summary>
    /// A link to <paramref name="neighbour"/> came up anew: what was asked of it on an earlier link (the Want, or its
    /// answers, may have been lost with that link) may be asked again, of it or of anyone.
    /// </summary>
    private void ForgetRequestsTo(NodeEndpoint neighbour)
    {
        if (_requested.Count == 0)
        {
            return;
        }
        foreach (var (id, request) in _requested.ToArray())
        {
            if (request.From == neighbour)
            {
                _requested.Remove(id);
            }
        }
    }

    /// <summary>
    /// A held message as it goes to a neighbour that asked for it (Want, Graft): kept as it arrived (or was originated),
    /// an own message goes out as it is (hops 1), any other one hop further.
    /// </summary>
    private GossipMessage Served(GossipMessage held) => held.Origin == _self ? held : held with { Hops = NextHop(held.Hops) };

    /// <summary>A link came up: offer the neighbour the ids of the recent messages (nothing when there are none).</summary>
    private void SendDigest(ConnectionId connection, DateTimeOffset now)
    {
        if (!_catchUp)
        {
            return;
        }
        var ids = _history.RecentIds(now, ProtocolLimits.MaxDigestIds);
        if (ids.Length > 0)
        {
            _out.Send(connection, new Digest(ids));
        }
    }

    /// <summary>
    /// Ask for the offered messages this peer has not seen. An id already asked of another neighbour is not asked
    /// again for one liveness interval (after that, the other neighbour is presumed not to answer).
    /// </summary>
    public void OnDigest(ConnectionId connection, NodeEndpoint from, Digest digest, DateTimeOffset now)
    {
        foreach (var stale in _requested.Where(r => r.Value.Until <= now).Select(r => r.Key).ToArray())
        {
            _requested.Remove(stale);
        }
        if (_table.IsCurrent(from, connection) && _links.TryGetValue(from, out var link))
        {
            // What it holds need not be forwarded to it (the catch-up answers would all come back as duplicates).
            link.Offered = [.. digest.Ids];
            link.OfferedUntil = now + _options.LivenessInterval;
            if (link.OfferedUntil > _offersUntil)
            {
                _offersUntil = link.OfferedUntil;
            }
        }
        var wanted = new List<MessageId>();
        foreach (var id in digest.Ids)
        {
            if (!_messages.Contains(id) && _requested.TryAdd(id, (from, now + _options.LivenessInterval)))
            {
                wanted.Add(id);
            }
        }
        if (wanted.Count > 0)
        {
            _out.Send(connection, new Want(wanted));
        }
        _out.Report(new CatchUpRequested(now, from, digest.Ids.Count, wanted.Count));
    }

    /// <summary>Send the asked-for messages that are still in the history, as ordinary gossip one hop further on.</summary>
    public void OnWant(ConnectionId connection, NodeEndpoint from, Want want, DateTimeOffset now)
    {
        var sent = 0;
        var seen = new HashSet<MessageId>();
        foreach (var id in want.Ids)
        {
            if (seen.Add(id) && _history.TryGet(id, out var entry))
            {
                _out.Send(connection, Served(entry.Message));
                sent++;
            }
        }
        _out.Report(new CatchUpServed(now, from, want.Ids.Count, sent));
    }
}
