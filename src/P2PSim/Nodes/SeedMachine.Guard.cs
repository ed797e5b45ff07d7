using P2PSim.Liveness;
using P2PSim.Protocol;

namespace P2PSim.Nodes;

/// <summary>
/// A seed's defences against Sybil registration and false death reports (PROTOCOL.md, <i>Registration and the seed's
/// own checks</i>), switched by <see cref="Guard"/>:
/// <list type="bullet">
/// <item>a cap on the endpoints registered from one IP address (<see cref="SeedGuard.MaxRegistrationsPerAddress"/>);</item>
/// <item>dial-back: a new registrant gets its peer list at once, but is listed (handed to others) only once the seed
/// dialled the endpoint it announced and that handshake proved the registrant's id; an endpoint nobody answers at (a
/// dead endpoint) or where another id answers is never listed;</item>
/// <item>a check of a reported death that connects but is turned away (the peer's inbound slots are full) is no death;</item>
/// <item>reporters whose reports the checks refute are rate-limited, then ignored for a while (<see cref="ReporterRecord"/>).</item>
/// </list>
/// </summary>
public sealed partial class SeedMachine
{
    private RegistrationGuard? _guardState;
    private readonly Dictionary<NodeEndpoint, ConnectionId> _heldAnswers = new(); // first registrations answered when their dial-back is done
    private ReporterRecord? _reporters;

    /// <summary>The registration and report rules; <see cref="SeedGuard.Off"/> (the default) keeps the seed as it was.</summary>
    public SeedGuard Guard { get; init; } = SeedGuard.Off;

    private RegistrationGuard GuardState => _guardState ??= new RegistrationGuard(Guard);

    private ReporterRecord Reporters => _reporters ??= new ReporterRecord();

    /// <summary>Registrations refused at the cap per address, dial-backs failed (not listed), dial-backs that listed a peer.</summary>
    public (long RefusedOverCap, long NotListed, long Verified) RegistrationCounts =>
        _guardState is { } g ? (g.RefusedOverCap, g.NotListed, g.Verified) : (0, 0, 0);

    /// <summary>Dead-node reports not checked because their reporter was rate-limited or ignored.</summary>
    public long IgnoredReports => _reporters?.Ignored ?? 0;

    /// <summary>Checks of reported peers that the peer answered (the report was false).</summary>
    public long RefutedChecks { get; private set; }

    /// <summary>Checks of reported peers that were turned away (no death).</summary>
    public long InconclusiveChecks { get; private set; }

    /// <summary>Registered endpoints that are not listed (their dial-back has not succeeded).</summary>
    public int UnlistedPeers => _guardState?.UnlistedCount ?? 0;

    /// <summary>Whether <paramref name="peer"/> is registered and handed out in peer lists.</summary>
    private bool IsListed(NodeEndpoint peer) => _peers.ContainsKey(peer) && !(_guardState?.IsUnlisted(peer) ?? false);

    /// <summary>A new registrant over the cap of its address: refused, counted, logged at most once a second. True: refused.</summary>
    private bool RefusedOverCap(ConnectionInfo info, DateTimeOffset now)
    {
        if (Guard.MaxRegistrationsPerAddress <= 0 || GuardState.TryAdmit(info.Listen.Address))
        {
            return false;
        }
        if (GuardState.Throttle.Allow("cap", now, out var heldBack))
        {
            Report(new RegistrationOverCap(now, info.Listen, Guard.MaxRegistrationsPerAddress, GuardState.RefusedOverCap, heldBack));
        }
        CloseConnection(info.Id, $"registration refused: {Guard.MaxRegistrationsPerAddress} endpoints of {info.Listen.Address} are registered (Seed:MaxRegistrationsPerAddress)", afterFlush: false);
        return true;
    }

    /// <summary>
    /// A new endpoint registered: listed at once (no dial-back), else kept unlisted while the seed dials it. True when
    /// it is listed now.
    /// </summary>
    private bool Admit(ConnectionInfo info, NodeEndpoint[] listSent, DateTimeOffset now)
    {
        _ids[info.Listen] = info.RemoteId;
        if (Guard.MaxRegistrationsPerAddress > 0)
        {
            GuardState.Registered(info.Listen);
        }
        if (!Guard.DialBack)
        {
            List(info.Listen, now);
            return true;
        }
        StartDialBack(info.Listen, listSent, now);
        Report(new PeerAwaitingDialBack(now, info.Listen, info.RemoteAddress, listSent));
        return false;
    }

    /// <summary>Dials a registered, unlisted endpoint (unless a dial-back runs or ran a moment ago).</summary>
    private void StartDialBack(NodeEndpoint peer, IReadOnlyList<NodeEndpoint> listSent, DateTimeOffset now)
    {
        if (_ids.TryGetValue(peer, out var id) && GuardState.StartDialBack(peer, id, listSent, now))
        {
            Emit(new Dial(peer));
        }
    }

