using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Private;

/// <summary>
/// Reservations: a peer that cannot be dialled from outside (<c>Private:NotDialablePeers</c>) keeps a direct link open to
/// every seed it registered with and sends <see cref="Reserve"/> on it, as libp2p's circuit relay makes a reservation:
/// the seed relays private messages for it over that link, and checks a report of its death over it too. The link is
/// pinged every <c>Peer:LivenessInterval</c> (so no idle timeout cuts it) and dialled again after
/// <c>Peer:RetryInterval</c>, doubling up to <c>Peer:ReregisterInterval</c>, when it closes or cannot be opened.
/// </summary>
internal sealed partial class PrivateMessenger
{
    private readonly Dictionary<NodeEndpoint, Reservation> _reservations = new();
    private ulong _pingSequence;

    /// <summary>False: this peer cannot be dialled from outside and holds a reservation with each seed it registered with.</summary>
    public bool Dialable { get; }

    /// <summary>The seeds holding this peer's reservation now.</summary>
    public IEnumerable<NodeEndpoint> ReservedWith => _reservations.Where(r => r.Value.Link is not null).Select(r => r.Key);

    /// <summary>A seed answered a registration: a peer that cannot be dialled reserves with every seed it registered with.</summary>
    public void OnSeedsLearned(DateTimeOffset now)
    {
        if (Dialable || _stopping)
        {
            return;
        }
        foreach (var seed in _registeredSeeds())
        {
            if (!_reservations.ContainsKey(seed))
            {
                var reservation = new Reservation();
                _reservations[seed] = reservation;
                Reserve(seed, reservation, now);
            }
        }
    }

    private DateTimeOffset? NextReservationDeadline
    {
        get
        {
            DateTimeOffset? due = null;
            foreach (var reservation in _reservations.Values)
            {
                due = WakeScheduler.Earliest(due, reservation.Link is not null ? reservation.NextPing : reservation.Dialing ? null : reservation.RetryAt);
            }
            return due;
        }
    }

    private void Reserve(NodeEndpoint seed, Reservation reservation, DateTimeOffset now)
    {
        if (_linkTo.TryGetValue(seed, out var link) && link.Role == NodeRole.Seed)
        {
            Hold(seed, reservation, link, now);
            return;
        }
        reservation.Dialing = true;
        EnsureDial(seed);
    }

    /// <summary>A direct link to a seed came up: the reservation there is made on it, if one is wanted.</summary>
    private void OnSeedLinkUp(DirectLink link, DateTimeOffset now)
    {
        if (_reservations.TryGetValue(link.Remote, out var reservation) && reservation.Link is null)
        {
            Hold(link.Remote, reservation, link, now);
        }
    }

    private void Hold(NodeEndpoint seed, Reservation reservation, DirectLink link, DateTimeOffset now)
    {
        reservation.Dialing = false;
        reservation.Link = link.Id;
        reservation.Failures = 0;
        reservation.RetryAt = null;
        reservation.NextPing = now + _peer.LivenessInterval;
        link.Reservation = true;
        _out.Send(link.Id, Protocol.Reserve.Instance);
        _out.Report(new ReservationHeld(now, seed));
    }

    private void OnReservationDialFailed(NodeEndpoint seed, string reason, DateTimeOffset now)
    {
        if (_reservations.TryGetValue(seed, out var reservation) && reservation.Dialing)
        {
            reservation.Dialing = false;
            Lost(seed, reservation, $"cannot dial the seed ({reason})", now);
        }
    }

    private void OnReservationLinkGone(DirectLink link, string reason, DateTimeOffset now)
    {
        if (_reservations.TryGetValue(link.Remote, out var reservation) && reservation.Link == link.Id)
        {
            reservation.Link = null;
            Lost(link.Remote, reservation, reason, now);
        }
    }

    private void Lost(NodeEndpoint seed, Reservation reservation, string reason, DateTimeOffset now)
    {
        reservation.Failures++;
        var cap = Math.Max(_peer.ReregisterInterval.Ticks, _peer.RetryInterval.Ticks);
        var backoff = _peer.RetryInterval.Ticks * (double)(1L << Math.Min(reservation.Failures - 1, 30));
        reservation.RetryAt = now + TimeSpan.FromTicks((long)Math.Min(backoff, cap));
        _out.Report(new ReservationLost(now, seed, reason, reservation.RetryAt.Value));
    }

    /// <summary>Reservations on the node's timer: new registered seeds, pings that keep the links open, links to dial again.</summary>
    private void RunReservations(DateTimeOffset now)
    {
        if (Dialable || _stopping)
        {
            return;
        }
        OnSeedsLearned(now);
        foreach (var (seed, reservation) in _reservations)
        {
            if (reservation.Link is { } link)
            {
                if (now >= reservation.NextPing)
                {
                    _out.Send(link, new Ping(++_pingSequence));
                    reservation.NextPing = now + _peer.LivenessInterval;
                }
            }
            else if (!reservation.Dialing && reservation.RetryAt is { } retryAt && now >= retryAt)
            {
                reservation.RetryAt = null;
                Reserve(seed, reservation, now);
            }
        }
    }

    /// <summary>This peer's reservation with one seed: the link holding it, or the dial under way, or when to try again.</summary>
    private sealed class Reservation
    {
        public ConnectionId? Link { get; set; }

        public bool Dialing { get; set; }

        public DateTimeOffset? RetryAt { get; set; }

        public int Failures { get; set; }

        public DateTimeOffset NextPing { get; set; }
    }
}
