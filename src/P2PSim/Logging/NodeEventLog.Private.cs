using Microsoft.Extensions.Logging;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Logging;

/// <summary>
/// The lines of private messages, each starting with <c>Private</c> so they stand out on the console and in the log
/// files: <c>[Peer 6003] Private from 127.0.0.1:6001: hello [3f2a...]</c> on the recipient's side, and on the sender's
/// the message sent, acknowledged, retried or undeliverable.
/// </summary>
public static partial class NodeEventLog
{
    /// <summary>Writes the line of a private-message event; false when <paramref name="e"/> is none.</summary>
    private static bool WritePrivate(ILogger logger, NodeEvent e)
    {
        switch (e)
        {
            case PrivateSent s:
                LogInformationPrivateSent(logger, s.Recipient, new LogText(s.Text), new ShortId(s.Id));
                return true;
            case PrivateDelivered d when d.RelayedBy is { } seed:
                LogInformationPrivateDeliveredRelayed(logger, d.Origin, new LogText(d.Text), seed, new ShortId(d.Id));
                return true;
            case PrivateDelivered d:
                LogInformationPrivateDelivered(logger, d.Origin, new LogText(d.Text), new ShortId(d.Id));
                return true;
            case PrivateDuplicate d:
                LogDebugPrivateDuplicate(logger, d.Origin, new ShortId(d.Id));
                return true;
            case PrivateAcknowledged a when a.RelayedBy is { } by:
                LogInformationPrivateAcknowledgedRelayed(logger, a.Recipient, by, new Plural(a.Attempts, "attempt"), a.Latency.TotalMilliseconds, new ShortId(a.Id));
                return true;
            case PrivateAcknowledged a:
                LogInformationPrivateAcknowledged(logger, a.Recipient, new Plural(a.Attempts, "attempt"), a.Latency.TotalMilliseconds, new ShortId(a.Id));
                return true;
            case PrivateRelaying r:
                LogInformationPrivateRelaying(logger, r.Recipient, r.Reason, r.Seed, new ShortId(r.Id));
                return true;
            case PrivateRetrying r:
                LogWarningPrivateRetrying(logger, r.Recipient, r.Reason, r.Attempt, r.Attempts, r.Wait.TotalSeconds, new ShortId(r.Id));
                return true;
            case PrivateUndeliverable u:
                LogWarningPrivateUndeliverable(logger, u.Recipient, u.Reason, new ShortId(u.Id));
                return true;
            case PrivateInputRefused r:
                LogWarningPrivateInputRefused(logger, r.RemoteAddress, r.Reason, new HeldBack(r.HeldBack));
                return true;
            case ReservationHeld h:
                LogInformationReservationHeld(logger, h.Seed);
                return true;
            case ReservationLost l:
                LogWarningReservationLost(logger, l.Seed, l.Reason, new LocalTime(l.RetryAt));
                return true;
            case ReservationAccepted a:
                LogInformationReservationAccepted(logger, a.Peer, a.RemoteAddress, new Plural(a.Reservations, "reservation"));
                return true;
            case ReservationEnded x:
                LogInformationReservationEnded(logger, x.Peer, x.Reason, new Plural(x.Reservations, "reservation"));
                return true;
            case PrivateRelayed r:
                LogInformationPrivateRelayed(logger, r.From, r.To, new ShortId(r.Id));
                return true;
            case PrivateRelayRefusedHere r:
                LogInformationPrivateRelayRefused(logger, r.From, r.Recipient,
                    r.Reason == RelayRefusal.NoReservation ? "it holds no reservation here" : "it is no peer this seed knows", new ShortId(r.Id), new HeldBack(r.HeldBack));
                return true;
            default:
                return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Private to {Recipient}: \"{Text}\" sent [{Id}]")]
    private static partial void LogInformationPrivateSent(ILogger logger, NodeEndpoint recipient, LogText text, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Private from {Origin}: {Text} [{Id}]")]
    private static partial void LogInformationPrivateDelivered(ILogger logger, NodeEndpoint origin, LogText text, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Private from {Origin}: {Text} (relayed by seed {Seed}) [{Id}]")]
    private static partial void LogInformationPrivateDeliveredRelayed(ILogger logger, NodeEndpoint origin, LogText text, NodeEndpoint seed, ShortId id);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Private from {Origin} arrived again (a retry): acknowledged again, not delivered twice [{Id}]")]
    private static partial void LogDebugPrivateDuplicate(ILogger logger, NodeEndpoint origin, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Private to {Recipient}: delivered and acknowledged over a direct link, after {Attempts} in {Milliseconds:0} ms [{Id}]")]
    private static partial void LogInformationPrivateAcknowledged(ILogger logger, NodeEndpoint recipient, Plural attempts, double milliseconds, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Private to {Recipient}: delivered and acknowledged, relayed by seed {Seed}, after {Attempts} in {Milliseconds:0} ms [{Id}]")]
    private static partial void LogInformationPrivateAcknowledgedRelayed(ILogger logger, NodeEndpoint recipient, NodeEndpoint seed, Plural attempts, double milliseconds, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Private to {Recipient}: {Reason}; handing it to seed {Seed} to relay [{Id}]")]
    private static partial void LogInformationPrivateRelaying(ILogger logger, NodeEndpoint recipient, string reason, NodeEndpoint seed, ShortId id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Private to {Recipient}: {Reason}; retrying (attempt {Attempt} of {Attempts}, waiting {Seconds} s) [{Id}]")]
    private static partial void LogWarningPrivateRetrying(ILogger logger, NodeEndpoint recipient, string reason, int attempt, int attempts, double seconds, ShortId id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Private to {Recipient}: undeliverable, {Reason} [{Id}]")]
    private static partial void LogWarningPrivateUndeliverable(ILogger logger, NodeEndpoint recipient, string reason, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Private: holding a reservation with seed {Seed} (this peer cannot be dialled; the seed relays its private messages)")]
    private static partial void LogInformationReservationHeld(ILogger logger, NodeEndpoint seed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Private: no reservation with seed {Seed} ({Reason}); trying again at {RetryAt}")]
    private static partial void LogWarningReservationLost(ILogger logger, NodeEndpoint seed, string reason, LocalTime retryAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Private: peer {Peer} (from {Remote}) cannot be dialled and made a reservation: relaying its private messages ({Count} here)")]
    private static partial void LogInformationReservationAccepted(ILogger logger, NodeEndpoint peer, string remote, Plural count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Private: the reservation of peer {Peer} ended ({Reason}); {Count} left")]
    private static partial void LogInformationReservationEnded(ILogger logger, NodeEndpoint peer, string reason, Plural count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Private: relayed a message from {From} to {To} [{Id}]")]
    private static partial void LogInformationPrivateRelayed(ILogger logger, NodeEndpoint from, NodeEndpoint to, ShortId id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Private: did not relay a message from {From} to {To}: {Why}; answered RelayRefused [{Id}]{HeldBack}")]
    private static partial void LogInformationPrivateRelayRefused(ILogger logger, NodeEndpoint from, NodeEndpoint to, string why, ShortId id, HeldBack heldBack);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Private: refused input from {Remote}: {Reason}{HeldBack}")]
    private static partial void LogWarningPrivateInputRefused(ILogger logger, string remote, string reason, HeldBack heldBack);

    /// <summary>How many lines like it a rate-limited line stands for, formatted only when it is written.</summary>
    private readonly struct HeldBack(int count)
    {
        public override string ToString() => count == 0 ? "" : $" ({count} more like it within the last second not logged)";
    }
}