    /// <summary>The seed's dial-back reached the endpoint: listed when a peer with the registrant's id answered.</summary>
    private bool OnDialBackConnected(ConnectionInfo connection, DateTimeOffset now)
    {
        if (_guardState is null || !_guardState.IsDialing(connection.Listen))
        {
            return false;
        }
        var peer = connection.Listen;
        var proven = connection.Role == NodeRole.Peer && _ids.TryGetValue(peer, out var registered) && registered == connection.RemoteId;
        GuardState.TryFinish(peer, listed: proven, out var id, out var listSent, out var firstFailure);
        CloseConnection(connection.Id, "dial-back done", afterFlush: proven);
        if (proven)
        {
            List(peer, now);
            if (_heldAnswers.TryGetValue(peer, out var held))
            {
                Attest(held, peer, connection.RemoteId, now);
            }
            AnswerHeldRegistration(peer, listSent);
            Report(new PeerRegistered(now, peer, connection.RemoteAddress, Again: false, listSent));
            return true;
        }
        AnswerHeldRegistration(peer, listSent);
        if (firstFailure)
        {
            NotListed(peer, connection.Role != NodeRole.Peer
            ? $"a {connection.Role.ToString().ToLowerInvariant()} answers there"
                : $"id {connection.RemoteId.Short}… answers there, not the registrant's {id.Short}…", now);
        }
        return true;
    }

    /// <summary>The seed's dial-back failed: the endpoint stays unlisted.</summary>
    private bool OnDialBackFailed(NodeEndpoint target, string reason, DateTimeOffset now)
    {
        if (_guardState is null || !_guardState.TryFinish(target, listed: false, out _, out var listSent, out var firstFailure))
        {
            return false;
        }
        AnswerHeldRegistration(target, listSent); // unlisted, but it gets the list it registered for
        if (firstFailure)
        {
            NotListed(target, reason, now); // an endpoint that registers again is dialled again, but logged once
        }
        return true;
    }

    /// <summary>
    /// Sends a first registration its peer list once its dial-back is done, listed or not: the list drawn when it
    /// registered (the one the simulator, which does not dial back, sends at once).
    /// </summary>
    private void AnswerHeldRegistration(NodeEndpoint peer, IReadOnlyList<NodeEndpoint> listSent)
    {
        if (_heldAnswers.Remove(peer, out var connection))
        {
            SendTo(connection, new PeerList(listSent, IdsOf(listSent)));
        }
    }

    private void NotListed(NodeEndpoint peer, string reason, DateTimeOffset now)
    {
        if (GuardState.Throttle.Allow("unlisted", now, out var heldBack))
        {
            Report(new PeerNotListed(now, peer, reason, GuardState.NotListed, heldBack));
        }
    }

    /// <summary>
    /// Whether a report from <paramref name="info"/> is checked: not when its reporter's earlier reports were refuted
    /// too often (counted; logged at most once a second). True: ignored.
    /// </summary>
    private bool IgnoredReporter(ConnectionInfo info, DeadNode report, DateTimeOffset now)
    {
        if (!Guard.JudgeReporters)
        {
            return false;
        }
        var verdict = Reporters.Judge(info.Listen, now);
        if (verdict == ReporterRecord.Verdict.Check)
        {
            return false;
        }
        if (GuardState.Throttle.Allow("ignored report", now, out var heldBack))
        {
            var why = verdict == ReporterRecord.Verdict.Ignored
                ? $"the reporter is ignored for a while ({Reporters.RefutationsOf(info.Listen, now)} of its reports refuted)"
                : $"the reporter's reports were refuted, and one was checked within {ReporterRecord.RateLimitInterval.TotalSeconds:0} s";
            Report(new DeadNodeIgnored(now, report, info.RemoteAddress, why, Reporters.Ignored, heldBack));
        }
        return true;
    }

    /// <summary>The reported peer answered: the report was false; its reporters are judged.</summary>
    private void Refute(Check check, DateTimeOffset now)
    {
        RefutedChecks++;
        Report(new DeadNodeRefuted(now, check.Report, check.RemoteAddress, check.RelayedBy));
        Blame(check, now);
    }

    /// <summary>The check was turned away after connecting: something listens there, so no death (and no confirmation).</summary>
    private void Inconclusive(Check check, string reason, DateTimeOffset now)
    {
        InconclusiveChecks++;
        Report(new DeadNodeInconclusive(now, check.Report, check.RemoteAddress, reason, check.RelayedBy));
        Blame(check, now);
    }

    private void Blame(Check check, DateTimeOffset now)
    {
        if (!Guard.JudgeReporters)
        {
            return;
        }
        foreach (var reporter in check.Reporters)
        {
            if (Reporters.Refuted(reporter, now))
            {
                Report(new ReporterIgnored(now, reporter, ReporterRecord.IgnoreAfter, now + ReporterRecord.IgnoreFor));
            }
        }
    }

    private void Credit(Check check, DateTimeOffset now)
    {
        if (!Guard.JudgeReporters)
        {
            return;
        }
        foreach (var reporter in check.Reporters)
        {
            Reporters.Confirmed(reporter, now);
        }
    }
}
