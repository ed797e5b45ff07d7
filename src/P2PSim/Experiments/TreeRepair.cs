namespace P2PSim.Experiments;

/// <summary>A publish step as the runner took it: when, and the payload transmissions and first receipts counted just before it published.</summary>
public readonly record struct PublishMark(DateTimeOffset At, long Transmissions, long Receipts);

/// <summary>What <see cref="TreeRepair.Measure"/> found (see there).</summary>
/// <param name="RepairedAfter">Crash to the first publish step of the repaired run; null: the last step was not repaired.</param>
/// <param name="RmrAfterRepair">RMR from that step on; null when there is none.</param>
/// <param name="MessagesAfterCrash">Messages originated after the crash.</param>
/// <param name="MessagesAfterRepair">Messages of the repaired steps.</param>
public sealed record TreeRepairOutcome(TimeSpan? RepairedAfter, double? RmrAfterRepair, int MessagesAfterCrash, int MessagesAfterRepair);

/// <summary>
/// When a broadcast tree that peers crashed out of was whole again, from what both networks can see: each message's
/// first receipts (did every expected receiver get it, and did any receipt answer a Graft or a Want) and, at every
/// publish step, the payload transmissions and first receipts so far. Pure: tested on values.
/// </summary>
public static class TreeRepair
{
    /// <summary>
    /// A publish step is <b>by push</b> when every message it published reached every expected receiver by push alone: no
    /// first receipt of it answered a Graft (or a Want). The tree is <b>repaired</b> at the first publish step after
    /// <paramref name="crashAt"/> from which every step to the last is by push; it has been repaired after the time from
    /// the crash to that step. The RMR after the repair counts the payloads sent and the first receipts from that step's
    /// mark to the end of the run (<paramref name="transmissions"/>, <paramref name="receipts"/>).
    /// </summary>
    /// <param name="crashAt">When the (first) peers crashed.</param>
    /// <param name="steps">Every publish step, in time order.</param>
    /// <param name="messages">The messages originated after the crash, in origination order; each belongs to the last step at or before its origination.</param>
    /// <param name="transmissions">Payload transmissions at the end of the run.</param>
    /// <param name="receipts">First receipts at the end of the run.</param>
    public static TreeRepairOutcome Measure(DateTimeOffset crashAt, IReadOnlyList<PublishMark> steps,
        IReadOnlyList<(DateTimeOffset OriginAt, bool ByPushToAll)> messages, long transmissions, long receipts)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(messages);
        var first = 0;
        while (first < steps.Count && steps[first].At < crashAt)
        {
            first++;
        }
        var after = steps.Count - first;
        var byPush = new bool[after];
        var count = new int[after];
        Array.Fill(byPush, true);
        var step = -1;
        foreach (var (originAt, pushed) in messages)
        {
            while (step + 1 < after && steps[first + step + 1].At <= originAt)
            {
                step++;
            }
            if (step < 0)
            {
                continue; // before the first step after the crash: not one of the steps measured
            }
            count[step]++;
            byPush[step] &= pushed;
        }
        var repaired = after;
        while (repaired > 0 && byPush[repaired - 1])
        {
            repaired--;
        }
        if (repaired == after)
        {
            return new TreeRepairOutcome(null, null, messages.Count, 0);
        }
        var mark = steps[first + repaired];
        return new TreeRepairOutcome(mark.At - crashAt, Statistics.Rmr(transmissions - mark.Transmissions, receipts - mark.Receipts),
            messages.Count, count[repaired..].Sum());
    }
}
