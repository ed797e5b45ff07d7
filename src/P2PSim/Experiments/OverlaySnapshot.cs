namespace P2PSim.Experiments;

/// <summary>
/// The overlay at one moment: the live peers (<see cref="Peers"/>, by peer index) and, for each of them, the
/// positions in <see cref="Peers"/> of the live peers it has a connection with (links to peers that are not
/// live are left out). Ready for <see cref="OverlayAnalysis.Analyse"/>.
/// </summary>
public sealed record OverlaySnapshot(int[] Peers, int[][] Neighbours)
{
    /// <param name="live">Indices of the live peers, in any order.</param>
    /// <param name="peerCount">Peers in the run (indices are below it).</param>
    /// <param name="neighboursOf">A live peer's connected neighbours, by peer index.</param>
    public static OverlaySnapshot Build(IReadOnlyList<int> live, int peerCount, Func<int, IEnumerable<int>> neighboursOf)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(neighboursOf);
        var position = new int[peerCount];
        Array.Fill(position, -1);
        var peers = live.ToArray();
        for (var i = 0; i < peers.Length; i++)
        {
            position[peers[i]] = i;
        }
        var neighbours = new int[peers.Length][];
        var scratch = new List<int>();
        for (var i = 0; i < peers.Length; i++)
        {
            scratch.Clear();
            foreach (var peer in neighboursOf(peers[i]))
            {
                if (peer >= 0 && peer < peerCount && position[peer] >= 0)
                {
                    scratch.Add(position[peer]);
                }
            }
            neighbours[i] = scratch.ToArray();
        }
        return new OverlaySnapshot(peers, neighbours);
    }
}
