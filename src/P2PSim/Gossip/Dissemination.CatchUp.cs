using P2PSim.Nodes;
using P2PSim.Protocol;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Gossip;

/// <summary>
/// Catch-up (anti-entropy): whenever a link comes up each end offers the ids of its recent messages (Digest); the other
/// asks for those it has not seen (Want) and gets them as ordinary gossip. A neighbour's fresh digest also says what
/// need not be forwarded to it.
/// <para>
/// Each wanted id is asked of one neighbour at a time, and the other neighbours whose digests offered it meanwhile are
/// remembered (up to <see cref="MaxOfferers"/>). When the link to the asked neighbour is lost, or it has not delivered
/// within one liveness interval (checked on the liveness round), the id is asked of the next of those still connected,
/// at most <see cref="MaxAsks"/> neighbours in all; with nobody left the request is dropped and the next digest that
/// offers the id asks again. Without this, a neighbour that crashed before answering kept the id from being asked of
/// anyone, and catch-up runs only when a link comes up: the peer never got the message (CrashSequencePropertyTests).
/// </para>
/// </summary>
internal sealed partial class Dissemination
{
    /// <summary>Most other neighbours remembered per wanted id as having offered it (a peer has few neighbours).</summary>
    public const int MaxOfferers = 8;

    /// <summary>Most neighbours one wanted id is asked of, one after the other, until a new digest offers it again.</summary>
    public const int MaxAsks = 4;

