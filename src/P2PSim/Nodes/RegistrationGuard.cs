using System.Net;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Nodes;

/// <summary>
/// A seed's rules against Sybil registrations (<c>Seed:DialBack</c>, <c>Seed:MaxRegistrationsPerAddress</c>) and
/// against peers whose dead-node reports keep being refuted. <see cref="Off"/> (the machine's default, and the
/// simulator's, where nodes cannot lie about their endpoints and the golden reports stay as they were) keeps the seed as
/// it was: every registrant listed at once, no cap, every report checked.
/// </summary>
/// <param name="DialBack">List a registered endpoint only once the seed's own dial to it proved the registrant's id.</param>
/// <param name="MaxRegistrationsPerAddress">Most endpoints registered from one IP address; 0: no cap (nodes share an address).</param>
/// <param name="JudgeReporters">Rate-limit, then ignore for a while, peers whose dead-node reports the seed's checks refute.</param>
public sealed record SeedGuard(bool DialBack, int MaxRegistrationsPerAddress, bool JudgeReporters)
{
    public static SeedGuard Off { get; } = new(false, 0, false);
}

/// <summary>
/// The state behind <see cref="SeedGuard"/>'s registration rules: how many endpoints each address holds, which
/// registered endpoints are not listed (their dial-back has not succeeded), and the dial-backs under way. Pure.
/// </summary>
internal sealed class RegistrationGuard
{
    /// <summary>A registered endpoint that is not listed is dialled again at most this often (when it registers again).</summary>
    public static readonly TimeSpan DialBackRetry = TimeSpan.FromSeconds(10);

    private readonly Dictionary<IPAddress, int> _perAddress = new();
    private readonly Dictionary<NodeEndpoint, Unlisted> _unlisted = new();

    public RegistrationGuard(SeedGuard settings) => Settings = settings;

    public SeedGuard Settings { get; }

    public RefusalThrottle Throttle { get; } = new();

    /// <summary>Registrations refused at <see cref="SeedGuard.MaxRegistrationsPerAddress"/>.</summary>
    public long RefusedOverCap { get; private set; }

    /// <summary>Dial-backs that failed (the endpoint stayed unlisted).</summary>
    public long NotListed { get; private set; }

    /// <summary>Endpoints listed after their dial-back proved the registrant's id.</summary>
    public long Verified { get; private set; }

    /// <summary>Registered endpoints not listed (yet).</summary>
    public int UnlistedCount => _unlisted.Count;

    public bool IsUnlisted(NodeEndpoint peer) => _unlisted.ContainsKey(peer);

    public bool IsDialing(NodeEndpoint peer) => _unlisted.TryGetValue(peer, out var entry) && entry.Dialing;

    /// <summary>Whether one more endpoint may register from <paramref name="address"/>; if not, counts the refusal.</summary>
    public bool TryAdmit(IPAddress address)
    {
        var cap = Settings.MaxRegistrationsPerAddress;
        if (cap > 0 && _perAddress.GetValueOrDefault(address) >= cap)
        {
            RefusedOverCap++;
            return false;
        }
        return true;
    }

    /// <summary>A new endpoint is registered (listed or not): it counts against its address.</summary>
    public void Registered(NodeEndpoint peer)
    {
        if (Settings.MaxRegistrationsPerAddress > 0)
        {
            _perAddress[peer.Address] = _perAddress.GetValueOrDefault(peer.Address) + 1;
        }
    }

    /// <summary>A registered endpoint left (goodbye, expiry, confirmed death): its address may register one more.</summary>
    public void Removed(NodeEndpoint peer)
    {
        _unlisted.Remove(peer);
        if (Settings.MaxRegistrationsPerAddress > 0 && _perAddress.TryGetValue(peer.Address, out var held))
        {
            if (held <= 1)
            {
                _perAddress.Remove(peer.Address);
            }
            else
            {
                _perAddress[peer.Address] = held - 1;
            }
        }
    }

    /// <summary>
    /// The endpoint is registered but not listed; a dial-back should start now unless one runs or ran within
    /// <see cref="DialBackRetry"/>. True: dial it (the guard notes the dial and the peer list sent, for the listing's event).
    /// </summary>
    public bool StartDialBack(NodeEndpoint peer, NodeId id, IReadOnlyList<NodeEndpoint> listSent, DateTimeOffset now)
    {
        if (_unlisted.TryGetValue(peer, out var entry) && (entry.Dialing || now - entry.LastDial < DialBackRetry))
        {
            return false;
        }
        _unlisted[peer] = new Unlisted(id, listSent, now) { Dialing = true, Failures = entry?.Failures ?? 0 };
        return true;
    }

    /// <summary>The dial-back to <paramref name="peer"/> ended; the id the registrant proved and the list it was sent.</summary>
    /// <param name="firstFailure">The dial-back failed, and never before for this registration (only then is it logged).</param>
    public bool TryFinish(NodeEndpoint peer, bool listed, out NodeId id, out IReadOnlyList<NodeEndpoint> listSent, out bool firstFailure)
    {
        if (!_unlisted.TryGetValue(peer, out var entry) || !entry.Dialing)
        {
            id = default;
            listSent = [];
            firstFailure = false;
            return false;
        }
        id = entry.Id;
        listSent = entry.ListSent;
        if (listed)
        {
            _unlisted.Remove(peer);
            Verified++;
        }
        else
        {
            entry.Dialing = false;
            entry.Failures++;
            NotListed++;
        }
        firstFailure = !listed && entry.Failures == 1;
        return true;
    }

    private sealed class Unlisted(NodeId id, IReadOnlyList<NodeEndpoint> listSent, DateTimeOffset lastDial)
    {
        public NodeId Id { get; } = id;

        public IReadOnlyList<NodeEndpoint> ListSent { get; } = listSent;

        public DateTimeOffset LastDial { get; } = lastDial;

        public bool Dialing { get; set; }

        public int Failures { get; set; }
    }
}
