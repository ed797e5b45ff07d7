namespace P2PSim.Liveness;

/// <summary>The outcome of one liveness round for one neighbour.</summary>
public enum LivenessVerdict
{
    /// <summary>The previous request was answered.</summary>
    Alive,

    /// <summary>Unanswered (or unreachable) this round, but still under the limit.</summary>
    Missed,

    /// <summary>The limit of consecutive misses is reached: the neighbour is dead.</summary>
    Dead,
}

/// <summary>
/// The miss counter behind liveness checks, as plain functions. Each round a peer looks at
/// the request it sent last round: answered resets the count (done when the reply arrives),
/// unanswered adds one. A neighbour whose connection is gone and cannot be re-established
/// also counts one miss per round. <c>limit</c> consecutive misses make it dead.
/// </summary>
public static class LivenessRules
{
    public static LivenessVerdict Round(ref int missed, bool previousUnanswered, int limit)
    {
        if (!previousUnanswered)
        {
            return LivenessVerdict.Alive;
        }
        return Miss(ref missed, limit);
    }

    public static LivenessVerdict Unreachable(ref int missed, int limit) => Miss(ref missed, limit);

    private static LivenessVerdict Miss(ref int missed, int limit)
    {
        missed++;
        return missed >= limit ? LivenessVerdict.Dead : LivenessVerdict.Missed;
    }
}