    private readonly Dictionary<MessageId, Request> _requested = new();
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
            if (request.AskedOf == neighbour)
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
    /// Ask for the offered messages this peer has not seen. An id already asked of another neighbour is not asked again
    /// while that request stands (one liveness interval); the neighbour is noted as another that offered it, to be asked
    /// if the first one's link is lost or it does not answer in time (<see cref="OnLinkLost"/>, <see cref="RetryLapsedRequests"/>).
    /// </summary>
    public void OnDigest(ConnectionId connection, NodeEndpoint from, Digest digest, DateTimeOffset now)
    {
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
            if (_messages.Contains(id))
            {
                continue;
            }
            if (!_requested.TryGetValue(id, out var request))
            {
                _requested[id] = new Request(from, now + _options.LivenessInterval);
            }
            else if (now < request.Until)
            {
                if (request.AskedOf != from)
                {
                    request.Offered(from);
                }
                continue;
            }
            else
            {
                // Lapsed unanswered: the neighbour that offers it now is asked (as if it had never been asked).
                request.AskAnew(from, now + _options.LivenessInterval);
            }
            wanted.Add(id);
        }
        if (wanted.Count > 0)
        {
            _out.Send(connection, new Want(wanted));
        }
        _out.Report(new CatchUpRequested(now, from, digest.Ids.Count, wanted.Count));
    }

    /// <summary>
    /// On every liveness round: an id asked of a neighbour that has not delivered it within one liveness interval (the
    /// neighbour is slow, or the Want or its answer was lost) is asked of another neighbour that offered it.
    /// </summary>
    public void RetryLapsedRequests(DateTimeOffset now)
    {
        if (_requested.Count > 0)
        {
            AskElsewhere(now, lostWith: null);
        }
    }

    /// <summary>
    /// The link to <paramref name="neighbour"/> is gone: what it offered no longer counts, and what was asked of it is
    /// asked at once of another neighbour that offered it (or dropped, to be asked of the next that offers it).
    /// </summary>
    private void ForgetOffersAndRequestsOf(NodeEndpoint neighbour, DateTimeOffset now)
    {
        if (_requested.Count == 0)
        {
            return;
        }
        foreach (var request in _requested.Values)
        {
            request.OfferedBy?.Remove(neighbour);
        }
        AskElsewhere(now, lostWith: neighbour);
    }

    /// <summary>
    /// Moves the requests to other neighbours: those asked of <paramref name="lostWith"/> (its link is gone), or with
    /// none, those that lapsed by <paramref name="now"/>. Each goes to the first neighbour that offered it and is still
    /// connected; one Want per neighbour (of at most <see cref="ProtocolLimits.MaxDigestIds"/> ids each), in a fixed
    /// order. A request with nobody left to ask, or
    /// asked of <see cref="MaxAsks"/> neighbours already, is dropped.
    /// </summary>
    private void AskElsewhere(DateTimeOffset now, NodeEndpoint? lostWith)
    {
        List<(NodeEndpoint Neighbour, ConnectionId Connection, List<MessageId> Ids)>? asks = null;
        List<MessageId>? dropped = null;
        foreach (var (id, request) in _requested)
        {
            if (lostWith is { } lost ? request.AskedOf != lost : now < request.Until)
            {
                continue;
            }
            if (request.Asks < MaxAsks && NextOfferer(request) is var (next, connection))
            {
                request.AskNext(next, now + _options.LivenessInterval);
                var ask = (asks ??= []).FindIndex(a => a.Neighbour == next);
                if (ask < 0)
                {
                    asks.Add((next, connection, [id]));
                }
                else
                {
                    asks[ask].Ids.Add(id);
                }
            }
            else
            {
                (dropped ??= []).Add(id);
            }
        }
        foreach (var id in dropped ?? [])
        {
            _requested.Remove(id);
        }
        foreach (var (neighbour, connection, ids) in asks ?? [])
        {
            foreach (var chunk in ids.Chunk(ProtocolLimits.MaxDigestIds))
            {
                _out.Send(connection, new Want(chunk));
            }
            _out.Report(new CatchUpReasked(now, neighbour, ids.Count, lostWith));
        }
    }

    /// <summary>The first neighbour that offered the id, is not the one asked and is still connected (taken off the list), or null.</summary>
    private (NodeEndpoint Neighbour, ConnectionId Connection)? NextOfferer(Request request)
    {
        while (request.OfferedBy is { Count: > 0 } offeredBy)
        {
            var next = offeredBy[0];
            offeredBy.RemoveAt(0);
            if (next != request.AskedOf && _table.Entries.GetValueOrDefault(next)?.Connection is { } connection)
            {
                return (next, connection);
            }
        }
        return null;
    }

    /// <summary>Send the asked-for messages that are still in the history, as ordinary gossip one hop further on.</summary>
    public void OnWant(ConnectionId connection, NodeEndpoint from, Want want, DateTimeOffset now)
    {
        _history.Expire(now); // only what the history window still holds is served (it is trimmed on adds and on the timer)
        var sent = 0;
        var seen = new HashSet<MessageId>();
        foreach (var id in want.Ids)
        {
            if (seen.Add(id) && _history.TryGet(id, out var entry))
            {
                _out.Send(connection, Served(entry.Message));
                _history.MarkHeld(id, BitOf(from));
                sent++;
            }
        }
        _out.Report(new CatchUpServed(now, from, want.Ids.Count, sent));
    }

    /// <summary>
    /// An id asked of <see cref="AskedOf"/> until <see cref="Until"/>; <see cref="Asks"/> neighbours asked so far; the
    /// other neighbours that offered it meanwhile, in the order they did (at most <see cref="MaxOfferers"/>).
    /// </summary>
    private sealed class Request(NodeEndpoint askedOf, DateTimeOffset until)
    {
        public NodeEndpoint AskedOf { get; private set; } = askedOf;

        public DateTimeOffset Until { get; private set; } = until;

        public int Asks { get; private set; } = 1;

        public List<NodeEndpoint>? OfferedBy { get; private set; }

        public void Offered(NodeEndpoint neighbour)
        {
            if ((OfferedBy ??= []).Count < MaxOfferers && !OfferedBy.Contains(neighbour))
            {
                OfferedBy.Add(neighbour);
            }
        }

        /// <summary>Asked of another neighbour that offered it.</summary>
        public void AskNext(NodeEndpoint neighbour, DateTimeOffset until)
        {
            AskedOf = neighbour;
            Until = until;
            Asks++;
        }

        /// <summary>Asked of a neighbour whose new digest offers it: the count starts again.</summary>
        public void AskAnew(NodeEndpoint neighbour, DateTimeOffset until)
        {
            OfferedBy?.Remove(neighbour);
            AskedOf = neighbour;
            Until = until;
            Asks = 1;
        }
    }
}
