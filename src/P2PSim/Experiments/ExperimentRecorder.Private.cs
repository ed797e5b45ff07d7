using P2PSim.Gossip;
using P2PSim.Nodes;

namespace P2PSim.Experiments;

/// <summary>
/// The private workload's account: every message sent (by whom, to whom, when), its delivery at the recipient, its
/// acknowledgement or its end as undeliverable; deliveries to anyone else (leakage) and repeated deliveries are counted,
/// never expected.
/// </summary>
public sealed partial class ExperimentRecorder
{
    private readonly Dictionary<MessageId, PrivateTrack> _private = new();
    private int _privatePending;
    private long _privateLeakage;
    private long _privateDuplicates;

    /// <summary>Private messages neither acknowledged nor reported undeliverable yet.</summary>
    public int PrivatePending => _privatePending;

    /// <summary>A private-message event of peer <paramref name="peer"/>; other events are not this part's.</summary>
    private void RecordPrivateEvent(int peer, NodeEvent nodeEvent)
    {
        switch (nodeEvent)
        {
            case PrivateSent sent when !_private.ContainsKey(sent.Id):
                _private.Add(sent.Id, new PrivateTrack(peer, _peerIndex.TryGetValue(sent.Recipient, out var to) ? to : -1, sent.At.UtcTicks));
                _privatePending++;
                break;
            case PrivateDelivered delivered:
                if (!_private.TryGetValue(delivered.Id, out var track) || track.To != peer)
                {
                    _privateLeakage++; // delivered by a peer that is not its recipient (or for a message nobody here sent)
                }
                else if (track.DeliveredAt is not null)
                {
                    _privateDuplicates++;
                }
                else
                {
                    track.DeliveredAt = delivered.At.UtcTicks;
                }
                break;
            case PrivateAcknowledged acknowledged when _private.TryGetValue(acknowledged.Id, out var acked) && acked.From == peer && acked.Finished is null:
                acked.AcknowledgedAt = acknowledged.At.UtcTicks;
                acked.ThroughSeed = acknowledged.RelayedBy is not null;
                acked.Finished = true;
                _privatePending--;
                break;
            case PrivateUndeliverable undeliverable when _private.TryGetValue(undeliverable.Id, out var given) && given.From == peer && given.Finished is null:
                given.Finished = false;
                _privatePending--;
                break;
        }
    }

    /// <summary>The private workload's report; <paramref name="acknowledgements"/>: DirectAck frames, where the network counts them.</summary>
    public PrivateReport BuildPrivate(long payloadTransmissions, long? acknowledgements, int notDialable)
    {
        int expected = 0, delivered = 0, toCrashed = 0, deliveredToCrashed = 0, acknowledged = 0, throughSeed = 0, undeliverable = 0, lostToLive = 0;
        var latencies = new List<long>();
        var ackLatencies = new List<long>();
        foreach (var track in _private.Values)
        {
            var crashed = track.To >= 0 && _crashed.ContainsKey(track.To);
            if (crashed)
            {
                toCrashed++;
                deliveredToCrashed += track.DeliveredAt is not null ? 1 : 0;
            }
            else
            {
                expected++;
                delivered += track.DeliveredAt is not null ? 1 : 0;
                lostToLive += track.Finished == false ? 1 : 0;
            }
            if (track.DeliveredAt is { } at)
            {
                latencies.Add(at - track.SentAt);
            }
            if (track.Finished == true)
            {
                acknowledged++;
                throughSeed += track.ThroughSeed ? 1 : 0;
                ackLatencies.Add(track.AcknowledgedAt!.Value - track.SentAt);
            }
            undeliverable += track.Finished == false ? 1 : 0;
        }
        var (p50, p99, _) = Statistics.Summarise(latencies.ToArray());
        var (ackP50, ackP99, _) = Statistics.Summarise(ackLatencies.ToArray());
        var deliveries = delivered + deliveredToCrashed;
        return new PrivateReport(
            Sent: _private.Count,
            Expected: expected,
            Delivered: delivered,
            Reliability: Statistics.Reliability(delivered, expected),
            ToCrashedRecipients: toCrashed,
            DeliveredToCrashedRecipients: deliveredToCrashed,
            Acknowledged: acknowledged,
            AcknowledgedThroughSeed: throughSeed,
            Undeliverable: undeliverable,
            UndeliverableToLiveRecipients: lostToLive,
            Pending: _privatePending,
            LatencyP50Ms: Statistics.Milliseconds(p50),
            LatencyP99Ms: Statistics.Milliseconds(p99),
            AckLatencyP50Ms: Statistics.Milliseconds(ackP50),
            AckLatencyP99Ms: Statistics.Milliseconds(ackP99),
            PayloadTransmissions: payloadTransmissions,
            TransmissionsPerDelivery: Statistics.TransmissionsPerDelivery(payloadTransmissions, deliveries),
            Acknowledgements: acknowledgements,
            Leakage: _privateLeakage,
            DuplicateDeliveries: _privateDuplicates,
            NotDialablePeers: notDialable);
    }

    /// <summary>One private message: sender and recipient (peer indices; -1: not a peer of the run), when it was sent, and what became of it.</summary>
    private sealed class PrivateTrack(int from, int to, long sentAt)
    {
        public int From { get; } = from;

        public int To { get; } = to;

        public long SentAt { get; } = sentAt;

        public long? DeliveredAt { get; set; }

        public long? AcknowledgedAt { get; set; }

        public bool ThroughSeed { get; set; }

        /// <summary>Null: pending; true: acknowledged; false: undeliverable.</summary>
        public bool? Finished { get; set; }
    }
}
