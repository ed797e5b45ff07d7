using P2PSim.Configuration;
using P2PSim.Protocol;

namespace P2PSim.Overlay;

/// <summary>
/// How a peer judges and draws its neighbours against Sybils (issue 11): the settings of <see cref="NeighbourScores"/>
/// and of the cap per address, resolved for one peer.
/// <list type="bullet">
/// <item><paramref name="Window"/>: every window (judged on the first liveness round after it ends) a neighbour this peer
/// dialed, linked the whole window, that delivered nothing (no first copy, no later copy, no announcement) is replaced
/// while the other neighbours delivered at least <paramref name="MinFirstDeliveries"/> first copies in the window, or
/// while this peer published in the window and had no new message from anyone in it (it looks eclipsed). Zero: off.</item>
/// <item><paramref name="PoorChoiceFor"/>: how long a replaced neighbour is not drawn again.</item>
/// <item><paramref name="MaxPerAddress"/>: most neighbours this peer has at one IP address (0: no cap).</item>
/// <item><paramref name="MaxPerSubnet"/>: most neighbours it draws from one /24 while peers of other /24s are there to draw
/// (0: no preference).</item>
/// <item><paramref name="TenuredNeighbours"/>: neighbours it keeps from the seeds' tenured shares (the first
/// <see cref="Nodes.Registration.TenuredPerList"/> entries of each peer list; 0: off).</item>
/// </list>
/// Both caps apply only where every node has an address of its own (<c>Network:AddressPerNode</c>); the tenured
/// neighbours everywhere.
/// </summary>
public sealed record NeighbourScoring(TimeSpan Window, int MinFirstDeliveries, TimeSpan PoorChoiceFor, int MaxPerAddress, int MaxPerSubnet = 0, int TenuredNeighbours = 0)
{
    /// <summary>The rules from the peer's settings; <paramref name="ownAddress"/>: every node has an address of its own.</summary>
    public static NeighbourScoring From(PeerOptions options, bool ownAddress)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new NeighbourScoring(options.ScoreWindow, options.ScoreMinFirstDeliveries, options.PoorNeighbourFor,
            ownAddress ? options.MaxNeighboursPerAddress : 0, ownAddress ? options.MaxNeighboursPerSubnet : 0, options.TenuredNeighbours);
    }

    /// <summary>Whether neighbours are scored at all (the cap per address applies either way).</summary>
    public bool Scores => Window > TimeSpan.Zero;
}

/// <summary>
/// What each neighbour delivered in the current window (the idea of gossipsub v1.1's P2/P3 scores, "first message
/// deliveries" and "mesh message deliveries", reduced to one question: did it deliver anything while others did?).
/// Pure bookkeeping: <see cref="NeighbourTable"/> feeds it and acts on its verdicts; it draws no random numbers, so a run
/// in which nobody is replaced draws exactly what it drew without it.
/// </summary>
internal sealed class NeighbourScores(NeighbourScoring rules)
{
    private readonly Dictionary<NodeEndpoint, Tally> _tallies = new();
    private DateTimeOffset? _windowStart;
    private int _originated;

    /// <summary>One neighbour's deliveries in the current window, and since when its current link is up.</summary>
    private sealed class Tally(DateTimeOffset since)
    {
        public DateTimeOffset Since = since;
        public int First;
        public int Copies;
    }

    public NeighbourScoring Rules => rules;

    /// <summary>Neighbours replaced for delivering nothing, since the peer started.</summary>
    public long Replaced { get; set; }

    /// <summary>The peer joined: the first window starts.</summary>
    public void Begin(DateTimeOffset now) => _windowStart ??= now;

    /// <summary>A link to <paramref name="neighbour"/> came up (new or re-established): it is judged after a whole window on it.</summary>
    public void LinkUp(NodeEndpoint neighbour, DateTimeOffset now) => _tallies[neighbour] = new Tally(now);

    public void Removed(NodeEndpoint neighbour) => _tallies.Remove(neighbour);

    /// <summary><paramref name="from"/> delivered a message new to this peer.</summary>
    public void First(NodeEndpoint from)
    {
        if (_tallies.TryGetValue(from, out var tally))
        {
            tally.First++;
        }
    }

    /// <summary><paramref name="from"/> sent a copy of a message this peer had, or announced one.</summary>
    public void Copy(NodeEndpoint from)
    {
        if (_tallies.TryGetValue(from, out var tally))
        {
            tally.Copies++;
        }
    }

    /// <summary>This peer published a message: the network has traffic, whoever else publishes.</summary>
    public void Originated() => _originated++;

    /// <summary>
    /// At the end of a window: the neighbours to replace, each with why (<paramref name="dialed"/> tells a neighbour this
    /// peer dialed and still has a link to: only those are judged), and a new window starts. Empty before the window ends.
    /// </summary>
    public List<(NodeEndpoint Neighbour, string Why)> Judge(DateTimeOffset now, Func<NodeEndpoint, bool> dialed)
    {
        var verdicts = new List<(NodeEndpoint, string)>();
        if (_windowStart is not { } start || now < start + rules.Window)
        {
            return verdicts;
        }
        var totalFirst = 0;
        foreach (var tally in _tallies.Values)
        {
            totalFirst += tally.First;
        }
        var eclipsed = totalFirst == 0 && _originated > 0;
        foreach (var (neighbour, tally) in _tallies)
        {
            if (tally.Since > start || tally.First > 0 || tally.Copies > 0 || !dialed(neighbour))
            {
                continue;
            }
            var others = totalFirst - tally.First;
            if (others >= rules.MinFirstDeliveries)
            {
                verdicts.Add((neighbour, $"it delivered nothing in {Seconds(now - start)} while the other neighbours delivered {others} new messages"));
            }
            else if (eclipsed)
            {
                verdicts.Add((neighbour, $"it delivered nothing in {Seconds(now - start)} while this peer published {_originated} and had no new message from anyone (eclipsed?)"));
            }
        }
        foreach (var tally in _tallies.Values)
        {
            tally.First = 0;
            tally.Copies = 0;
        }
        _originated = 0;
        _windowStart = now;
        return verdicts;
    }

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} s";
}
