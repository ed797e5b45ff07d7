using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Private;

/// <summary>
/// Relay through a seed: a recipient that cannot be dialled (the dial failed, within the last <c>Private:IdleTimeout</c>)
/// gets the message through a seed. The sender hands the envelope, unchanged, to a seed over a direct link to it (dialled
/// on demand, or open already), the seeds it registered with first, then the other configured ones. A seed holding the
/// recipient's reservation forwards it and passes the acknowledgement back; one that does not answers
/// <see cref="RelayRefused"/> and the next seed is tried. When every seed refused, the attempt waits out its time and the
/// next one starts over (with the direct link first once the recipient counts as dialable again).
/// </summary>
internal sealed partial class PrivateMessenger
{
    /// <summary>Most recipients remembered as not dialable at once.</summary>
    private const int MaxUndialable = 1024;

    private readonly IReadOnlyList<NodeEndpoint> _seeds;
    private readonly Func<IReadOnlyCollection<NodeEndpoint>> _registeredSeeds;
    private readonly Dictionary<NodeEndpoint, (DateTimeOffset Until, string Reason)> _undialable = new();

    private bool IsSeed(NodeEndpoint endpoint)
    {
        foreach (var seed in _seeds)
        {
            if (seed == endpoint)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A dial to <paramref name="peer"/> failed: for <c>Private:IdleTimeout</c> messages to it go through a seed at once.</summary>
    private void MarkUndialable(NodeEndpoint peer, string why, DateTimeOffset now)
    {
        if (_undialable.Count >= MaxUndialable && !_undialable.ContainsKey(peer))
        {
            ExpireUndialable(now);
            if (_undialable.Count >= MaxUndialable)
            {
                _undialable.Remove(_undialable.Keys.First());
            }
        }
        _undialable[peer] = (now + _options.IdleTimeout, why);
    }

    private string? UndialableReason(NodeEndpoint peer, DateTimeOffset now) =>
        _undialable.TryGetValue(peer, out var entry) && now < entry.Until ? entry.Reason : null;

    private void ExpireUndialable(DateTimeOffset now)
    {
        if (_undialable.Count == 0)
        {
            return;
        }
        List<NodeEndpoint>? expired = null;
        foreach (var (peer, entry) in _undialable)
        {
            if (now >= entry.Until)
            {
                (expired ??= []).Add(peer);
            }
        }
        foreach (var peer in expired ?? [])
        {
            _undialable.Remove(peer);
        }
    }

    /// <summary>The seeds to try, in turn: those this peer registered with (in configured order), then the others.</summary>
    private List<NodeEndpoint> RelayOrder()
    {
        var registered = _registeredSeeds();
        var order = new List<NodeEndpoint>(_seeds.Count);
        foreach (var seed in _seeds)
        {
            if (registered.Contains(seed) && !order.Contains(seed))
            {
                order.Add(seed);
            }
        }
        foreach (var seed in _seeds)
        {
            if (!order.Contains(seed))
            {
                order.Add(seed);
            }
        }
        return order;
    }

    /// <summary>The recipient is not dialled in this attempt (<paramref name="why"/>): the seeds relay it, tried in turn.</summary>
    private void Relay(Outgoing message, string why, DateTimeOffset now)
    {
        message.Relay = new RelayRoute(why, RelayOrder());
        TryNextSeed(message, now);
    }

    /// <summary>The seed of the attempt under way did not relay the message (<paramref name="refusal"/>): the next one.</summary>
    private void NextRelay(Outgoing message, string refusal, DateTimeOffset now)
    {
        if (message.Relay is not { } route)
        {
            return;
        }
        route.Refusals.Add(refusal);
        route.Next++;
        message.Via = null;
        TryNextSeed(message, now);
    }

    private void TryNextSeed(Outgoing message, DateTimeOffset now)
    {
        var route = message.Relay!;
        if (route.Next >= route.Seeds.Count)
        {
            message.Via = null;
            message.Problem = route.Seeds.Count == 0
                ? $"{route.Why}, and no seed is configured to relay it"
                : $"{route.Why}, and no seed relays it ({string.Join("; ", route.Refusals)})";
            return; // the attempt waits out its time
        }
        var seed = route.Seeds[route.Next];
        message.Via = seed;
        _out.Report(new PrivateRelaying(now, message.Id, message.Recipient, seed, route.Why));
        if (_linkTo.TryGetValue(seed, out var link))
        {
            Transmit(message, link, now);
            return;
        }
        WaitForDial(message, seed);
    }

    /// <summary>A seed did not relay a message: the next seed, if it was the one this message's attempt tried.</summary>
    private void OnRelayRefused(DirectLink link, RelayRefused refused, DateTimeOffset now)
    {
        if (link.Role != NodeRole.Seed)
        {
            Violation(link, "a RelayRefused from a peer (only a seed relays)", now);
            return;
        }
        if (_pending.TryGetValue(refused.Id, out var message))
        {
            if (message.Via == link.Remote)
            {
                var why = refused.Reason switch
                {
                    RelayRefusal.NoReservation => "holds no reservation there",
                    RelayRefusal.UnknownRecipient => "is unknown there",
                    _ => $"refused ({(byte)refused.Reason})",
                };
                NextRelay(message, $"{link.Remote}: the recipient {why}", now);
            }
            return; // a refusal of an earlier attempt's copy: this attempt is elsewhere already
        }
        if (!_finished.Contains(refused.Id))
        {
            Refuse("refusal", link.RemoteAddress, $"seed {link.Remote} refused to relay [{refused.Id.Short}], which this peer did not hand it", now);
        }
    }

    /// <summary>One attempt's way through the seeds.</summary>
    private sealed class RelayRoute(string why, List<NodeEndpoint> seeds)
    {
        /// <summary>Why the recipient is not dialled in this attempt.</summary>
        public string Why { get; } = why;

        public List<NodeEndpoint> Seeds { get; } = seeds;

        /// <summary>The position in <see cref="Seeds"/> of the seed tried now.</summary>
        public int Next { get; set; }

        public List<string> Refusals { get; } = [];
    }
}
